"""The frozen result of a network's derivation."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..core.protocol import Viewer
from ..core.results import Proof
from ..render.engine import Renders
from .loss import LossValues
from .stage import Array, Backward, Gradient, Stage


@dataclass(frozen=True)
class StageCheck:
    """That one stage's gradients agree along the two backward passes."""

    index: int
    layer: str
    proof: Proof

    @property
    def statement(self) -> str:
        return f"layer {self.index} ({self.layer}): identity = element-by-element chain rule"


@dataclass(frozen=True, repr=False)
class NetworkDerivation(Renders):
    layers: str
    input_shape: tuple[int, ...]
    seed: int
    lr: Fraction
    input: Array
    stages: tuple[Stage, ...]
    backward: tuple[Backward, ...]
    """Per stage, in forward order: the gradients by the layer's identity."""
    checks: tuple[StageCheck, ...]
    loss: LossValues
    updated: tuple[dict[str, Gradient], ...]
    """Per stage: each parameter after one SGD step, theta - lr * dL/dtheta."""
    mode: str
    """``numbers`` or ``symbols``."""
    leaves: tuple[Any, ...]
    """In symbols mode, the input's and the parameters' symbols (``derive.Leaf``)."""
    layer: str = "network"
    detections: tuple[()] = ()
    view: Viewer = field(kw_only=True, repr=False, compare=False)

    @property
    def identities(self) -> tuple[StageCheck, ...]:
        return self.checks

    @property
    def verified(self) -> bool:
        return all(c.proof.holds for c in self.checks)

    @property
    def tensor_shapes(self) -> str:
        return " -> ".join(
            ["x".join(map(str, self.input_shape))]
            + ["x".join(map(str, s.output_shape)) or "L" for s in self.stages]
        )
