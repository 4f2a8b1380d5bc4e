"""What an HTML page needs beyond its templates: the assets it carries, the element explorer's
context, and the paragraphs that blank lines make in Markdown.

KaTeX typesets the math in the browser, from the copy the package carries
(``assets/katex``, made by ``scripts/vendor_katex.py``); its fonts are data URLs inside the
stylesheet, so a page needs no network. The explorer's context is read off the family's
``Touches``; what to highlight is decided there, in the derivation's own terms.
"""

from __future__ import annotations

import functools
import math
import re
from importlib import resources
from typing import Any

from markupsafe import Markup

from ..core.grid import Grid, Index, indices
from ..core.poly import Poly
from ..core.symbols import element_latex, gradient_of, tensor_latex
from ..core.touches import Place, Touches
from .latex import Notation, exact_latex

EXPLORER_LIMIT = 400
"""Elements in all tensors together, at most, for an explorer: past that the page would carry
thousands of equations for one hover each."""


@functools.cache
def assets() -> dict[str, Markup]:
    """The stylesheet (KaTeX's, then the page's) and the script (KaTeX, then the page's)."""
    folder = resources.files("symderiv") / "assets"

    def read(*parts: str) -> str:
        return folder.joinpath(*parts).read_text(encoding="utf-8")

    return {
        "css": Markup(read("katex", "katex.css") + "\n" + read("page.css")),
        "script": Markup(read("katex", "katex.min.js") + "\n" + read("page.js")),
    }


_PLACEHOLDERS = {name: Markup(f"<!--symderiv:{name}-->") for name in ("css", "script")}
"""What the template writes where the assets go: they are put in after the text is finished,
so that nothing made for prose (paragraphs, blank-line runs) touches a stylesheet or script.
A value on the page cannot spell one: its ``<`` is escaped."""


_TITLE = "<!--symderiv:title-->"


def frame_context(frame: str, title: str | None = None) -> dict[str, Any]:
    """Without a ``title`` the page takes the words of its first heading."""
    return {
        "page": frame == "page",
        "assets": _PLACEHOLDERS if frame != "bare" else None,
        "page_title": title if title is not None else Markup(_TITLE),
    }


def _titled(text: str) -> str:
    if _TITLE not in text:
        return text
    heading = re.search(r"<h1>(.*?)</h1>", text)
    words = re.sub(r"<[^>]+>", "", heading.group(1)) if heading else "symderiv"
    return text.replace(_TITLE, words, 1)


def with_assets(text: str) -> str:
    for name, placeholder in _PLACEHOLDERS.items():
        text = text.replace(placeholder, assets()[name], 1)
    return text


def explorer(touches: Touches | None) -> dict[str, Any] | None:
    """The explorer's tensors, cells and equations as strings, or how many elements there
    were when they are too many; None for a family without element equations."""
    if touches is None:
        return None
    total = sum(math.prod(shape) for _, shape in touches.shown)
    if total > EXPLORER_LIMIT:
        return {"omitted": total, "limit": EXPLORER_LIMIT}
    notation = Notation.of(touches.tensors, touches.separated).also(touches.spelled)
    roles = {t.key: t.role.value for t in touches.tensors}

    def cell(key: str, index: Index) -> dict[str, str]:
        place = (key, index)
        touch = touches.touches[place]
        return {
            "place": place_name(touch.place),
            "label": element_latex(key, index, notation.separated),
            "equation": place_name(touch.equation) if touch.equation else "",
            "reads": " ".join(map(place_name, touch.reads)),
            "feeds": " ".join(map(place_name, touch.feeds)),
            "window": " ".join(map(place_name, touch.window)),
            "value": exact_latex(touches.values[place]) if place in touches.values else "",
        }

    tensors = [
        {
            "key": key,
            "label": tensor_latex(key),
            "role": roles.get(key, "gradient" if gradient_of(key) else ""),
            "tables": _tables(Grid.build(shape, lambda i, k=key: cell(k, i))),  # type: ignore[misc]
        }
        for key, shape in touches.shown
    ]
    equations = [
        {
            "place": place_name(place),
            "tex": element_latex(*place, notation.separated)
            + " = "
            + (notation.poly(value) if isinstance(value, Poly) else notation.expr(value)),
        }
        for place, value in touches.equations.items()
    ]
    return {
        "tensors": tensors,
        "equations": equations,
        "windows": any(t.window for t in touches.touches.values()),
        "omitted": 0,
    }


def place_name(place: Place) -> str:
    """``dL/dX:1,2`` for ``("dL/dX", (0, 1))``: 1-based, as the symbols print."""
    key, index = place
    return f"{key}:{','.join(str(i + 1) for i in index)}"


def _tables(grid: Grid[dict[str, str]]) -> list[dict[str, Any]]:
    """The last two axes as rows and columns, one table per index of the leading axes (a
    vector is one row)."""
    shape = grid.shape
    if len(shape) <= 1:
        return [{"caption": "", "rows": [list(grid.cells)]}]
    rows, columns = shape[-2], shape[-1]
    size = rows * columns
    tables = []
    for start, leading in zip(range(0, len(grid.cells), size), _leading(shape[:-2])):
        block = grid.cells[start : start + size]
        tables.append(
            {
                "caption": f"[{', '.join([*leading, ':', ':'])}]" if leading else "",
                "rows": [list(block[r * columns : (r + 1) * columns]) for r in range(rows)],
            }
        )
    return tables


def _leading(shape: tuple[int, ...]) -> list[list[str]]:
    return [[str(i + 1) for i in index] for index in indices(shape)]


_BLOCK = re.compile(
    r"^</?(?:!DOCTYPE|html|head|body|main|meta|title|style|script|div|section|nav|figure|"
    r"h[1-6]|p|ul|ol|li|table|tr|hr|details|summary)\b",
    re.IGNORECASE,
)


def paragraphs(text: str) -> str:
    """Each run of lines that are not block elements becomes one ``<p>``: the templates leave
    paragraphs separated by blank lines, as Markdown and LaTeX read them."""
    out: list[str] = []
    run: list[str] = []

    def close() -> None:
        if run:
            out.append("<p>" + "\n".join(run) + "</p>")
            run.clear()

    for line in text.split("\n"):
        if not line.strip() or _BLOCK.match(line):
            close()
            out.append(line)
        else:
            run.append(line)
    close()
    return "\n".join(out)


def finish(text: str) -> str:
    return with_assets(_titled(paragraphs(text)))
