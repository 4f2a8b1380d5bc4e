"""``symderiv testgen``: the written test file passes against torch's autograd and against the
code ``symderiv code`` writes, and fails against implementations with the classic bugs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from symderiv.cli.main import main

from .test_conv_general import torch  # noqa: F401  (a fixture: under CI torch must be there)

BROKEN = """
import torch

F = torch.nn.functional


def _output_padding(input, weight, stride, padding, dilation):
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) % s
        for n, k, s, p, d in zip(input.shape[2:], weight.shape[2:], stride, padding, dilation)
    )


def _with(grad_input, grad_output, input, weight, bias, stride, padding, dilation, groups):
    grad_weight = torch.nn.grad.conv2d_weight(
        input, weight.shape, grad_output, stride, padding, dilation, groups
    )
    bias_grad = (grad_output.sum(dim=(0, 2, 3)),) if bias is not None else ()
    return (grad_input, grad_weight, *bias_grad)


def not_flipped(grad_output, input, weight, bias=None, *, stride, padding, dilation, groups):
    a = _output_padding(input, weight, stride, padding, dilation)
    w = weight.flip(-1, -2)
    grad_input = F.conv_transpose2d(grad_output, w, None, stride, padding, a, groups, dilation)
    return _with(grad_input, grad_output, input, weight, bias, stride, padding, dilation, groups)


def stride_dilation_swapped(
    grad_output, input, weight, bias=None, *, stride, padding, dilation, groups
):
    a = _output_padding(input, weight, dilation, padding, stride)
    a = tuple(min(x, s - 1) for x, s in zip(a, dilation))
    grad_input = F.conv_transpose2d(grad_output, weight, None, dilation, padding, a, groups, stride)
    return _with(grad_input, grad_output, input, weight, bias, stride, padding, dilation, groups)


def output_padding_off_by_one(
    grad_output, input, weight, bias=None, *, stride, padding, dilation, groups
):
    a = _output_padding(input, weight, stride, padding, dilation)
    a = tuple((x + 1) % s for x, s in zip(a, stride))
    grad_input = F.conv_transpose2d(grad_output, weight, None, stride, padding, a, groups, dilation)
    return _with(grad_input, grad_output, input, weight, bias, stride, padding, dilation, groups)


def groups_ignored(grad_output, input, weight, bias=None, *, stride, padding, dilation, groups):
    a = _output_padding(input, weight, stride, padding, dilation)
    grad_input = F.conv_transpose2d(grad_output, weight, None, stride, padding, a, 1, dilation)
    return _with(grad_input, grad_output, input, weight, bias, stride, padding, dilation, 1)
