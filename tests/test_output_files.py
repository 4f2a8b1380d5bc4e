"""Writing files: all or nothing for one file and for a set, through symlinks, into FIFOs,
never onto a directory, modes as open() gives them, inert links, and clean interruptions."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from symderiv.cli.main import main

LARGE = ["conv2d", "--input", "100", "--kernel", "3"]
"""A derivation of several seconds: it is still running when the signal arrives."""


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_a_new_file_gets_the_umask_mode_and_an_existing_one_keeps_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mask = os.umask(0o022)
    try:
        new = tmp_path / "new.md"
        assert run(["conv2d", "-o", str(new)], capsys)[0] == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.md"
        kept.write_text("old", encoding="utf-8")
        kept.chmod(0o640)
        assert run(["conv2d", "-o", str(kept)], capsys)[0] == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() != "old"
        directory = tmp_path / "notes"
        assert run(["conv2d", "--figures", "--output-dir", str(directory)], capsys)[0] == 0
        assert {stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()} == {0o644}
    finally:
        os.umask(mask)


def test_a_symlink_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "real.md"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert run(["conv2d", "-o", str(link)], capsys)[0] == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("# Backprop")


def test_a_fifo_is_written_into_not_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    assert run(["conv2d", "-o", str(fifo)], capsys)[0] == 0
    reader.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and received[0].startswith("# Backprop")
    assert run(["conv2d", "-o", "/dev/null"], capsys)[0] == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(["conv2d", "-o", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1 and "is a directory" in err


def test_a_set_is_replaced_all_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A figure name that is blocked by a directory: no file of the set is replaced."""
    (tmp_path / "conv2d.md").write_text("old text", encoding="utf-8")
    (tmp_path / "conv2d-windows.svg").write_text("old figure", encoding="utf-8")
    (tmp_path / "conv2d-rotation.svg").mkdir()
    code, err = run(["conv2d", "--figures", "--output-dir", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert (tmp_path / "conv2d.md").read_text(encoding="utf-8") == "old text"
    assert (tmp_path / "conv2d-windows.svg").read_text(encoding="utf-8") == "old figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "conv2d-rotation.svg",
        "conv2d-windows.svg",
        "conv2d.md",
    ]


def test_figure_links_are_inert_for_any_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "a) <img src=x onerror=alert(1)> (.md"
    assert run(["conv2d", "--figures", "-o", str(tmp_path / name)], capsys)[0] == 0
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert "<img" not in text and "](a%29%20%3Cimg%20src%3Dx" in text
    figure = "a) <img src=x onerror=alert(1)> (-windows.svg"
    assert (tmp_path / figure).is_file()


def test_standard_output_that_cannot_be_written_is_one_line() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "symderiv", "conv2d"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "standard output" in done.stderr


def test_verify_without_a_layer_fails_naming_the_layers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = run(["verify"], capsys)
    assert code == 2 and err.count("\n") == 1 and "conv2d" in err and "batchnorm" in err


def test_a_stray_argument_with_a_newline_is_still_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = run(["conv2d", "a\nb"], capsys)
    assert code == 2 and err.count("\n") == 1 and "a\\nb" in err


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("target", ["file", "directory"])
def test_an_interrupted_write_leaves_the_targets_and_no_temporary(
    tmp_path: Path, sent: signal.Signals, code: int, target: str
) -> None:
    existing = tmp_path / "conv2d.md"
    existing.write_text("old", encoding="utf-8")
    where = ["-o", str(existing)] if target == "file" else ["--output-dir", str(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, "-m", "symderiv", *LARGE, "--figures", *where],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # past start-up, inside the derivation or the write
    process.send_signal(sent)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert existing.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv2d.md"]
