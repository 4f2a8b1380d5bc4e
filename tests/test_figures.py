"""Figures: computed from the derivation, and drawn the same way in TikZ and SVG."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

import symderiv
from symderiv.cli.main import cli, main
from symderiv.core.figures import PALETTE, Figure, plain_text, selection
from symderiv.layers.conv import figures as conv_figures
from symderiv.render import svg, tikz

from .test_output_checks import ENGINE, compile_tex, extract_math, run_katex

SVG = "{http://www.w3.org/2000/svg}"
SIZES = [((3, 3), (2, 2)), ((4, 5), (2, 3)), ((3, 4), (3, 1))]


@functools.cache
def figures(input_size: tuple[int, int], kernel: tuple[int, int]) -> dict[str, Figure]:
    return conv_figures.build(symderiv.conv2d(input=input_size, kernel=kernel))


@pytest.mark.parametrize("input_size, kernel", SIZES)
def test_windows_are_the_cells_each_output_reads(
    input_size: tuple[int, int], kernel: tuple[int, int]
) -> None:
    figure = figures(input_size, kernel)["windows"]
    out = (input_size[0] - kernel[0] + 1, input_size[1] - kernel[1] + 1)
    assert figure.complete and len(figure.panels) == out[0] * out[1]
    for panel, (i, j) in zip(figure.panels, [(i, j) for i in range(out[0]) for j in range(out[1])]):
        assert plain_text(panel.title) == f"O{i + 1}{j + 1}"
        # Stride 1, no padding: O_ij reads the kernel-sized block whose corner is X_ij.
        block = {(i + u, j + v) for u in range(kernel[0]) for v in range(kernel[1])}
        shaded = {c for c in panel.labels.indices() if panel.tone(c) == "window"}
        assert shaded == block
        assert plain_text(panel.labels[(0, 0)]) == "X11"


@pytest.mark.parametrize("input_size, kernel", SIZES)
def test_rotation_reverses_rows_and_columns(
    input_size: tuple[int, int], kernel: tuple[int, int]
) -> None:
    original, flipped, rotated = figures(input_size, kernel)["rotation"].panels
    assert [plain_text(p.title) for p in (original, flipped, rotated)] == ["F", "↕F", "rot180(F)"]
    kh, kw = kernel
    for (r, c), label in original.labels.items():
        assert plain_text(label) == f"F{r + 1}{c + 1}"
        assert flipped.labels[(kh - 1 - r, c)] == label
        assert rotated.labels[(kh - 1 - r, kw - 1 - c)] == label
    anchors = [{i for i in p.labels.indices() if p.tone(i) == "anchor"} for p in (flipped, rotated)]
    assert anchors == [{(kh - 1, 0)}, {(kh - 1, kw - 1)}]


@pytest.mark.parametrize("input_size, kernel", SIZES)
def test_full_correlation_windows_hold_the_gradient_terms(
    input_size: tuple[int, int], kernel: tuple[int, int]
) -> None:
    """Each window's kernel labels times the padded dL/dO beneath them sum to that dL/dX element."""
    d = symderiv.conv2d(input=input_size, kernel=kernel)
    padded, *panels = figures(input_size, kernel)["full-correlation"].panels
    assert plain_text(padded.title) == "∂L/∂O"
    every = [(a, b) for a in range(input_size[0]) for b in range(input_size[1])]
    shown = selection(every, input_size, conv_figures.PANEL_LIMIT)
    assert len(panels) == len(shown) and (len(shown) == len(every)) == (len(every) <= 16)
    # Labels read back as symbols: F12 is F_1_2, ∂L/∂O12 is dL_dO_1_2 (single-digit sizes here).
    named = {str(s).replace("_", "").replace("dLdO", "∂L/∂O"): s for s in d.symbols("F")}
    named |= {str(s).replace("_", "").replace("dLdO", "∂L/∂O"): s for s in d.symbols("dL/dO")}
    named["0"] = 0
    gradient = d.gradient("X")
    for panel, (a, b) in zip(panels, shown):
        shaded = [c for c in panel.labels.indices() if panel.tone(c) == "window"]
        lighter = [c for c in panel.labels.indices() if panel.tone(c) == "window-zero"]
        assert len(shaded) + len(lighter) == kernel[0] * kernel[1]
        assert all(plain_text(padded.labels[c]) == "0" for c in lighter)
        assert all(not panel.labels[c] for c in panel.labels.indices() if c not in shaded + lighter)
        total = sum(
            named[plain_text(panel.labels[c])] * named[plain_text(padded.labels[c])]
            for c in shaded + lighter
        )
        assert sympy.expand(total - gradient[a, b]) == 0


