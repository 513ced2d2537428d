"""Where metal has corrupted a vertebra's region: voxels whose CT number says nothing of the tissue there.

A pedicle screw or rod reads far above bone, and in the CT slices that hold it the projections through it
are starved of photons and hardened, which throws streaks across those slices: bright and dark bands
radial from the metal, fading with distance from it (the session-17 QA's rod on bone-lesions case1: the
click's trabecular bone read -73 HU on a dark band against 96 HU clean). Neither the metal nor a streak is
bone or soft tissue: the body's searches (:mod:`imaging.vertebra_star`, :mod:`imaging.vertebra_discs`)
treat these voxels as unknown, neither stopping on them as on a cortex nor ending a ray there as in soft
tissue. Correcting the HU was tried (session 18) and gave figures that swung with its settings; here
nothing is corrected, the voxels are only marked.

:func:`metal_unknown` marks, on the region's grid:

- the metal: CT above :data:`imaging.vertebra_metal.METAL_THRESHOLD_HU` (denser than the densest cortex
  by CLINICAL.md), in clusters of at least :data:`imaging.vertebra_metal.MIN_METAL_MM3`;
- its blur (``bloom_mm`` around it): the metal's edge, blurred by the source voxels and the smoothing,
  passes through cortical HU on its way down to the tissue around it and would read as a cortex;
- the streaks, from their physics: only in the metal's own slices (the region's planes within one
  source slice of a plane holding metal, which the resampling mixes with it), and only where, along a
  circle around the metal's section in that plane, the CT swings away from its neighbours on the circle
  (a bright or dark band between its flanks) more than at the same place in the nearest planes past
  those slices (the same anatomy without the streaks), and does so over ``RADIAL_RUN_MM`` along the ray
  from the metal (a streak runs radially; the edges of anatomy cross such rays).

:func:`inferred_note` says which share of the body's surface the rays could not see for them, and
refuses a body whose shape would be mostly a guess.

Positions LPS mm, lengths mm, HU.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bony_masks import SMOOTHING_MM
from imaging.lesion_morph import grown_box, mask_bbox
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.vertebra_metal import METAL_THRESHOLD_HU, metal_voxels
from imaging.vertebra_roi import LpsRoi

__all__ = [
    "ANGULAR_SCALES_DEG",
    "MAX_INFERRED_FRACTION",
    "RADIAL_RUN_MM",
    "STREAK_HU",
    "STREAK_REACH_MM",
    "MetalZone",
    "inferred_note",
    "metal_unknown",
]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: a band this much brighter or darker than its flanks on the circle around the metal is a streak (HU).
#: Above the 60 HU contrast at which the body's rays take a cortex (``MIN_CORTEX_CONTRAST_HU``), so a
#: weaker streak is not marked; set on the QA's synthetic streaks (+-500 HU, tests/metal_cases.py), and
#: no CT with a real implant is in the data to check it against (on case1 it also marks some trabecular
#: texture near the rod: session 19, task F)
STREAK_HU = 100.0
#: a streak's band keeps its sign along the ray from the metal over this length (mm): the radial median
#: of the band's contrast, which the edges of anatomy (a cortex crossing the ray, a few mm wide once
#: blurred) do not survive
RADIAL_RUN_MM = 10.0
#: the angular half-widths (degrees) at which a band is compared with its flanks: streaks are a few
#: degrees wide behind a thin screw and fan out to 30 degrees and more behind a wide one
ANGULAR_SCALES_DEG = (5.0, 10.0, 20.0, 30.0)
#: streaks are looked for this far from the metal (mm): across a whole vertebral body from a pedicle
STREAK_REACH_MM = 60.0
#: sampling of the circles around the metal: every degree, every voxel of radius
ANGLE_STEP_DEG = 1.0
#: a body more of whose surface than this was filled from its neighbours, where metal or its streaks hid
#: it, is refused: its shape there is a guess. Measured (tests/test_vertebra_metal_body.py's cases): up to
#: 28 % filled in, the bodies came within 4 % of the metal-free ones (phantom, abdomen L3 with a rod); from
#: 38 % on they were off by up to 50 % (case1 and abdomen L3 with streaks, case1 with a rod: 39-73 %)
MAX_INFERRED_FRACTION = 0.25


@dataclass(frozen=True, eq=False)
class MetalZone:
    """The voxels of a region corrupted by metal (its grid), and the metal itself."""

    unknown: BoolArray  # metal, its blur and the streaks in its slices
    metal: BoolArray
    streak_planes: npt.NDArray[np.int64]  # the region's planes (first index) searched for streaks


def metal_unknown(
    roi: LpsRoi, smoothed: npt.NDArray[np.float32], *, source_voxel_mm: float
) -> MetalZone | None:
    """The region's voxels corrupted by metal, or None when it holds no metal.

    Parameters
    ----------
    roi
        The search region (LPS-aligned; its planes, the first index, are axial).
    smoothed
        Smoothed HU on the region (what the body's searches read).
    source_voxel_mm
        The source CT's largest voxel size (mm): its slices' reach into the region's planes, and the
        metal edge's blur.

    Returns
    -------
    MetalZone or None
    """
    if source_voxel_mm <= 0.0:
        raise ValueError(f'Argument "source_voxel_mm" must be positive, got {source_voxel_mm}')
    sp = roi.spacing_mm
    metal = metal_voxels((roi.array > METAL_THRESHOLD_HU) & roi.inside, sp**3)
    if metal is None:
        return None
    # the metal's edge falls from ~3000 HU through the cortical range over a source voxel and the
    # smoothing's reach (three standard deviations): all of it reads like cortex
    bloom_mm = source_voxel_mm + 3.0 * SMOOTHING_MM
    box = _grown_box(metal, bloom_mm / sp)
    near = ndimage.distance_transform_edt(~metal[box], sampling=sp) <= bloom_mm
    unknown = np.zeros_like(metal)
    unknown[box] = near
    metal_planes = np.flatnonzero(metal.any(axis=(1, 2)))
    reach = max(1, int(np.ceil(source_voxel_mm / sp)))
    grown = (metal_planes[:, None] + np.arange(-reach, reach + 1)).ravel()
    planes = np.unique(np.clip(grown, 0, len(metal) - 1))
    # the nearest planes beyond the streaks' slices, above and below: the same anatomy without streaks
    refs = [
        smoothed[k].astype(np.float64)
        for k in (int(planes[0]) - 1, int(planes[-1]) + 1)
        if 0 <= k < len(metal) and roi.inside[k].mean() > 0.5
    ]
    for k in planes:
        nearest = int(metal_planes[np.argmin(np.abs(metal_planes - k))])
        # the metal and its blur are no tissue to compare a band with
        plane = np.where(unknown[k], np.nan, smoothed[k].astype(np.float64))
        unknown[k] |= _streaks_in_plane(plane, refs, metal[nearest], sp)
    unknown &= roi.inside
    return MetalZone(unknown=unknown, metal=metal, streak_planes=planes.astype(np.int64))


def inferred_note(share: float, click: FloatArray, notes: list[str]) -> None:
    """Say in ``notes`` which share of the body's surface was filled from its neighbours where metal hid
    it (nothing when none was); refuse a body more of which than ``MAX_INFERRED_FRACTION`` was.

    Raises
    ------
    VertebraNotFoundError
        When more than ``MAX_INFERRED_FRACTION`` of the body's surface was hidden by metal or its streaks.
    """
    if share > MAX_INFERRED_FRACTION:
        raise VertebraNotFoundError(
            f"metal and its streaks hide {share:.0%} of the body's surface (more than "
            f"{MAX_INFERRED_FRACTION:.0%}): its shape there would be a guess",
            click,
        )
    if share > 0.0:
        notes.append(
            f"{share:.0%} of the body's surface was not seen (metal and its streaks hide it) and was "
            "filled in from the surface around it"
        )


def _streaks_in_plane(plane: FloatArray, refs: list[FloatArray], metal: BoolArray, sp: float) -> BoolArray:
    """The streaked pixels of one plane: around each section of metal in it (see the module)."""
    out = np.zeros(plane.shape, dtype=bool)
    labels, n = ndimage.label(metal)
    if n == 0:
        return out
    centres = ndimage.center_of_mass(metal, labels, range(1, n + 1))
    theta = np.radians(np.arange(0.0, 360.0, ANGLE_STEP_DEG))
    radius = np.arange(0.0, STREAK_REACH_MM + 1e-9, sp)
    jj, ii = np.indices(plane.shape)
    for cj, ci in centres:
        # the plane on circles around the section's centre: rows radius, columns angle
        rows = cj + (radius[:, None] / sp) * np.sin(theta)[None, :]
        cols = ci + (radius[:, None] / sp) * np.cos(theta)[None, :]
        polar = ndimage.map_coordinates(plane, [rows, cols], order=1, mode="nearest")
        # the band's contrast in the plane less that of the same place beyond the streaks' slices: what
        # anatomy makes there too (an edge that runs on across the slices) is not a streak
        bands = [_band_contrast(polar - _polar(ref, rows, cols), sp) for ref in refs]
        if not bands:
            bands = [_band_contrast(polar, sp)]
        band = bands[0]
        if len(bands) == 2:
            band = np.where(np.abs(bands[0]) <= np.abs(bands[1]), bands[0], bands[1])
        streak = np.abs(band) >= STREAK_HU
        # each pixel reads the circle and the angle it lies on
        dj, di = (jj - cj) * sp, (ii - ci) * sp
        r = np.hypot(dj, di)
        a = np.mod(np.degrees(np.arctan2(dj, di)), 360.0)
        within = r <= STREAK_REACH_MM
        ri = np.rint(r[within] / sp).astype(np.int64)
        ai = np.rint(a[within] / ANGLE_STEP_DEG).astype(np.int64) % len(theta)
        out[within] |= streak[ri, ai]
    return out


def _polar(plane: FloatArray, rows: FloatArray, cols: FloatArray) -> FloatArray:
    out: FloatArray = ndimage.map_coordinates(plane, [rows, cols], order=1, mode="nearest")
    return out


def _band_contrast(polar: FloatArray, sp: float) -> FloatArray:
    """How far each sample stands above (+) or below (-) its flanks on its circle, kept only where it
    holds along the ray (the radial median over ``RADIAL_RUN_MM``); the scale that stands out most."""
    run = max(1, round(RADIAL_RUN_MM / sp))
    best = np.zeros_like(polar)
    for half_deg in ANGULAR_SCALES_DEG:
        k = max(1, round(half_deg / ANGLE_STEP_DEG))
        flanks = 0.5 * (np.roll(polar, k, axis=1) + np.roll(polar, -k, axis=1))
        contrast = _radial_nanmedian(polar - flanks, run)
        best = np.where(np.abs(contrast) > np.abs(best), contrast, best)
    return best


def _radial_nanmedian(values: FloatArray, run: int) -> FloatArray:
    """The median over ``run`` consecutive radii (centred) of each sample, ignoring NaN (0 where all
    are NaN)."""
    lo = run // 2
    padded = np.pad(values, ((lo, run - 1 - lo), (0, 0)), constant_values=np.nan)
    stack = np.stack([padded[i : i + len(values)] for i in range(run)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows (inside the metal)
        med = np.nanmedian(stack, axis=0)
    out: FloatArray = np.nan_to_num(med, nan=0.0)
    return out


def _grown_box(mask: BoolArray, pad: float) -> tuple[slice, slice, slice]:
    """The mask's bounding box grown by ``pad`` voxels and one more (within the array); empty when the
    mask is."""
    box = mask_bbox(mask)
    if box is None:
        return (slice(0, 0), slice(0, 0), slice(0, 0))
    p = int(np.ceil(pad)) + 1
    return grown_box(box, (p, p, p), mask.shape)
