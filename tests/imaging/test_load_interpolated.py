"""Which slices of a loaded volume were interpolated rather than measured (``Volume.interpolated_slices``).

Synthetic DICOM series written with pydicom, with slices left out: the index a made-up slice must have
in the loaded volume is found from its LPS position (written by construction), not assumed, so a feet-
first or shuffled series checks the ordering too. Positions are mm along the slice normal; indices are
0-based along axis 0 of ``[slice, row, col]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.load import load_volume, scan
from imaging.resampled_slices import gap_slices, interpolated_slices
from imaging.volume import Volume
from tests.phantoms.ct import CtPhantom, build_ct_phantom
from tests.phantoms.dicom_writer import WrittenSeries, write_dicom_series


@pytest.fixture(scope="module")
def phantom() -> CtPhantom:
    return build_ct_phantom(seed=5)


def loaded_index_of(written: WrittenSeries, written_slice: int, loaded: Volume) -> int:
    """Index in ``loaded`` of the slice the writer had at ``written_slice`` (through its LPS position)."""
    lps = written.volume.index_to_lps_points(np.array([float(written_slice), 0.0, 0.0]))
    k = float(loaded.lps_to_index_points(lps)[0])
    assert abs(k - round(k)) < 1e-3, f"written slice {written_slice} is off the loaded grid ({k:.4f})"
    return round(k)


@pytest.mark.parametrize("options", [{}, {"feet_first": True}, {"shuffle": True, "feet_first": True}])
def test_missing_middle_slice_is_marked_by_its_volume_index(
    tmp_path: Path, phantom: CtPhantom, options: dict[str, bool]
) -> None:
    written = write_dicom_series(phantom.volume, tmp_path / "gap", drop_slices=[23], **options)
    result = load_volume(tmp_path / "gap")
    v = result.volume
    expected = loaded_index_of(written, 23, v)
    assert v.interpolated_slices == (expected,)
    # the scan (headers only) says the same, and so does the import report's sentence
    info = scan(tmp_path / "gap").series[0]
    assert info.interpolated_slices == (expected,)
    assert info.to_json()["interpolated_slices"] == [expected]
    text = " ".join(result.report.warnings)
    # named by the number the axial view shows, counted from its top: 1 + the slices above it
    z_mm = v.index_to_lps_points(
        np.stack([np.arange(v.shape[0]), np.zeros(v.shape[0]), np.zeros(v.shape[0])], 1)
    )
    shown = 1 + int(np.sum(z_mm[:, 2] > z_mm[expected, 2] + 1e-3))
    assert f"(axial slice {shown}/{v.shape[0]} in the views) is interpolated" in text
    # its measured neighbours are not marked, and they hold the values written (to the HU)
    for neighbour in (expected - 1, expected + 1):
        assert neighbour not in v.interpolated_slices
    for written_slice in (22, 24):
        k = loaded_index_of(written, written_slice, v)
        np.testing.assert_array_equal(v.array[k], written.volume.array[written_slice])


def test_three_missing_slices_are_three_marked(tmp_path: Path, phantom: CtPhantom) -> None:
    written = write_dicom_series(phantom.volume, tmp_path / "three", drop_slices=[15, 16, 17])
    v = load_volume(tmp_path / "three").volume
    expected = tuple(sorted(loaded_index_of(written, k, v) for k in (15, 16, 17)))
    assert v.interpolated_slices == expected
    assert expected == (expected[0], expected[0] + 1, expected[0] + 2)


def test_complete_or_end_cut_series_marks_nothing(tmp_path: Path, phantom: CtPhantom) -> None:
    write_dicom_series(phantom.volume, tmp_path / "full")
    assert load_volume(tmp_path / "full").volume.interpolated_slices == ()
    # a missing end slice only shortens the volume: nothing is made up
    write_dicom_series(phantom.volume, tmp_path / "end", drop_slices=[39])
    v = load_volume(tmp_path / "end").volume
    assert v.shape[0] == 39 and v.interpolated_slices == ()


def test_crop_keeps_the_marks_that_fall_inside(phantom: CtPhantom) -> None:
    v = Volume(phantom.volume.array, phantom.volume.index_to_lps, interpolated_slices=(30, 5, 12, 12))
    assert v.interpolated_slices == (5, 12, 30)  # sorted, unique
    sub = v.crop((10, 0, 0), (31, 64, 64))
    assert sub.interpolated_slices == (2, 20)  # 12 and 30 counted from slice 10; 5 is outside
    # the same slice in patient space: the crop's slice 2 is the volume's slice 12
    np.testing.assert_allclose(
        sub.index_to_lps_points(np.array([2.0, 0.0, 0.0])), v.index_to_lps_points(np.array([12.0, 0.0, 0.0]))
    )
    assert v.with_array(v.array.copy()).interpolated_slices == (5, 12, 30)
    with pytest.raises(ValueError, match="interpolated_slices"):
        Volume(phantom.volume.array, phantom.volume.index_to_lps, interpolated_slices=(40,))


def test_gap_slices_are_those_strictly_inside() -> None:
    # measured at 40 and 45 mm on a 2.5 mm grid: 42.5 mm, slice 17, is the one made up
    assert gap_slices(40.0, 45.0, 2.5) == (17, 17)
    # measured at 10 and 20 mm on a 2.5 mm grid: 12.5, 15, 17.5 mm are made up
    assert gap_slices(10.0, 20.0, 2.5) == (5, 7)
    # neighbouring grid points: nothing between them
    assert gap_slices(10.0, 12.5, 2.5) is None


def test_uneven_step_marks_only_slices_beyond_half_a_spacing() -> None:
    # measured at 0, 2, 3 mm; output every 1 mm: 1 mm lies 1 mm from both (beyond 0.5): made up
    assert interpolated_slices([0.0, 2.0, 3.0], 4, 1.0) == (1,)
    # measured at 0, 1.2, 2, 3 mm: the 1 mm output is 0.2 mm from a measured slice, within reach
    assert interpolated_slices([0.0, 1.2, 2.0, 3.0], 4, 1.0) == ()
    # output at 0, 1.04, 2.08, 3.12, 4.16, 5.2 mm: 2.08 and 3.12 are over 0.52 mm from 1.0 and 4.2 ...
    assert interpolated_slices([0.0, 1.0, 4.2, 5.2], 6, 1.04) == (2, 3)
    # ... and when that step is a gap, 1.04 and 4.16 (0.04 mm from measured slices, inside it) are too
    assert interpolated_slices([0.0, 1.0, 4.2, 5.2], 6, 1.04, gap_steps=[1]) == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="gap_steps"):
        interpolated_slices([0.0, 1.0], 2, 1.0, gap_steps=[1])
