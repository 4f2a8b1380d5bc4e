"""Sphinx (and MyST, and so Jupyter Book): ``extensions = ["symderiv.sphinx"]`` gives the
directive ``symderiv``, which derives at build time::

    .. symderiv:: conv2d --stride 2 --lang zh

    ```{symderiv} maxpool2d --figures
    ```

    .. symderiv:: theorems conv --lang zh

The argument is a command line, read by the command's own options (``symderiv conv2d --help``
lists them); ``--lang``, ``--figures`` and ``--claim`` apply, the builder chooses the format.
``theorems [FAMILY]`` (or ``theorems conv2d --claim "..."``) puts the theorems for every size,
with their proofs, on the page.
The derivation goes in as HTML for the HTML builders and as LaTeX for the LaTeX builder. The
build fails, naming the directive, when the options are bad or an identity does not hold: a
page that shows an unproven identity is a bug, not a warning.
"""

from __future__ import annotations

import shlex
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from .cli.commands import layer_command
from .core.errors import SymderivError
from .core.family import Command
from .layers import FAMILIES
from .networks import COMMAND as NETWORK
from .render.documents import render_layer

ASSETS = Path(__file__).resolve().parent / "assets"
STATIC = "symderiv"
"""The folder under the site's ``_static`` that holds KaTeX, the stylesheet and the script."""
_FILES = {
    "katex.css": ASSETS / "katex" / "katex.css",
    "katex.min.js": ASSETS / "katex" / "katex.min.js",
    "page.css": ASSETS / "page.css",
    "page.js": ASSETS / "page.js",
}
_BUILDER_CHOOSES = {"fmt": "--format", "output": "--output", "output_dir": "--output-dir"}
_DOCUMENT = {"lang", "figures", "claim", "standalone"}


logger = logging.getLogger(__name__)


def commands() -> dict[str, Command]:
    return {c.name: c for c in (*FAMILIES.commands(), NETWORK)}


class SymderivDirective(Directive):  # type: ignore[misc]
    required_arguments = 1
    final_argument_whitespace = True
    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        try:
            return derivation_nodes(self.arguments[0])
        except SymderivError as error:
            message = f"symderiv {self.arguments[0]}: {error}"
            logger.error(message, location=(env.docname, self.lineno))
            _failures(env).setdefault(env.docname, []).append(message)
            return []


def derivation_nodes(argument: str) -> list[nodes.Node]:
    """The derivation as one raw node per output format; each writer keeps its own."""
    if argument.split(maxsplit=1)[:1] == ["theorems"]:
        return theorem_nodes(argument)
    name, options, lang, figures, claims = parse(argument)
    command = commands()[name]
    derivation = command.derive(**options)
    # A search that found no compact form is a result worth showing; a failed proof is not.
    failed = [i.statement for i in derivation.identities if not i.proof.holds]
    if failed:
        raise SymderivError("does not hold: " + "; ".join(failed))
    extra: dict[str, Any] = {"heading_offset": 1}
    if claims:
        from .checks import check, claims_context

        extra["claims"] = claims_context([check(derivation, text) for text in claims])
    # Both formats draw their figures inline (SVG, TikZ): no figure files, so no file names.
    html = render_layer(derivation, "html", lang, False, figures, name, extra, frame="bare")
    latex = render_layer(derivation, "latex", lang, False, figures, name, extra)
    return [
        nodes.raw("", html.text, format="html"),
        nodes.raw("", latex.text, format="latex"),
    ]


