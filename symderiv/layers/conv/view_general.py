"""The render context of a convolution beyond the plain single-channel example: stride,
padding, dilation, channels, groups, batch, bias, 1-D/3-D and transposed convolution.

Like ``conv_context``, only spelling: index formulas with their numbers filled in, slices of the
tensors, the representative selection of a large derivation, and the operands of each identity
written out for one channel pair. Prose lives in the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...core.grid import Grid, Index
from ...core.symbols import gradient_key, gradient_of, tensor_latex
from ...render.latex import Notation, matrix, representative, spelled
from .candidates import ConvIdentity, LayerCandidate
from .facts import axis_sizes, zero_gradients
from .ops import weight_shape_fits
from .result import Derivation
from .search import geometry
from .spec import ConvSpec

Context = dict[str, Any]

EQUATION_LIMIT = 48
"""More element equations than this in one section are shown as a representative selection."""
SELECTION = 8
LINE_LIMIT = 64
LINES_KEPT = 6
SLICES_SHOWN = 2

OUT_LETTERS = {1: "i", 2: "ij", 3: "ijl"}
KERNEL_LETTERS = {1: "m", 2: "mn", 3: "mnq"}
INPUT_LETTERS = {1: "a", 2: "ab", 3: "abt"}
BATCH, IN_CHANNEL, OUT_CHANNEL = "r", "c", "o"
FUNCTION_LATEX = {
    "conv": "conv",
    "conv_transpose": "conv\\_transpose",
    "conv_weight": "conv\\_weight",
}


def axes_text(values: Sequence[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else "(" + ", ".join(map(str, values)) + ")"


def _times(coefficient: int, letter: str) -> str:
    return letter if coefficient == 1 else f"{coefficient}{letter}"


def position(stride: int, outer: str, dilation: int, inner: str, padding: int) -> str:
    """The 1-based input position s(i-1) + d(m-1) + 1 - p, simplified: ``i+m-1``, ``2i+m-3``."""
    constant = stride + dilation - 1 + padding
    return f"{_times(stride, outer)}+{_times(dilation, inner)}-{constant}"


def subscript(parts: Sequence[str]) -> str:
    if all(len(p) == 1 for p in parts):
        return "".join(parts) if len(parts) <= 2 else ",".join(parts)
    return ",\\,".join(parts)


def element(name: str, parts: Sequence[str]) -> str:
    return f"{name}_{{{subscript(parts)}}}"


def loss(name: str, parts: Sequence[str]) -> str:
    return f"\\frac{{\\partial L}}{{\\partial {element(name, parts)}}}"


class Letters:
    """The index letters of one spec, and the index expressions between them."""

    def __init__(self, spec: ConvSpec) -> None:
        self.spec = spec
        dims = spec.dims
        self.out = list(OUT_LETTERS[dims])
        self.kernel = list(KERNEL_LETTERS[dims])
        self.input = list(INPUT_LETTERS[dims])
        # conv reads X at E(i, m); conv_transpose writes O at E(a, m): the same expression.
        outer = self.input if spec.transposed else self.out
        self.reached = [
            position(s, o, d, k, p)
            for s, o, d, k, p in zip(spec.stride, outer, spec.dilation, self.kernel, spec.padding)
        ]

    def lead(self, channel: str) -> list[str]:
        return [BATCH, channel] if self.spec.channelled else []

    def group_channel(self, letter: str, own: str) -> str:
        """The channel of the other side that ``letter`` (local in its group) is, seen from
        channel ``own``: ``c`` with one group, ``c+2\\lfloor (o-1)/4 \\rfloor`` with more."""
        spec = self.spec
        if spec.groups == 1:
            return letter
        per_in, per_out = spec.c_in // spec.groups, spec.c_out // spec.groups
        per_local, per_own = (per_in, per_out) if letter == IN_CHANNEL else (per_out, per_in)
        group = f"({own}-1)" if per_own == 1 else f"\\lfloor ({own}-1)/{per_own} \\rfloor"
        return f"{letter}+{'' if per_local == 1 else per_local}{group}"

    def weight(self, first: str, second: str) -> list[str]:
        return ([first, second] if self.spec.channelled else []) + self.kernel


def _sums(pairs: Sequence[tuple[str, int]]) -> str:
    return " ".join(f"\\sum_{{{letter}=1}}^{{{top}}}" for letter, top in pairs)


def forward_definition(spec: ConvSpec) -> str:
    """The forward pass over 1-based indices, with the numbers of this spec."""
    ls = Letters(spec)
    w = spec.weight
    bias = f"b_{{{OUT_CHANNEL if spec.channelled else 1}}} + " if spec.bias else ""
    kernel_sums = list(zip(ls.kernel, spec.kernel))
    if not spec.transposed:
        channel_sum = [(IN_CHANNEL, spec.c_in // spec.groups)] if spec.channelled else []
        x_parts = [*ls.lead(ls.group_channel(IN_CHANNEL, OUT_CHANNEL)), *ls.reached]
        o_parts = [*ls.lead(OUT_CHANNEL), *ls.out]
        return (
            f"{element('O', o_parts)} = {bias}{_sums(channel_sum + kernel_sums)}"
            f" {element('X', x_parts)} \\, {element(w, ls.weight(OUT_CHANNEL, IN_CHANNEL))}"
        )
    channel_sum = [(IN_CHANNEL, spec.c_in // spec.groups)] if spec.channelled else []
    conditions = " \\\\ ".join(
        f"{a},{m}:\\ {e} = {o}" for a, m, e, o in zip(ls.input, ls.kernel, ls.reached, ls.out)
    )
    x_parts = [*ls.lead(ls.group_channel(IN_CHANNEL, OUT_CHANNEL)), *ls.input]
    o_parts = [*ls.lead(OUT_CHANNEL), *ls.out]
    local_out = "o'" if spec.groups > 1 else OUT_CHANNEL
    w_parts = ls.weight(ls.group_channel(IN_CHANNEL, OUT_CHANNEL), local_out)
    return (
        f"{element('O', o_parts)} = {bias}{_sums(channel_sum)}"
        f" \\sum_{{\\substack{{{conditions}}}}} {element('X', x_parts)} \\, {element(w, w_parts)}"
    )


def gradient_formulas(spec: ConvSpec) -> dict[str, str]:
    """The general element formula of each gradient, as the chain rule gives it."""
    ls = Letters(spec)
    w = spec.weight
    batch = [(BATCH, spec.n)] if spec.channelled else []
    out_sums = list(zip(ls.out, spec.output))
    in_sums = list(zip(ls.input, spec.input))
    formulas: dict[str, str] = {}
    if spec.bias:
        formulas["b"] = (
            f"\\frac{{\\partial L}}{{\\partial b_{{{OUT_CHANNEL if spec.channelled else 1}}}}} = "
            f"{_sums(batch + out_sums)} "
            f"{loss('O', [*ls.lead(OUT_CHANNEL), *ls.out])}"
        )
    if not spec.transposed:
        x_at = [*ls.lead(ls.group_channel(IN_CHANNEL, OUT_CHANNEL)), *ls.reached]
        formulas[w] = (
            f"{loss(w, ls.weight(OUT_CHANNEL, IN_CHANNEL))} = {_sums(batch + out_sums)} "
            f"{loss('O', [*ls.lead(OUT_CHANNEL), *ls.out])} \\, {element('X', x_at)}"
        )
        conditions = " \\\\ ".join(
            f"{o},{m}:\\ {e} = {a}" for o, m, e, a in zip(ls.out, ls.kernel, ls.reached, ls.input)
        )
        # With groups, c' is c's index inside its group and G(c) the output channels that read c.
        over = "\\sum_{o \\in G(c)} " if spec.groups > 1 else "\\sum_{o} "
        local_in = "c'" if spec.groups > 1 else IN_CHANNEL
        formulas["X"] = (
            f"{loss('X', [*ls.lead(IN_CHANNEL), *ls.input])} = {over if spec.channelled else ''}"
            f"\\sum_{{\\substack{{{conditions}}}}} "
            f"{loss('O', [*ls.lead(OUT_CHANNEL), *ls.out])} \\, "
            f"{element(w, ls.weight(OUT_CHANNEL, local_in))}"
        )
    else:
        o_at = [*ls.lead(ls.group_channel(OUT_CHANNEL, IN_CHANNEL)), *ls.reached]
        formulas[w] = (
            f"{loss(w, ls.weight(IN_CHANNEL, OUT_CHANNEL))} = {_sums(batch + in_sums)} "
            f"{element('X', [*ls.lead(IN_CHANNEL), *ls.input])} \\, "
            f"\\frac{{\\partial L}}{{\\partial {element('O', o_at)}}}"
        )
        channel = [(OUT_CHANNEL, spec.c_out // spec.groups)] if spec.channelled else []
        formulas["X"] = (
            f"{loss('X', [*ls.lead(IN_CHANNEL), *ls.input])} = "
            f"{_sums(channel + list(zip(ls.kernel, spec.kernel)))} "
            f"\\frac{{\\partial L}}{{\\partial {element('O', o_at)}}} \\, "
            f"{element(w, ls.weight(IN_CHANNEL, OUT_CHANNEL))}"
        )
    return formulas


def sizes(spec: ConvSpec) -> list[str]:
    """The output-size formula of each axis with its numbers."""
    lines = []
    for axis, a in enumerate(axis_sizes(spec), start=1):
        name = f"n_{{{axis}}}" if spec.dims > 1 else "n"
        out = f"{name}^{{\\mathrm{{out}}}}"
        if spec.transposed:
            lines.append(
                f"{out} = ({a.input}-1) \\cdot {a.stride} - 2 \\cdot {a.padding} + {a.dilation}"
                f" \\cdot ({a.kernel}-1) + {a.output_padding} + 1 = {a.output}"
            )
        else:
            lines.append(
                f"{out} = \\left\\lfloor \\frac{{{a.input} + 2 \\cdot {a.padding} - {a.dilation}"
                f" \\cdot ({a.kernel}-1) - 1}}{{{a.stride}}} \\right\\rfloor + 1 = {a.output}"
            )
    return lines


def size_general(spec: ConvSpec) -> str:
    if spec.transposed:
        return "n^{\\mathrm{out}} = (n-1)s - 2p + d(k-1) + p_{\\mathrm{out}} + 1"
    return "n^{\\mathrm{out}} = \\left\\lfloor \\frac{n + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1"


# --- showing tensors ---------------------------------------------------------------------------


def _as_matrix(cells: Grid[str]) -> str:
    if len(cells.shape) == 1:
        return matrix(Grid((1, cells.shape[0]), cells.cells))
    return matrix(cells)


def slices(name: str, grid: Grid[str], spatial: int) -> list[str]:
    """``name = M`` for a vector or matrix; for more axes the first and last 2-D (or 1-D) slices,
    ``X_{1,1,:,:} = M``, with the count of slices between them elided."""
    shown = min(spatial, 2) if spatial else 1
    lead_shape = grid.shape[: len(grid.shape) - shown]
    if not lead_shape:
        return [f"{name} = {_as_matrix(grid)}"]
    size = 1
    for n in grid.shape[len(lead_shape) :]:
        size *= n
    count = len(grid.cells) // size
    picks = [0] if count == 1 else [0, count - 1]
    out = []
    for pick in picks:
        lead = _unravel(pick, lead_shape)
        block = Grid(grid.shape[len(lead_shape) :], grid.cells[pick * size : (pick + 1) * size])
        parts = [str(i + 1) for i in lead] + [":"] * shown
        out.append(f"{name}_{{{','.join(parts)}}} = {_as_matrix(block)}")
    return out


def _unravel(flat: int, shape: Sequence[int]) -> Index:
    index = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        index.append(i)
    return tuple(reversed(index))


def selection(count: int, busiest: int, limit: int = EQUATION_LIMIT) -> list[int]:
    """Which of ``count`` equations a human format shows (``render.latex.representative``)."""
    return representative(count, busiest, limit, SELECTION - 3)


# --- identities ---------------------------------------------------------------------------------


def statement(identity: ConvIdentity) -> str:
    c = identity.form
    assert isinstance(c, LayerCandidate)
    target = tensor_latex(identity.target)
    if c.function == "sum":
        return f"{target} = \\sum_{{\\mathrm{{batch,\\ space}}}} {tensor_latex(c.first)}"
    second = tensor_latex(c.second or "")
    if c.flip_second:
        second = f"\\operatorname{{{'rot180' if c.dims == 2 else 'flip'}}}\\left({second}\\right)"
    crop = "_{[\\ldots,\\, " + ",\\, ".join(f":{n}" for n in c.keep) + "]}"
    first = tensor_latex(c.first)
    if c.keep and c.function == "conv_weight":  # the input it reads, cropped
        first = f"\\left({first}\\right){crop}"
    operands = [first, second] + ([c.bias] if c.bias else [])
    keywords = [f"s={axes_text(c.stride)}", f"p={axes_text(c.padding)}"]
    if c.function == "conv_transpose":
        keywords.append(f"p_{{\\mathrm{{out}}}}={axes_text(c.output_padding)}")
    keywords += [f"d={axes_text(c.dilation)}", f"g={c.groups}"]
    name = f"\\operatorname{{{FUNCTION_LATEX[c.function]}{c.dims}d}}"
    settings = ",\\ ".join(keywords)
    call = f"{name}\\left({', '.join(operands)};\\ {settings}\\right)"
    if c.keep and c.function != "conv_weight":
        call += crop
    return f"{target} = {call}"


def _torch_ready(derivation: Derivation, identity: ConvIdentity) -> bool:
    """Whether PyTorch accepts the weight gradient's operands as the statement writes them: its
    output gradient must be exactly the convolution's output (or the input is cropped, keep)."""
    c = identity.form
    assert isinstance(c, LayerCandidate)
    if c.function != "conv_weight" or c.keep or c.second is None:
        return True
    assert derivation.spec is not None
    # The single-channel layout has no batch and channel axes: PyTorch's has one of each.
    lead = () if derivation.spec.channelled else (1, 1)
    shapes = {t.key: lead + t.shape for t in derivation.expansion.tensors}
    target = shapes[gradient_of(identity.target) or identity.target]
    return weight_shape_fits(shapes[c.first], shapes[c.second], target, geometry(c), exact=True)


