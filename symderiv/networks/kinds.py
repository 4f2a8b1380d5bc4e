"""The layer commands a network can chain, by name: those whose forward pass maps exact
rationals to exact rationals (so that every value stays exact), and cross-entropy last."""

from __future__ import annotations

from .dense import Flatten, Linear, Rectifier
from .loss import CrossEntropy
from .spatial import Conv, Pool
from .stage import Kind

KINDS: dict[str, Kind] = {
    **{f"conv{k}d": Conv(k) for k in (1, 2, 3)},
    "relu": Rectifier("relu"),
    "leaky-relu": Rectifier("leaky-relu"),
    **{f"maxpool{k}d": Pool("max", k) for k in (1, 2, 3)},
    **{f"avgpool{k}d": Pool("avg", k) for k in (1, 2, 3)},
    "flatten": Flatten(),
    "linear": Linear(),
    "cross-entropy": CrossEntropy(),
}
LOSS = "cross-entropy"
