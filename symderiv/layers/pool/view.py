"""The render context of the pooling layers: a derivation turned into plain strings and lists.

All mathematics is finished before this point (windows, selections, divisors, gradients, proofs);
this module spells them in LaTeX and decides what goes where. Prose lives in the templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, TypedDict

import sympy as sp

from ...core.family import View, expansion_touches, no_figures
from ...core.figures import AnyFigure
from ...core.grid import Grid
from ...core.poly import Poly
from ...core.protocol import KeyEquation
from ...core.symbols import LOSS, index_latex, partial, tensor_latex
from ...core.touches import Touches, touches
from ...render.latex import TERMS_PER_LINE, ElementPrinter, Notation
from ...render.worked import worked_context
from . import figures, json_view
from .latex import (
    INPUT_LETTERS,
    OUTPUT_LETTERS,
    indexed,
    letters,
    number,
    offset_ranges,
    statement_latex,
    tensor_lines,
    times,
    window_element,
)
from .result import PoolDerivation, PoolOperation, Selection
from .search import window_size

Context = dict[str, Any]


PoolCommon = TypedDict(
    "PoolCommon",
    {
        "layer": str,
        "global": bool,
        "torch": str,
        "axes": int,
        "input_size": str,
        "output_size": str,
        "kernel": str,
        "stride": str,
        "padding": str,
        "dilation": str,
        "padded": bool,
        "dilated": bool,
        "ceil_mode": bool,
        "overlapping": bool,
        "out_element": str,
        "in_element": str,
        "upstream_element": str,
        "in_gradient": str,
        "window_element": str,
        "offset_ranges": str,
        "sum_outputs": str,
        "output_tuple": str,
        "input_tuple": str,
        "argmax_tuple": str,
        "window_set": str,
        "selected_element": str,
        "indicator": str,
        "upsample_operator": str,
        "dilate_operator": str,
        "local_symbol": str,
        "symbols": Context,
        "gradient_name": str,
        "gradient_equations": list[Context],
        "gradient_matrix": list[str],
        "delta": str,
        "local_gradients": list[str],
        "identities": list[Context],
        "tried": int,
        "found": bool,
        "verified": bool,
        "verification": list[Context],
    },
)
"""What the max- and average-pooling documents share."""


class CropWords(TypedDict):
    """What crop does here: skip the padding, cut or zero-fill to the input."""

    window: int
    kernel_ones: str
    crop_skips: bool


class MaxContext(PoolCommon, CropWords):
    """The render context of max pooling, worked on its values."""

    chain_rule: str
    values_source: str
    seed: int | None
    values: list[str]
    outputs: list[str]
    windows: list[str]
    float_ties: bool
    """Some tie holds in float64 between values that differ exactly."""
    ties: list[Context]
    mask: list[str]
    shared: list[Context]
    routed_equations: list[Context]
    unselected: int
    selected: int
    windows_count: int
    local_count: int
    masked_holds: bool


class AvgContext(PoolCommon, CropWords):
    """The render context of average pooling."""

    worked: Context | None
    count_include_pad: bool
    divisor_constant: bool
    divisor_values: str
    divisors: list[str]
    divisor_element: str
    forward_equations: list[Context]
    primary: Context | None
    global_definition: str
    global_gradient: str
    chain_rule: str


TORCH_NAME = {"max": "max_pool{n}d", "avg": "avg_pool{n}d"}


def _common(d: PoolDerivation, notation: Notation) -> PoolCommon:
    g = d.geometry
    expansion = d.expansion
    x, o, up = (expansion.tensor(k) for k in ("X", "O", "dL/dO"))
    out, inp = letters(OUTPUT_LETTERS, g.axes), letters(INPUT_LETTERS, g.axes)
    torch_name = (
        "adaptive_avg_pool2d"
        if d.layer == "global-avgpool"
        else TORCH_NAME[d.kind].format(n=g.axes)
    )
    gradient = expansion.gradient("X")
    return {
        "layer": d.layer,
        "global": d.layer == "global-avgpool",
        "torch": f"torch.nn.functional.{torch_name}",
        "axes": g.axes,
        "input_size": times(g.input),
        "output_size": times(g.output),
        "kernel": times(g.kernel),
        "stride": times(g.stride),
        "padding": times(g.padding),
        "dilation": times(g.dilation),
        "padded": any(g.padding),
        "dilated": any(v > 1 for v in g.dilation),
        "ceil_mode": g.ceil_mode,
        "overlapping": g.overlapping,
        "out_element": indexed("O", out),
        "in_element": indexed("X", inp),
        "upstream_element": partial(LOSS, indexed("O", out)),
        "in_gradient": partial(LOSS, indexed("X", inp)),
        "window_element": window_element(g),
        "offset_ranges": offset_ranges(g),
        "sum_outputs": ",".join(out),
        "output_tuple": _tuple(list(out)),
        "input_tuple": _tuple(list(inp)),
        "argmax_tuple": _tuple([f"{a}^*_{{{out}}}" for a in inp]),
        "window_set": f"W_{{{out}}}",
        "selected_element": indexed("O", out)
        + " = X_{"
        + ",".join(f"{a}^*_{{{out}}}" for a in inp)
        + "}",
        "indicator": f"E^{{{_tuple(list(inp))}}}",
        "upsample_operator": f"\\operatorname{{up}}_{{{times(g.stride)}}}",
        "dilate_operator": f"\\operatorname{{dilate}}_{{{times(g.stride)}}}",
        "local_symbol": f"\\frac{{\\partial O_{{{out}}}}}{{\\partial X_{{{inp}}}}}",
        "symbols": {
            "X": tensor_lines("X", x.symbols.map(notation.symbol)),
            "O": tensor_lines("O", o.symbols.map(notation.symbol)),
            "dL/dO": tensor_lines(tensor_latex("dL/dO"), up.symbols.map(notation.symbol)),
        },
        "gradient_name": tensor_latex("dL/dX"),
        "gradient_equations": [
            {"lhs": notation.loss_derivative(x.symbols[i]), "lines": notation.poly_lines(v)}
            for i, v in gradient.items()
        ],
        # Max pooling's matrix holds single upstream symbols; only averages need the short form.
        "gradient_matrix": _gradient_matrix(gradient, notation, up.symbols)
        if d.kind == "avg"
        else tensor_lines(tensor_latex("dL/dX"), gradient.map(notation.poly)),
        "delta": f"\\delta_{{{out}}}",
        "local_gradients": _local_gradient_lines(d, notation),
        "identities": _identities(d, notation),
        "tried": d.detections[0].tried,
        "found": d.detections[0].found,
        "verified": d.verified,
        "verification": [
            {
                "statement": statement_latex(i.form, g, window_size(g)),
                "elements": i.proof.elements,
                "holds": i.proof.holds,
            }
            for i in d.identities
        ],
    }


def _tuple(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"


MATRIX_WIDTH = 70
"""Printed characters a row of the dL/dX matrix may take (each delta_ij counts 3)."""


def _printed_width(gradient: Grid[Poly]) -> int:
    """Roughly how wide the matrix prints: the widest entry of each column, in symbols and
    signs, plus the gaps; a 2-D slice of a 3-D tensor is one matrix of the same width."""
    shape = gradient.shape
    columns = shape[-1]
    widths = [0] * columns
    for index, p in gradient.items():
        terms = len(p)
        widths[index[-1]] = max(widths[index[-1]], 4 * terms - 1 if terms else 1)
    return sum(widths) + 2 * columns


def _gradient_matrix(gradient: Grid[Poly], notation: Notation, up: Grid[sp.Symbol]) -> list[str]:
    """dL/dX as a matrix that fits a page: each dL/dO_ij written delta_ij (the document says so)
    and a coefficient every term shares (1/9 for a 3x3 window) set once before the matrix."""
    spelled = dict(notation.spelled)
    for index, s in up.items():
        spelled[s] = f"\\delta_{{{index_latex(index, notation.separated)}}}"
    short = Notation(
        ElementPrinter({"element_latex": spelled}), notation.order, spelled, notation.separated
    )
    coefficients = {c for p in gradient.cells for _, c in p}
    if _printed_width(gradient) > MATRIX_WIDTH:
        return []  # the element equations above say it all; a matrix would leave the page
    if len(coefficients) == 1 and (c := next(iter(coefficients))) != 1:
        factor = Fraction(c)
        cells = gradient.map(lambda p: short.poly(p.scale(1 / factor)))
        sign = "-" if factor < 0 else ""
        shared = f"{sign}\\tfrac{{{abs(factor.numerator)}}}{{{factor.denominator}}}"
        return tensor_lines(tensor_latex("dL/dX"), cells, shared)
    return tensor_lines(tensor_latex("dL/dX"), gradient.map(short.poly))


def _local_gradient_lines(d: PoolDerivation, notation: Notation) -> list[str]:
    texts = [
        notation.derivative(g.output, g.wrt) + " = " + notation.poly(g.value)
        for g in d.expansion.local_gradients
    ]
    return [
        ", \\quad ".join(texts[start : start + TERMS_PER_LINE])
        for start in range(0, len(texts), TERMS_PER_LINE)
    ]


def _identities(d: PoolDerivation, notation: Notation) -> list[Context]:
    g = d.geometry
    return [
        {
            "operation": i.form.name.lower(),
            "statement": statement_latex(i.form, g, window_size(g)),
            "holds": i.proof.holds,
            "operand": _operand_lines(d, notation, i.form, i.shown),
        }
        for i in d.identities
    ]


def _operand_lines(
    d: PoolDerivation, notation: Notation, operation: PoolOperation, operand: Grid[Poly] | None
) -> list[str]:
    """The intermediate array of an identity, named as in its statement."""
    if operand is None:
        return []
    upstream = tensor_latex("dL/dO")
    stride = times(d.geometry.stride)
    if operation is PoolOperation.DILATED_CORRELATION:
        name = f"\\operatorname{{dilate}}_{{{stride}}}\\left({upstream}\\right)"
    else:
        name = (
            f"\\operatorname{{crop}}\\left(\\operatorname{{up}}_{{{stride}}}"
            f"\\left({upstream}\\right)\\right)"
        )
    return tensor_lines(name, operand.map(notation.poly))


def _crop_words(d: PoolDerivation) -> CropWords:
    """What crop does here: skip the padding, and cut or zero-fill to the input's size."""
    g = d.geometry
    return {
        "window": window_size(g),
        "kernel_ones": f"J_{{{times(g.kernel)}}}",
        "crop_skips": any(g.padding),
    }


