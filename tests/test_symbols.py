"""Element names spelled a tensor at a time agree with the one-element spelling."""

from __future__ import annotations

import pytest

from symderiv.core.grid import indices
from symderiv.core.symbols import element_latex, elements_latex


@pytest.mark.parametrize("key", ["X", "dL/dO", "gamma", "dL/dsigma2"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 11), (2, 3, 4)])
@pytest.mark.parametrize("separated", [False, True])
def test_a_tensor_spelled_at_once_is_spelled_element_by_element(
    key: str, shape: tuple[int, ...], separated: bool
) -> None:
    expected = [element_latex(key, index, separated) for index in indices(shape)]
    assert elements_latex(key, shape, separated) == expected
