"""Margins and distances on grids of thick slices reach half a voxel along the way, not half the pixel
(QA s32 F).

A mask is taken as its voxels: its surface lies half a voxel beyond its edge voxel centres. The base took
half the *smallest* spacing in every direction, so across 3 mm slices of 0.8 mm pixels a lesion's margin
to the zone, a zone's distance to the canal, and a needle's distance to the canal read up to 1.1 mm
larger than the voxels allow (measured on these phantoms: +1.1 mm on the base, 0.00-0.01 mm now), and a
2 mm margin around the lesion never reached the next slice, so coverage counted no margin there.

Truth in closed form: single voxels and slabs on axial, feet-first and oblique grids, a sphere zone
(depth = R - |p|) or a needle running parallel to a slab; the voxel reaches half its spacing along a grid
axis. Isotropic grids keep the base figures (the reach is the same in every direction there).
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import affine_from_geometry
from planning.ablation import AblationZone
from planning.coverage import CoverageContext, coverage
from planning.distance_field import DistanceField, needle_distance
from planning.trajectory import TrajectoryGeometry

SHAPE = (16, 40, 40)
#: (slice, row, col) spacings: thick slices of fine pixels, and an isotropic grid
SPACINGS = [(3.0, 0.8, 0.8), (2.5, 0.7, 0.9), (1.0, 1.0, 1.0)]
#: axial head-first, feet-first supine (slices towards -z, columns towards -x), and a grid rotated 30 deg
#: about z (oblique in plane: the slice axis stays z)
_C, _S = np.cos(np.radians(30.0)), np.sin(np.radians(30.0))
DIRECTIONS = {
    "axial": np.eye(3),
    "feet-first": np.diag([-1.0, 1.0, -1.0]),
    "rotated": np.array([[_C, -_S, 0.0], [_S, _C, 0.0], [0.0, 0.0, 1.0]]),
}


def _grid(spacing: tuple[float, float, float], direction: np.ndarray) -> np.ndarray:
    """``index_to_lps`` with voxel (8, 20, 20) at LPS (0, 0, 0)."""
    m = affine_from_geometry((0.0, 0.0, 0.0), spacing, direction)
    m[:3, 3] = -(m[:3, :3] @ np.array([8.0, 20.0, 20.0]))
    return m


def _voxel(m: np.ndarray, steps: tuple[int, int, int]) -> tuple[Mask, np.ndarray]:
    """A one-voxel mask ``steps`` (slice, row, col) from the centre voxel, and its centre (LPS)."""
    idx = (8 + steps[0], 20 + steps[1], 20 + steps[2])
    a = np.zeros(SHAPE, dtype=bool)
    a[idx] = True
    return Mask.from_full(a), m[:3, :3] @ np.array(idx, dtype=float) + m[:3, 3]


@pytest.mark.parametrize("direction", list(DIRECTIONS))
@pytest.mark.parametrize("spacing", SPACINGS)
def test_lesion_margin_reaches_half_the_spacing_across_each_axis(
    spacing: tuple[float, float, float], direction: str
) -> None:
    m = _grid(spacing, DIRECTIONS[direction])
    zone = AblationZone((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), 30.0, 30.0)  # a sphere, R = 15: depth 15 - |p|
    # a lesion voxel 2 slices off the centre (across the slices) and one 3 columns off (across the pixels)
    for steps, half in (
        ((2, 0, 0), spacing[0] / 2),
        ((0, 0, 3), spacing[2] / 2),
        ((0, -4, 0), spacing[1] / 2),
    ):
        lesion, p = _voxel(m, steps)
        res = coverage(lesion, [zone], m, margin_mm=0.0)
        assert res.min_margin_mm == pytest.approx(15.0 - np.linalg.norm(p) - half, abs=0.01), steps


@pytest.mark.parametrize("direction", list(DIRECTIONS))
@pytest.mark.parametrize("spacing", SPACINGS)
def test_zone_and_needle_distance_to_a_slab_across_the_slices(
    spacing: tuple[float, float, float], direction: str
) -> None:
    m = _grid(spacing, DIRECTIONS[direction])
    idx = np.indices(SHAPE).reshape(3, -1).T.astype(float)  # (slice, row, col)
    pts = idx @ m[:3, :3].T + m[:3, 3]
    # a slab of voxels whose centres lie 3 slices or more above the centre, within 10 mm of the z axis
    k = 3 * spacing[0] - 1e-6
    slab = (pts[:, 2] >= k) & (np.hypot(pts[:, 0], pts[:, 1]) <= 10.0)
    canal = Mask.from_full(slab.reshape(SHAPE))
    face_z = 3 * spacing[0] - spacing[0] / 2  # the slab's voxels end half a slice below their centres
    lesion, _ = _voxel(m, (0, 0, 0))
    zone = AblationZone((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), 5.0, 30.0)  # across: radius 2.5 mm
    res = coverage(lesion, [zone], m, margin_mm=0.0, structures={"canal": canal})
    assert res.zone_to_canal_mm == pytest.approx(face_z - 2.5, abs=0.02)
    # a 1 mm needle running along x, 1 slice above the centre: axis to face = 2 slices less half a slice
    field = DistanceField(canal, m)
    needle = TrajectoryGeometry((-8.0, 0.0, spacing[0]), (8.0, 0.0, spacing[0]))
    got = needle_distance(field, needle, 0.5).distance_mm
    assert got == pytest.approx(face_z - spacing[0] - 0.5, abs=0.05)


@pytest.mark.parametrize("spacing", SPACINGS)
def test_margin_grows_into_the_next_slice_when_it_reaches_it(spacing: tuple[float, float, float]) -> None:
    """A 2 mm margin around a voxel reaches a voxel centre ``2 mm + half a voxel`` away along each axis."""
    m = _grid(spacing, np.eye(3))
    lesion, p = _voxel(m, (0, 0, 0))
    ctx = CoverageContext(lesion, m, margin_mm=2.0)
    got = {tuple(np.round(q - p, 3)) for q in ctx.target_points_lps}
    for axis, s in ((2, spacing[0]), (0, spacing[2]), (1, spacing[1])):
        reach = 2.0 + s / 2.0
        n_in = int(np.floor(reach / s + 1e-9))
        for n in range(1, n_in + 2):
            step = np.zeros(3)
            step[axis] = n * s
            assert (tuple(np.round(step, 3)) in got) == (n <= n_in), (axis, n)