# --------------------------------------------------------------------------------------------
# Max pooling


def _chain_rule(context: PoolCommon, condition: str, factor: str) -> str:
    """dL/dX as the chain rule's sum over windows, then over the windows that reach it."""
    upstream = context["upstream_element"]
    return (
        f"{context['in_gradient']} = \\sum_{{{context['sum_outputs']}}} {upstream} "
        f"{context['local_symbol']} = \\sum_{{{context['output_tuple']} \\,:\\, {condition}}} "
        f"{factor}{upstream}"
    )


def build_max(d: PoolDerivation) -> MaxContext:
    assert d.values is not None
    notation = Notation.of(d.expansion.tensors)
    x = d.expansion.tensor("X")
    outputs = d.outputs
    assert outputs is not None
    common = _common(d, notation)
    chosen_by: dict[Any, list[Selection]] = {}
    for s in d.selections:
        chosen_by.setdefault(s.winner, []).append(s)
    o_symbols = d.expansion.tensor("O").symbols
    return {
        **common,
        **_crop_words(d),
        "chain_rule": _chain_rule(
            common, f"{common['argmax_tuple']} = {common['input_tuple']}", ""
        ),
        "values_source": d.values_source,
        "seed": d.seed,
        "values": tensor_lines("X", d.values.map(number)),
        "outputs": tensor_lines("O", outputs.map(number)),
        "windows": [_window_line(s, notation, o_symbols, x.symbols) for s in d.selections],
        "float_ties": any(
            len({s.values[s.window.cells.index(c)] for c in s.tied}) > 1 for s in d.selections
        ),
        "ties": [
            {
                "output": notation.symbol(o_symbols[s.window.output]),
                "winner": notation.symbol(x.symbols[s.winner]),
                "tied": [notation.symbol(x.symbols[c]) for c in s.tied],
                "value": number(s.maximum),
            }
            for s in d.selections
            if len(s.tied) > 1
        ],
        "mask": tensor_lines(
            "M", Grid.build(d.geometry.input, lambda i: "1" if i in chosen_by else "0")
        ),
        "shared": [
            {
                "element": notation.symbol(x.symbols[cell]),
                "windows": ", ".join(notation.symbol(o_symbols[s.window.output]) for s in sel),
                "count": len(sel),
                "sum": " + ".join(
                    notation.symbol(d.expansion.tensor("dL/dO").symbols[s.window.output])
                    for s in sel
                ),
            }
            for cell, sel in sorted(chosen_by.items())
            if len(sel) > 1
        ],
        "routed_equations": [
            {"lhs": notation.loss_derivative(x.symbols[i]), "lines": notation.poly_lines(v)}
            for i, v in d.expansion.gradient("X").items()
            if v
        ],
        "unselected": len(d.values.cells) - len(chosen_by),
        "selected": len(chosen_by),
        "windows_count": len(d.selections),
        "local_count": len(d.expansion.local_gradients),
        "masked_holds": any(i.form is PoolOperation.MASKED_UPSAMPLING for i in d.identities),
    }


