"""Where results go: the PR review, the step summary, annotations, check run, audit issue, SARIF."""
