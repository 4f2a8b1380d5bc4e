"""The Python API: explicit keywords, one error type for a wrong one, torch's names, metadata."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import symderiv

LAYER_FUNCTIONS = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "maxpool1d",
    "maxpool2d",
    "maxpool3d",
    "avgpool1d",
    "avgpool2d",
    "avgpool3d",
    "global_avgpool",
    "batchnorm",
    "layernorm",
    "groupnorm",
    "instancenorm",
]


@pytest.mark.parametrize("name", LAYER_FUNCTIONS)
def test_every_layer_function_shows_its_keywords(name: str) -> None:
    parameters = inspect.signature(getattr(symderiv, name)).parameters.values()
    assert parameters, name
    assert all(p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters)
    assert all(p.default is not p.empty for p in parameters)


@pytest.mark.parametrize("name", LAYER_FUNCTIONS)
def test_a_misspelled_keyword_is_a_symderiv_error_naming_it(name: str) -> None:
    function = getattr(symderiv, name)
    valid = list(inspect.signature(function).parameters)
    with pytest.raises(symderiv.SymderivError) as raised:
        function(no_such_option=1)
    message = str(raised.value)
    assert "'no_such_option'" in message and name in message
    assert all(keyword in message for keyword in valid)
    assert "\n" not in message


def test_a_misspelled_stride() -> None:
    with pytest.raises(symderiv.SymderivError, match="unknown keyword 'strid'.*stride"):
        symderiv.conv2d(strid=2)


@pytest.mark.parametrize(
    ("torch_name", "name"),
    [
        ("max_pool1d", "maxpool1d"),
        ("max_pool2d", "maxpool2d"),
        ("max_pool3d", "maxpool3d"),
        ("avg_pool1d", "avgpool1d"),
        ("avg_pool2d", "avgpool2d"),
        ("avg_pool3d", "avgpool3d"),
        ("batch_norm", "batchnorm"),
        ("layer_norm", "layernorm"),
        ("group_norm", "groupnorm"),
        ("instance_norm", "instancenorm"),
    ],
)
def test_torch_names_are_the_same_functions(torch_name: str, name: str) -> None:
    assert getattr(symderiv, torch_name) is getattr(symderiv, name)
    assert torch_name in symderiv.__all__ and name in symderiv.__all__


def test_chain_rule_after_a_plain_import() -> None:
    code = "import symderiv; print(symderiv.chain_rule().verified, symderiv.__version__)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "True"
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'path = "symderiv/__init__.py"' in pyproject and out[1].count(".") == 2


def test_the_package_is_typed() -> None:
    assert (Path(symderiv.__file__).parent / "py.typed").is_file()


@pytest.mark.parametrize("name", ["conv2d", "maxpool2d", "avgpool2d", "batchnorm", "chain_rule"])
def test_repr_is_a_one_line_summary(name: str) -> None:
    d = getattr(symderiv, name)()
    text = repr(d)
    assert "\n" not in text and len(text) < 200 and d.layer.replace("_", "-") in text
    assert f"{len(d.identities)} of {len(d.identities)} identities proven, verified" in text


def test_every_public_name_resolves() -> None:
    """__all__ lists exactly what the package resolves on first use, and each name loads."""
    lazy = {*symderiv._PUBLIC, *symderiv._ALIASES}
    assert set(symderiv.__all__) == {"SymderivError", "__version__", *lazy}
    for name in sorted(lazy):
        assert getattr(symderiv, name) is not None, name
