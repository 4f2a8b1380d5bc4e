"""Element names and symbols made a tensor at a time agree with the one-element spellings."""

from __future__ import annotations

import pytest

from symderiv.core.grid import indices
from symderiv.core.symbols import element_latex, element_symbol, elements_latex, tensor_symbols


@pytest.mark.parametrize("key", ["X", "dL/dO", "gamma", "dL/dsigma2"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 11), (2, 3, 4)])
@pytest.mark.parametrize("separated", [False, True])
def test_a_tensor_spelled_at_once_is_spelled_element_by_element(
    key: str, shape: tuple[int, ...], separated: bool
) -> None:
    expected = [element_latex(key, index, separated) for index in indices(shape)]
    assert elements_latex(key, shape, separated) == expected


@pytest.mark.parametrize("key", ["X", "dL/dO"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 11), (2, 3, 4)])
def test_a_tensors_symbols_are_its_elements_symbols(key: str, shape: tuple[int, ...]) -> None:
    grid = tensor_symbols(key, shape)
    assert grid.shape == shape
    assert list(grid.cells) == [element_symbol(key, index) for index in indices(shape)]
