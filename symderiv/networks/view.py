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
from ..core.symbols import index_latex, tensor_symbols
from ..render.json import SCHEMA_VERSION, exact_number, verification
from ..render.latex import MATRIX_LIMIT, ElementPrinter, Notation, exact_latex, matrix
from . import figures
from .loss import DIGITS, PROBABILITY, logit_key
from .result import NetworkDerivation
from .stage import Stage

Context = dict[str, Any]


class NetworkContext(TypedDict):
    layers: str
    symbolic: bool
    count: int
    input_size: str
    seed: int
    lr: str
    chain: list[Context]
    input: list[Context]
    forward: list[Context]
    loss: str
    loss_lines: list[str]
    loss_decimal: str
    probabilities: list[Context]
    probability_decimals: list[Context]
    backward: list[Context]
    updated: list[Context]
    verified: bool
    verification: list[Context]


def exact_json(v: object) -> object:
    """Integers as JSON numbers, other rationals as "p/q", polynomials in P as SymPy text."""
    if isinstance(v, Poly):
        terms = dict(v)
        if set(terms) <= {()}:
            v = Fraction(terms.get((), 0))
        else:
            return v.to_str()
    if isinstance(v, Fraction):
        return exact_number(v)
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


def _subscripted(name: str, label: str) -> str:
    return f"{name}_{{[{label}]}}" if label else name


def _matrices(name: str, relation: str, label: str, cells: list[list[str]]) -> list[Context]:
    blocks = _blocks(cells)
    shown = []
    for block in blocks:
        part = Grid((len(cells), len(block)), tuple(row[c] for row in cells for c in block))
        columns = "" if len(blocks) == 1 else f":, {block.start + 1}:{block.stop}"
        where = ", ".join(x for x in (label, columns) if x)
        shown.append({"tex": f"{_subscripted(name, where)} {relation} {matrix(part)}"})
    return shown


