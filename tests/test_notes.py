"""symderiv notes: sections from the registries, options per section, numbering, bad input."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

import symderiv
from symderiv.cli.main import cli, main
from symderiv.core.family import Registry
from symderiv.layers import FAMILIES
from symderiv.render.sections import available, course

BASIC = ["--sections", "chain-rule,conv2d"]


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["notes", *args])
    return result.exit_code, result.stdout


def test_sections_follow_the_registry() -> None:
    names = [c.name for c in available(FAMILIES)]
    assert names[0] == "chain-rule" and "conv2d" in names
    assert sorted(names) == sorted(c.name for c in FAMILIES.commands())
    # The families' order, each variant after the command it repeats.
    assert names[1:7] == [
        "conv2d",
        "conv1d",
        "conv3d",
        "conv-transpose2d",
        "conv-transpose1d",
        "conv-transpose3d",
    ]
    position = {name: i for i, name in enumerate(names)}
    for c in FAMILIES.commands():
        if c.variant_of:
            assert position[c.variant_of] < position[c.name], c.name
    # A family that stays out of the notes is not offered; the others keep their order.
    kept = Registry(tuple(replace(f, in_notes=f.name != "conv") for f in FAMILIES.families))
    offered = [c.name for c in available(kept)]
    assert "conv2d" not in offered and offered[0] == "chain-rule" and "maxpool2d" in offered


def test_every_layer_command_option_has_a_prefixed_copy() -> None:
    command = cli.commands["notes"]
    opts = {o for p in command.params for o in getattr(p, "opts", []) + p.secondary_opts}
    for layer in available(FAMILIES):
        for option in layer.options:
            for flag in option.flag.split("/"):
                assert f"--{layer.name}-{flag[2:]}" in opts


def test_the_chain_rule_comes_first_whatever_the_order() -> None:
    code, out = run(["--sections", "conv2d,chain-rule"])
    assert code == 0
    anchors = re.findall(r'<a id="([^"]+)"></a>', out)
    assert anchors == ["section-chain-rule", "section-conv2d", "summary"]


def test_markdown_structure_numbers_and_references() -> None:
    code, out = run(BASIC)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "# Backpropagation, derived: course notes"
    # The table of contents links to anchors that exist, in order.
    links = re.findall(r"^\d+\. \[.*\]\(#([^)]+)\)$", out, re.M)
    anchors = re.findall(r'<a id="([^"]+)"></a>', out)
    assert links == anchors == ["section-chain-rule", "section-conv2d", "summary"]
    # Layer titles moved down one level: the article has one # title.
    assert sum(line.startswith("# ") for line in lines) == 1
    assert (
        "## Backpropagation through conv2d: a $3 \\times 3$ input and a $2 \\times 2$ kernel"
        in lines
    )
    assert (
        "### Forward pass" in lines and "#### Gradient: $\\frac{\\partial L}{\\partial X}$" in lines
    )
    # Equations numbered section by section, as LaTeX's \numberwithin does, each once; the
    # summary's table cites conv2d's (the forward pass, the input gradient, the kernel
    # gradient), its last sentence the chain rule's.
    tags = re.findall(r"\\tag\{(\d+\.\d+)\}", out)
    assert tags == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]
    summary = out[out.index("## Summary") :]
    assert re.findall(r"\((\d\.\d)\)", summary) == ["2.1", "2.3", "2.2", "1.2", "1.3"]
    assert "⟦" not in out


def test_latex_labels_and_references_match() -> None:
    code, out = run([*BASIC, "--format", "latex", "--standalone", "--no-figures"])
    assert code == 0
    labels = re.findall(r"\\label\{([^}]+)\}", out)
    refs = re.findall(r"\\eqref\{([^}]+)\}", out)
    assert len(labels) == len(set(labels)) == 6
    # Every layer equation and the chain rule's two-path and gate forms are referred to.
    assert set(refs) == set(labels) - {"eq:chain-rule:1"}
    assert "\\tableofcontents" in out and "\\numberwithin{equation}{section}" in out
    assert "\\section{Backpropagation through conv2d" in out
    assert "\\subsection{Forward pass}" in out and "tikzpicture" not in out


def test_section_options_reach_the_layer() -> None:
    code, out = run([*BASIC, "--conv2d-input", "4x4", "--conv2d-kernel", "3"])
    assert code == 0
    assert "a $4 \\times 4$ input and a $3 \\times 3$ kernel" in out


def test_json_holds_each_section() -> None:
    code, out = run([*BASIC, "--format", "json"])
    assert code == 0
    data = json.loads(out)
    assert data["notes"] == ["chain-rule", "conv2d"] and data["verified"] is True
    assert [s["layer"] for s in data["sections"]] == ["chain-rule", "conv2d"]


def test_same_command_same_bytes() -> None:
    assert run(BASIC) == run(BASIC)


def test_markdown_on_stdout_leaves_figures_out_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["notes", *BASIC]) == 0
    captured = capsys.readouterr()
    assert "![" not in captured.out
    assert captured.err.count("\n") == 1 and "figures left out" in captured.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sections", "chain-rule,dropout"], "unknown section 'dropout'"),
        (["--sections", "conv2d,conv2d"], "listed twice"),
        (["--sections", ""], "unknown section ''"),
        (["--sections", "chain-rule", "--conv2d-input", "4x4"], "--conv2d-input"),
        (["--conv2d-input", "0x3"], "--conv2d-input"),
        (["--figures", "--sections", "conv2d"], "give -o FILE or --output-dir DIR"),
        (["--standalone"], "--standalone"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        main(["notes", *args, "-o", "notes.md"] if "--figures" not in args else ["notes", *args])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("symderiv: error:") and message in err
    assert list(tmp_path.iterdir()) == []


def test_option_for_a_section_left_out_names_the_section(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["notes", "--sections", "chain-rule", "--conv2d-kernel", "2"]) == 2
    err = capsys.readouterr().err
    assert "--conv2d-kernel" in err and "'conv2d'" in err and "leaves out" in err


def test_uncreatable_output_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    target = blocker / "notes"
    assert main(["notes", *BASIC, "--output-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create output directory" in err and str(target) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_output_directory_gets_all_files_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "notes"
    assert main(["notes", *BASIC, "--output-dir", str(target)]) == 0
    files = sorted(p.name for p in target.iterdir())
    assert files == [
        "notes-chain-rule-gate.svg",
        "notes-conv2d-full-correlation.svg",
        "notes-conv2d-rotation.svg",
        "notes-conv2d-windows.svg",
        "notes.md",
    ]
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["notes"]  # no temporary left
    # Writing again into the existing directory replaces the files in place.
    assert main(["notes", *BASIC, "--output-dir", str(target), "--lang", "zh"]) == 0
    assert "反向传播推导讲义" in (target / "notes.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["notes"]


def test_output_file_puts_figures_beside_it(tmp_path: Path) -> None:
    assert main(["notes", *BASIC, "-o", str(tmp_path / "course.md")]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "course-chain-rule-gate.svg",
        "course-conv2d-full-correlation.svg",
        "course-conv2d-rotation.svg",
        "course-conv2d-windows.svg",
        "course.md",
    ]
    text = (tmp_path / "course.md").read_text(encoding="utf-8")
    assert "(course-conv2d-windows.svg)" in text
    assert "**Figure 1.** The gate" in text and "**Figure 4.**" in text
    assert "[Figure 1](#figure-1)" in text and '<a id="figure-1"></a>' in text


def test_failure_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing fails after some files were written, the partial set is removed."""
    import symderiv.cli.output as documents

    calls = {"n": 0}
    real_open = open

    def flaky_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if ".svg" in str(path):  # an SVG figure, or its temporary
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError(28, "No space left on device")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(documents, "open", flaky_open, raising=False)
    target = tmp_path / "out"
    assert main(["notes", *BASIC, "--output-dir", str(target)]) == 2
    assert list(tmp_path.iterdir()) == []