def identity_context(derivation: Derivation, notation: Notation, identity: ConvIdentity) -> Context:
    c = identity.form
    assert isinstance(c, LayerCandidate) and derivation.spec is not None
    spec = derivation.spec
    shown = identity.shown
    second_tex = tensor_latex(c.second) if c.second else ""
    context: Context = {
        "statement": statement(identity),
        "function": c.function,
        "flipped": c.flip_second,
        "first": tensor_latex(c.first),
        "second": second_tex,
        "second_shown": _flipped(second_tex, spec.dims) if c.flip_second else second_tex,
        "stride": axes_text(c.stride) if c.stride else "1",
        "strided": any(s > 1 for s in c.stride),
        "padding": axes_text(c.padding) if c.padding else "0",
        "padded": any(c.padding),
        "dilation": axes_text(c.dilation) if c.dilation else "1",
        "dilated": any(d > 1 for d in c.dilation),
        "output_padding": axes_text(c.output_padding) if c.output_padding else "0",
        "has_output_padding": any(c.output_padding),
        "reach": axes_text([d * (k - 1) for d, k in zip(spec.dilation, spec.kernel)]),
        "kernel": axes_text(spec.kernel),
        "bias": bool(c.bias),
        "channelled": spec.channelled,
        "keep": axes_text(c.keep) if c.keep else "",
        "torch_ready": _torch_ready(derivation, identity),
        "written_out": None,
    }
    if shown is not None and spec.dims <= 2:
        first = spelled(shown.first, notation.poly)
        second = spelled(shown.second, notation.poly)
        context["written_out"] = (
            f"{_as_matrix(first)} \\star_{{\\mathrm{{valid}}}} {_as_matrix(second)}"
        )
    return context


