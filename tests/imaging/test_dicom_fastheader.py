"""The minimal header reader gives exactly what pydicom gives, or steps aside (returns None)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pydicom
import pytest

from imaging.dicom_fastheader import read_fast_header
from imaging.dicom_scan import read_file_headers
from imaging.errors import DicomImportError
from tests.phantoms.ct import build_ct_phantom
from tests.phantoms.dicom_writer import write_dicom_series


def _same(path: Path) -> bool:
    fast = [asdict(h) for h in read_file_headers(path, fast=True)]
    slow = [asdict(h) for h in read_file_headers(path, fast=False)]
    return fast == slow


@pytest.mark.parametrize(
    "options",
    [{}, {"implicit_vr": True}, {"signed": True, "prone": True}, {"enhanced": True}, {"compression": "rle"}],
)
def test_phantom_headers_identical(tmp_path: Path, options: dict[str, object]) -> None:
    w = write_dicom_series(build_ct_phantom(seed=2).volume, tmp_path, **options)
    for path in w.paths[:5]:
        assert _same(path), path
    classic_raw = not options.get("enhanced") and not options.get("compression")
    assert (read_fast_header(w.paths[0]) is not None) == classic_raw


def test_pixel_offset_points_at_the_values(tmp_path: Path) -> None:
    w = write_dicom_series(build_ct_phantom(seed=2).volume, tmp_path, drop_slices=range(1, 40))
    parsed = read_fast_header(w.paths[0])
    assert parsed is not None
    _, _, offset, length, _ = parsed
    ds = pydicom.dcmread(w.paths[0])
    assert w.paths[0].read_bytes()[offset : offset + length] == ds.PixelData


def test_non_image_and_garbage_step_aside(tmp_path: Path) -> None:
    w = write_dicom_series(
        build_ct_phantom(seed=2).volume, tmp_path, add_non_image=True, drop_slices=range(40)
    )
    assert read_fast_header(w.paths[0]) is None  # no pixel data: pydicom path says so by name
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x00" * 128 + b"DICM" + b"\xff" * 64)
    assert read_fast_header(junk) is None


@pytest.mark.realdata
def test_real_files_identical(shared_data: Path) -> None:
    compared = 0
    for path in sorted(p for p in shared_data.rglob("*") if p.is_file()):
        if path.suffix in (".gz", ".nrrd", ".csv", ".md"):
            continue
        try:
            assert _same(path), path
        except DicomImportError:
            continue
        compared += 1
    assert compared > 150
