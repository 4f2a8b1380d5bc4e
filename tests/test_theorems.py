"""Theorems in symbolic sizes: every one proven; the prover refuses wrong right-hand sides;
the normal forms instantiated at concrete sizes agree with torch autograd; the documents
render (KaTeX strict, pdflatex and xelatex without overfull boxes) and the CLI's exit codes."""

from __future__ import annotations

import itertools
import json
import os
import shlex
from pathlib import Path

import pytest
import sympy as sp

import symderiv
from symderiv.checks import check
from symderiv.checks.syntax import parse_claim
from symderiv.cli.main import main
from symderiv.core.errors import SymderivError
from symderiv.layers.conv.derive import derive, make_spec
from symderiv.render.theorems import render_theorems
from symderiv.theorems import conv, instances, pool, theorems
from symderiv.theorems import conv_terms as ct
from symderiv.theorems.claim import validate
from symderiv.theorems.proofs import compare
from symderiv.theorems.result import as_data
from symderiv.theorems.terms import Sum, Term, equal, integer

from .test_output_checks import compile_tex, extract_math, overfull_boxes, run_katex

CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def everything() -> list[tuple[int, object]]:
    return theorems()


def test_every_theorem_is_proven(everything: list) -> None:
    assert [t.key for _, t in everything] == [
        "conv-sizes",
        "conv-input-gradient",
        "conv-weight-gradient",
        "conv-transpose-adjoint",
        "conv-zero-gradient",
        "conv-rot180",
        "pool-input-gradient",
        "pool-upsampling",
        "linear",
        "norm",
    ]
    assert all(t.holds for _, t in everything)
    assert all(t.dims == (1, 2, 3) for _, t in everything if t.family in ("conv", "pool"))


def _wrong(geo: ct.Geometry, mistake: str) -> Sum:
    """Theorem 2's right side with a classic mistake in it."""
    free = conv._free(geo, "n gamma c h", (geo.batch, geo.groups, geo.in_per_group), "size")
    at = tuple(free)
    (ax,) = geo.axes
    s, p, d = ax.stride, ax.padding, ax.dilation
    settings = {
        "stride and dilation exchanged": ((d, p, s),),
        "padding d(k-1) - p": ((s, d * (ax.kernel - 1) - p, d),),
        "padding off by one": ((s, p + 1, d),),
    }.get(mistake, ct.settings(geo))
    right = ct.conv_transpose(geo, "G", "W", at, (ax.out,), settings)
    if mistake == "kernel not flipped back":  # W read at k - 1 - u
        (u,) = [v for v in right.over if v.name == "u"]
        factors = tuple(
            f if f.tensor != "W" else type(f)("W", (*f.index[:-1], ax.kernel - 1 - u))
            for f in right.factors
        )
        right = Term(right.over, right.coefficient, factors, right.brackets)
    return Sum((right,))


@pytest.mark.parametrize(
    "mistake",
    [
        "stride and dilation exchanged",
        "padding d(k-1) - p",
        "padding off by one",
        "kernel not flipped back",
    ],
)
def test_wrong_right_sides_are_not_proven(mistake: str) -> None:
    geo = ct.geometry(1)
    left, _, free = conv._input_gradient(geo)
    assert not compare(left, _wrong(geo, mistake), geo.assumptions(free), geo.slots()).holds


def test_the_correct_right_side_is_proven_by_the_same_route() -> None:
    """The control for the test above: only the mistake differs."""
    geo = ct.geometry(1)
    left, _, free = conv._input_gradient(geo)
    assert compare(left, _wrong(geo, "none"), geo.assumptions(free), geo.slots()).holds


# ---- instantiation: the normal forms at concrete sizes against torch autograd ---------------

