"""Token counting for the benchmarks: Claude's published (legacy) tokenizer when it can be had.

Anthropic shipped its tokenizer as `tokenizer.json` inside the `anthropic` SDK up to 0.38 (MIT). The
benchmarks fetch that wheel from PyPI once (into benchmarks/.cache) and count with the `tokenizers`
package, so ratios such as framing overhead are measured in real BPE tokens, not characters. Newer
models use newer tokenizers; ratios of code to framing move little between BPE vocabularies. Without
network or `tokenizers`, a character estimate is used and the table says so.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"


@cache
def counter() -> tuple[Callable[[str], int], str]:
    path = CACHE / "claude-tokenizer.json"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "anthropic==0.38.0", "-d", str(CACHE)],
            capture_output=True, check=False,
        )
        wheels = sorted(CACHE.glob("anthropic-0.38.0-*.whl"))
        if wheels:
            with zipfile.ZipFile(wheels[0]) as wheel:
                path.write_bytes(wheel.read("anthropic/tokenizer.json"))
    try:
        from tokenizers import Tokenizer  # type: ignore[import-not-found]

        tokenizer = Tokenizer.from_file(str(path))
    except Exception:
        return (lambda text: max(1, (len(text) + 3) // 4)), "characters / 4 (tokenizer unavailable)"

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids) if text else 0

    return count, "Claude's published tokenizer (anthropic 0.38 tokenizer.json)"
