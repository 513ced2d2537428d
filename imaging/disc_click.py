"""Whether a point lies on an intervertebral disc: the reason a body search from it fails.

A click on a disc (or on its end plate) has no vertebral body of its own: the body search from it runs
across the disc into both vertebrae and is refused as too tall, with advice about end plates that were
in fact seen (QA session 17, chest CT: clicks at z -154.5, -130.5 and -104.5 mm lay on the discs, whose
bright end plates bound a 90-96 HU band). Along the spine a disc reads as a dip between two thin bright
lines, its end plates (:func:`imaging.vertebra_discs.find_discs`). :func:`disc_at_point` reads that
profile through the point along the scanner's long axis and along axes tilted around it (the spine is
rarely square to the scanner, :func:`imaging.disc_tilt.tilted_axes`), and reports a disc when the point
lies between a disc's two end plates, or on one of them: within half a source voxel of its ridge (the
ridge is the end plate's middle, which a scan blurs over about a voxel). A point further out is in a
body, whatever else stopped the search there (chest CT: clicks 2 mm beyond the end plates of those discs
are in the bodies, and must not be sent elsewhere).

The profile averages a column of radius ``PROFILE_RADIUS_MM`` around the point. From a point near the
body's surface that column reaches out of the body, and there the disc is lost (QA s17 V, chest CT: clicks
2-3 mm behind the front of T9-T12, y 112 mm, were refused as two bodies 41-47 mm tall while clicks at y
118 were said to be on the disc). The column's outer part reads fat at the levels of the bodies, which
are waisted between their end plates, and the end plates' bright rims (and osteophytes) at the disc's
level: the disc read 146-200 HU, the bone beyond its end plates 92-125 HU, so the disc was taken for a
rib's marrow between two cortices. When the point's own column finds no disc and reaches out of the
body, the column is moved into the body, by half a radius or a radius (the point's line stays in the
column): :func:`_column_in_body`. Positions LPS mm, HU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.disc_tilt import tilted_axes
from imaging.vertebra_discs import (
    MIN_RIDGE_HU,
    PAIR_REACH_MM,
    PROFILE_HALF_LENGTH_MM,
    PROFILE_RADIUS_MM,
    RIDGE_SCALE_MM,
    Disc,
    axial_profile,
    find_discs,
)
from imaging.vertebra_roi import LpsRoi, perpendicular_pair, resample_roi
from imaging.volume import Volume

__all__ = ["DISC_TILT_DEG", "DISC_TILT_STEP_DEG", "DiscAtPoint", "disc_at_point"]

FloatArray = npt.NDArray[np.float64]

#: tilts of the profile's axis tried around the scanner's long axis (deg): the lower thoracic and lumbar
#: discs lie within about 30 degrees of axial in a supine patient (the lordosis and kyphosis; the same
#: range :mod:`imaging.disc_tilt` searches around the canal's line)
DISC_TILT_DEG = 30.0
DISC_TILT_STEP_DEG = 10.0
#: a disc counts when it scores at least this fraction of the profile's best disc (the end plate pairs of
#: one spine are alike, a dip between trabecular humps scores far lower: the fraction
#: :data:`imaging.vertebra_discs.STRONG_FRACTION` uses)
STRONG_FRACTION = 0.6
#: each end plate of a disc stands at least this far above the profile ``RIDGE_SCALE_MM`` either side
#: (HU): twice the least ridge :func:`imaging.vertebra_discs.find_discs` counts (``MIN_RIDGE_HU``), as a
#: click is said to be on a disc only when the disc is clear
ENDPLATE_RIDGE_HU = 2.0 * MIN_RIDGE_HU
#: the bone beyond each end plate is read this far past its ridge (mm): past the end plate's blur
#: (``RIDGE_SCALE_MM``) and within the thinnest adult body (12 mm, ``MIN_BODY_HEIGHT_MM``)
BEYOND_MM = (RIDGE_SCALE_MM + 0.5, 8.0)
#: the column is moved into the body by these distances from the point (mm), each in
#: ``COLUMN_AZIMUTHS`` directions in the axial plane: up to the column's radius, so the point's own line
#: stays within the column (a larger move reads another part of a curved or tilted disc: chest CT, a
#: click 2.5 mm below the T11/T12 disc's end plate read as on the disc from 9 mm behind it)
COLUMN_SHIFTS_MM = (0.5 * PROFILE_RADIUS_MM, PROFILE_RADIUS_MM)
COLUMN_AZIMUTHS = 8
#: a column's lines are read over the levels a disc at the point spans with the bone beyond its end
#: plates (mm each side): its end plates within ``PAIR_REACH_MM`` of its middle, the bone ``BEYOND_MM``
COLUMN_REACH_MM = PAIR_REACH_MM + BEYOND_MM[1]
#: a column lies in the body when its darkest line (mean HU over those levels) is within this margin of
#: the darkest line of the column deepest in bone around the point: lines in the body differ by their
#: trabecular texture (chest CT: 102-126 HU), a line out of the body reads fat, lung or soft tissue;
#: the contrast a disc's end plate must show (``ENDPLATE_RIDGE_HU``)
IN_BODY_MARGIN_HU = ENDPLATE_RIDGE_HU
#: and no line of a column in the body reads below water (HU): fat (about -100), lung and air do, the
#: bone marrow with its trabeculae, the disc and the end plates do not (the least, osteoporotic
#: trabecular bone, reads 89 +- 38 HU at 90 years, CLINICAL.md; a line's mean over the levels takes in the
#: end plates too). A point whose columns all reach out of the body is not moved (chest CT: a click in
#: the fat 4 mm in front of T10's waist read the body between its end plates as a disc from 6 mm in)
IN_BODY_FLOOR_HU = 0.0


@dataclass(frozen=True)
class DiscAtPoint:
    """A disc through the point: its two end plates' positions (LPS mm) along the profile's axis, on the
    point's line; and the point's level on the line through the centre of the column the disc was read on
    (moved into the body from a point near its surface, :func:`_column_in_body`; else the point)."""

    lower_endplate_lps: tuple[float, float, float]
    upper_endplate_lps: tuple[float, float, float]
    column_lps: tuple[float, float, float] | None = None

    def reason(self) -> str:
        """The refusal's words for the operator."""
        lo, up = self.lower_endplate_lps[2], self.upper_endplate_lps[2]
        return (
            "the point is on the disc between two vertebrae (its end plates at z "
            f"{lo:.1f} and {up:.1f} mm): click inside the body above or below"
        )


