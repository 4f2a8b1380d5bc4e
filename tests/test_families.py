"""Every registered family has all of its parts: a command and a verify command for each of
its layers, a view, templates in both languages, golden files, and a place in the notes."""

from __future__ import annotations

from pathlib import Path

import click
import jinja2
import pytest

from symderiv.cli.main import cli
from symderiv.core.family import Command, Family
from symderiv.core.protocol import LayerDerivation
from symderiv.layers import FAMILIES
from symderiv.render.engine import LANGUAGES, templates_dir
from symderiv.render.sections import available

from .regenerate_golden import CASES, REGENERATE

COMMANDS = FAMILIES.commands()
STAGE_FILES = {"derive.py", "result.py", "view.py"}
"""The stage files every family has; the others (spec, search, prove, figures, options) exist
where the family has that stage."""


@pytest.mark.parametrize("family", FAMILIES.families, ids=lambda f: f.name)
def test_a_family_is_a_folder_with_the_shared_stage_files(family: Family) -> None:
    folder = Path(__file__).parents[1] / "symderiv" / "layers" / family.name
    assert {p.name for p in folder.glob("*.py")} >= STAGE_FILES
    assert (folder / "__init__.py").read_text(encoding="utf-8").startswith('"""')


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_has_its_parts(command: Command) -> None:
    name = command.name
    verify = cli.commands["verify"]
    assert isinstance(verify, click.Group)
    assert name in cli.commands and name in verify.commands
    derivation: LayerDerivation = command.derive(**{o.name: o.default for o in command.options})
    assert derivation.layer == name
    view = derivation.view
    for lang in LANGUAGES:
        assert (templates_dir() / view.templates / f"{lang}.j2").is_file(), (view.templates, lang)
    assert view.context(derivation) and view.json(derivation)["verified"] is not None
    goldens = {case for case, args in CASES if args[0] == name}
    wanted = {f"{name}.{lang}.{ext}" for lang in LANGUAGES for ext in ("md", "tex")}
    assert wanted | {f"{name}.json"} <= goldens, f"add {name} to {REGENERATE}'s COMMANDS"
    assert name in {c.name for c in available(FAMILIES)}


def test_every_template_folder_belongs_to_a_family() -> None:
    declared = {t for f in FAMILIES.families for t in f.templates}
    # network: the whole-network command; worked: the worked example that convolution and
    # average pooling share; claims: the verdicts of --claim in any layer's document; code: the
    # modules symderiv code writes; theorems: the identities proven for every size
    shared = {"md", "latex", "html", "explorer", "notes", "network", "worked", "claims", "code"}
    shared |= {"theorems"}
    folders = {p.name for p in templates_dir().iterdir() if p.is_dir()}
    assert folders == declared | shared


def _parsed(path: Path) -> jinja2.nodes.Template:
    environment = jinja2.Environment()
    return environment.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "body",
    sorted(templates_dir().glob("*/*body.j2")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_one_structure_per_view_and_the_words_in_phrase_files(body: Path) -> None:
    """Each language file extends the shared structure and fills exactly its blocks, so a change
    of structure is made once; the phrase files hold no other output."""
    prefix = body.name.removesuffix("body.j2")
    blocks = {b.name for b in _parsed(body).find_all(jinja2.nodes.Block)}
    assert blocks
    for lang in LANGUAGES:
        phrases = _parsed(body.parent / f"{prefix}{lang}.j2")
        extends = list(phrases.find_all(jinja2.nodes.Extends))
        assert len(extends) == 1
        assert extends[0].template.value == f"{body.parent.name}/{body.name}"  # type: ignore[attr-defined]
        assert {b.name for b in phrases.find_all(jinja2.nodes.Block)} == blocks, lang
        top_level_output = [n for n in phrases.body if isinstance(n, jinja2.nodes.Output)]
        assert not [
            n
            for n in top_level_output
            if any(not isinstance(c, jinja2.nodes.TemplateData) or c.data.strip() for c in n.nodes)
        ]


def test_the_theorems_a_command_names_exist() -> None:
    """Each command's notes section ends with its theorems for every size: the keys must name
    theorems symderiv proves, and the layers with an identity for every size name it."""
    from symderiv.theorems import keys

    named = {k for command in FAMILIES.commands() for k in command.theorems}
    assert named <= set(keys())
    assert {"conv-input-gradient", "pool-input-gradient", "linear", "norm"} <= named


def test_the_pytorch_functions_named_for_the_summary_exist() -> None:
    """Every torch.… name a command gives for its backward pass resolves in the installed torch."""
    import os

    if os.environ.get("CI", "").strip().lower() in ("", "0", "false", "no"):
        torch = pytest.importorskip("torch")
    else:
        import torch
    import re

    for command in FAMILIES.commands():
        if command.name == "chain-rule":
            continue
        assert command.torch_backward, command.name
        for name in re.findall(r"torch(?:\.\w+)+", command.torch_backward):
            target: object = torch
            for part in name.split(".")[1:]:
                assert hasattr(target, part), (command.name, name)
                target = getattr(target, part)