def channel_groups(spec: ConvSpec) -> list[Context]:
    """Which input channels each group's output channels read (1-based, inclusive)."""
    per_in, per_out = spec.c_in // spec.groups, spec.c_out // spec.groups
    return [
        {
            "group": g + 1,
            "inputs": _range_text(g * per_in + 1, (g + 1) * per_in),
            "outputs": _range_text(g * per_out + 1, (g + 1) * per_out),
            "several_inputs": per_in > 1,
            "several_outputs": per_out > 1,
        }
        for g in range(spec.groups)
    ]


def _flipped(tex: str, dims: int) -> str:
    """rot180 for a matrix; a vector or a 3-D array is flipped on every axis."""
    return f"\\operatorname{{{'rot180' if dims == 2 else 'flip'}}}({tex})"


def _range_text(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}\\text{{–}}{last}"


def zeros(derivation: Derivation, notation: Notation) -> list[Context]:
    assert derivation.spec is not None
    found = []
    for zero in zero_gradients(derivation.spec, derivation.expansion):
        tensor = derivation.expansion.tensor(zero.key)
        planes = [
            {
                "axis": axis,
                "positions": ", ".join(str(p + 1) for p in positions),
                "several": len(positions) > 1,
            }
            for axis, positions in enumerate(zero.planes, start=1)
            if positions
        ]
        listed = [notation.loss_derivative(tensor.symbols[i]) for i in zero.elements[:SELECTION]]
        found.append(
            {
                "key": zero.key,
                "name": tensor_latex(gradient_key(zero.key)),
                "count": len(zero.elements),
                "total": zero.total,
                "planes": planes,
                "spatial_axes": derivation.spec.dims,
                "examples": listed,
            }
        )
    return found
