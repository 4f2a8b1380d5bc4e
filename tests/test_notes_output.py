"""The course notes checked with the real tools: TeX engines, pdftoppm, an XML parser, KaTeX.

Under CI=true every tool is required (the helpers in test_output_checks fail instead of skip).
"""

from __future__ import annotations

import re
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

import symderiv
from symderiv.cli.main import main
from symderiv.core.figures import Figure, GraphFigure
from symderiv.layers import FAMILIES
from symderiv.layers.chain_rule import derive as primer
from symderiv.layers.chain_rule import figures as primer_figures
from symderiv.layers.conv import figures as conv_figures
from symderiv.layers.norm import figures as norm_figures
from symderiv.layers.pool import figures as pool_figures
from symderiv.render.sections import available

from .test_output_checks import (
    ENGINE,
    compile_tex,
    extract_math,
    overfull_boxes,
    require_program,
    run_katex,
)

SVG = "{http://www.w3.org/2000/svg}"
SECTIONS: list[str] = []
"""The default notes: the course (chain rule, conv2d, ReLU, max pooling, batch norm, linear,
cross-entropy)."""
WORDS = {
    "en": [
        "Contents",
        "The chain rule",
        "Backpropagation through conv2d",
        "Summary",
        "Figure 3.",
        "Backpropagation through max pooling",
        "Figure 5.",
        "Backpropagation through batch normalisation",
        "Backpropagation through ReLU",
        "Backpropagation through cross-entropy",
    ],
    "zh": [
        "目录",
        "链式法则",
        "conv2d的反向传播",
        "小结",
        "图3",
        "最大池化的反向传播",
        "图5",
        "ReLU的反向传播",
        "交叉熵的反向传播",
        "的反向传播：每组",
    ],
}
EXPECTED_FIGURES = 6


def notes_source(lang: str, fmt: str, directory: Path) -> str:
    ext = {"md": "md", "latex": "tex"}[fmt]
    args = ["notes", *SECTIONS, "--lang", lang, "--format", fmt, "--output-dir", str(directory)]
    if fmt == "latex":
        args.append("--standalone")
    assert main(args) == 0
    return (directory / f"notes.{ext}").read_text(encoding="utf-8")


