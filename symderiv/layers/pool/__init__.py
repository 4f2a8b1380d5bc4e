"""Pooling: max pooling on concrete values, average pooling symbolically, global average pooling.

Stages: ``windows`` (PyTorch's geometry: output size, window cells, divisors), ``values``
(concrete inputs), ``derive`` (forward elements and the chain rule), ``search`` (compact forms of
dL/dX), ``prove`` (each match recomputed independently), ``result``, ``view`` (``latex``,
``json_view``, ``figures``), ``options``. Imports: ``core`` and ``render`` only.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ...core.family import Command, Family
from . import options

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _derive(function: str, **chosen: object) -> LayerDerivation:
    from . import derive  # SymPy loads with the first derivation, not with --help

    result: LayerDerivation = getattr(derive, function)(**chosen)
    return result


def _cost(axes: int, **chosen: object) -> float:
    from .derive import cost

    return cost(axes, **chosen)


_MAX = {n: functools.partial(_derive, f"maxpool{n}d") for n in (1, 2, 3)}
_AVG = {n: functools.partial(_derive, f"avgpool{n}d") for n in (1, 2, 3)}

COMMANDS = (
    *(
        Command(
            name=f"maxpool{n}d",
            help=f"{n}-D max pooling (torch.nn.functional.max_pool{n}d) on concrete values.\n\n"
            "States the routing rule, works it on the values given (--values or --seed): every "
            "window and its maximum, ties, the switch mask, and dL/dX in the dL/dO symbols.",
            options=options.max_pool_options(n),
            derive=function,
            short_help=f"{n}-D max pooling on values (max_pool{n}d)",
            cost=functools.partial(_cost, n),
            course=n == 2,
            variant_of="" if n == 2 else "maxpool2d",
            torch_backward=f"torch.nn.functional.max_unpool{n}d (the switches as indices)",
        )
        for n, function in _MAX.items()
    ),
    *(
        Command(
            name=f"avgpool{n}d",
            help=f"{n}-D average pooling (torch.nn.functional.avg_pool{n}d), symbolically.\n\n"
            "Derives dL/dX with PyTorch's divisors and finds and proves its compact form.",
            options=options.avg_pool_options(n),
            derive=function,
            short_help=f"{n}-D average pooling (avg_pool{n}d)",
            cost=functools.partial(_cost, n),
            variant_of="" if n == 2 else "avgpool2d",
            # PyTorch pools in 1-D as in 2-D, over an axis of size 1.
            torch_backward=f"torch.ops.aten.avg_pool{max(n, 2)}d_backward"
            + (" (1-D as 2-D)" if n == 1 else ""),
            theorems=("pool-input-gradient",),
        )
        for n, function in _AVG.items()
    ),
    Command(
        name="global-avgpool",
        help="Global 2-D average pooling (adaptive_avg_pool2d to 1x1), symbolically.",
        options=options.global_avg_pool_options(),
        derive=functools.partial(_derive, "global_avgpool"),
        short_help="Global average pooling (adaptive_avg_pool2d to 1x1)",
        torch_backward="torch.ops.aten._adaptive_avg_pool2d_backward",
        cost=lambda input="4x4", **_: _cost(2, input=input, kernel=input, stride=input),
    ),
)

FAMILY = Family(name="pool", commands=COMMANDS, templates=("maxpool", "avgpool"))
