"""The cortical breach point lies ON the cortex where the lesion crosses it, not at the lesion's centre.

A ball lesion through the face of a block of bone (one round hole) and through both faces of a thin plate
(an iliac wing: two holes). The rim of a round hole is a ring whose centre of mass lies in the hole,
inside the lesion; the breach point must be a voxel of the rim. Grid 1 mm isotropic, identity direction:
columns +x (patient left), rows +y (posterior), slices +z (superior); the bone mask is given directly.

Tolerance 1.5 mm: a rim voxel is a lesion voxel face-adjacent to a bone voxel, so its centre lies one
voxel (1.0 mm) from the nearest bone voxel's centre; half a voxel more allows for where the voxelised
ball's surface meets the bone's face.
"""

from __future__ import annotations

import numpy as np

from imaging.lesion_measure import lesion_measures
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry

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


def _distance_to(mask: np.ndarray, lps: np.ndarray, point: np.ndarray) -> float:
    return float(np.min(np.linalg.norm(lps[mask] - point, axis=1)))


def test_breach_through_one_face_lies_on_the_rim_of_the_hole() -> None:
    vol, lps = _grid()
    face_y = 30.0  # the block's posterior face: bone from y 8 to 30 mm
    bone = (lps[..., 1] >= 8.0) & (lps[..., 1] <= face_y) & (np.abs(lps[..., 0] - 24) <= 18)
    bone &= np.abs(lps[..., 2] - 24) <= 18
    centre, radius = (24.0, face_y, 24.0), 7.0
    lesion = _ball(lps, centre, radius)  # half in the bone, half out through its posterior face
    points = _breach_points(vol, lesion, bone)
    assert len(points) == 1
    p = points[0]
    remaining = bone & ~lesion
    assert _distance_to(remaining, lps, p) <= TOL_MM  # on the cortex, not in the hole
    assert abs(p[1] - face_y) <= TOL_MM  # on the face the lesion broke
    # on the edge of the hole: about the ball's radius from its axis (the old centre of mass was on it)
    assert np.hypot(p[0] - centre[0], p[2] - centre[2]) >= radius - TOL_MM


def test_breach_through_a_thin_plate_is_on_each_face_not_at_the_lesion_centre() -> None:
    vol, lps = _grid()
    plate = (18.0, 24.0)  # a 7 mm plate between y 18 and 24 mm (an iliac wing seen edge-on)
    bone = (lps[..., 1] >= plate[0]) & (lps[..., 1] <= plate[1])
    centre = (24.0, 21.0, 24.0)
    lesion = _ball(lps, centre, 8.0)  # crosses both faces
    points = _breach_points(vol, lesion, bone)
    assert len(points) == 2  # one hole in each face
    assert {bool(p[1] > centre[1]) for p in points} == {True, False}
    remaining = bone & ~lesion
    for p in points:
        assert _distance_to(remaining, lps, p) <= TOL_MM
        assert min(abs(p[1] - plate[0]), abs(p[1] - plate[1])) <= TOL_MM
        assert np.linalg.norm(p - np.asarray(centre)) >= 5.0  # not the lesion's centre
