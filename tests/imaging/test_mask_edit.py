"""Mask editing: brush/eraser sizes in mm on anisotropic grids, threshold paint, fill, islands, margins,
and undo through the changed box. Truth is built independently from voxel-centre LPS positions."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.mask_brush import paint_disc, paint_sphere
from imaging.mask_edit import (
    KEEP_POINTED_MIN_SHARE,
    PlaneAxis,
    choose_island,
    fill_holes,
    grow_shrink,
    mask_pieces,
    remove_islands,
    restore_box,
)
from imaging.volume import Volume, affine_from_geometry

ANISO = (2.0, 0.8, 0.8)


def _volume(
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0), shape: tuple[int, int, int] = (40, 60, 60)
) -> Volume:
    a = np.zeros(shape, dtype=np.float32)
    return Volume(a, affine_from_geometry((-10.0, 5.0, 20.0), spacing, np.eye(3)))


def _lps_grid(volume: Volume) -> np.ndarray:
    idx = np.indices(volume.shape, dtype=np.float64).reshape(3, -1).T
    return volume.index_to_lps_points(idx).reshape((*volume.shape, 3))


def _ball_truth(volume: Volume, centre_lps: np.ndarray, radius_mm: float) -> np.ndarray:
    d = np.linalg.norm(_lps_grid(volume) - centre_lps, axis=-1)
    inside: np.ndarray = d <= radius_mm + 1e-9
    return inside


def test_choose_island_keeps_the_pointed_piece_only_when_it_is_not_a_sliver() -> None:
    """Session 19 QA F9: the crosshair on a 20-voxel stroke kept it and deleted a 12 mL lesion."""
    full = np.zeros((20, 20, 20), dtype=bool)
    full[2:8, 2:8, 2:8] = True  # 216 voxels, the largest
    full[12:15, 12:15, 12:15] = True  # 27 voxels: 12.5 % of it
    full[18, 18, 18] = True  # 1 voxel: 0.5 %
    mask = Mask.from_full(full)
    assert 1 < KEEP_POINTED_MIN_SHARE * 216 <= 27  # the two pieces lie either side of the share
    # pointed at the 27-voxel piece: kept, and the largest taken away
    second = choose_island(mask, (13, 13, 13))
    assert second.kept_pointed and not second.pointed_too_small
    assert (second.kept_voxels, second.largest_voxels, second.pointed_voxels) == (27, 216, 27)
    assert remove_islands(mask, keep_index=second.keep_index).mask.count() == 27
    # pointed at the one-voxel fleck: the largest is kept, and the choice says why
    fleck = choose_island(mask, (18, 18, 18))
    assert fleck.keep_index is None and fleck.pointed_too_small
    assert (fleck.kept_voxels, fleck.pointed_voxels) == (216, 1)
    kept = remove_islands(mask, keep_index=fleck.keep_index).mask.to_full()
    assert kept.sum() == 216 and kept[2:8, 2:8, 2:8].all()
    # pointed at the largest, or outside the mask, or nowhere: the largest
    for pointed in ((4, 4, 4), (0, 0, 0), None):
        c = choose_island(mask, pointed)
        assert c.kept_voxels == 216 and not c.pointed_too_small
    # a share of 0 keeps any piece pointed at (the old rule); a share above 1 is refused
    assert choose_island(mask, (18, 18, 18), min_share=0.0).kept_pointed
    with pytest.raises(ValueError, match="min_share"):
        choose_island(mask, (18, 18, 18), min_share=1.5)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), ANISO], ids=["iso", "aniso"])
def test_sphere_brush_matches_voxel_centres_and_closed_form(spacing: tuple[float, float, float]) -> None:
    volume = _volume(spacing)
    centre = volume.index_to_lps_points([20.3, 30.1, 29.6])
    edit = paint_sphere(Mask.empty(volume.shape), volume, centre, 9.0)
    got = edit.mask.to_full()
    assert np.array_equal(got, _ball_truth(volume, centre, 9.0))
    # voxelised volume vs 4/3 pi r^3: within 4% for r = 9 mm on these grids
    ml = got.sum() * volume.voxel_volume_ml
    assert ml == pytest.approx(4.0 / 3.0 * np.pi * 9.0**3 / 1000.0, rel=0.04)
    assert edit.changed and edit.box is not None
    assert not (got & ~_in_box(volume.shape, edit.box)).any()


def _in_box(shape: tuple[int, int, int], box: tuple[slice, slice, slice]) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    m[box] = True
    return m


def test_sphere_on_sheared_grid_is_round_in_mm() -> None:
    # a gantry-tilt-like shear: the slice step has a y component
    matrix = affine_from_geometry((0.0, 0.0, 0.0), (1.5, 0.7, 0.7), np.eye(3))
    matrix[1, 0] = 0.4
    volume = Volume(np.zeros((30, 60, 60), dtype=np.float32), matrix)
    centre = volume.index_to_lps_points([15, 30, 30])
    got = paint_sphere(Mask.empty(volume.shape), volume, centre, 7.0).mask.to_full()
    assert np.array_equal(got, _ball_truth(volume, centre, 7.0))


def test_disc_in_each_plane() -> None:
    volume = _volume(ANISO)
    where = (20, 30, 30)
    centre = volume.index_to_lps_points(list(where))
    for plane, axis in ((PlaneAxis.SLICE, 0), (PlaneAxis.ROW, 1), (PlaneAxis.COL, 2)):
        got = paint_disc(Mask.empty(volume.shape), volume, centre, 6.0, plane).mask.to_full()
        layer = np.zeros(volume.shape, dtype=bool)
        index: list[slice | int] = [slice(None)] * 3
        index[axis] = where[axis]
        layer[tuple(index)] = True
        # one voxel thick along the plane's axis, a disc of radius 6 mm within the plane
        assert np.array_equal(got, _ball_truth(volume, centre, 6.0) & layer)
        spacing = [s for a, s in enumerate(volume.spacing_mm) if a != axis]
        area = got.sum() * spacing[0] * spacing[1]
        assert area == pytest.approx(np.pi * 36.0, rel=0.06)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), ANISO], ids=["iso", "aniso"])
def test_a_brush_smaller_than_a_voxel_paints_the_voxel_under_it(spacing: tuple[float, float, float]) -> None:
    # QA s16 #14: at 0.5 mm a click 0.3 voxel off a voxel centre in each in-plane axis (0.42 mm on the
    # 1 mm grid) held no voxel centre and painted nothing; now the voxel under the cursor is painted
    volume = _volume(spacing)
    where = np.array([20.0, 30.0, 30.0])
    centre = volume.index_to_lps_points(where + np.array([0.0, 0.3, -0.3]))
    assert not _ball_truth(volume, centre, 0.2).any()  # no voxel centre within 0.2 mm
    for got in (
        paint_disc(Mask.empty(volume.shape), volume, centre, 0.2, PlaneAxis.SLICE).mask.to_full(),
        paint_sphere(Mask.empty(volume.shape), volume, centre, 0.2).mask.to_full(),
    ):
        assert np.argwhere(got).tolist() == [[20, 30, 30]]
    # the eraser likewise removes it; an HU range that excludes it still leaves it unpainted
    full = paint_sphere(Mask.empty(volume.shape), volume, centre, 3.0).mask
    erased = paint_disc(full, volume, centre, 0.2, PlaneAxis.SLICE, erase=True).mask.to_full()
    assert full.count() - erased.sum() == 1 and not erased[20, 30, 30]
    refused = paint_disc(
        Mask.empty(volume.shape), volume, centre, 0.2, PlaneAxis.SLICE, hu_range=(100.0, 200.0)
    )
    assert not refused.changed
    # a radius that already holds voxel centres is unchanged by the rule (exactly the ball)
    got = paint_sphere(Mask.empty(volume.shape), volume, centre, 2.5).mask.to_full()
    assert np.array_equal(got, _ball_truth(volume, centre, 2.5))


def test_threshold_limited_paint_and_eraser() -> None:
    volume = _volume()
    a = volume.array.copy()
    a[:, :, 30:] = 500.0  # half the field is "bone"
    volume = volume.with_array(a)
    centre = volume.index_to_lps_points([20, 30, 30])
    painted = paint_sphere(Mask.empty(volume.shape), volume, centre, 8.0, hu_range=(130.0, 3000.0))
    got = painted.mask.to_full()
    assert got.any()
    assert np.all(a[got] >= 130.0)
    assert np.array_equal(got, _ball_truth(volume, centre, 8.0) & (a >= 130.0))
    erased = paint_sphere(painted.mask, volume, centre, 4.0, erase=True)
    left = erased.mask.to_full()
    assert np.array_equal(left, got & ~_ball_truth(volume, centre, 4.0))


def test_undo_through_box_restores_exactly() -> None:
    volume = _volume(ANISO)
    c1 = volume.index_to_lps_points([10, 20, 20])
    c2 = volume.index_to_lps_points([25, 40, 45])
    first = paint_sphere(Mask.empty(volume.shape), volume, c1, 5.0).mask
    edit = paint_sphere(first, volume, c2, 6.0)  # grows the mask's box
    assert edit.box is not None
    undone = restore_box(edit.mask, edit.box, edit.before)
    assert undone == first
    redone = restore_box(undone, edit.box, edit.after)
    assert redone == edit.mask
    # painting where it is already painted changes nothing
    again = paint_sphere(edit.mask, volume, c2, 3.0)
    assert not again.changed and again.box is None


def test_fill_holes_3d_and_per_slice() -> None:
    shape = (20, 30, 30)
    shell = np.zeros(shape, dtype=bool)
    shell[4:16, 5:25, 5:25] = True
    shell[6:14, 8:22, 8:22] = False  # an enclosed cavity
    mask = Mask.from_full(shell)
    filled = fill_holes(mask).mask.to_full()
    assert filled[4:16, 5:25, 5:25].all() and filled.sum() == 12 * 20 * 20
    tube = np.zeros(shape, dtype=bool)
    tube[:, 5:25, 5:25] = True
    tube[:, 8:22, 8:22] = False  # open along the slice axis: no 3D hole
    assert not fill_holes(Mask.from_full(tube)).changed
    per_slice = fill_holes(Mask.from_full(tube), plane=PlaneAxis.SLICE).mask.to_full()
    assert per_slice[:, 5:25, 5:25].all()
    # viewed along rows the tube's cross-sections are two bars, no enclosed hole
    assert not fill_holes(Mask.from_full(tube), plane=PlaneAxis.ROW).changed


def test_remove_islands() -> None:
    full = np.zeros((20, 20, 20), dtype=bool)
    full[2:8, 2:8, 2:8] = True  # 216 voxels
    full[12:15, 12:15, 12:15] = True  # 27 voxels
    full[18, 18, 18] = True
    mask = Mask.from_full(full)
    largest = remove_islands(mask).mask.to_full()
    assert largest.sum() == 216 and largest[2:8, 2:8, 2:8].all()
    small = remove_islands(mask, keep_index=(13, 13, 13)).mask.to_full()
    assert small.sum() == 27 and small[12:15, 12:15, 12:15].all()
    with pytest.raises(ValueError, match="keep_index"):
        remove_islands(mask, keep_index=(0, 0, 0))


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), ANISO], ids=["iso", "aniso"])
def test_grow_and_shrink_by_mm(spacing: tuple[float, float, float]) -> None:
    volume = _volume(spacing)
    centre = volume.index_to_lps_points([20, 30, 30])
    small = paint_sphere(Mask.empty(volume.shape), volume, centre, 5.0).mask
    grown = grow_shrink(small, volume, 4.0).mask.to_full()
    # every voxel within 4 mm of a voxel of the 5 mm ball: contains the 9 mm - (half a voxel) ball and
    # lies within the 9 mm ball
    assert grown[_ball_truth(volume, centre, 9.0 - max(spacing) / 2)].all()
    assert not grown[~_ball_truth(volume, centre, 9.0 + 1e-6)].any()
    big = paint_sphere(Mask.empty(volume.shape), volume, centre, 9.0).mask
    shrunk = grow_shrink(big, volume, -4.0).mask.to_full()
    assert not shrunk[~_ball_truth(volume, centre, 5.0 + max(spacing) / 2)].any()
    assert shrunk[_ball_truth(volume, centre, 5.0 - max(spacing))].all()
    assert not grow_shrink(big, volume, 0.0).changed


def test_grid_mismatch_and_bad_radius_named() -> None:
    volume = _volume()
    with pytest.raises(ValueError, match="radius_mm"):
        paint_sphere(Mask.empty(volume.shape), volume, (0.0, 0.0, 0.0), 0.0)
    with pytest.raises(ValueError, match="differs"):
        paint_sphere(Mask.empty((5, 5, 5)), volume, (0.0, 0.0, 0.0), 3.0)
    with pytest.raises(ValueError, match="hu_range"):
        paint_sphere(Mask.empty(volume.shape), volume, (0.0, 0.0, 0.0), 3.0, hu_range=(500.0, 100.0))


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), ANISO], ids=["iso", "aniso"])
def test_mask_pieces_counts_them_and_their_gap_in_mm(spacing: tuple[float, float, float]) -> None:
    # a ball of radius 6 mm and a ball of radius 2 mm whose centres are 20 mm apart along LPS x (the
    # column axis): a gap of 20 - 6 - 2 = 12 mm between their surfaces, voxel centres within one
    # voxel's width of each surface (col spacing, mm)
    volume = _volume(spacing)
    a = volume.index_to_lps_points([20.0, 30.0, 25.0])
    b = a + np.array((20.0, 0.0, 0.0))
    one = paint_sphere(Mask.empty(volume.shape), volume, a, 6.0).mask
    assert mask_pieces(one, volume).count == 1 and mask_pieces(one, volume).gap_mm == 0.0
    two = paint_sphere(one, volume, b, 2.0).mask
    pieces = mask_pieces(two, volume)
    assert pieces.count == 2 and pieces.largest_voxels == one.count()
    assert 12.0 <= pieces.gap_mm <= 12.0 + 2 * spacing[2] + 1e-9
    # brute force over every pair of voxel centres gives the same gap
    pts = volume.index_to_lps_points(two.voxel_indices())
    small = np.linalg.norm(pts - b, axis=1) <= 2.0 + 1e-9
    brute = np.min(np.linalg.norm(pts[small][:, None, :] - pts[~small][None, :, :], axis=2))
    assert pieces.gap_mm == pytest.approx(brute, abs=1e-9)
    # a third piece nearer (15 mm along y, a 7 mm gap): the gap reported is still the farthest piece's
    three = paint_sphere(two, volume, a - np.array((0.0, 15.0, 0.0)), 2.0).mask
    assert mask_pieces(three, volume).count == 3
    assert mask_pieces(three, volume).gap_mm == pytest.approx(pieces.gap_mm)
    # what remove_islands keeps is one piece
    assert mask_pieces(remove_islands(three).mask, volume).count == 1
    assert mask_pieces(Mask.empty(volume.shape), volume).count == 0
    with pytest.raises(ValueError, match="differs"):
        mask_pieces(one, _volume(spacing, shape=(10, 10, 10)))


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip((points - a) @ ab / float(ab @ ab), 0.0, 1.0)
    dist: np.ndarray = np.linalg.norm(points - (a + t[..., None] * ab), axis=-1)
    return dist


@pytest.mark.parametrize("shape", ["disc", "sphere"])
def test_swept_brush_covers_exactly_the_voxels_within_the_radius_of_the_segment(shape: str) -> None:
    """QA s24 D1: a stroke painted dabs r/2 apart, whose union misses voxels up to 3 % of r inside the
    stroke's edge (3 of 272 voxels of a 4 mm stroke on the sample case). Swept from a to b, the brush covers
    every voxel centre within r mm of the segment (on a 2 x 0.8 x 0.8 mm grid) and nothing else."""
    volume = _volume(ANISO)
    a = volume.index_to_lps_points([20.0, 12.3, 10.6])
    b = volume.index_to_lps_points([20.0, 47.1, 41.2])  # 33 mm away, in the same axial slice
    r = 5.0
    grid = _lps_grid(volume)
    dist = _segment_distance(grid, a, b)
    if shape == "disc":
        got = paint_disc(Mask.empty(volume.shape), volume, a, r, PlaneAxis.SLICE, end_lps=b).mask.to_full()
        truth = dist <= r + 1e-9
        truth[np.arange(volume.shape[0]) != 20] = False
    else:
        got = paint_sphere(Mask.empty(volume.shape), volume, a, r, end_lps=b).mask.to_full()
        truth = dist <= r + 1e-9
    assert truth.sum() > 500
    assert np.array_equal(got, truth), (
        f"{int((truth & ~got).sum())} missed, {int((got & ~truth).sum())} extra"
    )


def test_thin_swept_brush_paints_the_voxels_under_its_path() -> None:
    """A brush narrower than half a voxel's diagonal holds no voxel centre along a diagonal: the voxels under
    the path are painted, so a thin stroke is a connected line, not dots at its two ends."""
    volume = _volume(ANISO)
    a = volume.index_to_lps_points([20.0, 10.0, 10.0])
    b = volume.index_to_lps_points([20.0, 30.0, 31.0])
    got = paint_disc(Mask.empty(volume.shape), volume, a, 0.2, PlaneAxis.SLICE, end_lps=b).mask.to_full()
    from scipy import ndimage

    _, pieces = ndimage.label(got, structure=np.ones((3, 3, 3), dtype=bool))
    assert pieces == 1 and got[20, 10, 10] and got[20, 30, 31]
    assert got.sum() >= 21  # at least one voxel per row crossed
