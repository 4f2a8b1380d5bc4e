"""Convolution, plain and transposed, in 1, 2 and 3 spatial dimensions.

Stages: ``spec`` (what is asked), ``expand`` (forward elements and the chain rule, in
``derive``), ``search`` (compact identities among whole-layer candidates), ``prove`` (each match
recomputed independently from the textbook steps in ``ops``), ``result``, ``view`` (render
context; ``json_view``, ``figures``), ``options``. Imports: ``core`` and ``render`` only.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ...core.family import Command, Family
from . import options

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _derive(dims: int, transposed: bool, **chosen: object) -> LayerDerivation:
    from .derive import command  # SymPy loads with the first derivation, not with --help

    return command(dims, transposed, **chosen)


def _cost(dims: int, transposed: bool, **chosen: object) -> float:
    from .derive import cost

    return cost(dims, transposed, **chosen)


NOTES_SEED = 3
"""The notes' worked example for conv2d: small numbers with both signs and a zero or two."""

COMMANDS = tuple(
    Command(
        name=f"conv-transpose{dims}d" if transposed else f"conv{dims}d",
        help=options.help_text(dims, transposed),
        options=options.options(dims, transposed),
        derive=functools.partial(_derive, dims, transposed),
        cost=functools.partial(_cost, dims, transposed),
        short_help=f"{dims}-D transposed convolution (conv_transpose{dims}d)"
        if transposed
        else f"{dims}-D convolution (conv{dims}d)",
        course=dims == 2 and not transposed,
        variant_of="" if dims == 2 else ("conv-transpose2d" if transposed else "conv2d"),
        notes_defaults=(("seed", NOTES_SEED),) if dims == 2 and not transposed else (),
        torch_backward=f"torch.nn.functional.conv{dims}d (input), "
        f"torch.nn.grad.conv{dims}d_weight (weight, operands swapped)"
        if transposed
        else f"torch.nn.grad.conv{dims}d_input, torch.nn.grad.conv{dims}d_weight",
        theorems=("conv-transpose-adjoint",)
        if transposed
        else ("conv-input-gradient", "conv-weight-gradient"),
    )
    for transposed in (False, True)
    for dims in (1, 2, 3)
)

FAMILY = Family(name="conv", commands=COMMANDS, templates=("conv2d",))
