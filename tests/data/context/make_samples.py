"""Rebuild the multi-language samples: `python tests/data/context/make_samples.py`.

Each sample has a long method deep inside a class (or an impl, a namespace), unrelated code around it
and a change in the middle of the method's body. Every line that targeted context must show contains
`keep`; every line it must not show contains `drop`. `before.*` is the base, `after.*` the head.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BODY_LINES = 50
CHANGED = 25


def unrelated(fmt: str, count: int = 60) -> str:
    return "\n".join(fmt.format(i=i) for i in range(count))


SAMPLES = {
    "sample.py": (
        "import os  # drop\n"
        "\n"
        "def unrelated_before(x):  # drop\n"
        + unrelated("    x = x + {i}  # drop") + "\n"
        "    return x  # drop\n"
        "\n"
        "\n"
        "class Widget(Base):  # keep\n"
        '    """A widget: drop."""\n'
        "    drop_size = 3\n"
        "\n"
        "    def other(self):  # drop\n"
        "        return self.drop_size\n"
        "\n"
        "    # The long one: keep\n"
        "    @cached  # keep\n"
        "    def long_method(self, keep0):  # keep\n"
        "{body}\n"
        "        return keep{last}  # keep\n"
        "\n"
        "    def after(self):  # drop\n"
        + unrelated("        self.drop{i} = {i}") + "\n"
        "\n"
        "\n"
        "def unrelated_after():  # drop\n"
        + unrelated("    print('drop {i}')") + "\n",
        "        keep{i} = compute(keep{p})",
    ),
    "sample.js": (
        "import { x } from './drop.js';\n"
        "\n"
        "function unrelatedBefore(x) { // drop\n"
        + unrelated("  x = x + {i}; // drop") + "\n"
        "  return x; // drop\n"
        "} // drop\n"
        "\n"
        "export class Widget extends Base { // keep\n"
        "  dropSize = 3;\n"
        "  other() { return this.dropSize; } // drop\n"
        "\n"
        "  /** The long one: keep */\n"
        "  longMethod(keep0) { // keep\n"
        "{body}\n"
        "    return keep{last}; // keep\n"
        "  } // keep\n"
        "\n"
        "  after() { // drop\n"
        + unrelated("    this.drop{i} = {i};") + "\n"
        "  } // drop\n"
        "} // drop\n"
        "\n"
        "const unrelatedAfter = () => { // drop\n"
        + unrelated("  console.log('drop {i}');") + "\n"
        "}; // drop\n",
        "    const keep{i} = compute(keep{p});",
    ),
    "sample.go": (
        "package drop\n"
        "\n"
        "func unrelatedBefore(x int) int { // drop\n"
        + unrelated("\tx = x + {i} // drop") + "\n"
        "\treturn x // drop\n"
        "} // drop\n"
        "\n"
        "type Widget struct { // drop\n"
        "\tdropSize int\n"
        "} // drop\n"
        "\n"
        "// LongMethod is the long one: keep\n"
        "func (w *Widget) LongMethod(keep0 int) int { // keep\n"
        "{body}\n"
        "\treturn keep{last} // keep\n"
        "} // keep\n"
        "\n"
        "func unrelatedAfter() { // drop\n"
        + unrelated('\tfmt.Println("drop {i}")') + "\n"
        "} // drop\n",
        "\tkeep{i} := compute(keep{p})",
    ),
    "sample.java": (
        "package drop;\n"
        "\n"
        "public class Widget extends Base { // keep\n"
        "    private int dropSize = 3;\n"
        "\n"
        "    int unrelatedBefore(int x) { // drop\n"
        + unrelated("        x = x + {i}; // drop") + "\n"
        "        return x; // drop\n"
        "    } // drop\n"
        "\n"
        "    /** The long one: keep */\n"
        "    @Override // keep\n"
        "    public int longMethod(int keep0) { // keep\n"
        "{body}\n"
        "        return keep{last}; // keep\n"
        "    } // keep\n"
        "\n"
        "    void unrelatedAfter() { // drop\n"
        + unrelated('        System.out.println("drop {i}");') + "\n"
        "    } // drop\n"
        "} // drop\n",
        "        int keep{i} = compute(keep{p});",
    ),
    "sample.rs": (
        "use std::drop;\n"
        "\n"
        "fn unrelated_before(x: i32) -> i32 { // drop\n"
        + unrelated("    let x = x + {i}; // drop") + "\n"
        "    x // drop\n"
        "} // drop\n"
        "\n"
        "impl Base for Widget { // keep\n"
        "    fn other(&self) -> i32 { self.drop_size } // drop\n"
        "\n"
        "    /// The long one: keep\n"
        "    #[inline] // keep\n"
        "    fn long_method(&self, keep0: i32) -> i32 { // keep\n"
        "{body}\n"
        "        keep{last} // keep\n"
        "    } // keep\n"
        "\n"
        "    fn after(&self) { // drop\n"
        + unrelated('        println!("drop {i}");') + "\n"
        "    } // drop\n"
        "} // drop\n",
        "        let keep{i} = compute(keep{p});",
    ),
    "sample.c": (
        "#include <drop.h>\n"
        "\n"
        "static int unrelated_before(int x) { /* drop */\n"
        + unrelated("    x = x + {i}; /* drop */") + "\n"
        "    return x; /* drop */\n"
        "} /* drop */\n"
        "\n"
        "/* The long one: keep */\n"
        "int long_function(int keep0) /* keep */\n"
        "{ /* keep */\n"
        "{body}\n"
        "    return keep{last}; /* keep */\n"
        "} /* keep */\n"
        "\n"
        "void unrelated_after(void) { /* drop */\n"
        + unrelated('    puts("drop {i}");') + "\n"
        "} /* drop */\n",
        "    int keep{i} = compute(keep{p});",
    ),
    "sample.cpp": (
        "#include <drop>\n"
        "\n"
        "namespace widgets { // keep\n"
        "\n"
        "int unrelated_before(int x) { // drop\n"
        + unrelated("  x = x + {i}; // drop") + "\n"
        "  return x; // drop\n"
        "} // drop\n"
        "\n"
        "template <typename T> // keep\n"
        "class Widget : public Base { // keep\n"
        " public:\n"
        "  int other() const { return drop_size_; } // drop\n"
        "\n"
        "  // The long one: keep\n"
        "  int long_method(int keep0) { // keep\n"
        "{body}\n"
        "    return keep{last}; // keep\n"
        "  } // keep\n"
        "\n"
        "  void after() { // drop\n"
        + unrelated('    std::puts("drop {i}");') + "\n"
        "  } // drop\n"
        " private:\n"
        "  int drop_size_ = 3;\n"
        "}; // drop\n"
        "\n"
        "}  // namespace widgets (drop)\n",
        "    int keep{i} = compute(keep{p});",
    ),
    "sample.rb": (
        "require 'drop'\n"
        "\n"
        "module Widgets # keep\n"
        "  def self.unrelated_before(x) # drop\n"
        + unrelated("    x += {i} # drop") + "\n"
        "    x # drop\n"
        "  end # drop\n"
        "\n"
        "  class Widget < Base # keep\n"
        "    attr_reader :drop_size\n"
        "\n"
        "    # The long one: keep\n"
        "    def long_method(keep0) # keep\n"
        "{body}\n"
        "      keep{last} # keep\n"
        "    end # keep\n"
        "\n"
        "    def after # drop\n"
        + unrelated("      puts 'drop {i}'") + "\n"
        "    end # drop\n"
        "  end # drop\n"
        "end # drop\n",
        "      keep{i} = compute(keep{p})",
    ),
}
# TypeScript and TSX share the JavaScript sample's shape, with types.
SAMPLES["sample.ts"] = (
    SAMPLES["sample.js"][0].replace("longMethod(keep0)", "longMethod(keep0: number): number")
    .replace("export class Widget extends Base {",
             "@Component({ selector: 'keep' })\nexport class Widget extends Base {"),
    "    const keep{i}: number = compute(keep{p});",
)
SAMPLES["sample.tsx"] = (
    SAMPLES["sample.js"][0].replace("longMethod(keep0)", "longMethod(keep0: number): JSX.Element")
    .replace("return keep{last}; // keep", "return <div>{{keep{last}}}</div>; // keep"),
    "    const keep{i} = compute(keep{p});",
)


def render(name: str, changed: bool) -> str:
    template, line = SAMPLES[name]
    body = []
    for i in range(1, BODY_LINES + 1):
        text = line.format(i=i, p=i - 1)
        if changed and i == CHANGED:
            text = text.replace(f"compute(keep{i - 1})", f"compute(keep{i - 1}) + 1")
        body.append(text)
    return template.replace("{body}", "\n".join(body)).replace("{last}", str(BODY_LINES))


def main() -> None:
    for name in SAMPLES:
        stem, ext = name.split(".")
        (HERE / f"before.{ext}").write_text(render(name, False), encoding="utf-8")
        (HERE / f"after.{ext}").write_text(render(name, True), encoding="utf-8")


if __name__ == "__main__":
    main()
