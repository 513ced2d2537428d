"""Where a lesion breaks the cortex, in plain words: "posterior wall, left", "anterior cortex".

A cortical breach point (:mod:`imaging.lesion_measure`: the centre of a hole where the lesion leaves the
bone, on the bone's face, LPS mm) is named after the vertebra's part it lies on when the vertebra
is known (its posterior wall, a pedicle, an endplate), else after its direction from the body's centre in the
vertebra's frame (anterior / posterior towards the canal, left / right, superior / inferior). Outside a
vertebra it is named by the side of the bone it lies on, its direction from the lesion's centre in the
patient's frame ("posterior-left side of the bone").

Positions LPS mm (+x patient left, +y posterior, +z superior); masks on the volume's grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: a point this far (mm) or less from the midline of the vertebra (or the lesion's centre) is not given a
#: side: about the half-width of a basivertebral foramen, the narrowest median structure the wall names
#: (imaging.vertebra_wall: 7.8 mm wide)
MIDLINE_MM = 4.0


@dataclass(frozen=True)
class VertebraParts:
    """What a breach is named after in a vertebra: its body centre, canal centre (None: not known,
    posterior is +y) and its part masks by plain name ("posterior wall", "left pedicle"...)."""

    body_centroid_lps: Point
    canal_centroid_lps: Point | None = None
    masks: Mapping[str, Mask] = field(default_factory=dict)


def breach_place(
    volume: Volume,
    point_lps: Sequence[float],
    *,
    lesion_centroid_lps: Sequence[float],
    vertebra: VertebraParts | None = None,
) -> str:
    """Plain words for where a breach point lies.

    A point within ``2 x`` the grid's largest spacing of a part's mask is on that part (the point lies on
    the bone's face, up to a voxel outside the part, and partial volume moves the part's edge by up to
    another voxel); the nearest such part wins. The point is a hole's centre (since session 23): where a
    part's mask leaves out the hole and the hole is wider than this tolerance, the point is named by its
    direction from the body's centre instead ("posterior cortex, left").

    Parameters
    ----------
    volume
        The volume the masks lie on (voxel positions).
    point_lps
        The breach point, LPS mm.
    lesion_centroid_lps
        The lesion's centre (for a breach outside a vertebra).
    vertebra
        The vertebra the lesion lies in, or None.

    Returns
    -------
    str
        E.g. "posterior wall, left", "left pedicle", "anterior cortex, right", "anterior-left side of the
        bone".
    """
    p = np.asarray(point_lps, dtype=np.float64).reshape(3)
    if vertebra is None:
        return _outside_vertebra(p - np.asarray(lesion_centroid_lps, dtype=np.float64))
    body = np.asarray(vertebra.body_centroid_lps, dtype=np.float64)
    posterior, left = _frame(body, vertebra.canal_centroid_lps)
    d = p - body
    side = _side(float(d @ left))
    tolerance = 2.0 * float(max(volume.spacing_mm))
    near = [
        (dist, name) for name, m in vertebra.masks.items() if (dist := _distance(volume, p, m)) <= tolerance
    ]
    if near:
        name = min(near)[1]
        return f"{name}, {side}" if name == "posterior wall" and side != "midline" else name
    along = {
        "posterior": float(d @ posterior),
        "left": float(d @ left),
        "superior": float(d[2]),
    }
    key = max(along, key=lambda k: abs(along[k]))
    value = along[key]
    if key == "posterior":
        where = "posterior cortex" if value > 0 else "anterior cortex"
        return where if side == "midline" else f"{where}, {side}"
    if key == "left":
        return f"{'left' if value > 0 else 'right'} lateral cortex"
    return "superior endplate" if value > 0 else "inferior endplate"


def _frame(body: FloatArray, canal: Point | None) -> tuple[FloatArray, FloatArray]:
    """Posterior (towards the canal, in the axial plane) and left unit vectors of the vertebra."""
    posterior = np.array([0.0, 1.0, 0.0])
    if canal is not None:
        v = np.asarray(canal, dtype=np.float64) - body
        v[2] = 0.0
        if np.linalg.norm(v) >= 1.0:
            posterior = v / np.linalg.norm(v)
    left = np.cross(posterior, np.array([0.0, 0.0, 1.0]))  # posterior x superior = patient left
    return posterior, left / np.linalg.norm(left)


def _side(left_mm: float) -> str:
    if abs(left_mm) <= MIDLINE_MM:
        return "midline"
    return "left" if left_mm > 0 else "right"


def _distance(volume: Volume, point: FloatArray, mask: Mask) -> float:
    if not mask.any():
        return float("inf")
    pts = volume.index_to_lps_points(mask.voxel_indices().astype(np.float64))
    return float(np.min(np.linalg.norm(pts - point, axis=1)))


def _outside_vertebra(d: FloatArray) -> str:
    """The side of the bone a breach lies on, from the lesion's centre: "posterior-left side of the bone".

    Front-back first, then up-down, then the patient's side, as a radiologist names a side ("posterior
    cortex, left"); an axis counts when the point lies more than :data:`MIDLINE_MM` along it and at least
    half as far as along the main one.
    """
    words = []
    for axis, (plus, minus) in (
        (1, ("posterior", "anterior")),
        (2, ("superior", "inferior")),
        (0, ("left", "right")),
    ):
        if abs(d[axis]) > MIDLINE_MM and abs(d[axis]) >= 0.5 * float(np.max(np.abs(d))):
            words.append(plus if d[axis] > 0 else minus)
    if not words:
        return "bone surface beside the lesion's centre"
    return "-".join(words) + " side of the bone"
