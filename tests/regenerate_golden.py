"""Rewrite the golden files from the current code: python tests/regenerate_golden.py

Review the diff before committing: a golden file changes only when the output is meant to.
Every command a user can reach is pinned in every format; the human formats in both languages
(JSON is the same in every language, which ``test_golden`` checks separately).
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from symderiv.cli.main import cli

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = "python tests/regenerate_golden.py"

# (name, CLI arguments): each layer command with its defaults, and the variants that take
# another path through the code (stride and remainder, bias, channels, no match, eval mode).
COMMANDS: list[tuple[str, list[str]]] = [
    ("conv1d", ["conv1d"]),
    ("conv2d", ["conv2d"]),
    ("conv2d-stride2", ["conv2d", "--input", "6", "--kernel", "3", "--stride", "2"]),
    ("conv2d-bias", ["conv2d", "--bias"]),
    ("conv2d-worked", ["conv2d", "--stride", "2", "--padding", "1", "--seed", "3"]),
    (
        "conv2d-channels",
        [
            "conv2d",
            "--input",
            "3",
            "--kernel",
            "2",
            "--in-channels",
            "2",
            "--out-channels",
            "2",
            "--groups",
            "2",
            "--padding",
            "1",
            "--stride",
            "2",
            "--bias",
        ],
    ),
    ("conv3d", ["conv3d"]),
    ("conv-transpose1d", ["conv-transpose1d"]),
    ("conv-transpose2d", ["conv-transpose2d", "--stride", "2", "--output-padding", "1"]),
    ("conv-transpose3d", ["conv-transpose3d"]),
    ("maxpool1d", ["maxpool1d"]),
    ("maxpool2d", ["maxpool2d"]),
    ("maxpool2d-overlap", ["maxpool2d", "--values", "1,3,3;3,0,3;2,3,1", "--stride", "1"]),
    ("maxpool3d", ["maxpool3d"]),
    ("avgpool1d", ["avgpool1d"]),
    ("avgpool2d", ["avgpool2d"]),
    (
        "avgpool2d-padding",
        ["avgpool2d", "--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1"],
    ),
    ("avgpool2d-nomatch", ["avgpool2d", "--padding", "1", "--no-count-include-pad"]),
    (
        "avgpool2d-worked",
        ["avgpool2d", "--input", "3", "--kernel", "2", "--stride", "1", "--seed", "2"],
    ),
    ("avgpool3d", ["avgpool3d"]),
    ("global-avgpool", ["global-avgpool"]),
    ("chain-rule", ["chain-rule"]),
    ("batchnorm", ["batchnorm"]),
    ("batchnorm-eval", ["batchnorm", "--mode", "eval", "--eps", "1e-5"]),
    ("layernorm", ["layernorm"]),
    ("groupnorm", ["groupnorm"]),
    ("instancenorm", ["instancenorm"]),
    ("linear", ["linear"]),
    (
        "linear-sequence",
        ["linear", "--batch", "2x3", "--in-features", "2", "--out-features", "4", "--no-bias"],
    ),
    ("relu", ["relu"]),
    ("leaky-relu", ["leaky-relu", "--values", "1,-2;0,3", "--negative-slope", "0.2"]),
    ("sigmoid", ["sigmoid"]),
    ("tanh", ["tanh", "--input", "2"]),
    ("gelu", ["gelu", "--input", "2"]),
    ("gelu-tanh", ["gelu", "--input", "2", "--approximate", "tanh"]),
    ("softplus", ["softplus", "--input", "2", "--beta", "2"]),
    ("flatten", ["flatten"]),
    ("flatten-channels", ["flatten", "--input", "2x3x4", "--start-dim", "1"]),
    ("softmax", ["softmax"]),
    ("softmax-dim0", ["softmax", "--input", "2x2", "--dim", "0"]),
    ("log-softmax", ["log-softmax", "--input", "3"]),
    ("cross-entropy", ["cross-entropy"]),
    (
        "cross-entropy-weighted",
        ["cross-entropy", "--target", "1,0", "--weight", "1,2,1", "--label-smoothing", "0.2"],
    ),
    (
        "cross-entropy-probabilities",
        [
            "cross-entropy",
            "--target-probabilities",
            "0.25,0.75;1,0",
            "--classes",
            "2",
            "--reduction",
            "none",
        ],
    ),
    ("network", ["network"]),
    (
        "network-symbols",
        [
            "network",
            "--mode",
            "symbols",
            "--input",
            "1x1x3x3",
            "--layers",
            "conv2d(out_channels=1, kernel=2); flatten; linear(out_features=2); "
            "cross-entropy(target=1)",
        ],
    ),
    ("notes", ["notes"]),
    ("notes-short", ["notes", "--sections", "chain-rule,conv2d,maxpool2d,batchnorm"]),
]

FORMATS = (("md", "md", []), ("latex", "tex", ["--standalone"]))

CASES: list[tuple[str, list[str]]] = [
    (f"{name}.{lang}.{ext}", [*args, "--lang", lang, "--format", fmt, *extra])
    for name, args in COMMANDS
    for fmt, ext, extra in FORMATS
    for lang in ("en", "zh")
]
CASES += [(f"{name}.json", [*args, "--format", "json"]) for name, args in COMMANDS]

# A layer's figures: TikZ inside a fragment (the notes above carry theirs in the standalone).
CASES += [
    (f"{name}-figures.en.tex", [name, "--format", "latex", "--figures"])
    for name in ("conv2d", "maxpool2d", "chain-rule", "network")
]


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    wanted = {name for name, _ in CASES}
    for stale in GOLDEN.iterdir():
        if stale.name not in wanted:
            stale.unlink()
            print(f"removed tests/golden/{stale.name}")
    for name, args in CASES:
        # Standard output, as the test reads it (-o would add the Markdown figures as files).
        result = CliRunner().invoke(cli, args)
        if result.exit_code:
            raise SystemExit(f"{name}: exit code {result.exit_code}: {result.output}")
        (GOLDEN / name).write_text(result.output, encoding="utf-8")
        print(f"wrote tests/golden/{name}")