def _window_line(
    s: Selection, notation: Notation, outputs: Grid[sp.Symbol], inputs: Grid[sp.Symbol]
) -> str:
    """``O_{11} = \\max(1, 3, 5, \\boxed{6}) = 6 \\;\\to\\; X_{22}``: the winner boxed."""
    shown = []
    for cell, value in zip(s.window.cells, s.values):
        if cell is None or value is None:
            shown.append("-\\infty")
        elif cell == s.winner:
            shown.append(f"\\boxed{{{number(value)}}}")
        else:
            shown.append(number(value))
    return (
        f"{notation.symbol(outputs[s.window.output])} = \\max\\left({', '.join(shown)}\\right)"
        f" = {number(s.maximum)} \\;\\to\\; {notation.symbol(inputs[s.winner])}"
    )


# --------------------------------------------------------------------------------------------
# Average pooling


def build_avg(d: PoolDerivation) -> AvgContext:
    assert d.divisors is not None
    notation = Notation.of(d.expansion.tensors)
    g = d.geometry
    o = d.expansion.tensor("O")
    common = _common(d, notation)
    divisors = sorted(set(d.divisors.cells))
    divisor_element = indexed("\\mathrm{div}", letters(OUTPUT_LETTERS, g.axes))
    return {
        **common,
        **_crop_words(d),
        "worked": worked_context(d.worked, d.expansion, notation, every=False),
        "count_include_pad": d.count_include_pad,
        "divisor_constant": len(divisors) == 1,
        "divisor_values": ", ".join(str(v) for v in divisors),
        "divisors": tensor_lines("\\mathrm{div}", d.divisors.map(str)),
        "divisor_element": divisor_element,
        "forward_equations": [
            {"lhs": notation.symbol(o.symbols[i]), "lines": notation.poly_lines(v)}
            for i, v in d.expansion.forward.items()
        ],
        "primary": _primary(d, notation),
        "global_definition": (
            f"O_{{11}} = \\frac{{1}}{{{window_size(g)}}} "
            + " ".join(f"\\sum_{{{a}=1}}^{{{n}}}" for a, n in zip(INPUT_LETTERS, g.input))
            + f" X_{{{letters(INPUT_LETTERS, g.axes)}}}"
        ),
        "global_gradient": (
            f"{partial(LOSS, indexed('X', letters(INPUT_LETTERS, g.axes)))} = "
            f"\\frac{{1}}{{{window_size(g)}}} {partial(LOSS, 'O_{11}')}"
        ),
        "chain_rule": _chain_rule(
            common,
            f"{common['in_element']} \\in {common['window_set']}",
            f"\\frac{{1}}{{{divisor_element}}} ",
        ),
    }


