"""Batch, layer, group and instance normalisation.

Stages: ``spec`` (layout, groups of M values, parameters), ``derive`` (the forward graph and the
staged chain rule by reverse mode, ``core.graph``), ``prove`` (a proof of the known compact
formula for the concrete M, and ``prove_general`` for every M), ``result``, ``view`` (render
context; ``json_view``), ``options``. No search: the compact formula is known and proven.
Imports: ``core`` and ``render`` only.
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


def _cost(function: str, **chosen: object) -> float:
    from . import derive

    return derive.cost(getattr(derive, f"{function}_spec"), **chosen)


COMMANDS = (
    Command(
        name="batchnorm",
        help="Batch normalisation (torch.nn.functional.batch_norm) of each channel over "
        "M = N*H*W values.\n\nTraining mode derives the backward pass stage by stage through "
        "mu, sigma^2 and xhat, and proves the compact formula for dL/dx; eval mode uses the "
        "running statistics.",
        options=options.BATCHNORM,
        derive=functools.partial(_derive, "batchnorm"),
        cost=functools.partial(_cost, "batchnorm"),
        short_help="Batch normalisation (batch_norm)",
        torch_backward="torch.ops.aten.native_batch_norm_backward",
        theorems=("norm",),
        course=True,
    ),
    Command(
        name="layernorm",
        help="Layer normalisation (torch.nn.functional.layer_norm) of each sample over its "
        "trailing normalized_shape axes.\n\nDerives the staged backward pass and proves the "
        "compact formula, with one gamma and beta per normalised position.",
        options=options.LAYERNORM,
        derive=functools.partial(_derive, "layernorm"),
        variant_of="batchnorm",
        cost=functools.partial(_cost, "layernorm"),
        short_help="Layer normalisation (layer_norm)",
        torch_backward="torch.ops.aten.native_layer_norm_backward",
        theorems=("norm",),
    ),
    Command(
        name="groupnorm",
        help="Group normalisation (torch.nn.functional.group_norm) of each sample's groups of "
        "C/G channels over M = (C/G)*H*W values.\n\nDerives the staged backward pass and proves "
        "the compact formula.",
        options=options.GROUPNORM,
        derive=functools.partial(_derive, "groupnorm"),
        variant_of="batchnorm",
        cost=functools.partial(_cost, "groupnorm"),
        short_help="Group normalisation (group_norm)",
        torch_backward="torch.ops.aten.native_group_norm_backward",
        theorems=("norm",),
    ),
    Command(
        name="instancenorm",
        help="Instance normalisation (torch.nn.functional.instance_norm) of each channel of each "
        "sample over M = H*W values.\n\nDerives the staged backward pass and proves the compact "
        "formula; eval mode uses running statistics (track_running_stats=True).",
        options=options.INSTANCENORM,
        derive=functools.partial(_derive, "instancenorm"),
        variant_of="batchnorm",
        cost=functools.partial(_cost, "instancenorm"),
        short_help="Instance normalisation (instance_norm)",
        torch_backward="torch.ops.aten.native_batch_norm_backward (on N·C channels)",
        theorems=("norm",),
    ),
)

FAMILY = Family(name="norm", commands=COMMANDS, templates=("normalization",))