class Printer:
    """How the network's values print: numbers as numbers, polynomials in the probabilities P
    (and, in symbols mode, in the input's and parameters' symbols) term by term."""

    def __init__(self, d: NetworkDerivation) -> None:
        loss = d.stages[-1]
        p = tensor_symbols(PROBABILITY, loss.input_shape)
        logits = logit_key(loss.index - 1)
        tensors = [Tensor(PROBABILITY, Role.OUTPUT, p)]
        tensors += [Tensor(leaf.key, Role.INPUT, leaf.symbols) for leaf in d.leaves]
        tensors.append(Tensor(logits, Role.OUTPUT, tensor_symbols(logits, loss.input_shape)))
        base = Notation.of(tensors)
        # Layer k's weight prints W^{(k)}_{...}: its symbols are named W<k>_... for SymPy.
        bases = {leaf.key: leaf.latex for leaf in d.leaves}
        bases[logits] = f"A^{{({loss.index - 1})}}"
        spelled = dict(base.spelled)
        for t in tensors:
            for index, s in t.symbols.items():
                spelled[s] = f"{bases.get(t.key, t.key)}_{{{index_latex(index, base.separated)}}}"
        self.notation = Notation(
            ElementPrinter({"element_latex": spelled}), base.order, spelled, base.separated
        )

    def cell(self, v: object) -> str:
        if isinstance(v, Poly):
            return self.notation.poly(v)
        if isinstance(v, Fraction):
            return exact_latex(v)
        return str(v) if isinstance(v, str) else self.notation.expr(v)

    def lines(self, v: object) -> list[str]:
        if isinstance(v, Poly):
            return self.notation.poly_lines(v)
        return [self.cell(v)]

    def displays(self, name: str, grid: Grid[Any], relation: str = "=") -> list[Context]:
        """An array as matrices: itself when it has at most two axes, else one matrix per index
        of its leading axes (labelled 1-based, as [n, c]); a wide one in blocks of columns; one
        whose single entries are too wide for a matrix as a list of equations."""
        cells = grid.map(self.cell)
        if any(_printed(c) > WIDTH // 2 for c in cells.cells):
            return [
                {
                    "equations": [
                        {
                            "lhs": _subscripted(name, ", ".join(str(k + 1) for k in i)),
                            "lines": self.lines(v),
                        }
                        for i, v in grid.items()
                    ]
                }
            ]
        if len(grid.shape) <= 2:
            rows, cols = grid.shape if len(grid.shape) == 2 else (1, grid.shape[0])
            flat = list(cells.cells)
            return _matrices(
                name, relation, "", [flat[r * cols : (r + 1) * cols] for r in range(rows)]
            )
        lead, rows, cols = grid.shape[:-2], grid.shape[-2], grid.shape[-1]
        shown = []
        for head in indices(lead):
            part = [[cells[head + (r, c)] for c in range(cols)] for r in range(rows)]
            shown += _matrices(name, relation, ", ".join(str(i + 1) for i in head), part)
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


def _of(k: int) -> str:
    return f"A^{{({k})}}"


def _gradient(name: str) -> str:
    return f"\\frac{{\\partial L}}{{\\partial {name}}}"


def build(d: NetworkDerivation) -> NetworkContext:
    loss_stage = d.stages[-1]
    out = Printer(d)
    identities = {stage.index: _identities(stage.derivations) for stage in d.stages}
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
                    d_
                    for k, v in stage.parameters.items()
                    for d_ in out.displays(f"{k}^{{({stage.index})}}", v)
                ],
                "output": []
                if stage is loss_stage
                else out.displays(_of(stage.index), stage.output),
            }
        )
    for stage, grads, new in zip(reversed(d.stages), reversed(d.backward), reversed(d.updated)):
        backward.append(
            {
                "index": stage.index,
                "call": _options_text(stage),
                "loss": stage is loss_stage,
                "identities": identities[stage.index],
                "input": out.displays(_gradient(_of(stage.index - 1)), grads.input),
                "parameters": [
                    d_
                    for k, v in grads.parameters.items()
                    for d_ in out.displays(_gradient(f"{k}^{{({stage.index})}}"), v)
                ],
            }
        )
        if new:
            updated.append(
                {
                    "index": stage.index,
                    "parameters": [
                        d_
                        for k, v in new.items()
                        for d_ in out.displays(f"{k}^{{({stage.index})}}", v, "\\leftarrow")
                    ],
                }
            )
    updated.reverse()
    numbers = d.mode == "numbers"
    return {
        "layers": d.layers,
        "symbolic": d.mode == "symbols",
        "count": len(d.stages),
        "input_size": _size(d.input_shape),
        "seed": d.seed,
        "lr": exact_latex(d.lr),
        "chain": [  # the loss has no output array: the templates say "the loss"
            {
                "index": s.index,
                "layer": s.layer,
                "call": _options_text(s),
                "out_size": _size(s.output_shape),
                "loss": s is loss_stage,
                "identities": identities[s.index],
            }
            for s in d.stages
        ],
        "input": out.displays(_of(0), d.input),
        "forward": forward,
        "loss": out.notation.expr(d.loss.loss),
        "loss_lines": out.notation.expr_lines(d.loss.loss),
        "loss_decimal": decimal_latex(d.loss.loss_decimal) if numbers else "",
        "probabilities": out.displays("P", d.loss.probabilities),
        "probability_decimals": out.displays(
            "P", d.loss.probability_decimals().map(decimal_latex), "\\approx"
        )
        if numbers
        else [],
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
    numbers = d.mode == "numbers"
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
            if not numbers:
                # The loss and P are written in the logits' own symbols (A3_1_2): the previous
                # stage's output gives each one's expression.
                entry["logit_symbols"] = (
                    tensor_symbols(logit_key(stage.index - 1), stage.input_shape)
                    .map(lambda s: s.name)
                    .nested()
                )
            entry["probabilities"] = {
                "symbols": symbols.map(lambda s: s.name).nested(),
                "values": d.loss.probabilities.map(str).nested(),
                "approximate": d.loss.probability_decimals().nested() if numbers else None,
            }
        stages.append(entry)
    return {
        "schema": SCHEMA_VERSION,
        "layer": "network",
        "layers": d.layers,
        "options": {
            "input": list(d.input_shape),
            "mode": d.mode,
            "seed": d.seed,
            "lr": exact_json(d.lr),
        },
        "input": d.input.map(exact_json).nested(),
        "stages": stages,
        "loss": str(d.loss.loss),
        "loss_approximate": d.loss.loss_decimal if numbers else None,
        "verification": [
            {"layer": c.index, "statement": c.statement, **verification(c.proof)} for c in d.checks
        ],
        "verified": d.verified,
    }


def _key_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    return []


VIEW = View(NetworkDerivation, "network", build, build_json, figures.build, _key_equations)