def _primary(d: PoolDerivation, notation: Notation) -> Context | None:
    """The first proven identity, written out with its operands when they are small matrices."""
    if not d.identities:
        return None
    identity = d.identities[0]
    return {
        "operation": identity.form.name.lower(),
        "statement": statement_latex(identity.form, d.geometry, window_size(d.geometry)),
        "upsampling": identity.form is PoolOperation.UPSAMPLING,
        "operand": _operand_lines(d, notation, identity.form, identity.shown),
        "equivalents": [
            statement_latex(i.form, d.geometry, window_size(d.geometry)) for i in d.identities[1:]
        ],
    }


def _max_pool_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    return [
        (f"identity {n}", identity["statement"])
        for n, identity in enumerate(context["identities"], start=1)
        if identity["holds"]
    ]


def _average_pool_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    primary = context.get("primary")
    return [("identity", primary["statement"])] if context.get("found") and primary else []


def _figures(derivation: PoolDerivation) -> Mapping[str, AnyFigure]:
    """The switch mask at work is drawn for 2-D max pooling."""
    return figures.build(derivation) if derivation.layer == "maxpool2d" else {}


def _max_pool_touches(d: PoolDerivation) -> Touches:
    """Each output element reads its switch; the page also marks the window it was chosen
    from (its cells in the input: padding is no element) and shows the values that chose it."""
    windows = {s.window.output: s.window.real for s in d.selections}
    outputs = d.outputs  # built afresh on each access
    shown = {"X": d.values, "O": outputs} if d.values is not None and outputs is not None else None
    return touches(d.expansion, windows, values=shown)


MAX_VIEW = View(
    PoolDerivation,
    "maxpool",
    build_max,
    json_view.build,
    _figures,
    _max_pool_equations,
    build_touches=_max_pool_touches,
)
AVG_VIEW = View(
    PoolDerivation,
    "avgpool",
    build_avg,
    json_view.build,
    no_figures,
    _average_pool_equations,
    build_touches=expansion_touches,
)
