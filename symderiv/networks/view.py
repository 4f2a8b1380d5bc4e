"""The render context and the JSON of a network: every array as exact numbers, every gradient
as an exact polynomial in the softmax probabilities P."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, TypedDict

from ..core.family import View
from ..core.grid import Grid, indices
from ..core.poly import Poly
from ..core.protocol import KeyEquation, LayerDerivation
from ..core.results import Role, Tensor
from ..core.symbols import tensor_symbols
from ..render.json import SCHEMA_VERSION, verification
from ..render.latex import MATRIX_LIMIT, Notation, matrix
from . import figures
from .loss import DIGITS, PROBABILITY
from .result import NetworkDerivation
from .stage import Stage

Context = dict[str, Any]


class NetworkContext(TypedDict):
    layers: str
    count: int
    input_size: str
    seed: int
    lr: str
    chain: list[Context]
    input: list[Context]
    forward: list[Context]
    loss: str
    loss_decimal: str
    probabilities: list[Context]
    probability_decimals: list[Context]
    backward: list[Context]
    updated: list[Context]
    verified: bool
    verification: list[Context]


def number_latex(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    sign = "-" if v < 0 else ""
    return f"{sign}\\tfrac{{{abs(v.numerator)}}}{{{v.denominator}}}"


def exact_json(v: object) -> object:
    """Integers as JSON numbers, other rationals as "p/q", polynomials in P as SymPy text."""
    if isinstance(v, Poly):
        terms = dict(v)
        if set(terms) <= {()}:
            v = Fraction(terms.get((), 0))
        else:
            return v.to_str()
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, tuple | list):
        return [exact_json(x) for x in v]
    return v


def decimal_latex(v: float) -> str:
    """A decimal approximation, with ``\\times 10^{k}`` instead of ``e-05``."""
    text = f"{v:.{DIGITS}g}"
    mantissa, _, exponent = text.partition("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}" if exponent else text


def _size(shape: tuple[int, ...]) -> str:
    return " \\times ".join(map(str, shape)) if shape else "1"


WIDTH = 56
"""Characters of printed math a matrix may span; wider arrays are shown a block of columns at a
time, so that a row of eight gradients still fits the page."""


def _printed(tex: str) -> int:
    """Roughly how many characters a LaTeX cell prints: commands, braces and scripts dropped."""
    text = re.sub(r"\\[a-zA-Z]+|[{}^_]", "", tex)
    return len(text.replace(" ", "")) + tex.count(" + ") + tex.count(" - ")


def _blocks(cells: list[list[str]]) -> list[range]:
    widths = [max(_printed(row[c]) for row in cells) + 2 for c in range(len(cells[0]))]
    blocks, start, used = [], 0, 0
    for c, w in enumerate(widths):
        if c > start and (used + w > WIDTH or c - start == MATRIX_LIMIT):
            blocks.append(range(start, c))
            start, used = c, 0
        used += w
    blocks.append(range(start, len(widths)))
    return blocks


def _matrices(label: str, cells: list[list[str]]) -> list[Context]:
    blocks = _blocks(cells)
    shown = []
    for block in blocks:
        part = Grid((len(cells), len(block)), tuple(row[c] for row in cells for c in block))
        columns = "" if len(blocks) == 1 else f":, {block.start + 1}:{block.stop}"
        where = ", ".join(x for x in (label, columns) if x)
        shown.append({"label": f"[{where}]" if where else "", "matrix": matrix(part)})
    return shown


def displays(grid: Grid[Any], cell: Any) -> list[Context]:
    """An array as matrices: itself when it has at most two axes, else one matrix per index of
    its leading axes (labelled 1-based, as [n, c]); a wide one in blocks of columns."""
    if len(grid.shape) <= 2:
        rows, cols = grid.shape if len(grid.shape) == 2 else (1, grid.shape[0] if grid.shape else 1)
        flat = [cell(v) for v in grid.cells]
        return _matrices("", [flat[r * cols : (r + 1) * cols] for r in range(rows)])
    lead, rows, cols = grid.shape[:-2], grid.shape[-2], grid.shape[-1]
    shown = []
    for head in indices(lead):
        cells = [[cell(grid[head + (r, c)]) for c in range(cols)] for r in range(rows)]
        shown += _matrices(", ".join(str(i + 1) for i in head), cells)
    return shown


def _options_text(stage: Stage) -> str:
    parts = []
    for key, value in stage.options.items():
        if value is None:
            continue
        shown = exact_json(value)
        if isinstance(shown, list):
            shown = (
                "x".join(map(str, shown))
                if key in ("kernel", "stride", "padding", "dilation")
                else shown
            )
        parts.append(f"{key}={shown}")
    return f"{stage.layer}({', '.join(parts)})" if parts else stage.layer


def _identities(derivations: tuple[LayerDerivation, ...]) -> list[str]:
    """The layer's proven identities, one per left-hand side (its first form: a network shows
    the rule it applies, the layer's own document shows every equivalent form)."""
    d = derivations[0]
    kept: dict[str, str] = {}
    for _, tex in d.view.key_equations(d.view.context(d)):
        kept.setdefault(tex.split(" = ")[0], tex)
    return list(kept.values())