def test_the_default_notes_are_the_course() -> None:
    """Without --sections: the primer and the layers a first course needs, in order."""
    names = [c.name for c in course(FAMILIES)]
    assert names == [
        "chain-rule",
        "conv2d",
        "relu",
        "maxpool2d",
        "batchnorm",
        "linear",
        "cross-entropy",
    ]
    code, markdown = run(["--format", "json"])
    assert code == 0 and json.loads(markdown)["notes"] == names


def test_every_registered_section_together() -> None:
    """--sections all: every section, equations numbered once and in order, every reference
    pointing at a displayed equation."""
    code, markdown = run(["--sections", "all"])
    assert code == 0
    anchors = re.findall(r'<a id="section-([^"]+)"></a>', markdown)
    assert anchors == [c.name for c in available(FAMILIES)]
    tags = [tuple(map(int, t.split("."))) for t in re.findall(r"\\tag\{(\d+\.\d+)\}", markdown)]
    assert tags == sorted(tags) and len(set(tags)) == len(tags)
    # Within each section the numbers run 1, 2, 3, ...
    for section in {s for s, _ in tags}:
        assert [n for s, n in tags if s == section] == list(
            range(1, 1 + sum(s == section for s, _ in tags))
        )
    summary = markdown[markdown.index("## Summary") :]
    cited = {tuple(map(int, n.split("."))) for n in re.findall(r"\$ \((\d+\.\d+)\)", summary)}
    assert cited <= set(tags)
    for name in ("maxpool2d", "avgpool2d", "batchnorm"):
        if name in anchors:  # wired in: its key equations are numbered and summarised
            line = next(line for line in summary.splitlines() if line.startswith(f"| `{name}`"))
            assert re.search(r"\$ \(\d+\.\d+\)", line), line
    code, latex = run(["--sections", "all", "--format", "latex", "--no-figures"])
    assert code == 0
    labels = re.findall(r"\\label\{([^}]+)\}", latex)
    assert len(labels) == len(set(labels)) == len(tags)
    assert set(re.findall(r"\\eqref\{([^}]+)\}", latex)) <= set(labels)