def disc_at_point(volume: Volume, point_lps: npt.ArrayLike) -> DiscAtPoint | None:
    """The disc whose end plates enclose the point (to within half a source voxel), or None.

    Parameters
    ----------
    volume
        The CT (HU), any orientation.
    point_lps
        The point, LPS mm.

    Returns
    -------
    DiscAtPoint or None
        The disc along the first axis (the scanner's long axis first, then tilted ones) whose end plates
        enclose the point; None when the point lies in no disc.
    """
    point = np.asarray(point_lps, dtype=np.float64)
    # the column may be moved by up to its radius: the ROI holds it whole along every axis tried
    reach = PROFILE_HALF_LENGTH_MM + PROFILE_RADIUS_MM + max(COLUMN_SHIFTS_MM)
    roi = resample_roi(volume, point, np.full(3, reach), 1.0)
    # on the end plate: within half a source voxel of its ridge
    tolerance_mm = 0.5 * float(max(volume.spacing_mm))
    found = _disc_along_axes(roi, point, point, tolerance_mm)
    if found is not None:
        return found
    centre = _column_in_body(roi, point)
    return None if centre is None else _disc_along_axes(roi, point, centre, tolerance_mm)


def _disc_along_axes(
    roi: LpsRoi, point: FloatArray, centre: FloatArray, tolerance_mm: float
) -> DiscAtPoint | None:
    """The clear disc enclosing the point on the profiles of the column through ``centre``, or None.

    Along each axis the column's origin is the centre moved along the axis to the point's level, so
    positions on the profile are measured from the point's level.
    """
    up = np.array([0.0, 0.0, 1.0])
    for axis in [up, *tilted_axes(up, DISC_TILT_DEG, DISC_TILT_STEP_DEG)]:
        origin = centre - float((centre - point) @ axis) * axis
        t_mm, profile = axial_profile(roi, roi.array, origin, axis)
        discs = find_discs(t_mm, profile)
        if not discs:
            continue
        best = max(d.score_hu for d in discs)
        for d in discs:
            if d.score_hu < STRONG_FRACTION * best or not _clear_disc(t_mm, profile, d):
                continue
            if d.lower_endplate_mm - tolerance_mm <= 0.0 <= d.upper_endplate_mm + tolerance_mm:
                return DiscAtPoint(
                    _at(point, axis, d.lower_endplate_mm),
                    _at(point, axis, d.upper_endplate_mm),
                    _at(origin, axis, 0.0),
                )
    return None


