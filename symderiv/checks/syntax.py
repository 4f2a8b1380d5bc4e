"""A claim's grammar: a tokenizer and a recursive-descent parser over a fixed vocabulary.

    claim    := target "=" expr
    target   := NAME [ "[" INT ("," INT)* "]" ]            (1-based, as the documents write)
    expr     := term (("+" | "-") term)*
    term     := factor (("*" | "/" | "mod") factor)*
    factor   := "-" factor | atom ["**" INT]
    atom     := NUMBER | NAME [ "[" INT ("," INT)* "]" ] | call | "(" expr ")"
              | "(" expr ("," expr)+ ")"                      (a tuple, as a setting's value)
    call     := FUNCTION "(" [argument ("," argument)*] ")"
    argument := expr | KEYWORD "=" expr

Names are tensors (``X``, ``W``, ``F``, ``b``, ``O`` and gradients such as ``dL/dO``), or, in
a claim for every size, the size symbols (``H``, ``k``, ``s``, ...); the functions are the ones
``FUNCTIONS`` lists. ``mod`` is the remainder of whole numbers, as Python's ``%``. A tuple of
whole numbers is a ``Tuple``; one with expressions in it (``(s, 2*s)``) a ``Group``. Nothing
is evaluated here and nothing reaches ``eval`` or ``sympify``: the tree is plain data for
``evaluate``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..core.errors import SymderivError

FUNCTIONS = {
    **{f"conv{n}d": n for n in (1, 2, 3)},
    **{f"conv_transpose{n}d": n for n in (1, 2, 3)},
    **{f"conv_weight{n}d": n for n in (1, 2, 3)},
    "pad": 0,
    "flip": 0,
    "rot180": 0,
    "sum": 0,
    "mean": 0,
    "sqrt": 0,
}
"""The operations a claim may use, with the spatial axes each expects (0: any)."""
ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
"""What each binary operator means, whatever the values are (polynomials, SymPy expressions,
exact fractions); ``mod`` is left to each evaluator, which knows what whole numbers are."""
KEYWORDS = ("stride", "padding", "dilation", "groups", "output_padding", "bias")
MAX_POWER = 8
"""Powers are multiplied out as polynomials: a higher one is not a claim about a layer."""

TOKEN = re.compile(
    r"\s*(?:(?P<name>dL/d[A-Za-z]\w*|[A-Za-z_]\w*)|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<op>\*\*|[-+*/=(),\[\]]))"
)


@dataclass(frozen=True)
class Number:
    value: Fraction


@dataclass(frozen=True)
class Ref:
    """A tensor, or one element of it (``index`` 1-based, as written)."""

    name: str
    index: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Tuple:
    values: tuple[int, ...]


@dataclass(frozen=True)
class Group:
    """A tuple whose items are expressions: a claim for every size writes ``(k - 1, k - 1)``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    keywords: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | Ref | Tuple | Group | Call | Negate | Binary


@dataclass(frozen=True)
class Claim:
    text: str
    target: Ref
    expression: Node


def tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise SymderivError(
                f"--claim: unexpected {text[position:].strip()[:1]!r} at position {position + 1}"
            )
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.items = tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.items[self.at] if self.at < len(self.items) else ("end", "")

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        got_kind, got = self.peek()
        if (value is not None and got != value) or (kind is not None and got_kind != kind):
            wanted = repr(value) if value is not None else f"a {kind}"
            where = repr(got) if got else "the end"
            raise SymderivError(f"--claim: expected {wanted}, found {where}")
        self.at += 1
        return got

    def claim(self) -> Claim:
        target = self.reference(self.take(kind="name"))
        self.take("=")
        expression = self.expr()
        if self.peek()[0] != "end":
            raise SymderivError(f"--claim: unexpected {self.peek()[1]!r} after the expression")
        # Spelled on one line wherever it is shown, whatever whitespace it was typed with.
        return Claim(" ".join(self.text.split()), target, expression)

    def expr(self) -> Node:
        node = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()
            node = Binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek()[1] in ("*", "/") or self.peek() == ("name", "mod"):
            op = self.take()
            node = Binary(op, node, self.factor())
        return node

    def factor(self) -> Node:
        if self.peek()[1] == "-":
            self.take()
            return Negate(self.factor())
        node = self.atom()
        if self.peek()[1] == "**":
            self.take()
            power = self.integer()
            if power > MAX_POWER:
                raise SymderivError(f"--claim: power {power} is above {MAX_POWER}")
            node = Binary("**", node, Number(Fraction(power)))
        return node

    def integer(self) -> int:
        text = self.take(kind="number")
        if "." in text:
            raise SymderivError(f"--claim: {text} is not a whole number")
        return int(text)

    def atom(self) -> Node:
        kind, value = self.peek()
        if kind == "number":
            self.take()
            return Number(Fraction(value))
        if kind == "name":
            self.take()
            if self.peek()[1] == "(":
                return self.call(value)
            return self.reference(value)
        if value == "(":
            self.take()
            first = self.expr()
            if self.peek()[1] == ",":
                items = [first]
                while self.peek()[1] == ",":
                    self.take()
                    items.append(self.expr())
                self.take(")")
                return _tuple(items)
            self.take(")")
            return first
        raise SymderivError(
            f"--claim: expected a value, found {value!r}"
            if value
            else "--claim: the expression ends too early"
        )

    def reference(self, name: str) -> Ref:
        if name in FUNCTIONS:
            raise SymderivError(f"--claim: {name} is a function; call it as {name}(...)")
        if self.peek()[1] != "[":
            return Ref(name)
        self.take("[")
        index = [self.integer()]
        while self.peek()[1] == ",":
            self.take()
            index.append(self.integer())
        self.take("]")
        if any(i < 1 for i in index):
            raise SymderivError(f"--claim: {name}[...] indices start at 1, as the documents do")
        return Ref(name, tuple(index))

    def call(self, name: str) -> Call:
        if name not in FUNCTIONS:
            raise SymderivError(
                f"--claim: unknown function {name!r}; the functions are " + ", ".join(FUNCTIONS)
            )
        self.take("(")
        args: list[Node] = []
        keywords: list[tuple[str, Node]] = []
        while self.peek()[1] != ")":
            if self.peek()[0] == "name" and self._next_is("="):
                keyword = self.take()
                if keyword not in KEYWORDS:
                    raise SymderivError(
                        f"--claim: {name}() has no setting {keyword!r}; the settings are "
                        + ", ".join(KEYWORDS)
                    )
                self.take("=")
                keywords.append((keyword, self.expr()))
            elif keywords:
                raise SymderivError(f"--claim: {name}(): a positional argument after a setting")
            else:
                args.append(self.expr())
            if self.peek()[1] != ",":
                break
            self.take(",")
        self.take(")")
        return Call(name, tuple(args), tuple(keywords))

    def _next_is(self, value: str) -> bool:
        return self.at + 1 < len(self.items) and self.items[self.at + 1][1] == value


def _tuple(items: list[Node]) -> Tuple | Group:
    if all(isinstance(n, Number) and n.value.denominator == 1 for n in items):
        return Tuple(tuple(n.value.numerator for n in items))  # type: ignore[union-attr]
    return Group(tuple(items))


def parse_claim(text: str) -> Claim:
    """``"dL/dX = conv_transpose2d(dL/dO, W, stride=2)"`` as a tree; a malformed claim is one
    ``SymderivError`` line naming what is wrong."""
    if not text.strip():
        raise SymderivError('--claim: empty claim; write one such as "dL/dX = ..."')
    return _Parser(text).claim()
