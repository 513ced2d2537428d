"""Whether a "disc" found at a refused point lies between two vertebral bodies: its end plates' breadth.

:func:`imaging.disc_click.disc_at_point` reads a dip between two bright ridges along the spine's axis. Any
stack of bone pieces with soft tissue between them reads so: the spinous processes with the ligament
between them, the transverse processes, the laminae, the sternum's cortices along a tilted axis. Session
22 measured such clicks refused as "on the disc between two vertebrae": chest-ct-dicom spinous processes
T9-T11, transverse processes at T8 and T9, the sternum (0, -53, 1); the 3 mm abdomen's L3 arch 10 mm
behind the canal. A disc lies between two vertebral bodies, whose end plates are broad in every direction
across the spine's axis; those pieces of bone are narrow one way or both.

:func:`endplate_cover_mm` measures, through the point across the disc's axis, side to side and front to
back, how far both end plates read bone (:data:`imaging.bone.BONE_THRESHOLD_HU`) within a ridge's blur of
where the profile found them. A disc counts (:func:`is_between_bodies`) when both spans reach
``MIN_ENDPLATE_ACROSS_MM``. Measured (``tests/benchmarks/refusal_place_figures.py``): true disc clicks on
the chest CT and the 3 mm abdomen 23-56 mm; the clicks above 0-14 mm, the chest's arch behind T8's canal
15 mm. Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.bone import BONE_THRESHOLD_HU
from imaging.disc_click import DiscAtPoint
from imaging.vertebra_discs import PROFILE_RADIUS_MM, RIDGE_SCALE_MM
from imaging.vertebra_roi import resample_roi
from imaging.volume import Volume

__all__ = ["MIN_ENDPLATE_ACROSS_MM", "endplate_cover_mm", "is_between_bodies"]

FloatArray = npt.NDArray[np.float64]

#: the least breadth (mm) of a vertebral body's end plate, side to side and front to back: a body is deeper
#: than it is tall (imaging.canal_holding.MIN_BODY_DEPTH_MM), and thoracic and lumbar bodies are 17 mm tall
#: and more (upper thoracic; imaging.vertebra_discs.MIN_BODY_HEIGHT_MM notes) -- well above the 12 mm of
#: that constant, which also holds collapsed bodies; a spinous process is 4-10 mm wide, a transverse
#: process or a lamina 8-12 mm thick (measured spans, module notes)
MIN_ENDPLATE_ACROSS_MM = 17.0
#: how far across the axis the spans are followed (mm each way): past the widest lumbar end plate
COVER_REACH_MM = 45.0
COVER_STEP_MM = 1.0
#: an end plate is looked for this far either side of where the profile found its ridge (mm): the ridge's
#: blur, which also takes in an end plate's concavity and tilt within the span
PLATE_WINDOW_MM = RIDGE_SCALE_MM


def endplate_cover_mm(volume: Volume, point_lps: npt.ArrayLike, disc: DiscAtPoint) -> tuple[float, float]:
    """How far (mm) both of the disc's end plates read bone through the point, side to side and front to
    back across the disc's axis.

    Read through the centre of the column the disc was found on (:class:`DiscAtPoint`: a point near the
    body's surface reads the disc from a column moved into the body; through the point itself, chest CT
    (-5.8, 100, -154.5) 2 mm behind T12/L1's front read 11 mm side to side); the end plates lie at the
    same distances along the axis there. Lines parallel to the axis are read every ``COVER_STEP_MM``
    along each direction. A line counts when each end plate reads :data:`imaging.bone.BONE_THRESHOLD_HU`
    or more within ``PLATE_WINDOW_MM`` of its place. The span is the run of counted lines through the
    column's centre; the disc was found on a column of radius ``PROFILE_RADIUS_MM``, so the run may start
    at any line within it (the nearest one counted).
    """
    # the column's centre at the point's level: the end plates' distances along the axis are the point's
    point = np.asarray(point_lps if disc.column_lps is None else disc.column_lps, dtype=np.float64)
    lower = np.asarray(disc.lower_endplate_lps, dtype=np.float64)
    upper = np.asarray(disc.upper_endplate_lps, dtype=np.float64)
    axis = upper - lower
    height = float(np.linalg.norm(axis))
    if height <= 0.0:
        return 0.0, 0.0
    axis /= height
    t_lower = float((lower - point) @ axis)
    t_upper = float((upper - point) @ axis)
    # side to side and front to back, square to the axis
    side = np.array([1.0, 0.0, 0.0]) - axis[0] * axis
    side /= np.linalg.norm(side)
    front_back = np.cross(axis, side)
    half = COVER_REACH_MM + PLATE_WINDOW_MM + max(abs(t_lower), abs(t_upper))
    roi = resample_roi(volume, point, np.full(3, half), 1.0)
    offsets = np.arange(-COVER_REACH_MM, COVER_REACH_MM + 1e-9, COVER_STEP_MM)
    window = np.arange(-PLATE_WINDOW_MM, PLATE_WINDOW_MM + 1e-9, 0.5)
    spans = []
    for direction in (side, front_back):
        covered = np.ones(len(offsets), dtype=bool)
        for t in (t_lower, t_upper):
            pts = (point + offsets[:, None, None] * direction + (t + window)[None, :, None] * axis).reshape(
                -1, 3
            )
            hu = roi.sample(roi.array, pts).reshape(len(offsets), len(window))
            covered &= hu.max(axis=1) >= BONE_THRESHOLD_HU
        spans.append(_run_through_centre(offsets, covered))
    return spans[0], spans[1]


def is_between_bodies(volume: Volume, point_lps: npt.ArrayLike, disc: DiscAtPoint) -> bool:
    """Whether both end plates of the disc span ``MIN_ENDPLATE_ACROSS_MM`` both ways through the point."""
    return min(endplate_cover_mm(volume, point_lps, disc)) >= MIN_ENDPLATE_ACROSS_MM


def _run_through_centre(offsets: FloatArray, covered: npt.NDArray[np.bool_]) -> float:
    """The length (mm) of the run of covered lines through the nearest covered line within the profile's
    column radius of the point, 0 when none."""
    near = np.flatnonzero(covered & (np.abs(offsets) <= PROFILE_RADIUS_MM))
    if len(near) == 0:
        return 0.0
    i = int(near[np.argmin(np.abs(offsets[near]))])
    lo = i
    while lo > 0 and covered[lo - 1]:
        lo -= 1
    hi = i
    while hi < len(covered) - 1 and covered[hi + 1]:
        hi += 1
    step = float(offsets[1] - offsets[0])
    return float(offsets[hi] - offsets[lo]) + step