def build(d: NetworkDerivation) -> NetworkContext:
    loss_stage = d.stages[-1]
    p = Tensor(PROBABILITY, Role.OUTPUT, tensor_symbols(PROBABILITY, loss_stage.input_shape))
    notation = Notation.of([p])
    gradient = notation.poly
    forward, backward, updated = [], [], []
    for stage in d.stages:
        forward.append(
            {
                "index": stage.index,
                "call": _options_text(stage),
                "loss": stage is loss_stage,
                "in_size": _size(stage.input_shape),
                "out_size": _size(stage.output_shape),
                "parameters": [
                    {"name": k, "displays": displays(v, number_latex)}
                    for k, v in stage.parameters.items()
                ],
                "output": [] if stage is loss_stage else displays(stage.output, number_latex),
            }
        )
    for stage, grads, new in zip(reversed(d.stages), reversed(d.backward), reversed(d.updated)):
        backward.append(
            {
                "index": stage.index,
                "call": _options_text(stage),
                "loss": stage is loss_stage,
                "identities": _identities(stage.derivations),
                "input": displays(grads.input, gradient),
                "parameters": [
                    {"name": k, "displays": displays(v, gradient)}
                    for k, v in grads.parameters.items()
                ],
            }
        )
        if new:
            updated.append(
                {
                    "index": stage.index,
                    "call": _options_text(stage),
                    "parameters": [
                        {"name": k, "displays": displays(v, gradient)} for k, v in new.items()
                    ],
                }
            )
    updated.reverse()
    decimals = d.loss.probability_decimals().map(decimal_latex)
    return {
        "layers": d.layers,
        "count": len(d.stages),
        "input_size": _size(d.input_shape),
        "seed": d.seed,
        "lr": number_latex(d.lr),
        "chain": [  # the loss has no output array: the templates say "the loss"
            {
                "index": s.index,
                "call": _options_text(s),
                "out_size": _size(s.output_shape),
                "loss": s is loss_stage,
            }
            for s in d.stages
        ],
        "input": displays(d.input, number_latex),
        "forward": forward,
        "loss": notation.expr(d.loss.loss),
        "loss_decimal": decimal_latex(d.loss.loss_decimal),
        "probabilities": displays(d.loss.probabilities, notation.expr),
        "probability_decimals": displays(decimals, str),
        "backward": backward,
        "updated": updated,
        "verified": d.verified,
        "verification": [
            {
                "index": c.index,
                "layer": c.layer,
                "elements": c.proof.elements,
                "holds": c.proof.holds,
            }
            for c in d.checks
        ],
    }


def build_json(d: NetworkDerivation) -> Context:
    loss_stage = d.stages[-1]
    stages = []
    for stage, grads, new in zip(d.stages, d.backward, d.updated):
        entry: Context = {
            "index": stage.index,
            "layer": stage.layer,
            "options": {k: exact_json(v) for k, v in stage.options.items()},
            "input_shape": list(stage.input_shape),
            "output_shape": list(stage.output_shape),
            "parameters": {k: v.map(exact_json).nested() for k, v in stage.parameters.items()},
            "output": str(d.loss.loss)
            if stage is loss_stage
            else stage.output.map(exact_json).nested(),
            "input_gradient": grads.input.map(exact_json).nested(),
            "parameter_gradients": {
                k: v.map(exact_json).nested() for k, v in grads.parameters.items()
            },
            "updated_parameters": {k: v.map(exact_json).nested() for k, v in new.items()},
        }
        if stage is loss_stage:
            entry["target"] = exact_json(
                stage.options.get("target") or stage.options.get("target_probabilities")
            )
            symbols = tensor_symbols(PROBABILITY, stage.input_shape)
            entry["probabilities"] = {
                "symbols": symbols.map(lambda s: s.name).nested(),
                "values": d.loss.probabilities.map(str).nested(),
                "approximate": d.loss.probability_decimals().nested(),
            }
        stages.append(entry)
    return {
        "schema": SCHEMA_VERSION,
        "layer": "network",
        "layers": d.layers,
        "options": {"input": list(d.input_shape), "seed": d.seed, "lr": exact_json(d.lr)},
        "input": d.input.map(exact_json).nested(),
        "stages": stages,
        "loss": str(d.loss.loss),
        "loss_approximate": d.loss.loss_decimal,
        "verification": [
            {"layer": c.index, "statement": c.statement, **verification(c.proof)} for c in d.checks
        ],
        "verified": d.verified,
    }


def _key_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    return []


VIEW = View(NetworkDerivation, "network", build, build_json, figures.build, _key_equations)
