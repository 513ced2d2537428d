"""DICOM files without a (0020,000E) Series Instance UID are never merged into one volume.

Before session 27 every such file joined one series "": two UID-less series of one size and orientation
in two folders (or in one) were planned as one volume, with no word of it when their positions did not
repeat (two stacks end to end: 24 slices; two interleaved: a 1.25 mm "series") and half of each kept
when they did. Now they are grouped by folder, Study / Frame of Reference UID and Series Number, split
by Acquisition Number where that tells repeated positions apart, and refused where nothing does
(:mod:`imaging.series_without_uid`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from imaging.errors import NotAVolumeError
from imaging.load import load_volume, scan
from imaging.volume import Volume
from tests.phantoms.ct import build_ct_phantom
from tests.phantoms.dicom_writer import WrittenSeries, write_dicom_series

#: one study and frame of reference for the series written into one folder (a scanner's export)
SAME_STUDY: dict[str, Any] = {"study_uid": "1.2.826.0.1.99.1", "frame_of_reference_uid": "1.2.826.0.1.99.2"}


@pytest.fixture(scope="module")
def volumes() -> tuple[Volume, Volume]:
    """Two scans of one grid with different content (a wide and a narrow body)."""
    first = build_ct_phantom(shape=(12, 32, 32), seed=3).volume
    second = build_ct_phantom(shape=(12, 32, 32), seed=9, body_radius_mm=10.0).volume
    return first, second


def _shifted(volume: Volume, slices: float) -> Volume:
    """The same grid moved ``slices`` slice steps along its slice axis."""
    matrix = volume.index_to_lps.copy()
    matrix[:3, 3] += slices * matrix[:3, 0]
    return Volume(volume.array, matrix, volume.frame_of_reference_uid, volume.metadata)


def _without_uid(written: WrittenSeries, **tags: object) -> WrittenSeries:
    """Delete (0020,000E) Series Instance UID from every file written; set ``tags`` on each."""
    for path in written.paths:
        ds = pydicom.dcmread(path)
        del ds.SeriesInstanceUID
        for keyword, value in tags.items():
            setattr(ds, keyword, value)
        ds.save_as(path)
    return written


def _same(loaded: Volume, written: WrittenSeries) -> bool:
    return loaded.shape == written.volume.shape and bool(np.array_equal(loaded.array, written.volume.array))


def test_two_series_in_two_folders_on_one_grid_are_two_choices(
    tmp_path: Path, volumes: tuple[Volume, Volume]
) -> None:
    one = _without_uid(write_dicom_series(volumes[0], tmp_path / "scans" / "one", description="wide"))
    two = _without_uid(write_dicom_series(volumes[1], tmp_path / "scans" / "two", description="narrow"))
    found = scan(tmp_path / "scans").series
    # the base made one 12-slice series of the 24 files (each position taken twice, half of each kept)
    assert [(s.series_uid, s.shape[0], s.loadable) for s in found] == [("", 12, True), ("#2", 12, True)]
    with pytest.raises(NotAVolumeError, match="2 loadable series found") as exc:
        load_volume(tmp_path / "scans")
    for name in ("one", "two"):
        assert f"no series UID: open its folder {tmp_path / 'scans' / name} instead" in str(exc.value)
    assert _same(load_volume(tmp_path / "scans" / "one").volume, one)
    assert _same(load_volume(tmp_path / "scans" / "two").volume, two)
    assert _same(load_volume(tmp_path / "scans", "#2").volume, two)  # the id the list gives


def test_two_series_end_to_end_in_two_folders_are_not_stacked(
    tmp_path: Path, volumes: tuple[Volume, Volume]
) -> None:
    _without_uid(write_dicom_series(volumes[0], tmp_path / "upper"))
    _without_uid(write_dicom_series(_shifted(volumes[1], 12), tmp_path / "lower"))
    found = scan(tmp_path).series
    assert [s.shape[0] for s in found] == [12, 12]  # the base: one 24-slice volume, no warning


def test_two_series_in_one_folder_are_told_apart_by_series_number(
    tmp_path: Path, volumes: tuple[Volume, Volume]
) -> None:
    first = write_dicom_series(volumes[0], tmp_path, file_prefix="A", **SAME_STUDY)
    second = write_dicom_series(volumes[1], tmp_path, file_prefix="B", **SAME_STUDY)
    _without_uid(first, SeriesNumber=3)
    _without_uid(second, SeriesNumber=4)
    with pytest.raises(NotAVolumeError, match="2 loadable series found") as exc:
        load_volume(tmp_path)
    assert 'choose it with --series "#2"' in str(exc.value)
    assert _same(load_volume(tmp_path, "").volume, first)  # series number 3 sorts first
    assert _same(load_volume(tmp_path, "#2").volume, second)
    # one slice opened on its own brings the slices of its own series only
    assert _same(load_volume(second.paths[5]).volume, second)


def test_two_series_in_one_folder_are_told_apart_by_acquisition_number(
    tmp_path: Path, volumes: tuple[Volume, Volume]
) -> None:
    first = write_dicom_series(volumes[0], tmp_path, file_prefix="A", **SAME_STUDY)
    second = write_dicom_series(volumes[1], tmp_path, file_prefix="B", **SAME_STUDY)
    _without_uid(first, SeriesNumber=3, AcquisitionNumber=1)
    _without_uid(second, SeriesNumber=3, AcquisitionNumber=2)
    assert [s.shape[0] for s in scan(tmp_path).series] == [12, 12]
    assert _same(load_volume(tmp_path, "").volume, first)
    assert _same(load_volume(tmp_path, "#2").volume, second)


def test_repeated_positions_that_nothing_tells_apart_are_refused(
    tmp_path: Path, volumes: tuple[Volume, Volume]
) -> None:
    _without_uid(write_dicom_series(volumes[0], tmp_path, file_prefix="A", **SAME_STUDY), SeriesNumber=3)
    _without_uid(write_dicom_series(volumes[1], tmp_path, file_prefix="B", **SAME_STUDY), SeriesNumber=3)
    with pytest.raises(NotAVolumeError) as exc:
        load_volume(tmp_path)
    words = str(exc.value)
    assert f"24 files in {tmp_path} have no (0020,000E) Series Instance UID" in words
    assert "12 slice position(s) are taken twice (e.g. A0001.dcm and B0001.dcm)" in words
    assert "they were not merged" in words and "Put each series in its own folder" in words


def test_interleaved_series_with_repeated_instance_numbers_are_refused(
    tmp_path: Path, volumes: tuple[Volume, Volume]
) -> None:
    """Two stacks half a slice apart: every position differs, but each file number 1..12 is given twice.
    The base loaded them as one 24-slice series at 1.25 mm."""
    _without_uid(write_dicom_series(volumes[0], tmp_path, file_prefix="A", **SAME_STUDY), SeriesNumber=3)
    second = write_dicom_series(_shifted(volumes[1], 0.5), tmp_path, file_prefix="B", **SAME_STUDY)
    _without_uid(second, SeriesNumber=3)
    (info,) = scan(tmp_path).series
    assert not info.loadable and info.refusal is not None
    assert "12 instance number(s) are given to two files (e.g. 1: A0001.dcm and B0001.dcm)" in info.refusal


def test_one_series_without_uid_still_loads_whole(tmp_path: Path, volumes: tuple[Volume, Volume]) -> None:
    written = _without_uid(write_dicom_series(volumes[0], tmp_path / "only", shuffle=True))
    (info,) = scan(tmp_path).series
    assert (info.series_uid, info.shape[0], info.loadable) == ("", 12, True)
    assert _same(load_volume(tmp_path).volume, written)
