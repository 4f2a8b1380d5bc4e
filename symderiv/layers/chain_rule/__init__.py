"""The chain rule on its own: its two cases and the gate view, each checked by SymPy.

Stages: ``derive`` (each case derived on concrete functions, with its check as a proof of a
known formula), ``result``, ``view`` (render context and JSON; ``figures``). No search: the
primer states the rule and checks it. Imports: ``core`` and ``render`` only.
"""

from __future__ import annotations

from ...core.family import Command, Family
from . import derive

COMMANDS = (
    Command(
        name="chain-rule",
        help="The chain rule on its own: one path (a composition) and two paths, each derived "
        "and checked by SymPy on concrete functions, and the gate view that the layers rely on.",
        options=(),
        derive=derive.chain_rule,
        short_help="The chain rule: one path, two paths, a gate",
    ),
)

FAMILY = Family(name="chain_rule", commands=COMMANDS, templates=("chain_rule",))