def test_large_sizes_show_the_corners_without_labels() -> None:
    figure = figures((12, 12), (3, 3))["windows"]
    assert not figure.complete
    assert [plain_text(p.title) for p in figure.panels] == [
        "O1,1",
        "O1,10",
        "O10,1",
        "O10,10",
    ]
    assert not any(p.show_labels for p in figure.panels)
    assert selection([(0, 0), (0, 1)], (1, 2), 16) == [(0, 0), (0, 1)]


@pytest.mark.parametrize("input_size, kernel", SIZES)
def test_svg_parses_with_one_rect_per_cell(
    input_size: tuple[int, int], kernel: tuple[int, int]
) -> None:
    for figure in figures(input_size, kernel).values():
        root = ET.fromstring(svg.figure_svg(figure))
        assert root.tag == f"{SVG}svg"
        panels = root.findall(f"{SVG}g[@class='panel']")
        assert len(panels) == len(figure.panels)
        for group, panel in zip(panels, figure.panels):
            cells = group.findall(f"{SVG}rect[@class='cell']")
            assert len(cells) == len(panel.labels.cells)
            for rect, index in zip(cells, panel.labels.indices()):
                assert rect.get("data-tone") == panel.tone(index)
                assert rect.get("fill") == PALETTE[panel.tone(index)]
            texts = ["".join(t.itertext()) for t in group.findall(f"{SVG}text")]
            assert texts[0] == plain_text(panel.title)
            if panel.show_labels:
                assert texts[1:] == [plain_text(label) for label in panel.labels.cells]


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgb,255:red,{r};green,{g};blue,{b}"


@pytest.mark.parametrize("input_size, kernel", SIZES)
def test_tikz_draws_the_same_cells_and_colours(
    input_size: tuple[int, int], kernel: tuple[int, int]
) -> None:
    for figure in figures(input_size, kernel).values():
        source = tikz.figure_tex(figure)
        assert source.count("\\begin{tikzpicture}") == len(figure.panels)
        fills = re.findall(r"\\filldraw\[fill=\{([^}]*)\}", source)
        expected = [_rgb(PALETTE[p.tone(i)]) for p in figure.panels for i in p.labels.indices()]
        assert fills == expected


