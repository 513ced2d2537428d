"""``osteoplan anatomy`` / ``segment`` on an image file: a label map given as the CT (QA session 21 F9) and
``--series`` given for a NIfTI (F6) exit 2 with one line on stderr and nothing on stdout (DESIGN.md
"Command line": bad input), instead of reading labels as HU or ignoring the option. In process, no Qt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.cli import EXIT_BAD_INPUT, main
from imaging.load import save_volume
from imaging.volume import Volume
from tests.phantoms.ct import build_ct_phantom


@pytest.fixture(scope="session", autouse=True)
def _needs_display() -> None:
    """No display needed: the command line runs without Qt (overrides tests/app/conftest)."""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    ct = build_ct_phantom(seed=6).volume
    folder = tmp_path_factory.mktemp("images")
    save_volume(ct, folder / "ct.nii.gz")
    labels = np.where(ct.array > 200, 29, 0).astype(np.int16)  # "L3" where the bone is
    save_volume(Volume(labels, ct.index_to_lps), folder / "labels.nii.gz")
    centre = ct.index_to_lps_points(np.array([[s / 2 for s in ct.shape]]))[0]
    return folder / "ct.nii.gz", folder / "labels.nii.gz", ",".join(f"{v:.1f}" for v in centre)


def _bad_input(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("command", "point"), [("anatomy", "--vertebra"), ("segment", "--seed")])
def test_a_label_map_given_as_the_ct_exits_2_saying_so(
    files: tuple[Path, Path, str], command: str, point: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _ct, labels, at = files
    line = _bad_input([command, str(labels), f"{point}={at}", "--json"], capsys)
    assert line.startswith(f"osteoplan {command}: {labels}: it looks like a label map"), line
    assert "HU near it" not in line


def test_a_series_uid_for_a_nifti_exits_2(
    files: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    ct, _labels, at = files
    line = _bad_input(["anatomy", str(ct), f"--vertebra={at}", "--series", "1.2.3", "--json"], capsys)
    assert line.startswith("osteoplan anatomy: no series 1.2.3 in ") and "leave the series out" in line
