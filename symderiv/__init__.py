"""symderiv: derive, prove and typeset the backward pass of neural-network layers.

>>> import symderiv
>>> d = symderiv.conv2d(input=(3, 3), kernel=(2, 2))
>>> d.verified
True
>>> d.gradient("X")[0, 0]
F_1_1*dL_dO_1_1
"""

from __future__ import annotations

from .core.errors import SymderivError
from .layers.conv.derive import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from .layers.conv.result import Derivation
from .layers.norm.derive import (
    NormDerivation,
    batchnorm,
    groupnorm,
    instancenorm,
    layernorm,
)
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

__all__ = [
    "Derivation",
    "SymderivError",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
]

# Pooling layers: max pooling on concrete values, average pooling symbolically.
__all__ += [
    "PoolDerivation",
    "avgpool1d",
    "avgpool2d",
    "avgpool3d",
    "global_avgpool",
    "maxpool1d",
    "maxpool2d",
    "maxpool3d",
]

# Normalisation layers: the staged chain rule and the compact formula, proven exactly.
__all__ += ["NormDerivation", "batchnorm", "groupnorm", "instancenorm", "layernorm"]
