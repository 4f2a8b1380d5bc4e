"""Install symderiv from the repository, non-editable, into a fresh venv and run its command.

This is the check that the wheel carries the templates (they live at the repository top and are
force-included into the package) and that the declared dependencies are enough to run: the venv
does not see the developer's site-packages. It is slow-ish (about 10-20 s: building the wheel,
installing sympy, jinja2 and click), and it always runs, in CI too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run(command: list[str | Path], cwd: Path, env: dict[str, str], timeout: float) -> str:
    proc = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    stdout = proc.stdout.decode("utf-8", errors="replace")
    stderr = proc.stderr.decode("utf-8", errors="replace")
    assert proc.returncode == 0, (
        f"{' '.join(map(str, command))} exited {proc.returncode}\n"
        f"--- stdout ---\n{stdout[-4000:]}\n--- stderr ---\n{stderr[-4000:]}"
    )
    return stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A fresh venv with `pip install <repo>`; returns (its bin dir, a scratch dir, its env)."""
    base = tmp_path_factory.mktemp("install")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    target = base / "venv"
    run([sys.executable, "-m", "venv", target], cwd=base, env=env, timeout=300)
    bin_dir = target / "bin"
    # Dependencies are installed normally (no --system-site-packages), so a dependency missing
    # from pyproject.toml fails here. pip builds the wheel with hatchling in an isolated env.
    run(
        [bin_dir / "python", "-m", "pip", "install", "--no-input", "--quiet", ROOT],
        cwd=base,
        env=env,
        timeout=900,
    )
    scratch = base / "elsewhere"  # not the repository: nothing can be picked up from the cwd
    scratch.mkdir()
    return bin_dir, scratch, env


def test_installed_package_is_not_the_checkout(venv: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, scratch, env = venv
    out = run(
        [
            bin_dir / "python",
            "-c",
            "import symderiv, symderiv.render.engine as r; "
            "print(symderiv.__file__); print(r.templates_dir())",
        ],
        cwd=scratch,
        env=env,
        timeout=120,
    )
    module, templates = (Path(line) for line in out.splitlines())
    prefix = bin_dir.parent.resolve()
    assert prefix in module.resolve().parents, f"symderiv imported from {module}, not the venv"
    assert prefix in templates.resolve().parents, f"templates at {templates}, not in the wheel"
    assert (templates / "conv2d" / "en.j2").is_file()
    assert (templates / "conv2d" / "zh.j2").is_file()


def test_installed_command_renders_markdown(venv: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, scratch, env = venv
    out = run([bin_dir / "symderiv", "conv2d"], cwd=scratch, env=env, timeout=300)
    assert out.startswith("# Backpropagation through conv2d")
    assert "**How these identities were found and proven.**" in out
    assert "$$" in out


def test_installed_command_renders_chinese_latex(venv: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, scratch, env = venv
    out = run(
        [bin_dir / "symderiv", "conv2d", "--lang", "zh", "--format", "latex", "--standalone"],
        cwd=scratch,
        env=env,
        timeout=300,
    )
    assert out.startswith("\\documentclass[11pt]{ctexart}")
    assert "\\section{用卷积表示梯度}" in out
    assert out.rstrip().endswith("\\end{document}")


def test_installed_command_writes_a_page_with_katex(
    venv: tuple[Path, Path, dict[str, str]],
) -> None:
    """The wheel carries KaTeX and the page's assets (symderiv/assets), not only the templates."""
    bin_dir, scratch, env = venv
    out = run([bin_dir / "symderiv", "relu", "--format", "html"], cwd=scratch, env=env, timeout=300)
    assert out.startswith("<!DOCTYPE html>")
    assert "katex.render(" in out and "src:url(data:font/woff2;base64," in out
