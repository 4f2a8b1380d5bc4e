"""The Derivation: everything one run found, with SymPy views and rendering to each format."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.protocol import Viewer
from ...core.results import Expansion, ExpansionViews
from ...core.worked import WorkedExample
from ...render.engine import Renders
from .candidates import ConvIdentity, ConvSearch
from .spec import ConvSpec


@dataclass(frozen=True, repr=False)
class Derivation(Renders, ExpansionViews):
    layer: str
    options: tuple[tuple[str, object], ...]
    expansion: Expansion
    detections: tuple[ConvSearch, ...]
    identities: tuple[ConvIdentity, ...]
    all_equations: bool = False
    """Show every element equation in Markdown and LaTeX, however many (JSON always does)."""
    spec: ConvSpec | None = None
    """The convolution asked for, with every setting (``options`` lists only those given)."""
    worked: WorkedExample | None = None
    """The derived equations evaluated on numbers, when ``--values`` or ``--seed`` asks."""
    view: Viewer = field(kw_only=True, repr=False, compare=False)
    """How it is shown: the family's view, given by the derive step."""