CASES = [  # (H, k, s, p, d, groups, in per group, out per group, batch)
    (7, 3, 2, 1, 1, 1, 1, 1, 1),
    (8, 3, 2, 1, 1, 1, 1, 1, 1),  # remainder a = 1
    (9, 2, 3, 0, 1, 1, 2, 1, 2),  # stride above kernel: rows without gradient
    (9, 2, 1, 1, 3, 1, 1, 2, 1),  # dilation above stride
    (10, 3, 3, 2, 2, 2, 1, 2, 1),  # stride above dilation, groups
    (6, 2, 2, 0, 1, 3, 1, 1, 1),  # depthwise
    (5, 5, 1, 2, 1, 1, 1, 1, 1),
]


def _evaluate(term: Term, values: dict[sp.Symbol, int], tensors: dict, box: int) -> float:
    concrete = term.substitute(values)
    variables = concrete.over
    checks = [(b.kind, sp.lambdify(variables, b.expr, "math")) for b in concrete.brackets]
    indices = [
        (f.tensor, [sp.lambdify(variables, e, "math") for e in f.index]) for f in concrete.factors
    ]
    total = 0.0
    # Every summed variable of these forms indexes a tensor: it runs from 0.
    for point in itertools.product(range(box), repeat=len(variables)):
        if not all((f(*point) == 0) if kind == "eq" else (f(*point) >= 0) for kind, f in checks):
            continue
        product = float(concrete.coefficient)
        for name, index in indices:
            product *= float(tensors[name][tuple(int(e(*point)) for e in index)])
        total += product
    return total


