"""Which layers the notes can hold and in what order: read off the family registry alone, so
that the command line can list them without loading the renderer."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.errors import SymderivError
from ..core.family import Command, Registry

PRIMER = "chain-rule"
"""The section every other one builds on: it opens the notes whatever order is asked for."""


def available(registry: Registry) -> tuple[Command, ...]:
    """The layer commands that can be a section, in the families' order, each variant right
    after the command it repeats (conv1d and conv3d after conv2d); the primer first."""
    offered: list[Command] = []
    for family in registry.families:
        if family.in_notes:
            offered += sorted(family.commands, key=lambda c: _place(c, family.commands))
    return tuple(sorted(offered, key=lambda c: c.name != PRIMER))


def _place(command: Command, commands: Sequence[Command]) -> tuple[int, bool]:
    """Where a command goes among its family's: a variant just after the command it repeats."""
    names = [c.name for c in commands]
    base = command.variant_of if command.variant_of in names else command.name
    return names.index(base), bool(command.variant_of)


ALL = "all"
"""``--sections all``: every section the registry offers."""


def course(registry: Registry) -> tuple[Command, ...]:
    """The default notes: the primer and the layers a first course needs, in the families'
    order."""
    return tuple(c for c in available(registry) if c.course or c.name == PRIMER)


def choose(registry: Registry, requested: Sequence[str]) -> tuple[Command, ...]:
    """The sections asked for, in the article's order; an unknown or repeated name is an error."""
    if list(requested) == [ALL]:
        return available(registry)
    offered = {c.name: c for c in available(registry)}
    seen: set[str] = set()
    for name in requested:
        if name not in offered:
            raise SymderivError(
                f"--sections: unknown section {name!r}; choose from {', '.join(offered)}, or all"
            )
        if name in seen:
            raise SymderivError(f"--sections: section {name!r} is listed twice")
        seen.add(name)
    if not seen:
        raise SymderivError("--sections: no section given")
    return tuple(c for c in available(registry) if c.name in seen)


# --------------------------------------------------------------------------------------------
# Assembly
