"""The one slice numbering the operator reads (imaging.slice_numbers): the views' numbers, 1-based.

Expected numbers are derived here from the slices' LPS positions (the axial view counts from the top,
so a slice's number is 1 + the slices above it), never from the function under test; the import
report's sentence about a missing slice must carry that number. Positions LPS mm.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from imaging.load import load_volume, scan
from imaging.slice_numbers import SliceNumbering, slice_numbering
from imaging.volume import Volume
from tests.phantoms.ct import CtPhantom, build_ct_phantom
from tests.phantoms.dicom_writer import write_dicom_series

#: an LPS position closer than this (mm) to another is the same slice position
SAME_POSITION_MM = 1e-3


@pytest.fixture(scope="module")
def phantom() -> CtPhantom:
    return build_ct_phantom(seed=7)


def axial_number_by_position(volume: Volume, index: int) -> int:
    """1 + the number of the volume's slices lying above (superior to) slice ``index``."""
    idx = np.zeros((volume.shape[0], 3))
    idx[:, 0] = np.arange(volume.shape[0])
    z_mm = volume.index_to_lps_points(idx)[:, 2]
    return 1 + int(np.sum(z_mm > z_mm[index] + SAME_POSITION_MM))


@pytest.mark.parametrize(
    ("direction", "view", "reversed_"),
    [
        (np.eye(3), "axial", True),  # head first: slice 0 is the lowest, the view starts at the top
        (np.diag([-1.0, 1.0, -1.0]), "axial", False),  # feet first: slice 0 is the highest
        (np.diag([-1.0, -1.0, 1.0]), "axial", True),  # prone, head first
        # PIR-stored NIfTI: slices along +x (towards the patient's left), the sagittal view's order
        (np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]), "sagittal", False),
        # slices along -y (towards the front): the coronal view counts from the front, so reversed
        (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, -1.0, 0.0]]), "coronal", True),
    ],
)
def test_numbering_follows_the_view_that_shows_the_slices(
    direction: np.ndarray, view: str, reversed_: bool
) -> None:
    numbering = slice_numbering(direction, (30, 8, 8))
    assert numbering == SliceNumbering(view, 30, reversed_)
    first, last = (30, 1) if reversed_ else (1, 30)
    assert (numbering.number(0), numbering.number(29)) == (first, last)
    for k in (0, 7, 29):
        assert numbering.index(numbering.number(k)) == k


def test_numbering_of_another_axis_and_of_an_oblique_grid() -> None:
    # the row axis of a head-first supine axial grid runs posterior: the coronal view's own order
    assert slice_numbering(np.eye(3), (30, 20, 10), axis=1) == SliceNumbering("coronal", 20, False)
    assert slice_numbering(np.eye(3), (30, 20, 10), axis=2) == SliceNumbering("sagittal", 10, False)
    c, s = np.cos(np.radians(18.5)), np.sin(np.radians(18.5))
    tilted = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    assert slice_numbering(tilted, (30, 8, 8)) is None  # no view shows these slices whole


def test_text_lists_runs_in_the_views_order() -> None:
    numbering = SliceNumbering("axial", 40, True)
    assert numbering.text([39]) == "axial slice 1/40"
    assert numbering.text([23, 24, 25, 0]) == "axial slices 15-17, 40/40"
    assert numbering.label(0) == "40/40"


def test_numbers_outside_the_view_are_refused() -> None:
    numbering = SliceNumbering("axial", 40, False)
    with pytest.raises(ValueError, match=r'"index" must lie in 0\.\.39'):
        numbering.number(40)
    with pytest.raises(ValueError, match=r'"number" must lie in 1\.\.40'):
        numbering.index(0)
    with pytest.raises(ValueError, match='"direction" must be a 3x3'):
        slice_numbering(np.eye(2), (1, 1, 1))


@pytest.mark.parametrize("feet_first", [False, True])
def test_import_note_numbers_the_missing_slice_as_the_axial_view(
    tmp_path: Path, phantom: CtPhantom, feet_first: bool
) -> None:
    """The note's number is the made-up slice's place counted from the top, head or feet first."""
    written = write_dicom_series(phantom.volume, tmp_path / "gap", drop_slices=[9], feet_first=feet_first)
    result = load_volume(tmp_path / "gap")
    v = result.volume
    (k,) = v.interpolated_slices
    made_up_lps = written.volume.index_to_lps_points(np.array([9.0, 0.0, 0.0]))
    assert abs(float(v.lps_to_index_points(made_up_lps)[0]) - k) < 1e-3
    expected = axial_number_by_position(v, k)
    text = " ".join(result.report.warnings)
    found = re.search(r"axial slice (\d+)/(\d+) in the views\) is interpolated", text)
    assert found is not None, text
    assert (int(found.group(1)), int(found.group(2))) == (expected, v.shape[0])
    # PACS side: the images on either side of the gap by their instance numbers
    assert re.search(r"IM\d+\.dcm and IM\d+\.dcm \(instances \d+ and \d+\)", text)
    # the headers-only scan (osteoplan info) says the same
    assert any(found.group(0) in w for w in scan(tmp_path / "gap").series[0].warnings)
