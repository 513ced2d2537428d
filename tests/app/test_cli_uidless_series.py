"""``osteoplan`` on DICOM series without a Series Instance UID (session 27): two in two folders are listed
apart, each with its folder, and a command that needs one volume exits 2 saying how to choose; files that
nothing tells apart are refused, never merged. In process, no Qt."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from app.cli import main
from tests.app.test_cli_image_file_refusals import _bad_input
from tests.phantoms.ct import build_ct_phantom
from tests.phantoms.dicom_writer import write_dicom_series

SAME_STUDY = {"study_uid": "1.2.826.0.1.99.1", "frame_of_reference_uid": "1.2.826.0.1.99.2"}


@pytest.fixture(scope="session", autouse=True)
def _needs_display() -> None:
    """No display needed: the command line runs without Qt (overrides tests/app/conftest)."""


def _without_uid(paths: tuple[Path, ...]) -> None:
    for path in paths:
        ds = pydicom.dcmread(path)
        del ds.SeriesInstanceUID
        ds.save_as(path)


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two UID-less series on one grid, in folders ``one`` and ``two``; in ``mixed``, two that share a
    folder, study and series number."""
    root = tmp_path_factory.mktemp("uidless")
    for seed, name in ((3, "one"), (9, "two")):
        phantom = build_ct_phantom(shape=(12, 32, 32), seed=seed, body_radius_mm=6.0 + seed)
        _without_uid(write_dicom_series(phantom.volume, root / "scans" / name).paths)
        _without_uid(write_dicom_series(phantom.volume, root / "mixed", file_prefix=name, **SAME_STUDY).paths)
    return root


def test_anatomy_lists_both_series_with_their_folders(
    scans: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _bad_input(["anatomy", str(scans / "scans"), "--vertebra=0,0,0", "--json"], capsys)
    assert line.startswith("osteoplan anatomy: 2 loadable series found"), line
    for name in ("one", "two"):
        assert f"no series UID: open its folder {scans / 'scans' / name} instead" in line


def test_info_names_each_series_by_its_id_and_folder(scans: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(scans / "scans")]) == 0
    out = capsys.readouterr().out
    assert f'Series "" (no series UID; files in {scans / "scans" / "one"}, series number 1)' in out
    assert f'Series "#2" (no series UID; files in {scans / "scans" / "two"}, series number 1)' in out


def test_segment_refuses_files_that_nothing_tells_apart(
    scans: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _bad_input(["segment", str(scans / "mixed"), "--seed=0,0,0"], capsys)
    assert line.startswith(f"osteoplan segment: 24 files in {scans / 'mixed'} have no (0020,000E) Series")
    assert "they were not merged" in line
