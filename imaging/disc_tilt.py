"""The body's discs found along the endplates' own normal when the spine's line is tilted against them.

:func:`imaging.vertebra_discs.body_slab` reads a profile of mean HU over a disc-shaped cross-section
(radius ``PROFILE_RADIUS_MM``, 6 mm) along an axis, in practice the canal's centre line. That line is
fitted on the levels where the canal is enclosed by bone, which may lie most of a vertebra above or
below the click, where the spine's curve (the cervicothoracic and thoracolumbar junctions, a kyphosis)
has turned it. A thin disc (3-6 mm in the upper thoracic spine) cut by a cross-section tilted by an
angle ``a`` spreads over ``2 * 6 mm * tan(a)`` of the profile: at 25 degrees 5.6 mm, as wide as the
disc, so its dip and its two endplate ridges fade into the trabecular texture and no disc is found on
one side. The rays that trace the body then run through the thin disc into the next vertebra (bone-
lesions case7: a click in an upper thoracic body gave one body of two, 33-36 mm tall).

Here, when the profile along the given axis bounds no plausible body (no disc found on one side, or a
slab taller than one body), the profile is read again along axes tilted around it, and the axis whose
two bounding discs stand out most (the sum of their endplate ridges, which is greatest when the
profile runs square to the endplates) gives the slab. A profile along the given axis that finds a
plausible slab is kept as it is.

The given axis can bound no plausible body for reasons that have nothing to do with tilt: a point on an
endplate past its ridge, or near one whose disc shows a faint second ridge
(:func:`imaging.vertebra_discs.body_slab` then takes no disc there as a bound), or one faint disc (a weak
endplate ridge on 3 mm slices). The search then found some tilted axis whose discs passed by chance and
cut the body along it (bone-lesions case1, a lumbar body 18 degrees off the scanner's axis: from a click
2.5 mm below its upper endplate's ridge, then taken for too near, the discs along the canal's line scored
312 and 298 HU, and a 38 degree tilt scoring 340 and 138 was taken; abdomen L1: tilts of +-10 degrees
from clicks 2 mm apart). So the given axis competes too, scored the same way by its own
nearest discs above and below (however weak, a side where none is seen scoring 0): a tilt is taken only
when its discs stand out more, as they do when the line really runs oblique to them (case7: 450-480 HU
against 66-80 along the line). Positions LPS mm, angles degrees, HU.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.body_height import MAX_ADULT_BODY_HEIGHT_MM
from imaging.vertebra_discs import BodySlab, axial_profile, body_slab, find_discs
from imaging.vertebra_roi import LpsRoi, perpendicular_pair

__all__ = ["MAX_TILT_DEG", "TILT_STEP_DEG", "tilted_axes", "tilted_body_slab"]

FloatArray = npt.NDArray[np.float64]

#: tilts tried around the given axis (deg): rings every ``TILT_STEP_DEG`` up to ``MAX_TILT_DEG``. The
#: canal's line can be fitted a whole vertebra away from the click (:mod:`imaging.vertebra`: the canal's
#: front within 16-25 mm when it is not enclosed at the body's own level), where the spine has turned
#: by a segment's angle (body wedging up to about 8 degrees at L5 and at the thoracolumbar junction,
#: PMC2899959 Table 1, plus the disc's own wedge at the junctions); the line's fit over a short canal
#: adds its own error. 30 degrees covers two such segments; the best ring is refined by half a step.
MAX_TILT_DEG = 30.0
TILT_STEP_DEG = 10.0
#: azimuths on the first ring; rings further out get proportionally more (about the same arc apart)
FIRST_RING_AZIMUTHS = 6


def tilted_body_slab(
    roi: LpsRoi,
    hu: npt.NDArray[np.float32],
    origin_lps: npt.ArrayLike,
    axis_lps: npt.ArrayLike,
    *,
    unknown: npt.NDArray[np.bool_] | None = None,
) -> BodySlab | None:
    """The body around ``origin_lps`` between its discs, along ``axis_lps`` or a tilted axis; or None.

    Parameters
    ----------
    roi
        LPS ROI around the body.
    hu
        HU on the ROI grid (lightly smoothed).
    origin_lps
        A point inside the body, LPS mm.
    axis_lps
        The spine's direction near it (the canal's line), LPS.
    unknown
        Voxels hidden by metal or its streaks (ROI grid), which the profiles skip; or None.

    Returns
    -------
    BodySlab or None
        The slab of :func:`imaging.vertebra_discs.body_slab` along ``axis_lps`` when it is found and no
        taller than any adult body (:data:`imaging.body_height.MAX_ADULT_BODY_HEIGHT_MM`); otherwise the
        plausible slab whose two bounding discs score highest along the axes within ``MAX_TILT_DEG``
        of it (its ``axis_lps`` is that tilted axis), when they score more than the nearest discs above
        and below the origin along ``axis_lps`` itself; the slab along ``axis_lps`` (possibly None)
        when no tilted axis does better.
    """
    origin = np.asarray(origin_lps, dtype=np.float64)
    axis = np.asarray(axis_lps, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    slab = body_slab(roi, hu, origin, axis, unknown=unknown)
    if _plausible(slab):
        return slab
    best: BodySlab | None = None
    best_score = -np.inf
    best_dir = axis
    for d in tilted_axes(axis, MAX_TILT_DEG, TILT_STEP_DEG):
        found = body_slab(roi, hu, origin, d, unknown=unknown)
        if _plausible(found) and _score(found) > best_score:
            best, best_score, best_dir = found, _score(found), d
    # the given axis competes, scored by its own nearest discs (its slab was refused, perhaps only for
    # the origin's place or one faint disc): a tilt is taken only when it shows the discs more clearly
    if best is None or best_score <= _nearest_discs_hu(roi, hu, origin, axis, unknown):
        return slab
    # refine: half a step around the best axis
    for d in tilted_axes(best_dir, 0.5 * TILT_STEP_DEG, 0.5 * TILT_STEP_DEG):
        if float(d @ axis) < np.cos(np.radians(MAX_TILT_DEG + 0.5 * TILT_STEP_DEG)):
            continue
        found = body_slab(roi, hu, origin, d, unknown=unknown)
        if _plausible(found) and _score(found) > best_score:
            best, best_score = found, _score(found)
    return best


def tilted_axes(axis_lps: npt.ArrayLike, max_tilt_deg: float, step_deg: float) -> list[FloatArray]:
    """Unit axes on rings ``step_deg, 2 * step_deg, ... <= max_tilt_deg`` around ``axis_lps``.

    The first ring has ``FIRST_RING_AZIMUTHS`` axes, the n-th ``n`` times as many, so neighbours on
    every ring lie about the same angle apart. The axis itself is not included.
    """
    axis = np.asarray(axis_lps, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    e1, e2 = perpendicular_pair(axis)
    out: list[FloatArray] = []
    n_rings = int(np.floor(max_tilt_deg / step_deg + 1e-9))
    for ring in range(1, n_rings + 1):
        tilt = np.radians(ring * step_deg)
        n = FIRST_RING_AZIMUTHS * ring
        for az in np.arange(n) * (2.0 * np.pi / n):
            d = np.cos(tilt) * axis + np.sin(tilt) * (np.cos(az) * e1 + np.sin(az) * e2)
            out.append(d / np.linalg.norm(d))
    return out


def _nearest_discs_hu(
    roi: LpsRoi,
    hu: npt.NDArray[np.float32],
    origin: FloatArray,
    axis: FloatArray,
    unknown: npt.NDArray[np.bool_] | None,
) -> float:
    """The summed scores of the nearest discs above and below the origin on the profile along ``axis``
    (HU; a side where none is seen scores 0), however weak."""
    t, profile = axial_profile(roi, hu, origin, axis, unknown=unknown)
    discs = find_discs(t, profile)
    above = [d for d in discs if d.centre_mm > 0.0]
    below = [d for d in discs if d.centre_mm < 0.0]
    total = 0.0
    if above:
        total += min(above, key=lambda d: d.centre_mm).score_hu
    if below:
        total += max(below, key=lambda d: d.centre_mm).score_hu
    return total


def _plausible(slab: BodySlab | None) -> bool:
    """A slab that can hold one body: found, and no taller than the tallest adult body."""
    return slab is not None and slab.height_mm <= MAX_ADULT_BODY_HEIGHT_MM


def _score(slab: BodySlab | None) -> float:
    """How clearly the slab's bounding discs stand out: the sum of their endplate ridges (HU)."""
    return -np.inf if slab is None else float(sum(d.score_hu for d in slab.discs))