"""


def _pytest(directory: Path, *files: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(directory)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", *files],
        cwd=directory,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    return proc.stdout + proc.stderr


@pytest.mark.torch
def test_the_file_passes_for_right_code_and_fails_for_the_classic_bugs(
    torch: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert (
        main(["testgen", "conv2d", "--cases", "corners", "-o", str(tmp_path / "test_autograd.py")])
        == 0
    )
    assert main(["code", "conv2d", "--target", "pytorch", "-o", str(tmp_path / "ours.py")]) == 0
    ours = ["testgen", "conv2d", "--cases", "corners", "--impl", "ours:backward"]
    assert main([*ours, "-o", str(tmp_path / "test_ours.py")]) == 0
    passing = _pytest(tmp_path, "test_autograd.py", "test_ours.py")
    assert re.search(r"\b16 passed\b", passing) and "failed" not in passing, passing
    (tmp_path / "broken.py").write_text(BROKEN, encoding="utf-8")
    bugs = ["not_flipped", "stride_dilation_swapped", "output_padding_off_by_one", "groups_ignored"]
    for bug in bugs:
        args = ["testgen", "conv2d", "--cases", "corners", "--impl", f"broken:{bug}"]
        assert main([*args, "-o", str(tmp_path / f"test_{bug}.py")]) == 0
    failing = _pytest(tmp_path, *(f"test_{bug}.py" for bug in bugs))
    for bug in bugs:
        assert f"FAILED test_{bug}.py::" in failing, (bug, failing[-3000:])


@pytest.mark.torch
def test_a_missing_implementation_fails_and_names_the_module(
    torch: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    args = ["testgen", "conv2d", "--impl", "nowhere_to_be_found:backward"]
    assert main([*args, "-o", str(tmp_path / "test_missing.py")]) == 0
    out = _pytest(tmp_path, "test_missing.py")
    assert "1 failed" in out and "skipped" not in out
    assert "cannot import module 'nowhere_to_be_found'" in out


def test_the_expected_values_are_exact_integers(tmp_path: Path) -> None:
    target = tmp_path / "test_given.py"
    assert (
        main(
            [
                "testgen",
                "conv2d",
                "--stride",
                "2",
                "--input",
                "5",
                "--kernel",
                "3",
                "-o",
                str(target),
            ]
        )
        == 0
    )
    text = target.read_text(encoding="utf-8")
    assert "IMPL = None" in text and text.count("pytest.param(") == 1
    data = text[text.index("CASES = [") :]
    assert not re.search(r"\d\.\d", data)  # no float literal: every value is an exact integer


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["testgen", "conv2d", "--impl", "no colon"], "is not of the form module:function"),
        (["testgen", "conv2d", "--impl", "pkg.mod:"], "is not of the form module:function"),
        (["testgen", "conv2d", "--cases", "everything"], "--cases"),
        (["testgen", "conv2d", "--values", "1,2,3;4,5,6;7,8,9"], "testgen draws its own inputs"),
        (["testgen", "cross-entropy"], "cross-entropy is not covered yet"),
        (["testgen"], "testgen needs a layer"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "test_out.py"
    assert main([*args, "-o", str(target)] if len(args) > 1 else args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not target.exists()


POOL_BROKEN = '''
import torch

F = torch.nn.functional


def divisor_always_the_window(
    grad_output, input, *, kernel_size, stride, padding, ceil_mode, count_include_pad
):
    """Divides by the whole window whatever count_include_pad says."""
    leaf = input.clone().requires_grad_(True)
    F.avg_pool2d(leaf, kernel_size, stride, padding, ceil_mode, True).backward(grad_output)
    return (leaf.grad,)


def last_maximum_wins(grad_output, input, *, kernel_size, stride, padding, dilation, ceil_mode):
    """Breaks ties the other way: the last maximum of a window takes the gradient."""
    flipped = input.flip(-1, -2).clone().requires_grad_(True)
    out = F.max_pool2d(flipped, kernel_size, stride, padding, dilation, ceil_mode)
    out.backward(grad_output.flip(-1, -2))
    return (flipped.grad.flip(-1, -2),)
'''


@pytest.mark.torch
def test_pooling_files_pass_for_right_code_and_fail_for_the_classic_bugs(
    torch: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    for kind in ("avg", "max"):
        layer = f"{kind}pool2d"
        assert main(["code", layer, "--target", "pytorch", "-o", str(tmp_path / f"{kind}.py")]) == 0
        for name, impl in (
            (f"test_{kind}_autograd.py", []),
            (f"test_{kind}_ours.py", ["--impl", f"{kind}:backward"]),
        ):
            assert (
                main(["testgen", layer, "--cases", "corners", *impl, "-o", str(tmp_path / name)])
                == 0
            )
    passing = _pytest(
        tmp_path, *(f"test_{k}_{w}.py" for k in ("avg", "max") for w in ("autograd", "ours"))
    )
    assert re.search(r"\b24 passed\b", passing) and "failed" not in passing, passing
    (tmp_path / "pool_broken.py").write_text(POOL_BROKEN, encoding="utf-8")
    for layer, bug in (
        ("avgpool2d", "divisor_always_the_window"),
        ("maxpool2d", "last_maximum_wins"),
    ):
        args = ["testgen", layer, "--cases", "corners", "--impl", f"pool_broken:{bug}"]
        assert main([*args, "-o", str(tmp_path / f"test_{bug}.py")]) == 0
    failing = _pytest(tmp_path, "test_divisor_always_the_window.py", "test_last_maximum_wins.py")
    assert "FAILED test_divisor_always_the_window.py::" in failing, failing[-2000:]
    assert "FAILED test_last_maximum_wins.py::" in failing, failing[-2000:]
    # Average pooling's exact expected values are fractions, compared within the dtype's ulps.
    assert "'1/9'" in (tmp_path / "test_avg_autograd.py").read_text(encoding="utf-8")


TRANSPOSED_BROKEN = """
import torch

