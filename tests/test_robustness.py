"""Property tests of the command line and the Python API over malformed and extreme values.

For every run: the exit code is 0, 1 (verify only) or 2; a failure is exactly one line on
standard error with no traceback, and leaves no file behind; the API raises nothing but
``SymderivError`` with a one-line message. Runs are small so that each ends within seconds.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symderiv
from symderiv.cli.main import main
from symderiv.layers import FAMILIES
from symderiv.networks import COMMAND as NETWORK

ODD_TEXT = [
    "",
    " ",
    "３",
    "1e3",
    "0x10",
    "-0",
    "-1",
    "0",
    "2x",
    "x2",
    "1x2x3x4",
    "2X2",
    "nan",
    "inf",
    "-inf",
    "9" * 30,
    "1" * 5000,
    "1e-4400",
    "1e9999999",
    "a\nb",
    "<img src=x>",
    "\\input{x}",
    "1,2;3",
    "1,2;3,4",
    "1,2|3,4",
    "symbolic",
    "eval",
    "train",
]
COMMANDS = {c.name: c for c in (*FAMILIES.commands(), NETWORK)}
SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    options = [o for o in COMMANDS[name].options if o.name != "max_terms"]
    args = ["verify", name] if draw(st.booleans()) else [name]
    for option in draw(st.lists(st.sampled_from(options), max_size=3)) if options else []:
        flag = option.flag.split("/")[draw(st.integers(0, len(option.flag.split("/")) - 1))]
        if option.switch or option.is_flag:
            args.append(flag)
        else:
            value = draw(st.one_of(st.sampled_from(ODD_TEXT), st.integers(-3, 5).map(str)))
            args += [flag, value]
    if args[0] != "verify":
        args += draw(st.sampled_from([[], ["--format", "json"], ["--format", "latex"]]))
    return args


@SETTINGS
@given(args=command_lines(), to_file=st.booleans())
def test_the_command_line_fails_in_one_line_and_leaves_nothing(
    args: list[str], to_file: bool
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / "out.txt"
        written = args + (["-o", str(target)] if to_file and args[0] != "verify" else [])
        started = time.monotonic()
        code, err = _cli(written)
        assert time.monotonic() - started < 30, written  # small runs end within seconds
        assert code in ((0, 1, 2) if args[0] == "verify" else (0, 2)), (written, err)
        if code == 2:
            assert err.count("\n") == 1 and err.startswith("symderiv: error: "), (written, err)
            assert "Traceback" not in err
            assert list(Path(directory).iterdir()) == [], written
        elif to_file and args[0] != "verify":
            assert [p.name for p in Path(directory).iterdir()] == ["out.txt"]


API = {
    "conv2d": ["input", "kernel", "stride", "padding", "dilation", "groups", "bias"],
    "conv_transpose1d": ["input", "kernel", "stride", "output_padding", "groups", "batch"],
    "maxpool2d": ["input", "kernel", "stride", "padding", "ceil_mode", "values", "seed"],
    "avgpool1d": ["input", "kernel", "stride", "padding", "count_include_pad", "max_terms"],
    "global_avgpool": ["input", "max_terms"],
    "batchnorm": ["batch", "channels", "spatial", "mode", "eps", "max_terms"],
    "layernorm": ["batch", "normalized_shape", "eps"],
    "groupnorm": ["batch", "channels", "groups", "spatial", "eps"],
    "linear": ["batch", "in_features", "out_features", "bias", "max_terms"],
    "flatten": ["input", "start_dim", "end_dim", "max_terms"],
    "relu": ["input", "values", "seed", "max_terms"],
    "leaky_relu": ["input", "values", "seed", "negative_slope"],
    "softplus": ["input", "beta", "threshold", "max_terms"],
    "gelu": ["input", "approximate"],
    "softmax": ["input", "dim", "max_terms"],
    "log_softmax": ["input", "dim"],
    "network": ["layers", "input", "seed", "values", "lr", "mode"],
    "cross_entropy": [
        "batch",
        "classes",
        "target",
        "target_probabilities",
        "reduction",
        "label_smoothing",
        "weight",
    ],
}
ODD_VALUES = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.integers(-2, 5),
    st.sampled_from([None, True, 2.5, 3.0, float("nan"), float("inf"), 10**30, object()]),
    st.sampled_from([np.int64(3), np.float64(1e-5), np.bool_(True), (2,), (2, 2, 2, 2)]),
    st.lists(st.integers(-1, 4), max_size=4),
)


@SETTINGS
@given(function=st.sampled_from(sorted(API)), data=st.data())
def test_the_api_raises_only_its_own_error_in_one_line(function: str, data: st.DataObject) -> None:
    keyword = data.draw(st.sampled_from(API[function] + ["no_such_option"]))
    value = data.draw(ODD_VALUES)
    try:
        getattr(symderiv, function)(**{keyword: value})
    except symderiv.SymderivError as error:
        assert "\n" not in str(error) and str(error), (function, keyword, value)
