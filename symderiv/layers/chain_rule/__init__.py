"""The chain rule on its own: its two cases and the gate view, each checked by SymPy.

Stages: ``derive`` (each case derived on concrete functions, with its check as a proof of a
known formula), ``result``, ``view`` (render context and JSON; ``figures``). No search: the
primer states the rule and checks it. Imports: ``core`` and ``render`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.family import Command, Family

if TYPE_CHECKING:
    from ...core.protocol import LayerDerivation


def _derive() -> LayerDerivation:
    from .derive import chain_rule  # SymPy loads with the first derivation, not with --help

    return chain_rule()


COMMANDS = (
    Command(
        name="chain-rule",
        help="The chain rule on its own: one path (a composition) and two paths, each derived "
        "and checked by SymPy on concrete functions, and the gate view that the layers rely on.",
        options=(),
        derive=_derive,
        short_help="The chain rule: one path, two paths, a gate",
    ),
)

FAMILY = Family(name="chain_rule", commands=COMMANDS, templates=("chain_rule",))