def _column_in_body(roi: LpsRoi, point: FloatArray) -> FloatArray | None:
    """The centre of a column moved into the body from the point, or None when the point's own column
    lies in the body (or none moved lies deeper in bone).

    Columns around the point (moved by ``COLUMN_SHIFTS_MM`` in ``COLUMN_AZIMUTHS`` directions in the
    axial plane) are scored by their darkest line: its mean HU over the ``COLUMN_REACH_MM`` above and
    below the point. A line out of the body reads fat, lung or soft tissue there; one in the body, bone
    and the disc. The nearest column whose darkest line is within ``IN_BODY_MARGIN_HU`` of the best is
    taken, and only when the best reads above ``IN_BODY_FLOOR_HU``: some column lies in the body.
    """
    up = np.array([0.0, 0.0, 1.0])
    e1, e2 = perpendicular_pair(up)
    angles = np.arange(COLUMN_AZIMUTHS) * (2.0 * np.pi / COLUMN_AZIMUTHS)
    directions = np.cos(angles)[:, None] * e1 + np.sin(angles)[:, None] * e2
    groups = [point[None, :], *(point + s * directions for s in COLUMN_SHIFTS_MM)]
    darkest = [_darkest_lines(roi, centres) for centres in groups]
    best = max(float(np.nanmax(d)) if np.isfinite(d).any() else -np.inf for d in darkest)
    if best < IN_BODY_FLOOR_HU or darkest[0][0] >= best - IN_BODY_MARGIN_HU:
        return None
    for centres, dark in zip(groups[1:], darkest[1:], strict=True):
        if np.isfinite(dark).any() and float(np.nanmax(dark)) >= best - IN_BODY_MARGIN_HU:
            out: FloatArray = centres[int(np.nanargmax(dark))]
            return out
    return None


def _darkest_lines(roi: LpsRoi, centres: FloatArray) -> FloatArray:
    """For each column centre ``(n, 3)``: the lowest mean HU of the column's lines along the scanner's
    long axis over ``COLUMN_REACH_MM`` either side (NaN where no level lies in the scan)."""
    g = np.arange(-PROFILE_RADIUS_MM, PROFILE_RADIUS_MM + 1e-9, roi.spacing_mm)
    uu, vv = np.meshgrid(g, g)
    keep = uu**2 + vv**2 <= PROFILE_RADIUS_MM**2
    offsets = np.stack([uu[keep], vv[keep], np.zeros(int(keep.sum()))], axis=1)
    t = np.arange(-COLUMN_REACH_MM, COLUMN_REACH_MM + 1e-9, roi.spacing_mm)
    pts = (
        centres[:, None, None, :]
        + offsets[None, None, :, :]
        + t[None, :, None, None] * np.array([0.0, 0.0, 1.0])
    ).reshape(-1, 3)
    shape = (len(centres), len(t), len(offsets))
    hu = roi.sample(roi.array, pts).reshape(shape)
    # levels whose interpolation reaches past the scan's edge (the ROI reads air there) are left out
    inside = roi.in_scan(pts).reshape(shape)
    counts = inside.sum(axis=1)
    means = np.where(inside, hu, 0.0).sum(axis=1) / np.maximum(counts, 1)
    # a line with no level in the scan is no line of the column; a column with none is NaN
    means = np.where(counts > 0, means, np.inf)
    out: FloatArray = np.min(means, axis=1)
    return np.where(np.isfinite(out), out, np.nan)


def _clear_disc(t_mm: FloatArray, profile: FloatArray, disc: Disc) -> bool:
    """True when each of the disc's two end plate ridges stands ``ENDPLATE_RIDGE_HU`` above its sides.

    A body between two discs also reads as a dip between two bright lines, where one is an end plate and
    the other a ridge of trabecular texture, which stands out far less (chest CT: 23-25 HU, against
    54-117 HU for the weaker end plate of each disc there). And beyond each end plate of a disc lies a
    body, no darker than the disc (to within ``ENDPLATE_RIDGE_HU``: osteoporotic bone reads like a disc),
    where a rib's or the sternum's marrow between its two cortices has soft tissue or lung beyond them, and
    a body's trabecular bone has its discs.
    """
    dip = float(np.interp(disc.centre_mm, t_mm, profile))
    for edge, sign in ((disc.lower_endplate_mm, -1.0), (disc.upper_endplate_mm, 1.0)):
        sides = np.interp([edge - RIDGE_SCALE_MM, edge + RIDGE_SCALE_MM], t_mm, profile)
        if float(np.interp(edge, t_mm, profile)) - float(np.mean(sides)) < ENDPLATE_RIDGE_HU:
            return False
        off = sign * (t_mm - edge)
        beyond = profile[(off >= BEYOND_MM[0]) & (off <= BEYOND_MM[1])]
        beyond = beyond[np.isfinite(beyond)]
        if len(beyond) == 0 or float(np.median(beyond)) < dip - ENDPLATE_RIDGE_HU:
            return False
    return True


def _at(point: FloatArray, axis: FloatArray, t_mm: float) -> tuple[float, float, float]:
    p = point + t_mm * np.asarray(axis, dtype=np.float64)
    return (float(p[0]), float(p[1]), float(p[2]))
