"""The Family record: everything the rest of symderiv needs to know about one layer family.

A family is a folder under ``symderiv/layers/`` whose ``__init__`` defines ``FAMILY``; the list
of families is ``symderiv.layers.FAMILIES``. From it the command line builds ``symderiv NAME``
and ``symderiv verify NAME`` for each command, the notes find their sections, and the tests
check that every part (templates in both languages, golden files, a notes entry) exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from .errors import SymderivError
from .options import Option

if TYPE_CHECKING:  # types only: the registry loads without SymPy, so --help is quick
    from .figures import AnyFigure
    from .protocol import Context, KeyEquation, LayerDerivation
    from .touches import Touches

D = TypeVar("D")


def no_figures(derivation: object) -> Mapping[str, AnyFigure]:
    return {}


def no_key_equations(context: Context) -> list[KeyEquation]:
    return []


def no_touches(derivation: object) -> Touches | None:
    return None


def expansion_touches(derivation: object) -> Touches | None:
    """The relation read off the derivation's ``expansion`` (every family built on one)."""
    from .touches import touches

    return touches(derivation.expansion)  # type: ignore[attr-defined]


def numbered_identities(context: Context) -> list[KeyEquation]:
    """The context's ``identities`` (LaTeX statements) under the keys the templates display
    them with: ``identity 1``, ``identity 2``, ..."""
    identities = context["identities"]
    assert isinstance(identities, list)
    return [(f"identity {n}", tex) for n, tex in enumerate(identities, start=1)]


@dataclass(frozen=True)
class View(Generic[D]):
    """How one result type is shown; it satisfies ``protocol.Viewer`` for any derivation,
    refusing (as a programming error) one of another type."""

    kind: type[D]
    templates: str
    """The template folder, under ``templates/``."""
    build_context: Callable[[D], Context]
    build_json: Callable[[D], Context]
    build_figures: Callable[[D], Mapping[str, AnyFigure]] = no_figures
    build_key_equations: Callable[[Context], list[KeyEquation]] = no_key_equations
    """From the render context: the equations the notes' summary refers back to."""
    build_touches: Callable[[D], Touches | None] = no_touches
    """Which elements each element touches, for the interactive HTML page; None where the
    family has no element equations to show."""

    def _own(self, derivation: LayerDerivation) -> D:
        if not isinstance(derivation, self.kind):
            raise TypeError(f"{self.templates} view given a {type(derivation).__name__}")
        return derivation

    def context(self, derivation: LayerDerivation) -> Context:
        return self.build_context(self._own(derivation))

    def json(self, derivation: LayerDerivation) -> Context:
        return self.build_json(self._own(derivation))

    def figures(self, derivation: LayerDerivation) -> Mapping[str, AnyFigure]:
        return self.build_figures(self._own(derivation))

    def key_equations(self, context: Context) -> list[KeyEquation]:
        return self.build_key_equations(context)

    def touches(self, derivation: LayerDerivation) -> Touches | None:
        return self.build_touches(self._own(derivation))


@dataclass(frozen=True)
class Command:
    """One layer command: ``symderiv NAME`` and ``symderiv verify NAME``, with the same options.

    ``name`` is the layer's one id: the command, the notes section, ``derivation.layer``, the
    golden files and the figure files are all spelled this way."""

    name: str
    help: str
    options: tuple[Option, ...]
    derive: Callable[..., LayerDerivation]
    """Called with the parsed options as keyword arguments."""
    short_help: str = ""
    cost: Callable[..., float] = lambda **options: 0.0
    """The same keywords: the work the derivation will do, in constant time from the sizes, as
    a share of what its default limit allows (1.0 is about ten seconds here)."""
    torch_backward: str = ""
    """The PyTorch functions that compute this layer's gradients, for the notes' summary table
    (``torch.nn.grad.conv2d_input``, ...)."""
    course: bool = False
    """A section of the default notes: the layers a first course on CNNs needs. Every other
    command is a section only when ``--sections`` names it (or says ``all``)."""
    variant_of: str = ""
    """The command whose notes section this one repeats with a change (conv1d repeats conv2d on
    one axis, layernorm repeats batchnorm with other groups): after that section, the notes
    write this one as what changes."""
    notes_defaults: tuple[tuple[str, object], ...] = ()
    """Keywords its notes section uses when the reader leaves them unset: conv2d's worked
    example (a seed) belongs in the notes, not in every ``symderiv conv2d``."""
    theorems: tuple[str, ...] = ()
    """The keys of the theorems for every size that state this layer's identities (``symderiv
    theorems``): its notes section ends with them."""


@dataclass(frozen=True)
class Family:
    name: str
    """The folder under ``layers/``."""
    commands: tuple[Command, ...]
    templates: tuple[str, ...]
    """The template folders its views use, each with one file per language."""
    in_notes: bool = True
    """Whether its commands are sections the notes offer."""


@dataclass(frozen=True)
class Registry:
    """The families, in the order the command line lists them and the notes print them."""

    families: tuple[Family, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.commands()]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise SymderivError(f"layer ids registered twice: {', '.join(repeated)}")

    def commands(self) -> tuple[Command, ...]:
        return tuple(c for f in self.families for c in f.commands)

    def names(self) -> str:
        return ", ".join(c.name for c in self.commands())
