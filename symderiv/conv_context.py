"""The render context of conv2d: a derivation turned into plain strings and lists.

All mathematics is finished before this point; this module only spells results in LaTeX and
decides what goes where. Prose lives in the templates, one per language.
"""

from __future__ import annotations

from typing import Any

from .derivation import Derivation
from .grid import Grid
from .latex import TERMS_PER_LINE, Notation, fits_one_line, matrix, size
from .model import Identity, Operation, Role
from .ops import Mode
from .symbols import gradient_key, gradient_of, tensor_latex

OPERATOR = {Operation.CORRELATION: "\\star", Operation.CONVOLUTION: "\\ast"}
INDEX_LETTERS = {Role.OUTPUT: "ij", Role.PARAMETER: "mn", Role.INPUT: "ab"}

Context = dict[str, Any]


def build(derivation: Derivation) -> Context:
    expansion = derivation.expansion
    notation = Notation.of(expansion.tensors)
    tensors = {t.key: t for t in expansion.tensors}
    output = tensors[expansion.output]
    return {
        "layer": derivation.layer,
        "tensors": {
            key: {
                "name": tensor_latex(key),
                "size": size(t.shape),
                "matrix": matrix(t.symbols.map(notation.symbol)),
            }
            for key, t in tensors.items()
        },
        "forward": {
            "matrices": _side_by_side(
                [(tensor_latex(k), t.symbols.map(notation.symbol)) for k, t in tensors.items()
                 if k in ("X", "F", expansion.output)]
            ),
            "definition": _forward_definition(derivation),
            "equations": [
                {"lhs": notation.symbol(output.symbols[i]), "lines": notation.poly_lines(v)}
                for i, v in expansion.forward.items()
            ],
        },
        "local_gradients": [
            _local_gradients(derivation, notation, key) for key, _ in expansion.gradients
        ],
        "chain_rule": [_chain_rule(derivation, notation, key) for key, _ in expansion.gradients],
        "gradients": [
            {
                "key": key,
                "name": tensor_latex(gradient_key(key)),
                "count": len(grid.cells),
                "equations": [
                    {
                        "lhs": notation.loss_derivative(tensors[key].symbols[i]),
                        "lines": notation.poly_lines(v),
                    }
                    for i, v in grid.items()
                ],
            }
            for key, grid in expansion.gradients
        ],
        "identities": _identities(derivation, notation),
        "verified": derivation.verified,
        "verification": [
            {
                "statement": _statement(identity),
                "elements": identity.proof.elements,
                "holds": identity.proof.holds,
            }
            for identity in derivation.identities
        ],
    }


def _side_by_side(named: list[tuple[str, Grid[str]]]) -> list[str]:
    """``A = [..], B = [..]`` on one line when they fit, else one line each."""
    shown = [f"{name} = {matrix(cells)}" for name, cells in named]
    if fits_one_line(*(cells for _, cells in named)):
        return [", \\qquad ".join(shown)]
    return shown


def _forward_definition(derivation: Derivation) -> str:
    kernel = derivation.expansion.tensor("F").shape
    return (
        f"O_{{ij}} = \\sum_{{m=1}}^{{{kernel[0]}}} \\sum_{{n=1}}^{{{kernel[1]}}}"
        " X_{i+m-1,\\,j+n-1} \\, F_{mn}"
    )


def _index_symbol(role: Role, key: str) -> str:
    letters = INDEX_LETTERS[role]
    return f"{key}_{{{letters}}}"


def _local_gradients(derivation: Derivation, notation: Notation, key: str) -> Context:
    expansion = derivation.expansion
    wrt = set(expansion.tensor(key).symbols.cells)
    rows: dict[Any, list[tuple[Any, str]]] = {}
    for g in expansion.local_gradients:
        if g.wrt in wrt:
            rows.setdefault(g.output, []).append(
                (
                    notation.sort_key(g.wrt),
                    notation.derivative(g.output, g.wrt) + " = " + notation.poly(g.value),
                )
            )
    lines = []
    for entries in rows.values():
        texts = [text for _, text in sorted(entries)]
        for start in range(0, len(texts), TERMS_PER_LINE):
            lines.append(", \\quad ".join(texts[start : start + TERMS_PER_LINE]))
    return {
        "key": key,
        "name": tensor_latex(key),
        "lines": lines,
        "count": sum(len(entries) for entries in rows.values()),
    }


