"""Is the posterior wall's cortex seen beside a gap? A break of the cortex needs cortex on each side of it.

The posterior wall (:mod:`imaging.vertebra_wall`) is probed by rays on a grid across (``u``) and along
(``v``) the wall; each ray gives the highest smoothed HU in a window around the body's posterior
surface (its *peak*). A gap is a connected area whose peaks fall below a cut. That cut alone does not
tell a break from a cortex the scan does not resolve: the vertebral body's cortical shell is a few
tenths of a millimetre thick (about 0.4 mm measured directly, Silva et al. 1994, Bone 15:409;
*unverified* figure, quoted from memory), so on thick voxels (3 mm) and in osteopenic bone its
partial-volume peak sinks into the trabecular bone's own texture and a whole wall can fall under any
cut while its bony margin is continuous (abdomen-pelvis-ct, 3 mm: the walls beside the T12-L5 gaps
peak 2-27 HU above the median trabecular window, against 280-310 HU on the 1000 HU cortex of the
phantoms).

So a gap counts as a break only where the wall *beside* it (its rim: the rays within ``RIM_MM`` of the
gap, away from the end plates' partial volume) reads as cortex: its median peak must exceed what the
same window finds in the body's own trabecular bone in 9 of 10 rays (``TRABECULAR_QUANTILE``), taken
``TRABECULAR_DEPTHS_MM`` in front of the wall along the same rays. Where the rim is no brighter than
that, the cortex is not resolved there and the gap says nothing about a break. Units: mm and HU;
positions LPS mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_roi import LpsRoi

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: depths in front of the wall's surface where the trabecular reference is read (mm): beyond the
#: cortex's blur (the peak window, -3 to +1.5 mm about each depth, stays 4.5 mm or more in front of
#: the surface; a 3 mm voxel's partial volume and the 1 mm smoothing fade within about 4 mm) and
#: within the body (bodies are 25-35 mm deep)
TRABECULAR_DEPTHS_MM = (6.0, 8.0, 10.0)
#: the rim reads as cortex when its median peak exceeds this percentile of the trabecular window peaks
#: (brighter than 9 in 10 windows of the body's own bone: a peak texture alone rarely reaches)
TRABECULAR_QUANTILE = 90.0
#: the rim: rays within this distance of the gap on the ray grid (mm), two 1 mm ray cells
RIM_MM = 2.0
#: fewer rim rays than this (a gap that fills the wall) leave the rim unjudged: 4 mm^2 of wall
MIN_RIM_RAYS = 4
#: the cut for lytic tissue behind the wall lies below nine in ten of the wall's deep windows when it is
#: this many standard deviations below their median (the normal distribution's 10th percentile, the same
#: nine in ten as ``TRABECULAR_QUANTILE``)
LYTIC_SEPARATION_SD = 1.2816
#: a normal distribution's standard deviation per median absolute deviation
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class CortexReference:
    """What the wall's peaks are judged against on one vertebra.

    Parameters
    ----------
    trabecular_peak_hu
        The ``TRABECULAR_QUANTILE`` percentile of the peak window's maximum in the trabecular bone.
    rim_rows
        True for the rows of the ray grid (heights ``v``) whose rays may count as a rim: not within
        one source voxel of the probed wall's top or bottom, where the end plates' cortex blurs in.
    """

    trabecular_peak_hu: float
    rim_rows: BoolArray


def cortex_reference(
    roi: LpsRoi,
    smoothed: npt.NDArray[np.float32],
    *,
    frame: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    us: FloatArray,
    vs: FloatArray,
    t_surface: FloatArray,
    rays: BoolArray,
    window_mm: FloatArray,
    source_voxel_mm: float,
) -> CortexReference:
    """The trabecular reference peak and the rows that may form a gap's rim.

    Parameters
    ----------
    roi
        LPS ROI.
    smoothed
        Smoothed HU on the ROI.
    frame
        Body centroid (LPS mm) and the unit vectors left, superior, posterior.
    us, vs
        Ray grid positions across and along the wall (mm).
    t_surface
        Depth of the body's posterior surface along each ray (mm, ``(len(us), len(vs))``).
    rays
        True where the ray met the body.
    window_mm
        Offsets of the peak window from the surface (mm).
    source_voxel_mm
        The source image's largest voxel size (mm).

    Returns
    -------
    CortexReference
    """
    centroid, left, axis, posterior = frame
    depth = np.asarray(TRABECULAR_DEPTHS_MM, dtype=np.float64)
    wt = t_surface[..., None, None] - depth[:, None] + window_mm
    pts = (
        centroid
        + us[:, None, None, None, None] * left
        + vs[None, :, None, None, None] * axis
        + wt[..., None] * posterior
    )
    peaks = roi.sample(smoothed, pts, order=1).max(axis=3)
    values = peaks[rays]
    reference = float(np.percentile(values, TRABECULAR_QUANTILE)) if values.size else float("inf")
    rows: BoolArray = np.asarray(
        (vs >= vs[0] + source_voxel_mm) & (vs <= vs[-1] - source_voxel_mm), dtype=bool
    )
    return CortexReference(trabecular_peak_hu=reference, rim_rows=rows)


def rim_peak_hu(
    gap: BoolArray, missing: BoolArray, rays: BoolArray, peak: FloatArray, reference: CortexReference
) -> float | None:
    """Median peak HU of the wall beside a gap, None when too few rays of wall lie beside it.

    Parameters
    ----------
    gap
        The gap's rays (ray grid, ``(len(us), len(vs))``).
    missing
        Every ray below the cut (other gaps are no rim).
    rays
        True where the ray met the body.
    peak
        Peak HU per ray.
    reference
        From :func:`cortex_reference`.

    Returns
    -------
    float or None
    """
    cells = round(RIM_MM)
    structure = ndimage.generate_binary_structure(2, 2)
    rim = ndimage.binary_dilation(gap, structure=structure, iterations=cells) & rays & ~missing
    rim &= reference.rim_rows[None, :]
    if int(rim.sum()) < MIN_RIM_RAYS:
        return None
    return float(np.median(peak[rim]))


def rim_is_cortex(rim_hu: float | None, reference: CortexReference) -> bool:
    """True when the wall beside a gap reads as cortex (see the module's docstring)."""
    return rim_hu is not None and rim_hu > reference.trabecular_peak_hu


def deep_hu(
    roi: LpsRoi,
    smoothed: npt.NDArray[np.float32],
    *,
    frame: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    us: FloatArray,
    vs: FloatArray,
    t_surface: FloatArray,
    depth_mm: tuple[float, float],
) -> FloatArray:
    """Mean smoothed HU along each ray between ``depth_mm`` in front of the body's posterior surface.

    Parameters
    ----------
    roi, smoothed, frame, us, vs, t_surface
        As for :func:`cortex_reference`.
    depth_mm
        Nearest and farthest depth in front of the surface (mm), sampled every 1 mm.

    Returns
    -------
    numpy.ndarray
        ``(len(us), len(vs))`` HU.
    """
    centroid, left, axis, posterior = frame
    depth = np.arange(depth_mm[0], depth_mm[1] + 0.01, 1.0)
    pts = (
        centroid
        + us[:, None, None, None] * left
        + vs[None, :, None, None] * axis
        + (t_surface[..., None] - depth)[..., None] * posterior
    )
    out: FloatArray = roi.sample(smoothed, pts, order=1).mean(axis=2)
    return out


def lytic_cut_hu(
    deep_windows: FloatArray, trabecular_hu: float, *, lytic_hu: float, min_contrast_hu: float
) -> float | None:
    """The deep HU below which a ray has lytic tissue behind the wall; None when it cannot be told.

    The cut lies half way between the body's trabecular bone and lytic tissue. Lytic tissue can be told
    from this body's bone when the trabecular bone stands ``min_contrast_hu`` above ``lytic_hu``, or, the
    bone being denser than ``lytic_hu`` at all, when the cut lies below nine in ten of the wall's own deep
    windows (``deep_windows``, the :func:`deep_hu` of the wall's rays): their median less
    ``LYTIC_SEPARATION_SD`` robust standard deviations (1.4826 median absolute deviations, little moved
    by a lesion behind a minority of the rays: with case1's figures below, lytic tissue behind up to
    about 15 % of the wall's rays; behind more, an osteoporotic body is not judged, as before). An
    osteoporotic body's core can read under 100 HU while the bone along its wall reads well above the cut
    (bone-lesions case1, 1 mm: core 97 HU, cut 73 HU, the wall's windows 2-6 mm in front of it
    147 +- 38-45 HU, 0-4 % of its rays below the cut on five clicks); where the bone itself reads near
    lytic HU nothing is judged (lumbar-ct-labels L3 and L4, 1.5 mm: cores 50 and 35 HU).

    Parameters
    ----------
    deep_windows
        :func:`deep_hu` of the rays that met the body (HU).
    trabecular_hu
        Median HU of the body's core.
    lytic_hu
        Lytic tissue's reference HU.
    min_contrast_hu
        The trabecular-to-lytic contrast above which the cut is used without looking at the windows.

    Returns
    -------
    float or None
    """
    cut = 0.5 * (trabecular_hu + lytic_hu)
    if trabecular_hu - lytic_hu >= min_contrast_hu:
        return cut
    if trabecular_hu <= lytic_hu or deep_windows.size == 0:
        return None
    median = float(np.median(deep_windows))
    sd = MAD_TO_SD * float(np.median(np.abs(deep_windows - median)))
    return cut if cut < median - LYTIC_SEPARATION_SD * sd else None
