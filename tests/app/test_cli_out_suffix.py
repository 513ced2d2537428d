"""``convert``, ``segment`` and ``anatomy`` refuse an ``--out`` that names no image format, before loading
anything (one check, app.cli.check_image_output_path, serves the three). Real subprocesses, no Qt."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_cli_info_convert import run_cli

REASON = "--out out.txt must end in .nii.gz, .nii, .nrrd or .mha"


@pytest.fixture(scope="session", autouse=True)
def _needs_display() -> None:
    """No display needed: these tests run the command line without Qt (overrides tests/app/conftest)."""


@pytest.mark.parametrize(
    "command",
    [["convert"], ["segment", "--seed", "1,2,3"], ["anatomy", "--vertebra", "1,2,3"]],
)
def test_an_out_file_of_no_image_format_is_refused_before_loading(command: list[str], tmp_path: Path) -> None:
    # not an image at all: were it loaded first, the refusal would be the loader's
    source = tmp_path / "ct.nii.gz"
    source.write_bytes(b"not a CT")
    proc = run_cli(command[0], str(source), *command[1:], "--out", str(tmp_path / "out.txt"))
    assert proc.returncode == 2, proc.stderr
    assert REASON in proc.stderr
    assert not (tmp_path / "out.txt").exists()
