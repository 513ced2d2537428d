"""The display grid (no Qt): any stored orientation is shown with -z, +y, +x along its index axes.

Truth by construction: for random LPS points inside the volume, the display grid's voxel at a
point holds the same value as the source grid's voxel at that point, and its axes point where the
radiological convention needs them. Masks are carried to the display grid voxel-exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from app.display_geometry import ViewAxis, apply_window, reorient_for_display
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry

DIRECTIONS = {
    "LPS": np.eye(3),
    "FFS": np.array([[-1.0, 0, 0], [0, 1, 0], [0, 0, -1]]).T,
    "prone": np.array([[-1.0, 0, 0], [0, -1, 0], [0, 0, 1]]).T,
    "PIR": np.array([[0.0, 1, 0], [0, 0, -1], [-1, 0, 0]]).T,
    "RAS-like": np.array([[-1.0, 0, 0], [0, -1, 0], [0, 0, 1]]).T,
    "IAL": np.array([[0.0, 0, -1], [0, -1, 0], [1, 0, 0]]).T,
}


def random_volume(direction: np.ndarray, seed: int = 0) -> Volume:
    rng = np.random.default_rng(seed)
    array = rng.integers(-1000, 2000, size=(7, 9, 11)).astype(np.int16)
    return Volume(array, affine_from_geometry((12.0, -30.0, 55.0), (2.5, 0.7, 0.9), direction))


@pytest.mark.parametrize("name", list(DIRECTIONS))
def test_axis_aligned_grids_are_permuted_exactly(name: str) -> None:
    volume = random_volume(DIRECTIONS[name])
    shown = reorient_for_display(volume)
    assert not shown.resampled
    assert np.shares_memory(shown.volume.array, volume.array)  # a view, no copy
    m = shown.volume.index_to_lps[:3, :3]
    # display axes: index 0 -> inferior (-z), 1 -> posterior (+y), 2 -> patient's left (+x)
    assert m[2, 0] < 0 and m[1, 1] > 0 and m[0, 2] > 0
    assert np.count_nonzero(np.abs(m) > 1e-9) == 3
    rng = np.random.default_rng(1)
    for src_index in rng.integers(0, volume.shape, size=(20, 3)):
        lps = volume.index_to_lps_points(src_index)
        disp_index = shown.volume.lps_to_index_points(lps)
        assert np.allclose(disp_index, np.rint(disp_index), atol=1e-9)
        k, i, j = np.rint(disp_index).astype(int)
        assert shown.volume.array[k, i, j] == volume.array[tuple(src_index)]
    letters = {v: shown.edge_letters(v) for v in ViewAxis}
    assert letters[ViewAxis.AXIAL] == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert letters[ViewAxis.CORONAL] == {"left": "R", "right": "L", "top": "S", "bottom": "I"}
    assert letters[ViewAxis.SAGITTAL] == {"left": "A", "right": "P", "top": "S", "bottom": "I"}


@pytest.mark.parametrize("name", ["PIR", "FFS"])
def test_masks_follow_the_volume_voxel_exactly(name: str) -> None:
    volume = random_volume(DIRECTIONS[name])
    shown = reorient_for_display(volume)
    full = np.zeros(volume.shape, dtype=bool)
    full[2:5, 3:6, 4:10] = True
    full[3, 4, 9] = False
    mask = Mask.from_full(full)
    box, off = shown.mask_to_display(mask)
    got = np.zeros(shown.shape, dtype=bool)
    got[off[0] : off[0] + box.shape[0], off[1] : off[1] + box.shape[1], off[2] : off[2] + box.shape[2]] = box
    for src_index in np.argwhere(np.ones(volume.shape, dtype=bool)):
        lps = volume.index_to_lps_points(src_index)
        k, i, j = np.rint(shown.volume.lps_to_index_points(lps)).astype(int)
        assert got[k, i, j] == full[tuple(src_index)]


def test_oblique_grid_is_resampled_onto_lps_axes() -> None:
    rotation = Rotation.from_euler("zy", [25.0, 10.0], degrees=True).as_matrix()
    z, y, x = np.mgrid[0:30, 0:40, 0:40]
    # a linear ramp in LPS x (mm) is reproduced exactly by trilinear resampling inside the grid
    volume0 = Volume(
        np.zeros((30, 40, 40), dtype=np.float32), affine_from_geometry((0, 0, 0), (1.0, 1.0, 1.0), rotation)
    )
    lps = volume0.index_to_lps_points(np.stack([z, y, x], axis=-1))
    volume = volume0.with_array((10.0 * lps[..., 0]).astype(np.float32))
    shown = reorient_for_display(volume)
    assert shown.resampled
    m = shown.volume.index_to_lps[:3, :3]
    assert m[2, 0] < 0 and m[1, 1] > 0 and m[0, 2] > 0
    centre_lps = volume.index_to_lps_points([15.0, 20.0, 20.0])
    k, i, j = np.rint(shown.volume.lps_to_index_points(centre_lps)).astype(int)
    voxel_lps = shown.volume.index_to_lps_points([k, i, j])
    assert shown.volume.array[k, i, j] == pytest.approx(10.0 * voxel_lps[0], abs=0.5)  # 0.05 mm


def test_apply_window_maps_the_window_linearly() -> None:
    hu = np.array([-1000.0, -500.0, 400.0, 1300.0, 3000.0])
    grey = apply_window(hu, 1800.0, 400.0)
    assert grey.tolist() == [0, 0, 127, 255, 255]


def _inside_convex(polygon: tuple[tuple[float, float], ...], points: np.ndarray) -> np.ndarray:
    """Which (row, col) points lie inside a convex polygon (either winding), edges included."""
    poly = np.asarray(polygon)
    edge = np.roll(poly, -1, axis=0) - poly
    rel = points[:, None, :] - poly[None, :, :]
    cross = edge[None, :, 0] * rel[..., 1] - edge[None, :, 1] * rel[..., 0]
    return np.all(cross >= -1e-9, axis=1) | np.all(cross <= 1e-9, axis=1)


def _marked_voxels(shown: object, view: ViewAxis, index: int, rows: int, cols: int) -> np.ndarray:
    """(rows, cols) booleans: pixel centres of a view slice inside its interpolated marks."""
    marks = shown.interpolated_in_slice(view, index)  # type: ignore[attr-defined]
    if marks.whole:
        return np.ones((rows, cols), dtype=bool)
    centres = np.stack(np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij"), axis=-1).reshape(-1, 2)
    hit = np.zeros(len(centres), dtype=bool)
    for band in marks.bands:
        hit |= _inside_convex(band, centres.astype(np.float64))
    return hit.reshape(rows, cols)


@pytest.mark.parametrize("name", list(DIRECTIONS))
def test_interpolated_slices_are_marked_where_they_show(name: str) -> None:
    """Every view pixel is marked exactly when the source slice at its LPS position was interpolated."""
    made_up = (1, 2, 5)
    base = random_volume(DIRECTIONS[name])
    volume = Volume(base.array, base.index_to_lps, interpolated_slices=made_up)
    shown = reorient_for_display(volume)
    from app.display_geometry import VIEW_AXES

    for view in ViewAxis:
        fixed, r, c = VIEW_AXES[view]
        for index in range(shown.shape[fixed]):
            marked = _marked_voxels(shown, view, index, shown.shape[r], shown.shape[c])
            disp = np.zeros((shown.shape[r], shown.shape[c], 3))
            disp[..., fixed] = index
            disp[..., r], disp[..., c] = np.meshgrid(
                np.arange(shown.shape[r]), np.arange(shown.shape[c]), indexing="ij"
            )
            source_slice = np.rint(volume.lps_to_index_points(shown.volume.index_to_lps_points(disp))[..., 0])
            np.testing.assert_array_equal(marked, np.isin(source_slice, made_up), err_msg=f"{view} {index}")


def test_axial_index_runs_against_a_head_first_volume_index() -> None:
    """Head first, the volume's slice 0 is the lowest: the axial view (top down) shows it last."""
    base = random_volume(np.eye(3))
    shown = reorient_for_display(Volume(base.array, base.index_to_lps, interpolated_slices=(1,)))
    whole = [i for i in range(shown.shape[0]) if shown.interpolated_in_slice(ViewAxis.AXIAL, i).whole]
    assert whole == [base.shape[0] - 1 - 1]
    assert not reorient_for_display(base).interpolated_in_slice(ViewAxis.AXIAL, whole[0]).any


def test_oblique_stack_marks_a_band_across_the_axial_view() -> None:
    """A stack tilted off axial: a made-up slice crosses axial slices as a band, never a whole slice."""
    rotation = Rotation.from_euler("x", 30.0, degrees=True).as_matrix()
    volume = Volume(
        np.zeros((20, 24, 24), dtype=np.int16),
        affine_from_geometry((0, 0, 0), (2.0, 1.0, 1.0), rotation),
        interpolated_slices=(9,),
    )
    shown = reorient_for_display(volume)
    assert shown.resampled
    centre = volume.index_to_lps_points([9.0, 11.5, 11.5])
    marks = shown.interpolated_in_slice(ViewAxis.AXIAL, shown.slice_index(ViewAxis.AXIAL, centre))
    assert not marks.whole and len(marks.bands) == 1
    _, row, col = shown.lps_to_pixel(ViewAxis.AXIAL, centre)
    assert _inside_convex(marks.bands[0], np.array([[row, col]]))[0]
    assert shown.source_slice_interpolated(centre)
    assert not shown.source_slice_interpolated(volume.index_to_lps_points([11.0, 11.5, 11.5]))
