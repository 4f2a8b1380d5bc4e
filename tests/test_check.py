"""``symderiv check``: claims in PyTorch's vocabulary, judged exactly against the derivation, with
the classic mistakes named; the claim's operations agree with torch's on numbers."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import symderiv
from symderiv.checks.evaluate import Layer, evaluate
from symderiv.checks.syntax import parse_claim
from symderiv.cli.main import main

from .test_conv_general import torch  # noqa: F401  (a fixture)


def remainder(h: int, k: int, s: int, p: int, d: int) -> int:
    """The output padding that makes the transposed convolution return exactly h."""
    return (h + 2 * p - d * (k - 1) - 1) % s


def test_the_seed_articles_statements_hold() -> None:
    d = symderiv.conv2d()
    for claim in (
        "dL/dX = conv2d(pad(dL/dO, 1), rot180(F))",
        "dL/dX = conv_transpose2d(dL/dO, F)",
        "dL/dF = conv2d(X, dL/dO)",
        "O = conv2d(X, F)",
        # The article's nine equations, one of them: the centre element.
        "dL/dX[2,2] = dL/dO[1,1]*F[2,2] + dL/dO[1,2]*F[2,1]"
        " + dL/dO[2,1]*F[1,2] + dL/dO[2,2]*F[1,1]",
    ):
        verdict = symderiv.check(d, claim)
        assert verdict.holds and verdict.differing == 0, verdict.line()
    assert symderiv.check(d, "dL/dX = conv2d(pad(dL/dO, 1), rot180(F))").elements == 9


@pytest.mark.parametrize(
    ("h", "k", "s", "p", "dil"),
    [(5, 3, 2, 1, 1), (6, 3, 2, 0, 1), (7, 2, 3, 1, 1), (9, 2, 2, 0, 3), (8, 3, 2, 2, 2)],
)
def test_the_input_gradient_is_a_transposed_convolution_with_the_remainder(
    h: int, k: int, s: int, p: int, dil: int
) -> None:
    d = symderiv.conv2d(input=h, kernel=k, stride=s, padding=p, dilation=dil)
    a = remainder(h, k, s, p, dil)
    settings = f"stride={s}, padding={p}, output_padding={a}, dilation={dil}"
    right = f"dL/dX = conv_transpose2d(dL/dO, F, {settings})"
    assert symderiv.check(d, right).holds
    if s > 1:
        wrong = right.replace(f"output_padding={a}", f"output_padding={(a + 1) % s}")
        verdict = symderiv.check(d, wrong)
        assert (
            not verdict.holds and f"output_padding wrong: the right one is {a}" in verdict.mistake
        )


@pytest.mark.parametrize(
    ("options", "claim", "mistake"),
    [
        ({}, "dL/dX = conv2d(pad(dL/dO, 1), F)", "kernel not flipped"),
        ({}, "dL/dX = conv_transpose2d(dL/dO, rot180(F))", "kernel flipped twice"),
        ({}, "dL/dF = conv2d(dL/dO, X)", "operands swapped"),
        (
            {"input": 5, "kernel": 3, "stride": 2, "padding": 1},
            "dL/dX = conv_transpose2d(F, dL/dO, stride=2, padding=1)",
            "operands swapped",
        ),
        (
            {"input": 9, "kernel": 2, "stride": 2, "dilation": 3},
            "dL/dX = conv_transpose2d(dL/dO, F, stride=3, dilation=2, output_padding=1)",
            "stride and dilation exchanged",
        ),
        (
            {"input": 5, "kernel": 3, "stride": 2, "padding": 1},
            "dL/dX = conv_transpose2d(dL/dO, F, stride=2, padding=0)",
            "padding wrong: the layer's is 1",
        ),
        (
            {"input": 4, "kernel": 2, "in_channels": 2, "out_channels": 2, "groups": 2},
            "dL/dX = conv_transpose2d(dL/dO, W)",
            "groups mishandled: the layer has 2 groups",
        ),
        (
            {"input": 6, "kernel": 3, "stride": 2},
            "dL/dX = conv2d(pad(dL/dO, 2), rot180(F))",
            "the stride is ignored",
        ),
    ],
)
def test_classic_mistakes_are_refuted_and_named(
    options: dict[str, Any], claim: str, mistake: str
) -> None:
    verdict = symderiv.check(symderiv.conv2d(**options), claim)
    assert not verdict.holds
    assert mistake in verdict.mistake, verdict.line()
    assert verdict.line().startswith("REFUTED")


def test_a_refuted_claim_shows_the_first_difference_both_ways() -> None:
    verdict = symderiv.check(symderiv.conv2d(), "dL/dX = conv2d(pad(dL/dO, 1), F)")
    assert verdict.differing == 9 and verdict.elements == 9
    assert verdict.first == ("dL/dX[1,1]", "F[2,2]*dL/dO[1,1]", "F[1,1]*dL/dO[1,1]")
    element = symderiv.check(symderiv.conv2d(), "dL/dX[1,2] = dL/dO[1,1]*F[1,2]")
    assert not element.holds and element.first is not None
    assert element.first[2] == "F[1,1]*dL/dO[1,2] + F[1,2]*dL/dO[1,1]"


def test_a_true_but_different_looking_claim_holds() -> None:
    """The weight gradient as a convolution with stride and dilation exchanged, and the bias's."""
    d = symderiv.conv2d(input=5, kernel=3, stride=2, padding=1, bias=True)
    assert symderiv.check(d, "dL/dF = conv2d(X, dL/dO, padding=1, dilation=2)").holds
    assert symderiv.check(d, "dL/dF = conv_weight2d(X, dL/dO, stride=2, padding=1)").holds
    assert symderiv.check(d, "dL/db = sum(dL/dO)").holds
    assert symderiv.check(d, "dL/db = 2 * sum(dL/dO) - sum(dL/dO)").holds
    assert not symderiv.check(d, "dL/db = sum(dL/dO) / 4").holds


