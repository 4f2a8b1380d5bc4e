"""symderiv: derive, prove and typeset the backward pass of neural-network layers.

>>> import symderiv
>>> d = symderiv.conv2d(input=(3, 3), kernel=(2, 2))
>>> d.verified
True
>>> d.gradient("X")[0, 0]
F_1_1*dL_dO_1_1

Layer functions take ``torch.nn.functional``'s names (``max_pool2d``, ``batch_norm``); the
shorter names of the command line (``maxpool2d``, ``batchnorm``) are the same functions.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .core.errors import SymderivError

__version__ = "0.1.0"

# The layer functions load SymPy; they are imported on first use (PEP 562), so that the
# command line's --help and its one-line errors do not wait for SymPy.
_PUBLIC = {
    "chain_rule": "layers.chain_rule.derive",
    "PrimerDerivation": "layers.chain_rule.result",
    **dict.fromkeys(
        (
            "conv1d",
            "conv2d",
            "conv3d",
            "conv_transpose1d",
            "conv_transpose2d",
            "conv_transpose3d",
        ),
        "layers.conv.derive",
    ),
    "Derivation": "layers.conv.result",
    **dict.fromkeys(("batchnorm", "groupnorm", "instancenorm", "layernorm"), "layers.norm.derive"),
    "NormDerivation": "layers.norm.result",
    **dict.fromkeys(
        (
            "avgpool1d",
            "avgpool2d",
            "avgpool3d",
            "global_avgpool",
            "maxpool1d",
            "maxpool2d",
            "maxpool3d",
        ),
        "layers.pool.derive",
    ),
    "PoolDerivation": "layers.pool.result",
    "linear": "layers.linear.derive",
    "flatten": "layers.flatten.derive",
    "FlattenDerivation": "layers.flatten.result",
    "LinearDerivation": "layers.linear.result",
    **dict.fromkeys(
        ("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softplus"), "layers.activation.derive"
    ),
    "ActivationDerivation": "layers.activation.result",
    **dict.fromkeys(("softmax", "log_softmax"), "layers.softmax.derive"),
    "SoftmaxDerivation": "layers.softmax.result",
    "cross_entropy": "layers.loss.derive",
    "CrossEntropyDerivation": "layers.loss.result",
    "network": "networks.derive",
    "check": "checks",
    "Verdict": "checks.verdict",
    "NetworkDerivation": "networks.result",
}
# torch.nn.functional's names for the same functions.
_ALIASES = {
    "max_pool1d": "maxpool1d",
    "max_pool2d": "maxpool2d",
    "max_pool3d": "maxpool3d",
    "avg_pool1d": "avgpool1d",
    "avg_pool2d": "avgpool2d",
    "avg_pool3d": "avgpool3d",
    "batch_norm": "batchnorm",
    "layer_norm": "layernorm",
    "group_norm": "groupnorm",
    "instance_norm": "instancenorm",
}


def __getattr__(name: str) -> object:
    target = _ALIASES.get(name, name)
    if target not in _PUBLIC:
        raise AttributeError(f"module 'symderiv' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[target]}", __name__), target)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from .checks import check
    from .checks.verdict import Verdict
    from .layers.activation.derive import gelu, leaky_relu, relu, sigmoid, softplus, tanh
    from .layers.activation.result import ActivationDerivation
    from .layers.chain_rule.derive import chain_rule
    from .layers.chain_rule.result import PrimerDerivation
    from .layers.conv.derive import (
        conv1d,
        conv2d,
        conv3d,
        conv_transpose1d,
        conv_transpose2d,
        conv_transpose3d,
    )
    from .layers.conv.result import Derivation
    from .layers.flatten.derive import flatten
    from .layers.flatten.result import FlattenDerivation
    from .layers.linear.derive import linear
    from .layers.linear.result import LinearDerivation
    from .layers.loss.derive import cross_entropy
    from .layers.loss.result import CrossEntropyDerivation
    from .layers.norm.derive import batchnorm, groupnorm, instancenorm, layernorm
    from .layers.norm.result import NormDerivation
    from .layers.pool.derive import (
        avgpool1d,
        avgpool2d,
        avgpool3d,
        global_avgpool,
        maxpool1d,
        maxpool2d,
        maxpool3d,
    )
    from .layers.pool.result import PoolDerivation
    from .layers.softmax.derive import log_softmax, softmax
    from .layers.softmax.result import SoftmaxDerivation
    from .networks.derive import network
    from .networks.result import NetworkDerivation

    max_pool1d, max_pool2d, max_pool3d = maxpool1d, maxpool2d, maxpool3d
    avg_pool1d, avg_pool2d, avg_pool3d = avgpool1d, avgpool2d, avgpool3d
    batch_norm, layer_norm = batchnorm, layernorm
    group_norm, instance_norm = groupnorm, instancenorm

__all__ = [
    "ActivationDerivation",
    "CrossEntropyDerivation",
    "Derivation",
    "FlattenDerivation",
    "LinearDerivation",
    "NetworkDerivation",
    "NormDerivation",
    "PoolDerivation",
    "PrimerDerivation",
    "SoftmaxDerivation",
    "SymderivError",
    "Verdict",
    "__version__",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "avgpool1d",
    "avgpool2d",
    "avgpool3d",
    "batch_norm",
    "batchnorm",
    "chain_rule",
    "check",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cross_entropy",
    "flatten",
    "gelu",
    "global_avgpool",
    "group_norm",
    "groupnorm",
    "instance_norm",
    "instancenorm",
    "layer_norm",
    "layernorm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "maxpool1d",
    "maxpool2d",
    "maxpool3d",
    "network",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]