def theorem_nodes(argument: str) -> list[nodes.Node]:
    """``theorems [FAMILY] [--lang zh]``, or ``theorems conv2d --claim "..."``: the theorems
    with their proofs, or a claim's proof. A theorem or a claim that is not proven fails the
    build, as an identity that does not hold does."""
    from .cli.theorems import theorems_command
    from .render.theorems import render_theorems
    from .theorems import theorems
    from .theorems.result import as_data

    try:
        args = shlex.split(argument)[1:]
        context = theorems_command.make_context("theorems", args)
    except ValueError as error:
        raise SymderivError(f"cannot read the options: {error}") from None
    except click.ClickException as error:
        raise SymderivError(error.format_message()) from None
    for key, flag in (("fmt", "--format"), ("output", "--output"), ("standalone", "--standalone")):
        if context.get_parameter_source(key) is ParameterSource.COMMANDLINE:
            raise SymderivError(f"{flag}: the builder chooses the format and the file")
    family, lang, claim = (context.params[k] for k in ("family", "lang", "claim"))
    if claim is not None:
        from .theorems.claim import judge_claim

        verdict = judge_claim(family or "", claim)
        if not verdict.proven:
            raise SymderivError(verdict.line())
        items = [verdict.as_data()["proof"]]
    else:
        family = "conv" if family in ("conv1d", "conv2d", "conv3d") else family
        numbered = theorems(family)
        failed = [t.key for _, t in numbered if not t.holds]
        if failed:
            raise SymderivError("not proven: " + ", ".join(failed))
        items = [as_data(n, t, family is not None) for n, t in numbered]
    html = render_theorems(items, "html", lang, frame="bare", heading_offset=1)
    latex = render_theorems(items, "latex", lang, heading_offset=1)
    return [nodes.raw("", html, format="html"), nodes.raw("", latex, format="latex")]


def parse(argument: str) -> tuple[str, dict[str, Any], str, bool, tuple[str, ...]]:
    """The command's name, its layer options, and the document's language, figures, claims."""
    try:
        words = shlex.split(argument)
    except ValueError as error:
        raise SymderivError(f"cannot read the options: {error}") from None
    known = commands()
    if not words or words[0] not in known:
        given = repr(words[0]) if words else "nothing"
        raise SymderivError(f"unknown layer {given}; choose one of {', '.join(known)}")
    name, *args = words
    command = layer_command(known[name])
    if "--help" in args or "-h" in args:
        raise SymderivError(f"--help: run symderiv {name} --help for the options")
    try:
        context = command.make_context(name, args)
    except click.ClickException as error:
        raise SymderivError(error.format_message()) from None
    for key, flag in _BUILDER_CHOOSES.items():
        if context.get_parameter_source(key) is ParameterSource.COMMANDLINE:
            raise SymderivError(f"{flag}: the builder chooses the format and the file")
    if context.params["standalone"]:
        raise SymderivError("--standalone: the builder makes the whole document")
    params = context.params
    options = {k: v for k, v in params.items() if k not in _DOCUMENT and k not in _BUILDER_CHOOSES}
    return name, options, params["lang"], params["figures"], tuple(params["claim"])


def _failures(env: BuildEnvironment) -> dict[str, list[str]]:
    """The directives that failed, by document: kept in the environment, so that a parallel
    read reports them and a document read again forgets its old ones."""
    if not hasattr(env, "symderiv_failures"):
        env.symderiv_failures = {}  # type: ignore[attr-defined]
    return env.symderiv_failures  # type: ignore[attr-defined,no-any-return]


def _forget(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _failures(env).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    _failures(env).update(_failures(other))


def _fail_build(app: Sphinx, exception: Exception | None) -> None:
    failed = sum(len(messages) for messages in _failures(app.env).values())
    if exception is None and failed:
        logger.error(f"symderiv: {failed} derivation(s) failed; see the errors above")
        app.statuscode = 1


def _add_assets(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    for name in _FILES:
        if name.endswith(".css"):
            app.add_css_file(f"{STATIC}/{name}")
        else:
            app.add_js_file(f"{STATIC}/{name}")


def _copy_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    folder = Path(app.outdir) / "_static" / STATIC
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in _FILES.items():
        shutil.copyfile(source, folder / name)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("symderiv", SymderivDirective)
    app.connect("builder-inited", _add_assets)
    app.connect("build-finished", _copy_assets)
    app.connect("build-finished", _fail_build)
    app.connect("env-purge-doc", _forget)
    app.connect("env-merge-info", _merge)
    app.add_latex_package("amsmath")
    app.add_latex_package("amssymb")
    app.add_latex_package("tikz")
    return {"version": version("symderiv"), "parallel_read_safe": True, "parallel_write_safe": True}