def test_settings_may_be_arithmetic_with_mod_and_tuples_of_expressions() -> None:
    d = symderiv.conv2d(input=(6, 5), kernel=3, stride=2, padding=1)
    right = "output_padding=((6 + 2*1 - 2 - 1) mod 2, (5 + 2*1 - 2 - 1) mod 2)"
    assert symderiv.check(
        d, f"dL/dX = conv_transpose2d(dL/dO, F, stride=(2, 1 + 1), padding=1, {right})"
    ).holds
    wrong = "output_padding=(6 + 2*1 - 2) mod 2"  # the remainder off by one
    assert not symderiv.check(
        d, f"dL/dX = conv_transpose2d(dL/dO, F, stride=2, padding=1, {wrong})"
    ).holds


def _numbers(layer: Layer, seed: int) -> dict[Any, int]:
    rng = random.Random(seed)
    return {
        s: rng.randint(-3, 3)
        for g in layer.tensors.values()
        for p in g.cells
        for s in p.free_symbols
    }


@pytest.mark.torch
@pytest.mark.parametrize(
    ("options", "expression", "call"),
    [
        (
            {
                "input": 5,
                "kernel": 3,
                "stride": 2,
                "padding": 1,
                "in_channels": 2,
                "out_channels": 4,
                "groups": 2,
                "batch": 2,
            },
            "conv_transpose2d(dL/dO, W, stride=2, padding=1, output_padding=1, groups=2)",
            lambda f, t: f.conv_transpose2d(
                t["dL/dO"], t["W"], stride=2, padding=1, output_padding=1, groups=2
            ),
        ),
        (
            {
                "input": 5,
                "kernel": 2,
                "dilation": 2,
                "in_channels": 2,
                "out_channels": 2,
                "batch": 1,
            },
            "conv2d(X, W, stride=(2, 1), padding=(1, 0), dilation=2)",
            lambda f, t: f.conv2d(t["X"], t["W"], stride=(2, 1), padding=(1, 0), dilation=2),
        ),
        (
            {"input": 4, "kernel": 2},
            "conv2d(pad(dL/dO, 1), rot180(F))",
            lambda f, t: f.conv2d(f.pad(t["dL/dO"], (1, 1, 1, 1)), t["F"].flip(-1, -2)),
        ),
    ],
    ids=["transposed-groups", "strided-dilated", "padded-flipped"],
)
def test_claim_operations_are_torchs(
    torch: Any,  # noqa: F811
    options: dict[str, Any],
    expression: str,
    call: Any,
) -> None:
    d = symderiv.conv2d(**options)
    layer = Layer.of(d.expansion, d.spec)
    value = evaluate(parse_claim(f"O = {expression}").expression, layer)
    numbers = _numbers(layer, len(expression))
    ours = np.array([float(p.at(numbers)) for p in value.cells]).reshape(value.shape)
    tensors = {}
    for key, grid in layer.tensors.items():
        array = np.array([float(p.at(numbers)) for p in grid.cells]).reshape(grid.shape)
        if layer.plain:
            array = array[None, None]
        tensors[key] = torch.tensor(array, dtype=torch.float64)
    theirs = call(torch.nn.functional, tensors).numpy()
    assert np.array_equal(ours, theirs[0, 0] if layer.plain else theirs)