def test_a_variant_after_its_section_says_what_changes() -> None:
    """layernorm after batchnorm and conv1d after conv2d: what changes, a link back, the key
    equations still numbered; before its section (or alone) a variant is written out in full."""
    code, markdown = run(["--sections", "chain-rule,conv2d,conv1d,batchnorm,layernorm"])
    assert code == 0
    conv1d = markdown[
        markdown.index('<a id="section-conv1d">') : markdown.index('<a id="section-batchnorm">')
    ]
    layernorm = markdown[
        markdown.index('<a id="section-layernorm">') : markdown.index("## Summary")
    ]
    for text, base in ((conv1d, "conv2d"), (layernorm, "batchnorm")):
        assert "### What changes" in text and f"(#section-{base})" in text
    assert "### Local gradients" not in conv1d and "conv\\_transpose1d" in conv1d
    assert "### Local derivatives" not in layernorm and "\\tag{" in layernorm
    _, alone = run(["--sections", "chain-rule,conv1d,layernorm"])
    assert "What changes" not in alone and "### Local gradients" in alone


def test_figures_are_numbered_alike_in_markdown_and_latex(tmp_path: Path) -> None:
    """LaTeX numbers its floats itself; Markdown writes the numbers in. Every figure the notes
    place must be shown, in order, or the two would drift apart; each is referred to."""
    assert main(["notes", "--sections", "all", "--output-dir", str(tmp_path / "md")]) == 0
    markdown = (tmp_path / "md" / "notes.md").read_text(encoding="utf-8")
    numbers = [int(n) for n in re.findall(r"^\*\*Figure (\d+)\.\*\* ", markdown, re.M)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 5
    assert re.findall(r'<a id="figure-(\d+)"></a>', markdown) == [str(n) for n in numbers]
    linked = {int(n) for n in re.findall(r"\[Figure (\d+)\]\(#figure-\1\)", markdown)}
    assert linked == set(numbers)
    tex = tmp_path / "notes.tex"
    assert main(["notes", "--sections", "all", "--format", "latex", "-o", str(tex)]) == 0
    latex = tex.read_text(encoding="utf-8")
    assert latex.count("\\begin{figure}") == latex.count("\\caption{") == len(numbers)
    labels = re.findall(r"\\label\{(symderiv-figure-\d+)\}", latex)
    assert labels == [f"symderiv-figure-{n}" for n in numbers]
    assert set(re.findall(r"\\ref\{(symderiv-figure-\d+)\}", latex)) == set(labels)


def test_a_section_whose_derivation_refuses_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notes", *BASIC, "--conv2d-input", "2x2", "--conv2d-kernel", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "larger than" in err


def test_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Files and text are byte-identical across runs with different PYTHONHASHSEED."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        target = tmp_path / seed
        subprocess.run(
            [
                sys.executable,
                "-m",
                "symderiv.cli",
                "notes",
                "--sections",
                "chain-rule,conv2d" + (",maxpool2d" if "maxpool2d" in NAMES else ""),
                "--output-dir",
                str(target),
            ],
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(target.iterdir())})
    assert outputs[0] == outputs[1] and len(outputs[0]) >= 4


