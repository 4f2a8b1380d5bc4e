"""The render context of conv2d: a derivation turned into plain strings and lists.

All mathematics is finished before this point; this module only spells results in LaTeX and
decides what goes where. Prose lives in the templates, one per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from ...core.family import View
from ...core.figures import AnyFigure
from ...core.grid import Grid
from ...core.ops import Mode, zero_pad
from ...core.ops import flip as ops_flip
from ...core.poly import Poly
from ...core.protocol import KeyEquation
from ...core.results import Role
from ...core.symbols import gradient_key, gradient_of, tensor_latex
from ...core.touches import touches
from ...render.latex import (
    TERMS_PER_LINE,
    Notation,
    busiest,
    fits_one_line,
    matrix,
    size,
    spelled,
)
from ...render.worked import worked_context
from . import figures, json_view
from . import view_general as cg
from .candidates import Candidate, ConvIdentity, ConvSearch, LayerCandidate, Operation
from .result import Derivation
from .spec import ConvSpec

OPERATOR = {Operation.CORRELATION: "\\star", Operation.CONVOLUTION: "\\ast"}
INDEX_LETTERS = {Role.OUTPUT: "ij", Role.PARAMETER: "mn", Role.INPUT: "ab"}
EXAMPLE_PATHS = 6

Context = dict[str, Any]
"""A nested part of a render context: strings, numbers, lists and further parts."""


class ReplacedContext(TypedDict):
    """The entries the general case spells differently from the plain-array document."""

    tensors: dict[str, Context]
    forward: Context
    gradients: list[Context]
    identities: list[Context]


class PlainContext(ReplacedContext):
    """The render context of the plain-array (single-channel) document."""

    layer: str
    local_gradients: list[Context]
    chain_rule: list[Context]
    verified: bool
    verification: list[Context]


class ConvContext(PlainContext):
    general: Context | None
    """Beyond the single-channel case: stride, padding, channels, groups, the layer identities."""
    worked: Context | None
    """The worked example on numbers, when ``--values`` or ``--seed`` asks for one."""


def build(derivation: Derivation) -> ConvContext:
    """The plain-array context; beyond the single-channel case, with the general keys beside it
    and the entries they replace (each a new dict: no context is changed once built)."""
    spec = derivation.spec
    general = spec is not None and not spec.plain_correlation_2d
    # A long list is a representative selection, in the single-channel document too.
    shown = None if derivation.all_equations else _selection(derivation)
    notation = notation_of(derivation)
    plain = _build_plain(derivation, notation, shown)
    worked = worked_context(
        derivation.worked, derivation.expansion, notation, derivation.all_equations
    )
    if not general:
        return {**plain, "general": None, "worked": worked}
    replaced = _replaced(derivation, notation, plain)
    general_context = _general(derivation, notation, replaced)
    return {**plain, **replaced, "general": general_context, "worked": worked}


Shown = dict[str, list[int]]
"""Per result (``O`` or an input key), the positions of the element equations to show."""


def _selection(derivation: Derivation) -> Shown:
    """Choose the equations before any is spelled, so a large derivation is not typeset whole."""
    expansion = derivation.expansion
    results = [(expansion.output, expansion.forward), *expansion.gradients]
    return {key: cg.selection(len(grid.cells), busiest(list(grid.cells))) for key, grid in results}


def _build_plain(derivation: Derivation, notation: Notation, shown: Shown | None) -> PlainContext:
    expansion = derivation.expansion
    tensors = {t.key: t for t in expansion.tensors}
    output = tensors[expansion.output]
    plain = derivation.spec is None or derivation.spec.plain_correlation_2d
    return {
        "layer": derivation.layer,
        "tensors": {
            key: {
                "name": tensor_latex(key),
                "size": size(t.shape),
                "matrix": matrix(spelled(t.symbols, notation.symbol)) if len(t.shape) <= 2 else "",
            }
            for key, t in tensors.items()
        },
        "forward": {
            "matrices": []
            if not plain
            else _side_by_side(
                [
                    (tensor_latex(k), spelled(t.symbols, notation.symbol))
                    for k, t in tensors.items()
                    if k in ("X", "F", expansion.output)
                ]
            ),
            "definition": _forward_definition(derivation) if plain else "",
            "equations": [
                {"lhs": notation.symbol(output.symbols[i]), "lines": notation.poly_lines(v)}
                for i, v in _picked(expansion.forward, shown, expansion.output)
            ],
            "omitted": _omitted(expansion.forward, shown, expansion.output),
        },
        "local_gradients": [
            _local_gradients(derivation, notation, key, shown is not None)
            for key, _ in expansion.gradients
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
                    for i, v in _picked(grid, shown, key)
                ],
                "omitted": _omitted(grid, shown, key),
            }
            for key, grid in expansion.gradients
        ],
        "identities": _identities(derivation, notation),
        "verified": derivation.verified,
        "verification": [
            {
                "statement": (
                    cg.statement(identity)
                    if isinstance(identity.form, LayerCandidate)
                    else _statement(identity)
                ),
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


def _local_gradients(
    derivation: Derivation, notation: Notation, key: str, shorten: bool = False
) -> Context:
    """One line per few local gradients, grouped by output element; with ``shorten``, a long
    list is cut to its first lines before they are spelled, and the rest counted (from how many
    each output element has, so that the local gradients left out are never built)."""
    expansion = derivation.expansion
    local = expansion.local_gradients.restricted(expansion.tensor(key).symbols.cells)
    sizes = local.row_sizes()
    positions = [position for position, n in enumerate(sizes) if n]
    count = sum(sizes)
    one = Poly.constant(1)
    if (
        key == "b"
        and derivation.spec is not None
        and all(
            len(entries) == 1 and entries[0].value == one for entries in map(local.row, positions)
        )
    ):
        # Every output element has the bias of its channel once, with local gradient 1: one
        # statement for all of them instead of a line per output element.
        b_element, o_element, _ = _chain_letters(derivation.spec, "b")
        letters = cg.Letters(derivation.spec)
        free = [cg.BATCH] if derivation.spec.channelled else []
        line = (
            f"\\frac{{\\partial {o_element}}}{{\\partial {b_element}}} = 1 \\quad "
            f"\\forall\\, {', '.join(free + letters.out)}"
        )
        return {
            "key": key,
            "name": tensor_latex(key),
            "lines": [line],
            "count": count,
            "omitted": 0,
        }
    total = sum(-(-n // TERMS_PER_LINE) for n in sizes)
    budget = cg.LINES_KEPT if shorten and total > cg.LINE_LIMIT else total
    lines: list[str] = []
    for entries in map(local.row, positions):
        if len(lines) >= budget:
            break
        texts = [
            notation.derivative(g.output, g.wrt) + " = " + notation.poly(g.value)
            for g in sorted(entries, key=lambda g: notation.sort_key(g.wrt))
        ]
        for start in range(0, len(texts), TERMS_PER_LINE):
            lines.append(", \\quad ".join(texts[start : start + TERMS_PER_LINE]))
    lines = lines[:budget]
    return {
        "key": key,
        "name": tensor_latex(key),
        "lines": lines,
        "count": count,
        "omitted": total - len(lines),
    }


def _omitted(grid: Grid[Poly], shown: Shown | None, key: str) -> int:
    return 0 if shown is None else len(grid.cells) - len(shown[key])


def _picked(grid: Grid[Poly], shown: Shown | None, key: str) -> list[tuple[Any, Poly]]:
    items = list(grid.items())
    return items if shown is None else [items[i] for i in shown[key]]


def _chain_rule(derivation: Derivation, notation: Notation, key: str) -> Context:
    """The chain rule for one input: its general form, then worked out for its first element."""
    expansion = derivation.expansion
    tensor = expansion.tensor(key)
    output = expansion.tensor(expansion.output)
    upstream = next(t for t in expansion.tensors if t.role is Role.UPSTREAM)
    element = _index_symbol(tensor.role, key)
    out_element = _index_symbol(Role.OUTPUT, output.key)
    spec = derivation.spec
    if spec is not None and (spec.dims != 2 or spec.channelled or tensor.key == "b"):
        element, out_element, sums = _chain_letters(spec, key)
    else:
        i_max, j_max = output.shape
        sums = f"\\sum_{{i=1}}^{{{i_max}}} \\sum_{{j=1}}^{{{j_max}}}"
    general = (
        f"\\frac{{\\partial L}}{{\\partial {element}}} = {sums}"
        f" \\frac{{\\partial L}}{{\\partial {out_element}}}"
        f" \\frac{{\\partial {out_element}}}{{\\partial {element}}}"
    )
    local = expansion.local_gradients
    paths_per_element = local.restricted(tensor.symbols.cells).uses()
    # The worked example is the first element reached through the most paths.
    first = max(tensor.symbols.cells, key=lambda s: paths_per_element.get(s, 0))
    reaching = local.restricted([first])
    positions = [position for position, n in enumerate(reaching.row_sizes()) if n]
    total_paths = len(positions)
    if total_paths > EXAMPLE_PATHS:
        # A channelled example can have dozens of paths: the first few and the last show the
        # pattern; the count is stated in the prose.
        positions = positions[: EXAMPLE_PATHS - 1] + positions[-1:]
    # Output elements and their upstream gradients share positions (both in the output's shape).
    paths = [(upstream.symbols.cells[p], g) for p in positions for g in reaching.row(p)]
    chained = [notation.symbol(up) + " " + notation.derivative(g.output, g.wrt) for up, g in paths]
    substituted = [notation.symbol(up) + " " + notation.poly(g.value) for up, g in paths]
    if total_paths > len(paths):
        chained.insert(-1, "\\cdots")
        substituted.insert(-1, "\\cdots")
    return {
        "key": key,
        "name": tensor_latex(key),
        "general": general,
        "example_lhs": notation.loss_derivative(first),
        "example_element": notation.symbol(first),
        "example_paths": total_paths,
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


def _rotation_steps(identity: ConvIdentity, notation: Notation) -> str:
    """rot180 of a matrix as two flips, the rows first and then the columns, each step shown;
    a vector or a 3-D array is flipped on every axis at once."""
    shown = identity.shown
    c = identity.form
    assert shown is not None and isinstance(c, Candidate)
    name, rotated = tensor_latex(c.second), shown.second
    direct = f"\\operatorname{{{_rotation(identity)}}}\\left({name}\\right) = "
    if len(rotated.shape) != 2:
        return direct + matrix(spelled(rotated, notation.poly))
    columns = rotated.shape[1]
    # The rotated kernel with its columns put back is the kernel with only its rows reversed.
    rows_flipped = Grid.build(rotated.shape, lambda i: rotated[(i[0], columns - 1 - i[1])])
    steps = [ops_flip(rotated), rows_flipped, rotated]
    cells = [spelled(g, notation.poly) for g in steps]
    if not fits_one_line(*cells):
        return direct + matrix(cells[-1])
    return (
        f"{name} = {matrix(cells[0])} \\;\\xrightarrow{{\\updownarrow}}\\; {matrix(cells[1])} "
        f"\\;\\xrightarrow{{\\leftrightarrow}}\\; {matrix(cells[2])} = "
        f"\\operatorname{{rot180}}\\left({name}\\right)"
    )


def _rotation(identity: ConvIdentity) -> str:
    """rot180 for a matrix; a vector or a 3-D array is flipped on every axis."""
    shown = identity.shown
    return "rot180" if shown is None or len(shown.second.shape) == 2 else "flip"


def _statement(identity: ConvIdentity) -> str:
    c = identity.form
    assert isinstance(c, Candidate)
    second = tensor_latex(c.second)
    if c.rotate_second:
        second = f"\\operatorname{{{_rotation(identity)}}}\\left({second}\\right)"
    return (
        f"{tensor_latex(identity.target)} = {tensor_latex(c.first)}"
        f" {OPERATOR[c.operation]}_{{\\mathrm{{{c.mode.value}}}}} {second}"
    )


def _target_cells(derivation: Derivation, notation: Notation, target: str) -> Grid[str]:
    base = gradient_of(target)
    if base is None:
        return spelled(derivation.expansion.tensor(target).symbols, notation.symbol)
    return spelled(derivation.expansion.tensor(base).symbols, notation.loss_derivative)


def _identities(derivation: Derivation, notation: Notation) -> list[Context]:
    proven = [i for i in derivation.identities if i.proof.holds and isinstance(i.form, Candidate)]
    groups = []
    for detection in derivation.detections:
        matched = [i for i in proven if i.target == detection.target]
        group: Context = {
            "key": detection.target,
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


def _primary(derivation: Derivation, notation: Notation, identity: ConvIdentity) -> Context:
    c = identity.form
    shown = identity.shown
    assert isinstance(c, Candidate) and shown is not None
    operator = OPERATOR[c.operation]
    padded = any(before or after for before, after in shown.padding)
    target = _target_cells(derivation, notation, identity.target)
    first, second = spelled(shown.first, notation.poly), spelled(shown.second, notation.poly)
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
        "second_shown": (
            f"\\operatorname{{{_rotation(identity)}}}({tensor_latex(c.second)})"
            if c.rotate_second
            else tensor_latex(c.second)
        ),
        "rotation": _rotation_steps(identity, notation),
        "padded": padded,
        "padding": [list(p) for p in shown.padding],
        "written_out": written_out,
    }


def _chain_letters(spec: ConvSpec, key: str) -> tuple[str, str, str]:
    """The chain rule's general form in any number of axes: the element of ``key``, the output
    element, and the sums over every output index."""
    ls = cg.Letters(spec)
    o_parts = [*ls.lead(cg.OUT_CHANNEL), *ls.out]
    if key == "X":
        parts = [*ls.lead(cg.IN_CHANNEL), *ls.input]
    elif key == "b":
        # b_o only reaches the outputs of channel o: the sum runs over the other indices. The
        # plain layout has one output channel and one bias, b_1.
        parts = [cg.OUT_CHANNEL if spec.channelled else "1"]
    elif spec.transposed:
        parts = ls.weight(cg.IN_CHANNEL, cg.OUT_CHANNEL + "'")
    else:
        parts = ls.weight(cg.OUT_CHANNEL + "'", cg.IN_CHANNEL)
    channels = [] if key == "b" else [(cg.OUT_CHANNEL, spec.c_out)]
    ranges = [(cg.BATCH, spec.n), *channels] if spec.channelled else []
    ranges += list(zip(ls.out, spec.output))
    name = "b" if key == "b" else key
    return cg.element(name, parts), cg.element("O", o_parts), cg._sums(ranges)


def _replaced(derivation: Derivation, notation: Notation, plain: PlainContext) -> ReplacedContext:
    """The plain-array entries the general case spells differently: tensors in slices, the
    forward definition and gradient formulas with their omitted counts, whole-layer identities."""
    spec = derivation.spec
    assert spec is not None
    expansion = derivation.expansion
    tensors = {}
    for key, tensor in plain["tensors"].items():
        t = expansion.tensor(key)
        spatial = 0 if key == "b" else spec.dims
        tensors[key] = {
            **tensor,
            "lines": cg.slices(tensor["name"], t.symbols.map(notation.symbol), spatial),
            "slices": len(t.symbols.cells) // _spatial_size(t.shape, spatial),
        }
    forward = {
        **plain["forward"],
        "definition": cg.forward_definition(spec),
        "omitted": len(expansion.forward.cells) - len(plain["forward"]["equations"]),
    }
    formulas = cg.gradient_formulas(spec)
    gradients = [
        {**g, "omitted": g["count"] - len(g["equations"]), "formula": formulas[g["key"]]}
        for g in plain["gradients"]
    ]
    # The plain-array searches, when they ran, come first (see derive.derive).
    spatial_searches = len(spec.array_search_targets)
    identities = [
        _layer_group(derivation, notation, group, detection)
        if position >= spatial_searches
        else {**group, "layer": False}
        for position, (group, detection) in enumerate(
            zip(plain["identities"], derivation.detections)
        )
    ]
    return {
        "tensors": tensors,
        "forward": forward,
        "gradients": gradients,
        "identities": identities,
    }


def _general(derivation: Derivation, notation: Notation, context: ReplacedContext) -> Context:
    """Everything only the general case has."""
    spec = derivation.spec
    assert spec is not None
    expansion = derivation.expansion
    shown_all = derivation.all_equations
    padded = None
    if any(spec.padding) and not spec.transposed:
        x = expansion.tensor("X")
        first = Grid(spec.input, x.symbols.cells[: _spatial_size(spec.input, spec.dims)])
        grid = spelled(zero_pad(first.map(Poly.symbol), spec.padding, spec.padding), notation.poly)
        name = "X^{\\mathrm{pad}}" + ("_{1,1}" if spec.channelled else "")
        padded = f"{name} = {cg._as_matrix(grid)}" if spec.dims <= 2 else None
    shown_keys = ["X", spec.weight] + (["b"] if spec.bias else []) + ["O"]
    tensor_lines = [line for key in shown_keys for line in context["tensors"][key]["lines"]]
    layer_statements = [g["primary"]["statement"] for g in context["identities"] if g["found"]]
    return {
        "function": spec.function,
        "single_axis": spec.dims == 1 and not spec.channelled,
        "transposed": spec.transposed,
        "dims": spec.dims,
        "weight": spec.weight,
        "channelled": spec.channelled,
        "batch": spec.n,
        "c_in": spec.c_in,
        "c_out": spec.c_out,
        "groups": spec.groups,
        "bias": spec.bias,
        "stride": cg.axes_text(spec.stride),
        "padding": cg.axes_text(spec.padding),
        "dilation": cg.axes_text(spec.dilation),
        "output_padding": cg.axes_text(spec.output_padding),
        "strided": any(s > 1 for s in spec.stride),
        "has_padding": any(spec.padding),
        "dilated": any(d > 1 for d in spec.dilation),
        "has_output_padding": any(spec.output_padding),
        "x_layout": "(N, C_{\\mathrm{in}}, " + _spatial_names(spec.dims) + ")",
        "w_layout": _weight_layout(spec),
        "sizes": cg.sizes(spec),
        "size_formula": cg.size_general(spec),
        "remainders": [r for r in spec.remainder] if not spec.transposed else [],
        "has_remainder": not spec.transposed and any(spec.remainder),
        "remainder": cg.axes_text(spec.remainder),
        # Of the last r padded positions past the last window, those that are input positions
        # (the rest is padding): exactly these lose their gradient to the stride.
        "unreached": cg.axes_text(
            [max(0, min(r - p, n)) for r, p, n in zip(spec.remainder, spec.padding, spec.input)]
        )
        if not spec.transposed
        else "0",
        "unreached_any": not spec.transposed
        and any(r > p for r, p in zip(spec.remainder, spec.padding)),
        "unreached_one": not spec.transposed
        and all(min(r - p, n) == 1 for r, p, n in zip(spec.remainder, spec.padding, spec.input)),
        "padded_input": padded,
        "channel_groups": cg.channel_groups(spec) if spec.groups > 1 else [],
        "zeros": cg.zeros(derivation, notation),
        "conclusion": layer_statements,
        "tensor_lines": tensor_lines,
        "all_equations": shown_all,
    }


def _spatial_size(shape: tuple[int, ...], spatial: int) -> int:
    size = 1
    for n in shape[len(shape) - spatial :] if spatial else shape[-1:]:
        size *= n
    return size


def _spatial_names(dims: int) -> str:
    return {1: "L", 2: "H, W", 3: "D, H, W"}[dims]


def _weight_layout(spec: ConvSpec) -> str:
    kernel = {1: "k", 2: "k_H, k_W", 3: "k_D, k_H, k_W"}[spec.dims]
    if spec.transposed:
        return f"(C_{{\\mathrm{{in}}}}, C_{{\\mathrm{{out}}}}/g, {kernel})"
    return f"(C_{{\\mathrm{{out}}}}, C_{{\\mathrm{{in}}}}/g, {kernel})"


def _layer_group(
    derivation: Derivation, notation: Notation, group: Context, detection: ConvSearch
) -> Context:
    matched = [
        i
        for i in derivation.identities
        if i.target == detection.target and i.proof.holds and isinstance(i.form, LayerCandidate)
    ]
    primary = cg.identity_context(derivation, notation, matched[0]) if matched else None
    return {
        **group,
        "layer": True,
        "found": bool(matched),
        "equivalents": [cg.statement(i) for i in matched[1:]],
        **({"primary": primary} if primary is not None else {}),
    }


def notation_of(derivation: Derivation) -> Notation:
    """Commas between indices once a tensor has more than two axes: ``X_{1,2,3,4}``, since
    ``X_{1234}`` is hard to read even where it is unambiguous."""
    tensors = derivation.expansion.tensors
    many = any(len(t.shape) > 2 for t in tensors)
    return Notation.of(tensors, separated=True if many else None)


def _identity_equations(context: Mapping[str, Any]) -> list[KeyEquation]:
    """Layers that present detected identities in groups: each target's primary statement."""
    found: dict[str, str] = {}
    for group in context.get("identities", []):
        if isinstance(group, dict) and group.get("found") and "key" in group:
            found.setdefault(group["key"], group["primary"]["statement"])
    return list(found.items())


def _figures(derivation: Derivation) -> Mapping[str, AnyFigure]:
    """Figures are drawn for the 2-D convolution only (the single-channel case in full)."""
    return figures.build(derivation) if derivation.layer == "conv2d" else {}


VIEW = View(
    Derivation,
    "conv2d",
    build,
    json_view.build,
    _figures,
    _identity_equations,
    build_touches=lambda d: touches(d.expansion, separated=notation_of(d).separated),
)