def _chain_rule(derivation: Derivation, notation: Notation, key: str) -> Context:
    """The chain rule for one input: its general form, then worked out for its first element."""
    expansion = derivation.expansion
    tensor = expansion.tensor(key)
    output = expansion.tensor(expansion.output)
    upstream = next(t for t in expansion.tensors if t.role is Role.UPSTREAM)
    element = _index_symbol(tensor.role, key)
    out_element = _index_symbol(Role.OUTPUT, output.key)
    i_max, j_max = output.shape
    general = (
        f"\\frac{{\\partial L}}{{\\partial {element}}} = \\sum_{{i=1}}^{{{i_max}}}"
        f" \\sum_{{j=1}}^{{{j_max}}} \\frac{{\\partial L}}{{\\partial {out_element}}}"
        f" \\frac{{\\partial {out_element}}}{{\\partial {element}}}"
    )
    paths_per_element: dict[Any, int] = {}
    for g in expansion.local_gradients:
        paths_per_element[g.wrt] = paths_per_element.get(g.wrt, 0) + 1
    # The worked example is the first element reached through the most paths.
    first = max(tensor.symbols.cells, key=lambda s: paths_per_element.get(s, 0))
    index_of = {s: i for i, s in output.symbols.items()}
    paths = sorted((index_of[g.output], g) for g in expansion.local_gradients if g.wrt == first)
    chained = [
        notation.symbol(upstream.symbols[i]) + " " + notation.derivative(g.output, g.wrt)
        for i, g in paths
    ]
    substituted = [
        notation.symbol(upstream.symbols[i]) + " " + notation.poly(g.value) for i, g in paths
    ]
    return {
        "key": key,
        "name": tensor_latex(key),
        "general": general,
        "example_lhs": notation.loss_derivative(first),
        "example_element": notation.symbol(first),
        "example_paths": len(paths),
        "example_lines": [
            *_sum_lines(notation.loss_derivative(first) + " &= ", chained, 2),
            *_sum_lines("&= ", substituted, TERMS_PER_LINE),
        ],
    }


def _sum_lines(start: str, terms: list[str], per_line: int) -> list[str]:
    """Lines of an aligned sum: the first begins with ``start``, later ones with ``+``."""
    chunks = [terms[i : i + per_line] for i in range(0, len(terms), per_line)] or [["0"]]
    return [
        (start if n == 0 else "&\\quad + ") + " + ".join(chunk) for n, chunk in enumerate(chunks)
    ]


def _statement(identity: Identity) -> str:
    c = identity.candidate
    second = tensor_latex(c.second)
    if c.rotate_second:
        second = f"\\operatorname{{rot180}}\\left({second}\\right)"
    return (
        f"{tensor_latex(identity.target)} = {tensor_latex(c.first)}"
        f" {OPERATOR[c.operation]}_{{\\mathrm{{{c.mode.value}}}}} {second}"
    )


def _target_cells(derivation: Derivation, notation: Notation, target: str) -> Grid[str]:
    base = gradient_of(target)
    if base is None:
        return derivation.expansion.tensor(target).symbols.map(notation.symbol)
    return derivation.expansion.tensor(base).symbols.map(notation.loss_derivative)


def _identities(derivation: Derivation, notation: Notation) -> list[Context]:
    proven = [i for i in derivation.identities if i.proof.holds]
    groups = []
    for detection in derivation.detections:
        matched = [i for i in proven if i.target == detection.target]
        group: Context = {
            "target": tensor_latex(detection.target),
            "is_forward": gradient_of(detection.target) is None,
            "operands": [tensor_latex(k) for k in detection.operands],
            "tried": detection.tried,
            "found": bool(matched),
            "equivalents": [_statement(i) for i in matched[1:]],
        }
        if matched:
            group["primary"] = _primary(derivation, notation, matched[0])
        groups.append(group)
    return groups


def _primary(derivation: Derivation, notation: Notation, identity: Identity) -> Context:
    c = identity.candidate
    shown = identity.presentation
    operator = OPERATOR[c.operation]
    padded = any(before or after for before, after in shown.padding)
    target = _target_cells(derivation, notation, identity.target)
    first, second = shown.first.map(notation.poly), shown.second.map(notation.poly)
    rhs = f"{matrix(first)} {operator}_{{\\mathrm{{{Mode.VALID.value}}}}} {matrix(second)}"
    written_out = (
        f"{matrix(target)} = {rhs}"
        if fits_one_line(target, first, second)
        else f"\\begin{{aligned}}\n&{matrix(target)} \\\\\n&= {rhs}\n\\end{{aligned}}"
    )
    return {
        "statement": _statement(identity),
        "operation": c.operation.value,
        "mode": c.mode.value,
        "first": tensor_latex(c.first),
        "second": tensor_latex(c.second),
        "rotated": c.rotate_second,
        "rotation": (
            f"\\operatorname{{rot180}}\\left({tensor_latex(c.second)}\\right) = "
            f"{matrix(shown.second.map(notation.poly))}"
        ),
        "padded": padded,
        "padding": [list(p) for p in shown.padding],
        "written_out": written_out,
    }