@pytest.mark.parametrize("case", CASES, ids=lambda c: "H{}k{}s{}p{}d{}g{}".format(*c[:6]))
def test_normal_forms_agree_with_torch_autograd(case: tuple[int, ...]) -> None:
    torch = pytest.importorskip("torch") if not CI else __import__("torch")
    h, k, s, p, d, g, ci, co, n = case
    out = (h + 2 * p - d * (k - 1) - 1) // s + 1
    q, a = out - 1, (h + 2 * p - d * (k - 1) - 1) % s
    torch.manual_seed(sum(case))
    x = torch.randn(n, g * ci, h, dtype=torch.float64, requires_grad=True)
    w = torch.randn(g * co, ci, k, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv1d(x, w, stride=s, padding=p, dilation=d, groups=g)
    upstream = torch.randn_like(y)
    y.backward(upstream)
    geo = ct.geometry(1)
    (ax,) = geo.axes
    values = {
        ax.stride: s,
        ax.padding: p,
        ax.dilation: d,
        ax.kernel: k,
        ax.quotient: q,
        ax.remainder: a,
        geo.batch: n,
        geo.groups: g,
        geo.in_per_group: ci,
        geo.out_per_group: co,
    }
    grouped = {
        "X": x.detach().reshape(n, g, ci, h).numpy(),
        "W": w.detach().reshape(g, co, ci, k).numpy(),
        "G": upstream.reshape(n, g, co, out).numpy(),
    }
    box = max(h + 2 * p, k, co, ci, n, g)
    for build, grad, shape in (
        (conv._input_gradient, x.grad.reshape(n, g, ci, h), (n, g, ci, h)),
        (conv._weight_gradient, w.grad.reshape(g, co, ci, k), (g, co, ci, k)),
    ):
        left, right, free = build(geo)
        comparison = compare(left, right, geo.assumptions(free), geo.slots())
        assert comparison.holds
        (normal,) = [m.term for m in comparison.left if m.term is not None]
        (definition,) = right.terms
        for index in itertools.product(*(range(e) for e in shape)):
            at = {**values, **dict(zip(free, index))}
            expected = float(grad[index])
            assert _evaluate(normal, at, grouped, box) == pytest.approx(expected, abs=1e-9)
            if len(definition.over) <= 3:  # the weight gradient's four sums: its normal form
                assert _evaluate(definition, at, grouped, box) == pytest.approx(expected, abs=1e-9)


POOL_CASES = [  # (H, k, s, p, batch, channels)
    (7, 3, 2, 1, 1, 2),  # padding, counted in the divisor (count_include_pad=True)
    (8, 3, 2, 1, 2, 1),  # remainder a = 1
    (9, 2, 3, 0, 1, 1),  # stride above kernel: rows without gradient
    (8, 3, 3, 0, 1, 1),  # kernel = stride with two leftover rows: the up-sampling theorem
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: "H{}k{}s{}p{}".format(*c[:4]))
def test_pooling_normal_form_agrees_with_torch_autograd(case: tuple[int, ...]) -> None:
    torch = pytest.importorskip("torch") if not CI else __import__("torch")
    h, k, s, p, n, c = case
    torch.manual_seed(sum(case))
    x = torch.randn(n, c, h, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.avg_pool1d(x, k, stride=s, padding=p)
    upstream = torch.randn_like(y)
    y.backward(upstream)
    out = y.shape[-1]
    upsampling = k == s and p == 0
    geo = pool.geometry(1, upsampling)
    (ax,) = geo.axes
    values = {ax.quotient: out - 1, integer("a"): (h + 2 * p - k) % s, integer("s"): s}
    values |= {integer("N"): n, integer("C"): c}
    if not upsampling:
        values |= {integer("p"): p, integer("k"): k}
    free = pool._free(geo)
    left = pool.chain_rule(geo, tuple(free))
    right = (pool.upsampled if upsampling else pool.constant_transpose)(geo, tuple(free))
    comparison = compare(left, Sum((right,)), geo.assumptions(free), geo.slots())
    assert comparison.holds
    (normal,) = [m.term for m in comparison.left if m.term is not None]
    tensors = {"G": upstream.numpy()}
    for index in itertools.product(range(n), range(c), range(h)):
        at = {**values, **dict(zip(free, index))}
        expected = float(x.grad[index])
        assert _evaluate(normal, at, tensors, out) == pytest.approx(expected, abs=1e-12)
        assert _evaluate(right, at, tensors, max(out, k)) == pytest.approx(expected, abs=1e-12)


def test_pooling_without_the_divisor_is_not_proven() -> None:
    geo = pool.geometry(1)
    free = pool._free(geo)
    left = pool.chain_rule(geo, tuple(free))
    right = pool.constant_transpose(geo, tuple(free))
    undivided = Term(right.over, sp.Integer(1), right.factors, right.brackets)
    assert not compare(left, Sum((undivided,)), geo.assumptions(free), geo.slots()).holds


# ---- documents and the command line ---------------------------------------------------------


def _items(numbered: list) -> list[dict]:
    return [as_data(number, t, proofs=True) for number, t in numbered]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_math_passes_katex_strict(everything: list, lang: str) -> None:
    text = render_theorems(_items(everything), "md", lang)
    pieces = extract_math(text)
    assert len(pieces) > 100
    assert run_katex(pieces) == []


@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_latex_compiles_without_overfull_boxes(
    everything: list, lang: str, engine: str, tmp_path: Path
) -> None:
    text, log = compile_tex(
        render_theorems(_items(everything), "latex", lang, standalone=True), engine, tmp_path
    )
    assert ("Theorem 7" if lang == "en" else "定理 7") in text
    assert not overfull_boxes(log), "\n".join(overfull_boxes(log))


def test_verify_theorems_prints_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "theorems"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 and all(": PROVEN," in line for line in lines)


def test_json_lists_the_theorems_with_their_proofs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["theorems", "linear", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (theorem,) = data["theorems"]
    assert theorem["number"] == 9 and theorem["holds"] and theorem["steps"]


def test_the_list_has_no_proofs_and_output_is_deterministic(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["theorems", "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert all(not t["steps"] for t in json.loads(first)["theorems"])
    assert main(["theorems", "--format", "json"]) == 0
    assert capsys.readouterr().out == first


def test_unknown_family_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "out.md"
    assert main(["theorems", "softmax", "-o", str(target)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'softmax'" in error
    assert not target.exists()


# ---- a reader's own claim for every size -----------------------------------------------------

CLAIM = (
    "dL/dX = conv_transpose{n}d(dL/dO, W, stride=s, padding=p, "
    "output_padding=(H + 2*p - d*(k - 1) - 1) mod s, dilation=d{extra})"
)


def test_the_issues_claim_is_proven_with_its_proof(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["theorems", "conv2d", "--claim", CLAIM.format(n=2, extra="")]) == 0
    text = capsys.readouterr().out
    assert text.startswith("PROVEN ") and "exact too at 60 concrete sizes" in text
    assert run_katex(extract_math(text)) == []
    claim = CLAIM.format(n=1, extra=", groups=g")
    assert main(["theorems", "conv1d", "--claim", claim, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "PROVEN" and data["counterexample"] is None
    assert [s["kind"] for s in data["proof"]["steps"]][-1] == "claim-sizes"
    claim = "dL/dW = conv_weight1d(X, dL/dO, stride=s, padding=p, dilation=d, groups=g)"
    assert main(["theorems", "conv1d", "--claim", claim]) == 0


@pytest.mark.parametrize(
    "claim",
    [
        CLAIM.format(n=1, extra="").replace("- 1) - 1) mod s", "- 1)) mod s"),  # off by one
        CLAIM.format(n=1, extra="")
        .replace("stride=s", "stride=d")
        .replace("dilation=d", "dilation=s"),
        CLAIM.format(n=1, extra="").replace("padding=p,", "padding=d*(k - 1) - p,"),
        CLAIM.format(n=1, extra="").replace("(dL/dO, W", "(dL/dO, flip(W)"),  # flipped twice
        CLAIM.format(n=1, extra=""),  # groups left out while the layer has them
        "dL/dW = conv_weight1d(X, dL/dO, stride=d, padding=p, dilation=s)",
    ],
)
def test_wrong_claims_come_back_with_a_counterexample_that_check_confirms(
    claim: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if claim == CLAIM.format(n=1, extra=""):
        claim = claim.replace("dilation=d)", "dilation=d, groups=1) + 0*g")
    assert main(["theorems", "conv1d", "--claim", claim, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "NOT PROVEN" and data["proof"] is None
    command = data["counterexample"]["command"]
    # the counterexample, run as printed, is refuted by symderiv check on its own
    assert main(shlex.split(command)[1:]) == 1
    assert capsys.readouterr().out.startswith("REFUTED")


@pytest.mark.parametrize(
    "claim, named",
    [
        ("dL/dX[1,1,1] = X[1,1,1]", "dL/dX[1, 1, 1]"),
        ("dL/dX = conv_transpose1d(dL/dO, W, stride=q)", "'q'"),
        ("dL/dX = conv_transpose2d(dL/dO, W)", "conv_transpose2d"),
        ("dL/dX = conv_transpose1d(dL/dO, W, stride=(s, s))", "stride needs 1 values"),
        ("dL/dX = conv_transpose1d(dL/dO, W", "')'"),
        ("dL/dX = conv_transpose1d(dL/dO, flip(W, 2))", "flip takes one tensor"),
        ("dL/dX = conv_transpose1d(dL/dO, W, output_padding=H mod (s - s))", "mod by zero"),
    ],
)
def test_a_malformed_claim_is_one_line_and_exit_2(
    claim: str, named: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "claim.md"
    assert main(["theorems", "conv1d", "--claim", claim, "-o", str(target)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and named in error, error
    assert not target.exists()


# ---- every theorem at a grid of concrete sizes, against the concrete derivations -------------

STATEMENTS = {
    "conv-input-gradient": CLAIM.format(n=1, extra=", groups=g"),
    "conv-weight-gradient": (
        "dL/dW = conv_weight1d(X, dL/dO, stride=s, padding=p, dilation=d, groups=g)"
    ),
}


@pytest.mark.parametrize("key", sorted(STATEMENTS))
def test_the_theorem_holds_at_every_size_of_a_grid(key: str) -> None:
    """The theorem's statement as a claim, judged by symderiv check's exact machinery on the
    concrete derivation at every size of the grid (hundreds), which covers the cases the
    theorem must get right."""
    claim = parse_claim(STATEMENTS[key])
    cases = instances.grid(1, validate(claim, 1))
    assert len(cases) >= 400
    assert any(
        (c.sizes[0] + 2 * c.padding - c.dilation * (c.kernel - 1) - 1) % c.stride for c in cases
    )
    assert any(c.groups == 2 for c in cases)  # one input channel per group: depthwise
    assert any(c.dilation > c.stride for c in cases) and any(c.stride > c.dilation for c in cases)
    assert any(c.stride > c.kernel for c in cases)
    failed = [o for o in (instances.judge_at(claim, c) for c in cases) if not o.holds]
    assert not failed, failed[0].command() + ": " + failed[0].why


def test_the_transposed_convolution_theorem_holds_on_a_grid() -> None:
    """Theorem 4 at concrete sizes: conv_transpose1d's input gradient is conv1d of dL/dY."""
    claim = "dL/dX = conv1d(dL/dO, W, stride={s}, padding={p}, dilation={d}, groups={g})"
    count = 0
    for h, k, s, p, d, g in itertools.product((2, 3), (1, 2, 3), (1, 2, 3), (0, 1), (1, 2), (1, 2)):
        for a in range(s):  # a < s: no crop, the whole conv1d (a >= s: the torch test below)
            try:
                spec = make_spec(
                    1, True, h, k, s, p, d, a, g, in_channels=g, out_channels=2 * g, batch=1
                )
            except SymderivError:  # the output would be empty
                continue
            derivation = derive(spec)
            verdict = check(derivation, claim.format(s=s, p=p, d=d, g=g))
            assert verdict.holds, (h, k, s, p, d, g, a, verdict.line())
            count += 1
    assert count >= 200


def _compiled(term: Term) -> object:
    """The term's brackets and its one factor's indices as functions of its summed variables
    and every size and free index, compiled once."""
    (factor,) = term.factors
    expressions = [b.expr for b in term.brackets] + list(factor.index)
    sizes = sorted({s for e in expressions for s in e.free_symbols} - set(term.over), key=str)
    arguments = (*term.over, *sizes)
    checks = [(b.kind, sp.lambdify(arguments, b.expr, "math")) for b in term.brackets]
    index = [sp.lambdify(arguments, e, "math") for e in factor.index]

    def support(values: dict[sp.Symbol, int], box: int) -> list[tuple]:
        """(coefficient, the factor's indices) at every point where the brackets hold."""
        rest = tuple(values[s] for s in sizes)
        found = []
        for point in itertools.product(range(box), repeat=len(term.over)):
            if all(
                (f(*point, *rest) == 0) if k == "eq" else (f(*point, *rest) >= 0) for k, f in checks
            ):
                found.append(
                    (term.coefficient.subs(values), tuple(int(e(*point, *rest)) for e in index))
                )
        return found

    return support


def test_the_pooling_theorems_hold_on_a_grid_of_concrete_derivations() -> None:
    """Theorems 7 and 8's right sides, instantiated at every size of a grid, equal the concrete
    avg_pool1d derivation's gradient element by element (symderiv check, exact)."""
    general, upsampling = pool.geometry(1), pool.geometry(1, upsampling=True)
    compiled = {
        up: _compiled((pool.upsampled if up else pool.constant_transpose)(g, tuple(pool._free(g))))
        for up, g in ((False, general), (True, upsampling))
    }
    count = 0
    for h, k, s in itertools.product(range(3, 10), (1, 2, 3), (1, 2, 3)):
        for p in range(k // 2 + 1):  # torch: padding at most half the kernel
            if h + 2 * p < k:
                continue
            out = (h + 2 * p - k) // s + 1
            geo = upsampling if (k == s and p == 0) else general
            (ax,) = geo.axes
            values = {ax.quotient: out - 1, integer("a"): (h + 2 * p - k) % s, integer("s"): s}
            values |= {integer("p"): p, integer("k"): k, integer("N"): 1, integer("C"): 1}
            support = compiled[geo is upsampling]
            derivation = symderiv.avgpool1d(input=h, kernel=k, stride=s, padding=p)
            for x in range(h):
                at = {**values, integer("n"): 0, integer("c"): 0, integer("h"): x}
                terms = [f"{c}*dL/dO[{i[-1] + 1}]" for c, i in support(at, max(out, k, s))]
                claim = f"dL/dX[{x + 1}] = " + (" + ".join(terms) or "0")
                verdict = check(derivation, claim)
                assert verdict.holds, (h, k, s, p, verdict.line())
            count += 1
    assert count >= 100


def test_the_empty_zero_set_condition_by_enumeration() -> None:
    """Theorem 5's d = 1, s <= k part, at every size of a grid by brute force; with s > k the
    condition is not enough, which is why it is a hypothesis."""
    without_hypothesis = False
    for h, k, s, p in itertools.product(range(1, 12), range(1, 5), range(1, 6), range(0, 4)):
        if h + 2 * p < k:
            continue
        out = (h + 2 * p - k) // s + 1
        a = (h + 2 * p - k) % s
        covered = {s * i + u - p for i in range(out) for u in range(k)}
        empty = all(x in covered for x in range(h))
        if s <= k:
            assert empty == (a <= p), (h, k, s, p)
        elif empty != (a <= p):
            without_hypothesis = True
    assert without_hypothesis


def test_the_bias_gradient_without_the_batch_sum_is_not_proven() -> None:
    geo = ct.geometry(1)
    left, right, free = conv._bias_gradient(geo)
    assert compare(left, right, geo.assumptions(free), geo.slots()).holds
    (term,) = right.terms
    n = next(v for v in term.over if v.name == "n")
    first_sample = Term(term.over, term.coefficient, term.factors, (*term.brackets, equal(n, 0)))
    assert not compare(left, Sum((first_sample,)), geo.assumptions(free), geo.slots()).holds


@pytest.mark.parametrize("case", [(4, 2, 1, 0, 2, 1), (3, 3, 2, 1, 3, 2), (4, 2, 2, 1, 3, 2)])
def test_transposed_output_padding_up_to_the_dilation_against_torch(case: tuple[int, ...]) -> None:
    """Theorem 4 with output_padding a >= s (torch allows a < max(s, d)): the normal form of
    dL/dX, proven without a < s, equals torch autograd; the convolution has more positions."""
    torch = pytest.importorskip("torch") if not CI else __import__("torch")
    h_in, k, s, p, d, a = case
    torch.manual_seed(sum(case))
    x = torch.randn(1, 1, h_in, dtype=torch.float64, requires_grad=True)
    w = torch.randn(1, 2, k, dtype=torch.float64)
    y = torch.nn.functional.conv_transpose1d(
        x, w, stride=s, padding=p, output_padding=a, dilation=d
    )
    upstream = torch.randn_like(y)
    y.backward(upstream)
    longer = torch.nn.functional.conv1d(upstream, w, stride=s, padding=p, dilation=d)
    assert longer.shape[-1] == h_in + a // s > h_in
    geo = ct.geometry(1)
    (ax,) = geo.axes
    left, right, free = conv._transposed_input(geo)
    comparison = compare(left, right, geo.assumptions(free, below_stride=False), geo.slots())
    assert comparison.holds
    (normal,) = [m.term for m in comparison.left if m.term is not None]
    values = {ax.stride: s, ax.padding: p, ax.dilation: d, ax.kernel: k, ax.quotient: h_in - 1}
    values |= {ax.remainder: a, geo.batch: 1, geo.groups: 1, geo.in_per_group: 2}
    values |= {geo.out_per_group: 1}
    tensors = {"Gy": upstream.reshape(1, 1, 2, -1).numpy(), "W": w.reshape(1, 1, 2, k).numpy()}
    for i in range(h_in):
        at = {**values, **dict(zip(free, (0, 0, 0, i)))}
        expected = float(x.grad[0, 0, i])
        assert _evaluate(normal, at, tensors, y.shape[-1] + k) == pytest.approx(expected, abs=1e-12)
