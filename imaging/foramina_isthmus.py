"""Where along a pedicle's axis its isthmus may lie: the stretch the foramina's borders must cover.

The neural foramina above and below a pedicle are bounded medially and laterally by the pedicle's
walls at its isthmus (:func:`imaging.foramina_frame.pedicle_bounds`). The isthmus is the narrowest
place along the axis (:mod:`imaging.vertebra_pedicles`), but a pedicle's waist is often nearly flat:
over millimetres its width changes by less than a width can be measured to, and the narrowest of
those widths is placed by their noise, not by the bone (the foramina phantom's hourglass is 0.07 mm
wider 2.2 mm in front of its constructed isthmus, and the isthmus was read there). An oblique
pedicle's walls lie at other lateral places at other depths (17 degrees: 0.3 mm per mm of depth), so
the foramen's borders moved with that noise, one voxel medial, and heat lateral of the foramen read
1.2 mm further from it than it is.

Here the widths are measured again along the axis through the anatomy's isthmus, on the source CT,
with the anatomy step's walls (:func:`imaging.pedicle_profile.edges_over_heights`: half-maximum
edges of the bone run across the axis), and the stretch of the axis whose widths equal the narrowest
within the measurement's own uncertainty (``WIDTH_UNCERTAINTY_VOXELS`` of the source's largest voxel)
is returned: the isthmus may lie anywhere on it (:func:`stretch_of_widths`). The stretch is capped to
the pedicle proper (widths at most :data:`imaging.pedicle_midline.PROPER_WIDTH_FACTOR` times the
narrowest, within ``REACH_MM`` of the isthmus), so that a flat profile does not run onto the lamina or
into the body. The isthmus, axis and narrowest width the anatomy reports are not changed.

Positions LPS mm, lengths mm; ``s`` is the place along the axis (mm, 0 at the anatomy's isthmus,
positive towards the axis's entry, i.e. posterior).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import bony_solid
from imaging.pedicle_midline import EDGE_ERROR_VOXELS, PROPER_WIDTH_FACTOR
from imaging.pedicle_profile import edges_over_heights
from imaging.pedicle_run import MIN_WIDTH_FRACTION, WIDTH_STEP_MM
from imaging.vertebra_roi import resample_roi
from imaging.volume import Volume

__all__ = [
    "REACH_MM",
    "STEP_MM",
    "WIDTH_UNCERTAINTY_VOXELS",
    "IsthmusStretch",
    "isthmus_stretch",
    "stretch_of_widths",
]

FloatArray = npt.NDArray[np.float64]

#: widths along the axis every this (mm): the anatomy step's
STEP_MM = WIDTH_STEP_MM
#: the stretch reaches at most this far either side of the anatomy's isthmus (mm): a lumbar pedicle
#: proper is some 8-15 mm long between the body and the arch (*unverified*: CLINICAL.md gives widths
#: only), so that a flat waist cannot run the borders along the whole pedicle
REACH_MM = 5.0
#: how much two widths may differ and still be the same width (voxels of the source's largest
#: spacing): each half-maximum edge is placed to about ``EDGE_ERROR_VOXELS`` of a voxel
#: (imaging.pedicle_midline), and the difference of two widths holds four edges: 0.25 * sqrt(4) = 0.5
WIDTH_UNCERTAINTY_VOXELS = EDGE_ERROR_VOXELS * 2.0
#: the lines' bone runs are read this far across the axis either side (mm): a wide lumbar pedicle's
#: half width (abdomen L3 right: 14.5 mm wide) and the 4 mm the wall's fall is looked for beyond it
ACROSS_REACH_MM = 12.0
#: the ROI the bone runs are read in reaches this far beyond the lines (mm; the bony solid's smoothing
#: is not trusted at the ROI's faces), on the anatomy step's 1 mm grid
ROI_MARGIN_MM = 3.0
ROI_SPACING_MM = 1.0


@dataclass(frozen=True)
class IsthmusStretch:
    """The stretch of the axis where the isthmus may lie (mm along the axis from the anatomy's isthmus).

    Attributes
    ----------
    front_mm, back_mm
        Its ends (``front_mm <= 0 <= back_mm``; positive towards the axis's entry, posterior).
    narrowest_mm
        The narrowest width measured along the axis (mm; median of three neighbouring widths).
    tolerance_mm
        The width uncertainty the stretch was taken within (mm).
    """

    front_mm: float
    back_mm: float
    narrowest_mm: float
    tolerance_mm: float


def isthmus_stretch(
    volume: Volume,
    *,
    isthmus_lps: npt.ArrayLike,
    direction_lps: npt.ArrayLike,
    left_lps: npt.ArrayLike,
    width_mm: float,
) -> IsthmusStretch | None:
    """The stretch of the pedicle's axis, around its isthmus, whose widths equal the narrowest within
    their measurement's uncertainty.

    Parameters
    ----------
    volume
        The source CT (HU), any orientation.
    isthmus_lps
        The anatomy's isthmus (a point on the axis, LPS mm).
    direction_lps
        The axis direction (LPS, towards the entry; need not be unit).
    left_lps
        The patient's left in the vertebra's frame (the widths are measured across the axis, towards
        it).
    width_mm
        The anatomy's narrowest width (mm): widths below ``MIN_WIDTH_FRACTION`` of it are lines that
        slipped off the pedicle, as in :mod:`imaging.vertebra_pedicles`.

    Returns
    -------
    IsthmusStretch or None
        None when no width is found at the isthmus or its neighbours (the point is not in bone), or
        the direction is undefined.

    Raises
    ------
    ValueError
        If ``width_mm`` is not a positive finite number.
    """
    if not (np.isfinite(width_mm) and width_mm > 0.0):
        raise ValueError(f'Argument "width_mm" must be positive and finite, got {width_mm}')
    p0 = np.asarray(isthmus_lps, dtype=np.float64)
    d = np.asarray(direction_lps, dtype=np.float64)
    n = float(np.linalg.norm(d))
    if not n > 0.0:
        return None
    d = d / n
    lft = np.asarray(left_lps, dtype=np.float64)
    across = lft - (lft @ d) * d
    m = float(np.linalg.norm(across))
    if not m > 1e-6:
        return None
    across /= m
    up = np.cross(d, across)
    # the ROI holds the lines' bone runs: along the axis over the reach, across it as far as a wide
    # pedicle's walls and the CT's fall beyond them, and the lines' own plane (their samples are averaged
    # along the axis, see edges_over_heights' offsets)
    ext = np.array([REACH_MM + 1.0, ACROSS_REACH_MM, 1.0])
    corners = np.array(
        [
            p0 + a * ext[0] * d + b * ext[1] * across + c * ext[2] * up
            for a in (-1, 1)
            for b in (-1, 1)
            for c in (-1, 1)
        ]
    )
    box = np.array([corners.min(axis=0) - p0 - ROI_MARGIN_MM, corners.max(axis=0) - p0 + ROI_MARGIN_MM])
    roi = resample_roi(volume, p0, box, ROI_SPACING_MM)
    solid = bony_solid(roi).arch_bone
    s_all = np.arange(-REACH_MM, REACH_MM + 1e-9, STEP_MM)
    # every place's line at once: the lines through p0 + s * d across the axis (the "heights" run along
    # the axis here, so each line's three samples are averaged along it, over 1.5 mm)
    found = edges_over_heights(volume, roi, solid, point=p0, across=across, up=d, heights_mm=s_all)
    least = MIN_WIDTH_FRACTION * width_mm
    widths = np.array([np.nan if e is None or e[1] - e[0] < least else e[1] - e[0] for e in found])
    return stretch_of_widths(
        s_all, widths, tolerance_mm=WIDTH_UNCERTAINTY_VOXELS * float(max(volume.spacing_mm))
    )


def stretch_of_widths(
    s_mm: npt.ArrayLike, widths_mm: npt.ArrayLike, *, tolerance_mm: float
) -> IsthmusStretch | None:
    """The stretch around ``s = 0`` whose widths equal the narrowest within ``tolerance_mm``.

    Each width is the median of itself and its two neighbours (one line that slipped off the pedicle is
    not a width; a place without a width stays without). The pedicle proper is the run around ``s = 0``
    whose widths stay within ``PROPER_WIDTH_FACTOR`` of the narrowest next to it (a place with no width
    ends it too); the stretch holds ``s = 0`` and every place of that run within ``tolerance_mm`` of
    its narrowest.

    Parameters
    ----------
    s_mm
        Places along the axis (mm), increasing, with one at or next to 0.
    widths_mm
        The widths there (mm; NaN where none was measured).
    tolerance_mm
        How much two widths may differ and be the same width (mm, not negative).

    Returns
    -------
    IsthmusStretch or None
        None when there is no width at ``s = 0`` or next to it.

    Raises
    ------
    ValueError
        If the arrays' lengths differ or are empty, or ``tolerance_mm`` is negative or not finite.
    """
    s_all = np.asarray(s_mm, dtype=np.float64)
    widths = np.asarray(widths_mm, dtype=np.float64)
    if s_all.ndim != 1 or s_all.shape != widths.shape or not len(s_all):
        raise ValueError(
            f'Arguments "s_mm" and "widths_mm" must be 1-D of one non-zero length, got {s_all.shape} '
            f"and {widths.shape}"
        )
    if not (np.isfinite(tolerance_mm) and tolerance_mm >= 0.0):
        raise ValueError(f'Argument "tolerance_mm" must be finite and not negative, got {tolerance_mm}')
    i0 = int(np.argmin(np.abs(s_all)))
    if not np.isfinite(widths[max(i0 - 1, 0) : i0 + 2]).any():
        return None
    med = _median3(widths)
    # the pedicle proper: the run around the isthmus where widths stay within PROPER_WIDTH_FACTOR of
    # the narrowest near it (a gap, no width, ends it too)
    ref = float(np.nanmin(med[max(i0 - 1, 0) : i0 + 2]))
    lo, hi = _run(med, i0, PROPER_WIDTH_FACTOR * ref)
    narrowest = float(np.nanmin(med[lo : hi + 1]))
    within = np.flatnonzero(med[lo : hi + 1] <= narrowest + tolerance_mm) + lo
    # the stretch holds the isthmus and every place as narrow as the narrowest within the uncertainty
    first, last = min(int(within.min()), i0), max(int(within.max()), i0)
    return IsthmusStretch(
        front_mm=float(min(s_all[first], 0.0)),
        back_mm=float(max(s_all[last], 0.0)),
        narrowest_mm=narrowest,
        tolerance_mm=tolerance_mm,
    )


def _median3(widths: FloatArray) -> FloatArray:
    """Median of each width and its measured neighbours (NaN where the width itself is): one line that
    slipped off the pedicle is not a width, and a place with no width is not filled in."""
    out = np.full(len(widths), np.nan)
    for i in np.flatnonzero(np.isfinite(widths)):
        near = widths[max(i - 1, 0) : i + 2]
        # (np.nanmedian along an axis costs milliseconds on arrays this small)
        out[i] = float(np.median(near[np.isfinite(near)]))
    return out


def _run(values: FloatArray, i0: int, limit: float) -> tuple[int, int]:
    """The run of indices around ``i0`` whose values are finite and at most ``limit``."""
    lo = i0
    while lo - 1 >= 0 and np.isfinite(values[lo - 1]) and values[lo - 1] <= limit:
        lo -= 1
    hi = i0
    while hi + 1 < len(values) and np.isfinite(values[hi + 1]) and values[hi + 1] <= limit:
        hi += 1
    return lo, hi
