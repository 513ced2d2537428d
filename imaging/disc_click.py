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
are in the bodies, and must not be sent elsewhere). Positions LPS mm, HU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.disc_tilt import tilted_axes
from imaging.vertebra_discs import (
    MIN_RIDGE_HU,
    PROFILE_HALF_LENGTH_MM,
    PROFILE_RADIUS_MM,
    RIDGE_SCALE_MM,
    Disc,
    axial_profile,
    find_discs,
)
from imaging.vertebra_roi import resample_roi
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


@dataclass(frozen=True)
class DiscAtPoint:
    """A disc through the point: its two end plates' positions (LPS mm) along the profile's axis."""

    lower_endplate_lps: tuple[float, float, float]
    upper_endplate_lps: tuple[float, float, float]

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
    # on the end plate: within half a source voxel of its ridge
    tolerance_mm = 0.5 * float(max(volume.spacing_mm))
    reach = PROFILE_HALF_LENGTH_MM + PROFILE_RADIUS_MM
    roi = resample_roi(volume, point, np.full(3, reach), 1.0)
    up = np.array([0.0, 0.0, 1.0])
    for axis in [up, *tilted_axes(up, DISC_TILT_DEG, DISC_TILT_STEP_DEG)]:
        t_mm, profile = axial_profile(roi, roi.array, point, axis)
        discs = find_discs(t_mm, profile)
        if not discs:
            continue
        best = max(d.score_hu for d in discs)
        for d in discs:
            if d.score_hu < STRONG_FRACTION * best or not _clear_disc(t_mm, profile, d):
                continue
            if d.lower_endplate_mm - tolerance_mm <= 0.0 <= d.upper_endplate_mm + tolerance_mm:
                return DiscAtPoint(
                    _at(point, axis, d.lower_endplate_mm), _at(point, axis, d.upper_endplate_mm)
                )
    return None


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