def test_single_layer_figures_in_markdown(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["conv2d", "--figures", "--output-dir", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "conv2d-full-correlation.svg",
        "conv2d-rotation.svg",
        "conv2d-windows.svg",
        "conv2d.md",
    ]
    markdown = (out / "conv2d.md").read_text(encoding="utf-8")
    referenced = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert referenced == [
        "conv2d-windows.svg",
        "conv2d-rotation.svg",
        "conv2d-full-correlation.svg",
    ]
    for name in referenced:
        ET.parse(out / name)
    assert [f"Figure {n}." in markdown for n in (1, 2, 3)] == [True, True, True]
    # Without --figures the document is the plain one.
    plain = CliRunner().invoke(cli, ["conv2d"]).output
    assert markdown.replace("\n\n", "\n") != plain.replace("\n\n", "\n")
    assert "![" not in plain


@pytest.mark.parametrize(
    "args, message",
    [
        (["conv2d", "--figures"], "give -o FILE or --output-dir DIR"),
        (["conv2d", "--figures", "--format", "json", "-o", "x.json"], "--figures"),
        (["conv2d", "-o", "a.md", "--output-dir", "d"], "not both"),
    ],
)
def test_bad_figure_requests(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.katex
def test_single_layer_figure_markdown_passes_katex(tmp_path: Path) -> None:
    pieces = []
    for lang in ("en", "zh"):
        assert (
            main(["conv2d", "--lang", lang, "--figures", "--output-dir", str(tmp_path / lang)]) == 0
        )
        pieces += extract_math((tmp_path / lang / "conv2d.md").read_text(encoding="utf-8"))
    errors = run_katex(pieces)
    assert not errors, [(pieces[int(e["index"])].tex, e["message"]) for e in errors]


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_single_layer_figures_compile(lang: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["conv2d", "--lang", lang, "--figures", "--format", "latex", "--standalone"]
    )
    assert result.exit_code == 0
    assert "\\usepackage{tikz}" in result.output
    assert result.output.count("\\begin{tikzpicture}") == 4 + 3 + 10
    assert result.output.count("\\begin{figure}") == 3
    compile_tex(result.output, ENGINE[lang], tmp_path)  # the second run resolves the \ref's
    text, log = compile_tex(result.output, ENGINE[lang], tmp_path)
    assert "??" not in text and "undefined" not in log
    flat = re.sub(r"\s+", "", text)  # ctex sets its own space between a CJK character and a digit
    # The caption is numbered by LaTeX, and the text refers to it by that number.
    assert ("Figure3." if lang == "en" else "图3") in flat
    assert ("Figure2followsone" if lang == "en" else "图2跟踪") in flat


# --------------------------------------------------------------------------------------------
# Max pooling: the switch mask


def _maxpool_cases() -> list[dict[str, object]]:
    return [
        {},  # the built-in example
        {"values": "1,3,3;3,0,3;2,3,1", "kernel": "2", "stride": "1"},  # ties and overlaps
        {"seed": 7, "input": "5x6", "kernel": "3", "stride": "2", "padding": "1"},
    ]


@pytest.mark.torch
@pytest.mark.parametrize("options", _maxpool_cases(), ids=["example", "ties-overlap", "padded"])
def test_switch_mask_figure_matches_torch_indices(options: dict[str, object]) -> None:
    from symderiv.layers.pool import figures as pool_figures

    from .test_output_checks import require

    try:
        import torch
    except ImportError:  # pragma: no cover - CI has torch
        require(False, "torch is not installed")
        raise
    d = symderiv.maxpool2d(**options)  # type: ignore[arg-type]
    figure = pool_figures.build(d)["switches"]
    *windows, upstream, routed = figure.panels
    values = d.values
    assert values is not None
    x = torch.tensor([[float(v) for v in row] for row in values.nested()], dtype=torch.float64)
    geometry = d.geometry
    _, indices = torch.nn.functional.max_pool2d(
        x[None, None],
        geometry.kernel,
        geometry.stride,
        geometry.padding,
        geometry.dilation,
        ceil_mode=geometry.ceil_mode,
        return_indices=True,
    )
    flat = indices[0, 0].tolist()
    width = values.shape[1]
    outputs = [s.window.output for s in d.selections]
    shown = selection(outputs, geometry.output, 16)
    assert [plain_text(p.title) for p in windows] == [
        "O" + "".join(str(i + 1) for i in out) for out in shown
    ]
    for panel, out in zip(windows, shown):
        winner = divmod(flat[out[0]][out[1]], width)
        assert {i for i in panel.labels.indices() if panel.tone(i) == "selected"} == {winner}
    # dL/dX: each upstream gradient lands on its window's winner, summed where winners repeat.
    expected: dict[tuple[int, int], list[str]] = {}
    for i, row in enumerate(flat):
        for j, index in enumerate(row):
            expected.setdefault(divmod(index, width), []).append(f"∂L/∂O{i + 1}{j + 1}")
    assert {i for i in routed.labels.indices() if routed.tone(i) == "selected"} == set(expected)
    for cell, terms in expected.items():
        assert sorted(plain_text(routed.labels[cell]).split("+")) == sorted(terms)
    assert plain_text(upstream.title) == "∂L/∂O"
    root = ET.fromstring(svg.figure_svg(figure))
    assert len(root.findall(f".//{SVG}rect[@class='cell']")) == figure.cells


@pytest.mark.parametrize(
    "options",
    [
        {"input": 5, "kernel": 3, "stride": 2, "padding": 1},
        {"input": (5, 6), "kernel": 2, "dilation": 2},
        {"input": 6, "kernel": 3, "stride": (2, 1)},
    ],
    ids=["stride-padding", "dilation", "stride-per-axis"],
)
def test_general_windows_follow_stride_dilation_padding(options: dict[str, object]) -> None:
    """The windows come from the expanded outputs, so they follow PyTorch's index rule
    h = s*i + d*u - p without the figure code knowing it."""
    d = symderiv.conv2d(**options)  # type: ignore[arg-type]
    figure = conv_figures.build(d)["windows"]
    spec = d.options
    values = dict(spec)
    stride = values.get("stride", [1, 1])
    dilation = values.get("dilation", [1, 1])
    padding = values.get("padding", [0, 0])
    kernel, size = values["kernel"], values["input"]
    out = d.expansion.tensor("O").shape
    shown = selection([(i, j) for i in range(out[0]) for j in range(out[1])], out, 16)
    assert len(figure.panels) == len(shown)
    for panel, (i, j) in zip(figure.panels, shown):
        rows = {stride[0] * i + dilation[0] * u - padding[0] for u in range(kernel[0])}
        cols = {stride[1] * j + dilation[1] * v - padding[1] for v in range(kernel[1])}
        expected = {(r, c) for r in rows for c in cols if 0 <= r < size[0] and 0 <= c < size[1]}
        assert {c for c in panel.labels.indices() if panel.tone(c) == "window"} == expected


def test_only_referenced_figures_are_written(tmp_path: Path) -> None:
    """The general template shows the windows only: no orphan SVG files are left beside it."""
    out = tmp_path / "general"
    assert (
        main(
            [
                "conv2d",
                "--input",
                "5",
                "--kernel",
                "3",
                "--stride",
                "2",
                "--figures",
                "--output-dir",
                str(out),
            ]
        )
        == 0
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["conv2d-windows.svg", "conv2d.md"]
    assert "](conv2d-windows.svg)" in (out / "conv2d.md").read_text(encoding="utf-8")


def test_figures_are_named_after_the_output_file(tmp_path: Path) -> None:
    """Two documents in one directory keep their own figures."""
    for name, size in (("small.md", "3"), ("large.md", "4")):
        assert main(["conv2d", "--input", size, "--figures", "-o", str(tmp_path / name)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            f"{stem}-{figure}.svg"
            for stem in ("small", "large")
            for figure in ("windows", "rotation", "full-correlation")
        ]
        + ["small.md", "large.md"]
    )
    assert "](large-windows.svg)" in (tmp_path / "large.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, expected",
    [(["--bias"], ["conv2d-windows.svg", "conv2d.md"]), (["--in-channels", "2"], ["conv2d.md"])],
    ids=["bias", "channels"],
)
def test_figures_beside_a_bias_and_none_with_channels(
    args: list[str], expected: list[str], tmp_path: Path
) -> None:
    assert main(["conv2d", *args, "--figures", "--output-dir", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == expected


# --------------------------------------------------------------------------------------------
# Normalisation: the computation graph


def test_norm_graph_has_the_derivations_edges() -> None:
    """The figure's arrows are the edges of the graph the derivation differentiated, by kind of
    node (x, mu, sigma^2, xhat, gamma, beta, y), and eval mode (no graph) has no figure."""
    from symderiv.layers.norm import figures as norm_figures

    kinds = {"x": "x", "mu": "mean", "sigma2": "variance", "xhat": "normalised"}
    kinds |= {"gamma": "scale", "beta": "shift", "y": "y"}

    def kind(symbol: object) -> str:
        name = str(symbol)
        return kinds[name.split("_")[0] if name not in kinds else name]

    for d in (symderiv.batchnorm(), symderiv.layernorm(), symderiv.groupnorm()):
        derived = {(kind(e.parent), kind(e.child)) for e in d.graph.edges}
        figure = norm_figures.build(d)["graph"]
        drawn = {(e.start, e.end) for e in figure.edges if not e.dashed}
        assert drawn == derived
        assert all(e.flows_back for e in figure.edges if not e.dashed)
    assert norm_figures.build(symderiv.batchnorm(mode="eval")) == {}


@pytest.mark.parametrize("text", ["a&b<c>", 'say "hi"', "it's", "both ' \"", "tab\tnl\ncr\r", "x"])
def test_svg_escapes_as_the_xml_library_does(text: str) -> None:
    from xml.sax import saxutils

    from symderiv.render import svg

    assert svg.escape(text) == saxutils.escape(text)
    assert svg.quoteattr(text) == saxutils.quoteattr(text)
