"""Copy KaTeX from node_modules into the package, so that HTML pages work offline.

The wheel carries KaTeX's script and a stylesheet with its WOFF2 fonts written in as data URLs:
a page that inlines both needs nothing from the network, and a user needs no Node.js. The
version is the one package-lock.json pins; tests/test_html.py checks that the copy matches it.

    npm ci && python scripts/vendor_katex.py
"""

from __future__ import annotations

import base64
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "symderiv" / "assets" / "katex"
FONT_SOURCES = re.compile(r"src:url\(fonts/([\w-]+)\.woff2\) format\(\"woff2\"\)[^;}]*")


def inline_stylesheet(dist: Path) -> str:
    """KaTeX's stylesheet with each font's sources replaced by its WOFF2 file as a data URL
    (every browser that runs KaTeX reads WOFF2; the WOFF and TTF copies would only add size)."""
    css = (dist / "katex.min.css").read_text(encoding="utf-8")

    def embedded(match: re.Match[str]) -> str:
        font = (dist / "fonts" / f"{match.group(1)}.woff2").read_bytes()
        data = base64.b64encode(font).decode("ascii")
        return f'src:url(data:font/woff2;base64,{data}) format("woff2")'

    inlined, count = FONT_SOURCES.subn(embedded, css)
    if count == 0 or "url(fonts/" in inlined:
        raise SystemExit("KaTeX's stylesheet names its fonts in an unexpected way")
    return inlined


def vendored(package: Path) -> dict[str, bytes]:
    """The files the package carries, by name, made from an installed KaTeX package."""
    dist = package / "dist"
    return {
        "katex.min.js": (dist / "katex.min.js").read_bytes(),
        "katex.css": inline_stylesheet(dist).encode("utf-8"),
        "LICENSE": (package / "LICENSE").read_bytes(),
    }


def main() -> None:
    package = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "node_modules" / "katex"
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    for name, content in vendored(package).items():
        (TARGET / name).write_bytes(content)


if __name__ == "__main__":
    main()