def png_ink(path: Path) -> tuple[int, int]:
    """(pixels that are not white, all pixels) of an 8-bit greyscale or RGB PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (0, 2)
    channels = 1 if colour == 0 else 3
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    ink = 0
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        ink += sum(1 for i in range(0, stride, channels) if min(line[i : i + channels]) < 200)
        previous = line
    return ink, width * height


def check_contents_pages(pdf: Path) -> None:
    """Every top-level entry of the contents names the page on which its heading is set."""
    pdftotext = require_program("pdftotext")
    layout = subprocess.run(
        [pdftotext, "-layout", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout.decode("utf-8")
    pages = [re.sub(r"\s+", "", page) for page in layout.split("\f")]
    # The contents run from their heading to the summary, the last section.
    start = re.search(r"^\s*(Contents|目录)\s*$", layout, re.M)
    end = re.search(r"^\d+ +(Summary|小结) +\d+$", layout, re.M)
    assert start and end, "no contents found"
    contents = layout[start.end() : end.end()]
    seen = {
        number: (re.sub(r"\s+", "", title)[:12], int(page))
        for number, title, page in re.findall(r"^[ \f]*(\d+) +(\S.*?) +(\d+)$", contents, re.M)
    }
    assert sorted(map(int, seen)) == list(range(1, len(seen) + 1)) and len(seen) >= 7, seen
    wrong = {
        number: (title, page)
        for number, (title, page) in seen.items()
        if number + title not in pages[page - 1]
    }
    assert not wrong, f"contents entries whose heading is not on the page they name: {wrong}"


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_standalone_notes_compile_and_every_page_has_ink(lang: str, tmp_path: Path) -> None:
    source = notes_source(lang, "latex", tmp_path / "src")
    assert source.startswith("\\documentclass") and "\\usepackage{tikz}" in source
    # Three runs, as the README says (latexmk does the same): the second resolves the contents
    # and \eqref, the third the page numbers that the contents' own length moved.
    for _ in range(2):
        compile_tex(source, ENGINE[lang], tmp_path)
    text, log = compile_tex(source, ENGINE[lang], tmp_path)
    assert "Rerun" not in log
    assert "There were undefined references" not in log
    assert not re.search(r"Reference `[^']*' on page \d+ undefined", log)
    assert "multiply defined" not in log
    flat = re.sub(r"\s+", "", text)
    missing = [w for w in WORDS[lang] if re.sub(r"\s+", "", w) not in flat]
    assert not missing, f"not in the PDF text: {missing}"
    assert "??" not in text
    assert not overfull_boxes(log), overfull_boxes(log)
    check_contents_pages(tmp_path / "doc.pdf")
    # The key equations carry the same numbers in the PDF as in the Markdown.
    tags = re.findall(r"\\tag\{(\d+\.\d+)\}", notes_source(lang, "md", tmp_path / "md"))
    assert len(tags) >= 15 and set(re.findall(r"\((\d+\.\d+)\)", text)) == set(tags)
    pdftoppm = require_program("pdftoppm")
    subprocess.run(
        [pdftoppm, "-r", "40", "-gray", "-png", "doc.pdf", "page"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    # About 25 pages in English (the measure); Chinese sets a little longer.
    most = {"en": 26, "zh": 28}[lang]
    assert 5 <= len(pages) <= most, f"the course notes should stay about 25 pages: {len(pages)}"
    for page in pages:
        ink, total = png_ink(page)
        assert ink > total // 500, f"{page.name} looks blank ({ink} of {total} pixels inked)"


@pytest.mark.katex
def test_notes_markdown_math_passes_katex_strict(tmp_path: Path) -> None:
    pieces = []
    for lang in ("en", "zh"):
        pieces += extract_math(notes_source(lang, "md", tmp_path / lang))
    assert len(pieces) > 100
    errors = run_katex(pieces)
    assert not errors, [(pieces[int(e["index"])].tex[:200], e["message"]) for e in errors]


def test_notes_svgs_parse_and_have_the_expected_cells(tmp_path: Path) -> None:
    markdown = notes_source("en", "md", tmp_path)
    conv = conv_figures.build(symderiv.conv2d())
    expected: dict[str, Figure | GraphFigure] = {
        "notes-chain-rule-gate.svg": primer_figures.build(primer.chain_rule())["gate"]
    }
    expected.update({f"notes-conv2d-{f.name}.svg": f for f in conv.values()})
    expected["notes-maxpool2d-switches.svg"] = pool_figures.build(symderiv.maxpool2d())["switches"]
    expected["notes-batchnorm-graph.svg"] = norm_figures.build(symderiv.batchnorm())["graph"]
    referenced = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert referenced == list(expected) and len(referenced) == EXPECTED_FIGURES
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == sorted(expected)
    for name, figure in expected.items():
        root = ET.parse(tmp_path / name).getroot()
        if isinstance(figure, GraphFigure):
            assert len(root.findall(f".//{SVG}*[@class='node']")) == len(figure.nodes)
            continue
        cells = root.findall(f".//{SVG}rect[@class='cell']")
        assert len(cells) == figure.cells
        assert len(root.findall(f"{SVG}g[@class='panel']")) == len(figure.panels)
    # 3x3 input, 2x2 kernel: 4 windows over X; F, its rows reversed, rot180(F); padded dL/dO
    # and one panel per element of dL/dX.
    assert [f.cells for f in conv.values()] == [4 * 9, 3 * 4, 10 * 16]


def test_png_reader_counts_ink(tmp_path: Path) -> None:
    """The blank-page check can fail: a white image has no ink, a black one is all ink."""

    def png(value: int) -> bytes:
        raw = b"".join(b"\x00" + bytes([value]) * 4 for _ in range(3))

        def chunk(kind: bytes, body: bytes) -> bytes:
            return (
                struct.pack(">I", len(body))
                + kind
                + body
                + struct.pack(">I", zlib.crc32(kind + body))
            )

        header = struct.pack(">IIBBBBB", 4, 3, 8, 0, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b"")
        )

    (tmp_path / "white.png").write_bytes(png(255))
    (tmp_path / "black.png").write_bytes(png(0))
    assert png_ink(tmp_path / "white.png") == (0, 12)
    assert png_ink(tmp_path / "black.png") == (12, 12)


@pytest.mark.katex
def test_every_section_together_passes_katex_strict(tmp_path: Path) -> None:
    """The default article, every registered layer in it, in both languages."""
    pieces = []
    for lang in ("en", "zh"):
        args = ["notes", "--sections", "all", "--lang", lang, "--output-dir", str(tmp_path / lang)]
        assert main(args) == 0
        pieces += extract_math((tmp_path / lang / "notes.md").read_text(encoding="utf-8"))
    errors = run_katex(pieces)
    assert not errors, [(pieces[int(e["index"])].tex[:200], e["message"]) for e in errors[:5]]


@pytest.mark.tex
def test_every_section_together_compiles(tmp_path: Path) -> None:
    assert (
        main(
            [
                "notes",
                "--sections",
                "all",
                "--format",
                "latex",
                "--standalone",
                "-o",
                str(tmp_path / "all.tex"),
            ]
        )
        == 0
    )
    source = (tmp_path / "all.tex").read_text(encoding="utf-8")
    compile_tex(source, ENGINE["en"], tmp_path)
    text, log = compile_tex(source, ENGINE["en"], tmp_path)
    assert "There were undefined references" not in log and "multiply defined" not in log
    sections = len(available(FAMILIES))
    assert len(re.findall(r"^\\section\{", source, re.M)) == sections + 1  # and the summary
    assert "Summary" in text
