"""The cortical breach point is the centre of the hole where the lesion crosses the cortex, on the bone's
face, not at the lesion's centre and not on the hole's edge.

A ball lesion through the face of a block of bone (one round hole) and through both faces of a thin plate
(an iliac wing: two holes), and the lesion phantom's lytic breakthrough (a ball through the cortex of the
bone cylinder, grown by the lesion tool). Until session 23 the point was the rim voxel nearest the rim's
centre of mass: on the cortex at the hole's edge, up to 6.5 mm from the hole's centre on the phantom (QA
s22 D10). Grid 1 mm isotropic, identity direction: columns +x (patient left), rows +y (posterior), slices
+z (superior); the bone mask is given directly for the block and the plate.

Tolerance 1.5 mm (``TOL_MM``): the hole's edge voxels lie one voxel (1.0 mm) from the bone's face, half a
voxel more allows for where the voxelised ball's surface meets it.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_measure import lesion_measures
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from tests.phantoms.lesion import BONE_RADIUS_MM, CORTEX_MM, PhantomLesion, lesion_phantom

SHAPE = (48, 48, 48)
TOL_MM = 1.5


def _grid() -> tuple[Volume, np.ndarray]:
    vol = Volume(
        np.zeros(SHAPE, dtype=np.int16), affine_from_geometry((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), np.eye(3))
    )
    z, y, x = np.indices(SHAPE, dtype=np.float64)  # index = mm on this grid
    return vol, np.stack([x, y, z], axis=-1)


def _ball(lps: np.ndarray, centre: tuple[float, float, float], radius_mm: float) -> np.ndarray:
    return np.linalg.norm(lps - np.asarray(centre), axis=-1) <= radius_mm


def _breach_points(vol: Volume, lesion: np.ndarray, bone: np.ndarray) -> np.ndarray:
    box = tuple(slice(0, n) for n in SHAPE)
    m = lesion_measures(vol, Mask.from_full(lesion), bone_in_roi=bone & ~lesion, roi_index=box)
    assert m.cortical_breach
    return np.asarray(m.cortical_breach_lps, dtype=np.float64).reshape(-1, 3)


def test_breach_through_one_face_lies_at_the_centre_of_the_hole() -> None:
    vol, lps = _grid()
    face_y = 30.0  # the block's posterior face: bone from y 8 to 30 mm
    bone = (lps[..., 1] >= 8.0) & (lps[..., 1] <= face_y) & (np.abs(lps[..., 0] - 24) <= 18)
    bone &= np.abs(lps[..., 2] - 24) <= 18
    centre, radius = (24.0, face_y, 24.0), 7.0
    lesion = _ball(lps, centre, radius)  # half in the bone, half out through its posterior face
    points = _breach_points(vol, lesion, bone)
    assert len(points) == 1
    p = points[0]
    assert abs(p[1] - face_y) <= TOL_MM  # on the face the lesion broke
    # at the hole's centre, on the ball's axis across the face (the old point: a voxel of its edge, about
    # the ball's radius, 7 mm, from the axis); the hole is symmetric about the axis on this grid
    assert np.hypot(p[0] - centre[0], p[2] - centre[2]) <= 0.5
    assert lesion[tuple(np.rint(p[::-1]).astype(int))]  # in the hole, which the lesion fills


def test_breach_through_a_thin_plate_is_at_each_faces_hole_not_at_the_lesion_centre() -> None:
    vol, lps = _grid()
    plate = (18.0, 24.0)  # a 7 mm plate between y 18 and 24 mm (an iliac wing seen edge-on)
    bone = (lps[..., 1] >= plate[0]) & (lps[..., 1] <= plate[1])
    centre = (24.0, 21.0, 24.0)
    lesion = _ball(lps, centre, 8.0)  # crosses both faces
    points = _breach_points(vol, lesion, bone)
    assert len(points) == 2  # one hole in each face
    assert {bool(p[1] > centre[1]) for p in points} == {True, False}
    for p in points:
        # on a face (so not at the lesion's centre, mid-plate, 3 mm from either face)
        assert min(abs(p[1] - plate[0]), abs(p[1] - plate[1])) <= TOL_MM
        assert np.hypot(p[0] - centre[0], p[2] - centre[2]) <= 0.5  # at that face's hole's centre


@pytest.mark.parametrize("spacing_mm", [(1.0, 1.0, 1.0), (2.0, 0.8, 0.8)])
def test_breakthrough_phantom_breach_at_the_hole_centre(spacing_mm: tuple[float, float, float]) -> None:
    """The lesion tool on the phantom's lytic breakthrough (r 8 mm at (0, 12, 1) through the cortex, 14-16 mm
    from the bone's axis, on its +y side): one breach, at the hole's centre along the bone's surface and in
    its cortical layer. The hole's centre is the centroid of the truth's voxels in the cortex (0, 14.4, 1);
    along the surface (x and z) within 1 mm of it, in depth within the 2 mm cortex plus half a voxel. The
    QA's point was (2.5, 13.5, 7.5) on 1 mm and (5.2, 14.0, -3.0) on 2 x 0.8 mm: 6.5 mm off along z."""
    ph = lesion_phantom(PhantomLesion.LYTIC_BREAKTHROUGH, spacing_mm=spacing_mm)
    truth = ph.volume.index_to_lps_points(np.argwhere(ph.truth).astype(np.float64))
    r_axis = np.hypot(truth[:, 0], truth[:, 1])
    hole = truth[(r_axis > BONE_RADIUS_MM - CORTEX_MM) & (r_axis <= BONE_RADIUS_MM)].mean(axis=0)
    lesion = segment_lesion(ph.volume, ph.seed_lps)
    assert lesion.cortical_breach and len(lesion.cortical_breach_lps) == 1
    p = np.asarray(lesion.cortical_breach_lps[0])
    assert abs(p[0] - hole[0]) <= 1.0 and abs(p[2] - hole[2]) <= 1.0, (p, hole)
    half_voxel = 0.5 * max(spacing_mm)
    assert BONE_RADIUS_MM - CORTEX_MM - half_voxel <= np.hypot(p[0], p[1]) <= BONE_RADIUS_MM + half_voxel, p
