"""Pooling: max pooling on concrete values, average pooling symbolically, global average pooling.

Stages: ``windows`` (PyTorch's geometry: output size, window cells, divisors), ``values``
(concrete inputs), ``derive`` (forward elements and the chain rule), ``search`` (compact forms of
dL/dX), ``prove`` (each match recomputed independently), ``result``, ``view`` (``latex``,
``json_view``, ``figures``), ``options``. Imports: ``core`` and ``render`` only.
"""

from __future__ import annotations

import functools

from ...core.family import Command, Family
from . import derive, options

_MAX = {1: derive.maxpool1d, 2: derive.maxpool2d, 3: derive.maxpool3d}
_AVG = {1: derive.avgpool1d, 2: derive.avgpool2d, 3: derive.avgpool3d}

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
            cost=functools.partial(derive.cost, n),
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
            cost=functools.partial(derive.cost, n),
        )
        for n, function in _AVG.items()
    ),
    Command(
        name="global-avgpool",
        help="Global 2-D average pooling (adaptive_avg_pool2d to 1x1), symbolically.",
        options=options.global_avg_pool_options(),
        derive=derive.global_avgpool,
        short_help="Global average pooling (adaptive_avg_pool2d to 1x1)",
        cost=lambda input="4x4", **_: derive.cost(2, input=input, kernel=input, stride=input),
    ),
)

FAMILY = Family(name="pool", commands=COMMANDS, templates=("maxpool", "avgpool"))
