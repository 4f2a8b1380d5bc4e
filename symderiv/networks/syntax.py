"""The ``--layers`` language: a chain of layer commands, each with its options as keywords.

    conv2d(in_channels=1, out_channels=2, kernel=2); relu; maxpool2d(kernel=2); flatten;
    linear(out_features=3); cross-entropy(target=2)

A tokenizer and a recursive-descent parser, no ``eval``: stages are separated by ``;``, a stage
is a command name with an optional parenthesised list of ``key=value``; a value is a number
(``2``, ``-0.5``, ``1e-3``), a size (``2x2``), a word (``mean``, ``none``; ``true`` and
``false`` are booleans), a quoted string, or a list in brackets or parentheses. Every error names
the stage and what was expected there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import SymderivError
from ..core.parse import shown

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'[^']*'|"[^"]*")
      | (?P<word>[A-Za-z0-9_.+\-]+)
      | (?P<punct>[;(),=\[\]])
    )""",
    re.VERBOSE,
)
Value = object
"""A parsed value: str (numbers and sizes stay text, for the option's own parser), bool, None,
or a tuple of values."""


@dataclass(frozen=True)
class StageText:
    index: int
    """1-based position in the chain."""
    name: str
    options: tuple[tuple[str, Value], ...]


def tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise SymderivError(
                f"--layers: unexpected character {text[position:].lstrip()[:1]!r} at position "
                f"{position + 1} of {shown(text)}"
            )
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = tokens(text)
        self.at = 0
        self.stage = 1

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.peek()
        if item is None:
            raise self.error("the text ends too early")
        self.at += 1
        return item

    def error(self, problem: str) -> SymderivError:
        return SymderivError(f"--layers: layer {self.stage}: {problem}")

    def expect(self, punct: str) -> None:
        kind, text = self.take()
        if (kind, text) != ("punct", punct):
            raise self.error(f"expected {punct!r}, found {text!r}")

    def chain(self) -> list[StageText]:
        stages = []
        while True:
            if self.peek() is None:
                raise self.error("a layer name is missing")
            stages.append(self.one())
            item = self.peek()
            if item is None:
                return stages
            self.expect(";")
            self.stage += 1
            if self.peek() is None:  # a trailing ';' is allowed
                return stages

    def one(self) -> StageText:
        kind, name = self.take()
        if kind != "word" or not re.fullmatch(r"[a-z][a-z0-9\-]*", name):
            raise self.error(f"expected a layer name, found {name!r}")
        options: list[tuple[str, Value]] = []
        if self.peek() == ("punct", "("):
            self.take()
            while self.peek() != ("punct", ")"):
                key_kind, key = self.take()
                if key_kind != "word" or not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
                    raise self.error(f"{name}: expected an option name, found {key!r}")
                if key in dict(options):
                    raise self.error(f"{name}: option {key!r} is given twice")
                self.expect("=")
                options.append((key, self.value(name)))
                if self.peek() == ("punct", ","):
                    self.take()
                elif self.peek() != ("punct", ")"):
                    found = self.peek()
                    seen = f"found {found[1]!r}" if found else "the text ends"
                    raise self.error(f"{name}: expected ',' or ')', but {seen}")
            self.take()
        return StageText(self.stage, name, tuple(options))

    def value(self, name: str) -> Value:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1]
        if kind == "word":
            # "none" stays a word: it is a value (reduction=none), not a missing one.
            return {"true": True, "false": False}.get(text.lower(), text)
        if text in ("[", "("):
            closing = "]" if text == "[" else ")"
            values: list[Value] = []
            while self.peek() != ("punct", closing):
                values.append(self.value(name))
                if self.peek() == ("punct", ","):
                    self.take()
                elif self.peek() != ("punct", closing):
                    raise self.error(f"{name}: expected ',' or {closing!r} in a list")
            self.take()
            return tuple(values)
        raise self.error(f"{name}: expected a value, found {text!r}")


def parse_layers(text: str) -> list[StageText]:
    if not text.strip():
        raise SymderivError("--layers: no layer given")
    return _Parser(text).chain()