F = torch.nn.functional


def stride_dilation_swapped(
    grad_output, input, weight, bias=None, *, stride, padding, output_padding, dilation, groups
):
    grad_input = F.conv2d(grad_output, weight, None, dilation, padding, stride, groups)
    grad_weight = torch.nn.grad.conv2d_weight(
        grad_output, weight.shape, input, stride, padding, dilation, groups
    )
    bias_grad = (grad_output.sum(dim=(0, 2, 3)),) if bias is not None else ()
    return (grad_input, grad_weight, *bias_grad)
"""


@pytest.mark.torch
def test_transposed_files_pass_for_right_code_and_fail_for_a_classic_bug(
    torch: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    layer = ["conv-transpose2d", "--cases", "corners"]
    assert (
        main(["code", "conv-transpose2d", "--target", "pytorch", "-o", str(tmp_path / "tr.py")])
        == 0
    )
    assert main(["testgen", *layer, "-o", str(tmp_path / "test_tr_autograd.py")]) == 0
    assert (
        main(["testgen", *layer, "--impl", "tr:backward", "-o", str(tmp_path / "test_tr_ours.py")])
        == 0
    )
    passing = _pytest(tmp_path, "test_tr_autograd.py", "test_tr_ours.py")
    assert re.search(r"\b12 passed\b", passing) and "failed" not in passing, passing
    (tmp_path / "tr_broken.py").write_text(TRANSPOSED_BROKEN, encoding="utf-8")
    args = ["testgen", *layer, "--impl", "tr_broken:stride_dilation_swapped"]
    assert main([*args, "-o", str(tmp_path / "test_tr_broken.py")]) == 0
    assert "FAILED test_tr_broken.py::" in _pytest(tmp_path, "test_tr_broken.py")


NORM_BROKEN = '''
import torch


def mean_term_missing(grad_output, input, weight, bias, *, eps):
    """Batch norm's dL/dx without the path through the mean: (g - xhat mean(g xhat)) / s."""
    axes = (0,) + tuple(range(2, input.ndim))
    spread = (1, -1) + (1,) * (input.ndim - 2)
    mean = input.mean(dim=axes, keepdim=True)
    root = torch.sqrt(((input - mean) ** 2).mean(dim=axes, keepdim=True) + eps)
    xhat = (input - mean) / root
    g = grad_output * weight.reshape(spread)
    grad_input = (g - xhat * (g * xhat).mean(dim=axes, keepdim=True)) / root
    return grad_input, (grad_output * xhat).sum(dim=axes), grad_output.sum(dim=axes)
'''


@pytest.mark.torch
def test_linear_activation_and_norm_files_pass_and_a_missing_term_fails(
    torch: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    names = []
    for layer, extra in (
        ("linear", []),
        ("sigmoid", []),
        ("gelu", ["--approximate", "tanh"]),
        ("batchnorm", []),
    ):
        cases = [] if layer in ("sigmoid", "gelu") else ["--cases", "corners"]
        assert (
            main(
                [
                    "code",
                    layer,
                    *extra,
                    "--target",
                    "pytorch",
                    "-o",
                    str(tmp_path / f"m_{layer}.py"),
                ]
            )
            == 0
        )
        for impl in ([], ["--impl", f"m_{layer}:backward"]):
            name = f"test_{layer}_{'ours' if impl else 'autograd'}.py"
            assert main(["testgen", layer, *extra, *cases, *impl, "-o", str(tmp_path / name)]) == 0
            names.append(name)
    passing = _pytest(tmp_path, *names)
    assert "failed" not in passing and re.search(r"\b(\d+) passed\b", passing), passing
    (tmp_path / "norm_broken.py").write_text(NORM_BROKEN, encoding="utf-8")
    args = ["testgen", "batchnorm", "--cases", "corners", "--impl", "norm_broken:mean_term_missing"]
    assert main([*args, "-o", str(tmp_path / "test_norm_broken.py")]) == 0
    assert "FAILED test_norm_broken.py::" in _pytest(tmp_path, "test_norm_broken.py")
    # The batch-norm values are irrational: written as 30-digit decimals, compared within ulps.
    assert re.search(r"'-?\d\.\d{20,}", (tmp_path / "test_batchnorm_autograd.py").read_text())
