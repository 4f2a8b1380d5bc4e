"""A stage's options, read as its layer command reads them: the same ``Option`` records and
parsers as ``symderiv NAME --option``, by the command's keyword names (``out_features=3``)."""

from __future__ import annotations

import re

from ..core.errors import SymderivError
from ..core.family import Command
from ..core.options import Option
from ..core.parse import shown
from .syntax import StageText, Value


def _text(value: Value) -> str:
    if isinstance(value, tuple):
        return ",".join(_text(v) for v in value)
    return str(value)


def read(option: Option, value: Value, where: str) -> object:
    flag = option.flag.split("/")[0]
    if option.switch or option.is_flag:
        if isinstance(value, bool):
            return value
        raise SymderivError(f"{where}: {option.name}={shown(value)}; expected true or false")
    if value is None:
        return None
    if option.choices and _text(value) not in option.choices:
        raise SymderivError(
            f"{where}: {option.name}={shown(value)}; expected one of {', '.join(option.choices)}"
        )
    if option.parse is not None:
        try:
            return option.parse(_text(value), flag)
        except SymderivError as error:
            raise SymderivError(f"{where}: {error}") from None
    if option.integer:
        text = _text(value)
        number = int(text) if re.fullmatch(r"-?\d{1,9}", text) else None
        if number is None or (option.minimum is not None and number < option.minimum):
            least = "" if option.minimum is None else f" >= {option.minimum}"
            raise SymderivError(
                f"{where}: {option.name}={shown(value)}; expected an integer{least}"
            )
        return number
    return _text(value)


def given(stage: StageText, command: Command, owned: tuple[str, ...]) -> dict[str, object]:
    """The options the stage gives, parsed; ``owned`` ones come from the network's shapes."""
    where = f"--layers: layer {stage.index} ({stage.name})"
    by_name = {o.name: o for o in command.options}
    chosen: dict[str, object] = {}
    for key, value in stage.options:
        if key in owned:
            raise SymderivError(
                f"{where}: {key} is set by the network from the previous layer's shape; leave "
                "it out"
            )
        if key not in by_name:
            offered = ", ".join(n for n in by_name if n not in owned)
            raise SymderivError(f"{where}: unknown option {key!r}; it takes {offered or 'none'}")
        chosen[key] = read(by_name[key], value, where)
    return chosen