def test_the_command_line_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    right = "dL/dX = conv_transpose2d(dL/dO, F, stride=2, padding=1)"
    args = ["check", "conv2d", "--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1"]
    assert main([*args, "--claim", right]) == 0
    assert capsys.readouterr().out.startswith("PROVEN   ")
    assert (
        main([*args, "--claim", right, "--claim", right.replace(")", ", output_padding=1)")]) == 1
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("PROVEN") and out[1].startswith("REFUTED") and len(out) == 2


@pytest.mark.parametrize(
    ("claim", "needle"),
    [
        ("dL/dX = conv9d(X, F)", "unknown function 'conv9d'"),
        ("dL/dX = conv2d(X, Q)", "unknown tensor 'Q'"),
        ("dL/dX = conv2d(X, F, strides=2)", "no setting 'strides'"),
        ("dL/dX = conv2d(X,", "ends too early"),
        ("dL/dX[0,1] = X[1,1]", "indices start at 1"),
        ("dL/dQ = X", "'dL/dQ' is not derived here"),
        ("dL/dX = X; import os", "unexpected ';'"),
        ("", "empty claim"),
        ("dL/dX = conv2d(X, F, stride=X mod 2)", "mod takes whole numbers"),
        ("dL/dX = conv2d(X, F, stride=3 mod 0)", "mod by zero"),
    ],
)
def test_a_malformed_claim_is_one_line_and_exit_2(
    claim: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "conv2d", "--claim", claim]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err


def test_check_needs_a_layer_and_a_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "check needs a layer" in capsys.readouterr().err
    assert main(["check", "conv2d"]) == 2
    assert "--claim" in capsys.readouterr().err


CLAIMS = [
    "--claim",
    "dL/dX = conv2d(pad(dL/dO, 1), F)",
    "--claim",
    "dL/dF = conv2d(X, dL/dO)",
    "--claim",
    "dL/dX = conv_transpose2d(dL/dO, F, stride=2)",
]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_verdict_appears_in_the_document(
    lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["conv2d", "--lang", lang, *CLAIMS]) == 0
    out = capsys.readouterr().out
    words = {
        "en": [
            "## Claims checked",
            "**refuted**",
            "**proven**",
            "the kernel is not flipped",
            "the stride is wrong: the layer's is 1",
        ],
        "zh": [
            "## 对论断的检验",
            "**不成立**",
            "**成立**",
            "卷积核没有翻转",
            "步长不对：该层的步长是 1",
        ],
    }[lang]
    assert all(w in out for w in words), out[out.index("##", len(out) - 2000) :]
    assert main(["conv2d", "--format", "json", *CLAIMS]) == 0
    claims = __import__("json").loads(capsys.readouterr().out)["claims"]
    assert [c["holds"] for c in claims] == [False, True, False]
    assert claims[0]["mistakes"] == [{"code": "not_flipped", "value": ""}]
    assert claims[2]["reason"] == {"kind": "shape", "values": ["4x4", "dL/dX", "3x3"]}


@pytest.mark.tex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_document_with_claims_compiles(lang: str, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from symderiv.cli.main import cli

    from .test_output_checks import ENGINE, compile_tex, overfull_boxes

    args = ["conv2d", "--lang", lang, "--format", "latex", "--standalone", *CLAIMS]
    source = CliRunner().invoke(cli, args).output
    text, log = compile_tex(source, ENGINE[lang], tmp_path)
    assert ("Claims checked" if lang == "en" else "对论断的检验") in text
    assert not overfull_boxes(log), overfull_boxes(log)


def test_element_claims_about_other_layers() -> None:
    linear = symderiv.linear()
    assert symderiv.check(linear, "dL/dX[1,1] = dL/dY[1,1]*W[1,1] + dL/dY[1,2]*W[2,1]").holds
    assert symderiv.check(symderiv.avgpool2d(), "dL/dX[1,1] = dL/dO[1,1]/4").holds
    # Max pooling routes the gradient to the switches only: X[1,2] is not the first window's.
    verdict = symderiv.check(symderiv.maxpool2d(), "dL/dX[1,2] = dL/dO[1,1]")
    assert not verdict.holds and verdict.first is not None and verdict.first[2] == "0"
    with pytest.raises(symderiv.SymderivError, match="not covered yet"):
        symderiv.check(symderiv.sigmoid(), "dL/dX[1,1] = 0")


def test_sums_over_chosen_axes() -> None:
    d = symderiv.conv2d(in_channels=2, out_channels=2, batch=2, bias=True)
    assert symderiv.check(d, "dL/db = sum(dL/dO, (0, 2, 3))").holds
    verdict = symderiv.check(d, "dL/db = sum(dL/dO)")
    assert not verdict.holds and verdict.reason_kind == "scalar"
    with pytest.raises(symderiv.SymderivError, match="sum over axes"):
        symderiv.check(d, "dL/db = sum(dL/dO, (0, 7))")


def test_a_claim_is_shown_on_one_line_and_powers_are_bounded() -> None:
    verdict = symderiv.check(symderiv.conv2d(), "dL/dF =\n  conv2d(X,\tdL/dO)")
    assert verdict.holds and verdict.claim == "dL/dF = conv2d(X, dL/dO)"
    assert "\n" not in verdict.line()
    square = "dL/dX[1,1] = dL/dO[1,1]*F[1,1] + X[1,1]**2 - X[1,1]**2"
    assert symderiv.check(symderiv.conv2d(), square).holds
    with pytest.raises(symderiv.SymderivError, match="power 99 is above 8"):
        symderiv.check(symderiv.conv2d(), "O = X**99")


NORM_RIGHT = "dL/dx = gamma * (dL/dy - mean(dL/dy) - xhat * mean(dL/dy * xhat)) / sqrt(var + eps)"


@pytest.mark.parametrize(
    ("claim", "mistake"),
    [
        (NORM_RIGHT, None),
        ("dL/dx = gamma * (dL/dy - xhat * mean(dL/dy * xhat)) / sqrt(var + eps)", "mean_path"),
        ("dL/dx = gamma * (dL/dy - mean(dL/dy)) / sqrt(var + eps)", "variance_path"),
        (
            "dL/dx = gamma * (dL/dy - sum(dL/dy) - xhat * sum(dL/dy * xhat)) / sqrt(var + eps)",
            "one_over_m",
        ),
        ("dL/dgamma = sum(dL/dy * xhat, 0)", None),
        ("dL/dbeta = sum(dL/dy, 0)", None),
    ],
)
def test_batch_norm_claims_and_their_mistakes(claim: str, mistake: str | None) -> None:
    verdict = symderiv.check(symderiv.batchnorm(), claim)
    assert verdict.holds == (mistake is None), verdict.line()
    assert [code for code, _ in verdict.mistakes] == ([mistake] if mistake else [])


def test_norm_claims_for_the_other_groupings() -> None:
    """Layer norm's gamma varies within a group; group norm sums over batch and space."""
    per_element = (
        "dL/dx = (dL/dy * gamma - mean(dL/dy * gamma) - xhat * mean(dL/dy * gamma * xhat))"
        " / sqrt(var + eps)"
    )
    assert symderiv.check(symderiv.layernorm(), per_element).holds
    assert not symderiv.check(symderiv.layernorm(), NORM_RIGHT).holds
    # The default group norm input is (1, 4, 2): batch, channels, one spatial axis.
    assert symderiv.check(symderiv.groupnorm(), "dL/dbeta = sum(dL/dy, (0, 2))").holds
    with pytest.raises(symderiv.SymderivError, match="sum over axes"):
        symderiv.check(symderiv.groupnorm(), "dL/dbeta = sum(dL/dy, (0, 2, 3))")
    # The issue's own spelling, with g = dL/dxhat, for every grouping.
    textbook = "dL/dx = (g - mean(g) - xhat*mean(g*xhat)) / sqrt(var + eps)"
    for layer in (symderiv.batchnorm(), symderiv.layernorm(), symderiv.groupnorm()):
        assert symderiv.check(layer, textbook).holds, layer.layer
    with pytest.raises(symderiv.SymderivError, match="unknown name 'mu'"):
        symderiv.check(symderiv.batchnorm(), "dL/dx = mu")
