"""The frozen results of a pooling derivation: selections, identity searches, proofs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

from ...core.grid import Grid, Index
from ...core.poly import Poly
from ...core.protocol import Viewer
from ...core.results import Expansion, ExpansionViews, Identity, Search
from ...core.worked import WorkedExample
from ...render.engine import Renders
from .windows import PoolGeometry, Window


class PoolOperation(str, Enum):
    """The compact forms a pooling gradient is compared with (values are the JSON ``kind``)."""

    SCATTER = "scatter to the switches"
    MASKED_UPSAMPLING = "switch mask times nearest-neighbour upsampling"
    UPSAMPLING = "nearest-neighbour upsampling divided by the window size"
    DILATED_CORRELATION = "full cross-correlation of the dilated upstream gradient"


PoolSearch = Search[PoolOperation]
PoolIdentity = Identity[PoolOperation, Grid[Poly] | None]
"""``shown`` is the intermediate array shown to the reader: dL/dO upsampled and cropped, or with
zeros inserted; None for the scatter, which has no single intermediate."""


@dataclass(frozen=True)
class Selection:
    """What one max-pooling window saw and which input cell it routes its gradient to."""

    window: Window
    values: tuple[Fraction | None, ...]
    """The window's values in row-major order; None where the cell is padding (-inf)."""
    winner: Index
    tied: tuple[Index, ...]
    """Every cell holding the maximum (the winner first): more than one means a tie."""

    @property
    def maximum(self) -> Fraction:
        return self.values[self.window.cells.index(self.winner)]  # type: ignore[return-value]


@dataclass(frozen=True, repr=False)
class PoolDerivation(Renders, ExpansionViews):
    layer: str
    kind: str
    """``"max"`` or ``"avg"``."""
    options: tuple[tuple[str, object], ...]
    geometry: PoolGeometry
    expansion: Expansion
    detections: tuple[PoolSearch, ...]
    identities: tuple[PoolIdentity, ...]
    values: Grid[Fraction] | None = None
    """Max pooling: the concrete input."""
    values_source: str = ""
    """Max pooling: where the values came from: ``values``, ``seed`` or ``example``."""
    seed: int | None = None
    selections: tuple[Selection, ...] = ()
    divisors: Grid[int] | None = None
    """Average pooling: PyTorch's divisor of each output element."""
    count_include_pad: bool = True
    worked: WorkedExample | None = None
    """Average pooling: the derived equations on numbers, when ``--values`` or ``--seed`` asks."""
    view: Viewer = field(kw_only=True, repr=False, compare=False)
    """How it is shown: the family's view (max or average), given by the derive step."""

    @property
    def outputs(self) -> Grid[Fraction] | None:
        """Max pooling: the value of every output element."""
        if not self.selections:
            return None
        return Grid(self.geometry.output, tuple(s.maximum for s in self.selections))