NAMES = {c.name for c in available(FAMILIES)}


def test_the_sections_work_is_capped_as_a_whole(capsys: pytest.CaptureFixture[str]) -> None:
    """Each section under its own limit, together over the notes' limit: refused before any
    derivation, naming the limit's option; raised, the same sections pass the check."""
    big = ["--sections", "conv2d,avgpool2d", "--conv2d-input", "100", "--conv2d-kernel", "3"]
    big += ["--avgpool2d-input", "200"]
    assert main(["notes", *big]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--max-work" in err and "conv2d 0." in err
    assert main(["notes", *big, "--max-work", "0.001", "--format", "json"]) == 2


def test_the_summary_is_a_table_of_every_layer_with_its_equations() -> None:
    code, markdown = run([])
    assert code == 0
    summary = markdown[markdown.index("## Summary") :]
    rows = [line for line in summary.splitlines() if line.startswith("| `")]
    names = [c.name for c in course(FAMILIES) if c.name != "chain-rule"]
    assert [row.split("`")[1] for row in rows] == names
    tags = set(re.findall(r"\\tag\{(\d+\.\d+)\}", markdown))
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 5 and cells[4].startswith("`") and len(cells[4]) > 2, row
        numbers = re.findall(r"\((\d+\.\d+)\)", " ".join(cells[1:4]))
        assert numbers and set(numbers) <= tags, row
    # Every layer states its input gradient; the linear layer and batch norm their parameters'.
    by_name = {row.split("`")[1]: [c.strip() for c in row.strip("|").split("|")] for row in rows}
    assert all(cells[2] != "–" for cells in by_name.values())
    assert "\\partial W" in by_name["linear"][3] and "\\partial \\gamma" in by_name["batchnorm"][3]


def test_a_theorem_whose_proof_failed_is_not_stated_and_the_notes_warn() -> None:
    from symderiv.render import notes

    failed = {"number": 9, "key": "linear", "family": "linear", "statement": ["Y = 0"]}
    failed |= {"hypotheses": [], "holds": False, "dims": [], "checks": 1, "steps": []}
    part = notes.Part("linear", symderiv.linear(), theorems=(failed,))
    text = notes.assemble([part], "md", "en", False, False, "notes").text
    assert "For every size" not in text and "Y = 0" not in text
    assert "**Warning:**" in text
    held = notes.Part("linear", symderiv.linear(), theorems=({**failed, "holds": True},))
    text = notes.assemble([held], "md", "en", False, False, "notes").text
    assert "For every size" in text and "Y = 0" in text and "**Warning:**" not in text
