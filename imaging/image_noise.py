"""How noisy a CT image is: the standard deviation of its noise (HU), measured in uniform soft tissue.

:func:`noise_sd_hu` reads it from the image itself, on its own grid (arrays ``[slice, row, col]``,
values HU): for every voxel the sample standard deviation of the 3 x 3 in-plane window around it
(within its slice, so slice thickness and spacing do not enter), kept where the whole 5 x 5 in-plane
window lies in one uniform tissue class (fat ``FAT_RANGE_HU`` or muscle and soft tissue
``SOFT_TISSUE_RANGE_HU``): tissues with no structure at the voxel scale, away from any edge. The noise is
the median of those windows' deviations over their expected value for pure noise (a 3 x 3 sample's
standard deviation has a median of 0.903 times that of the noise, chi distribution with 8 degrees of
freedom and the population formula). Correlated noise (a smooth reconstruction kernel, an image that
was resampled) reads lower than its per-voxel deviation: what is measured is the noise at the voxel
scale, the scale the thresholds on the same grid see.

:func:`noise_note` words the result for the operator when the noise is high enough to make the bone's
edges uncertain: ``HIGH_NOISE_SD_HU`` once averaged over ``REFERENCE_VOLUME_MM3`` (the same voxel noise
matters less on smaller voxels, which the search resamples and smooths).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.volume import Volume

__all__ = [
    "FAT_RANGE_HU",
    "HIGH_NOISE_SD_HU",
    "MAX_SLICES",
    "MIN_NOISE_SAMPLES",
    "NEAR_HALF_SIZE_MM",
    "REFERENCE_VOLUME_MM3",
    "SOFT_TISSUE_RANGE_HU",
    "noise_at_reference_volume",
    "noise_note",
    "noise_sd_hu",
    "noise_sd_near",
]

BoolArray = npt.NDArray[np.bool_]

#: fat (HU): -100 to -50 HU is fat by CLINICAL.md ("fat is -100 to -50" in imaging.star_edges), widened by
#: 50 HU each side for the noise itself
FAT_RANGE_HU = (-150.0, 0.0)
#: muscle and soft tissue (HU): muscle 40-60, soft tissue 0-100 (CLINICAL.md: lytic lesions are of
#: soft-tissue density, 0-100 HU), widened by 20 HU each side for the noise
SOFT_TISSUE_RANGE_HU = (0.0, 120.0)
#: fewer uniform windows than this and the noise is not measured (None)
MIN_NOISE_SAMPLES = 200
#: at most this many slices are read (evenly spread over the stack): enough windows, in little time
MAX_SLICES = 24
#: noise is compared over this volume (mm^3, a 3 mm cube: the abdomen CT's voxel, and about the reach of
#: the smoothing and the cortex's blur the bone's edges are found at): averaged over it, white noise of
#: sd s on voxels of v mm^3 has sd s * sqrt(v / 27), so 70 HU on 1.5 mm voxels is 25 HU, 60 HU on 3 mm is 60
REFERENCE_VOLUME_MM3 = 27.0
#: above this noise (HU, over ``REFERENCE_VOLUME_MM3``) the bone's edges are uncertain: measured with
#: Gaussian noise added (session 17 QA item 5), the abdomen CT's L3 (3 mm voxels, its own noise 22-29 HU)
#: was unchanged at 30 HU added (42 HU measured; body 41.41 -> 41.35 mL) and wrong at 60 (66 HU measured;
#: 29.75 mL, a wall called destroyed with no lesion); case1 (1 mm) with 60 added (12 HU over 27 mm^3) and
#: lumbar-ct-labels (70 HU on 1.5 mm voxels, 25 HU) give bodies within 1 % and Dice 0.86-0.91
HIGH_NOISE_SD_HU = 50.0
#: half the side of the box around a point the noise is measured in (mm): a vertebra's region
#: (imaging.vertebra's ROI spans 80-110 mm), wide enough to hold fat and muscle beside the spine
NEAR_HALF_SIZE_MM = 50.0
#: the median of the 3 x 3 sample standard deviation (population formula) of pure Gaussian noise, as a
#: fraction of the noise's: sqrt(median of chi-square with 8 degrees of freedom / 9) = sqrt(7.344 / 9)
_MEDIAN_SD_FRACTION = 0.903


def noise_sd_hu(hu: npt.NDArray[Any], *, region: BoolArray | None = None) -> float | None:
    """The image's noise standard deviation (HU), from uniform fat and soft tissue; None if too little.

    Parameters
    ----------
    hu
        CT values, ``[slice, row, col]`` (a 2D array is one slice).
    region
        Where to measure (same shape), e.g. inside the field of view; None: everywhere.

    Returns
    -------
    float or None
        The noise standard deviation at the voxel scale (HU), or None when fewer than
        ``MIN_NOISE_SAMPLES`` voxels lie in uniform tissue.

    Raises
    ------
    ValueError
        If ``hu`` is not 2D or 3D, or ``region`` has another shape.
    """
    a = np.asarray(hu, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
        region = None if region is None else np.asarray(region)[None]
    if a.ndim != 3:
        raise ValueError(f'Argument "hu" must be a 2D or 3D array, got {a.ndim} dimensions')
    if region is not None and region.shape != a.shape:
        raise ValueError(f'Argument "region" must have the shape of "hu" {a.shape}, got {region.shape}')
    # in-plane windows only: a sample of the slices measures the same noise (spread over the stack)
    step = max(1, -(-a.shape[0] // MAX_SLICES))
    a = a[::step]
    region = None if region is None else region[::step]
    window = (1, 3, 3)
    mean = ndimage.uniform_filter(a, size=window, mode="nearest")
    mean_sq = ndimage.uniform_filter(a * a, size=window, mode="nearest")
    sd = np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))
    lo, hi = _window_min_max(a, 2)  # over 1 x 5 x 5
    # a window is uniform when its mean lies in one tissue class and no voxel of the 5 x 5 around it is
    # farther from that class than the noise could take it (the class ranges are widened for the noise)
    uniform = np.zeros(a.shape, dtype=bool)
    for low, high in (FAT_RANGE_HU, SOFT_TISSUE_RANGE_HU):
        span = high - low
        uniform |= (mean >= low) & (mean < high) & (lo >= low - span) & (hi < high + span)
    if region is not None:
        uniform &= region
    # the rim of the array has no full window
    uniform[:, :2, :] = False
    uniform[:, -2:, :] = False
    uniform[:, :, :2] = False
    uniform[:, :, -2:] = False
    # a window of one value is a constant fill (zero-filled padding, a mask), not tissue with noise
    uniform &= sd > 0
    if np.count_nonzero(uniform) < MIN_NOISE_SAMPLES:
        return None
    return float(np.median(sd[uniform])) / _MEDIAN_SD_FRACTION


def noise_sd_near(
    volume: Volume, point_lps: Sequence[float] | npt.ArrayLike, *, half_size_mm: float = NEAR_HALF_SIZE_MM
) -> float | None:
    """:func:`noise_sd_hu` on the volume's own voxels in a box of ``half_size_mm`` around a point.

    Parameters
    ----------
    volume
        The CT (HU).
    point_lps
        The box's centre, LPS mm.
    half_size_mm
        Half the box's side, mm.

    Returns
    -------
    float or None
        The noise (HU), None when the box holds too little uniform tissue.
    """
    centre = np.asarray(volume.lps_to_index_points(np.asarray(point_lps, dtype=np.float64)), dtype=np.float64)
    reach = half_size_mm / np.asarray(volume.spacing_mm, dtype=np.float64)
    lo = np.clip(np.floor(centre - reach).astype(int), 0, np.asarray(volume.shape))
    hi = np.clip(np.ceil(centre + reach).astype(int) + 1, 0, np.asarray(volume.shape))
    if np.any(hi <= lo):
        return None
    box = volume.array[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    return noise_sd_hu(box)


def noise_at_reference_volume(noise_sd: float, spacing_mm: Sequence[float]) -> float:
    """The voxel noise (HU) averaged over ``REFERENCE_VOLUME_MM3``: ``noise_sd * sqrt(voxel / 27 mm^3)``."""
    voxel_mm3 = float(np.prod(np.asarray(spacing_mm, dtype=np.float64)))
    return float(noise_sd * np.sqrt(voxel_mm3 / REFERENCE_VOLUME_MM3))


def noise_note(noise_sd: float | None, spacing_mm: Sequence[float] = (3.0, 3.0, 3.0)) -> str | None:
    """A plain warning when the voxel noise (HU) on voxels of ``spacing_mm`` exceeds ``HIGH_NOISE_SD_HU``
    over ``REFERENCE_VOLUME_MM3``; None otherwise."""
    if noise_sd is None or noise_at_reference_volume(noise_sd, spacing_mm) <= HIGH_NOISE_SD_HU:
        return None
    size = " x ".join(f"{s:g}" for s in spacing_mm)
    return (
        f"the image is noisy (noise about {noise_sd:.0f} HU on its {size} mm voxels): the body's outline and "
        "the posterior wall are uncertain here; a smoother reconstruction or a lower-noise series gives "
        "reliable measures"
    )


def _window_min_max(
    a: npt.NDArray[np.float32], half: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The minimum and maximum over in-plane windows of ``2 half + 1`` voxels a side, the edge voxels
    repeated beyond the array: ``ndimage.minimum_filter`` / ``maximum_filter`` with ``size=(1, w, w)``
    and ``mode="nearest"``, the same values (a minimum is exact) on finite values, in a quarter of the
    time (a NaN spreads here, where scipy's filters skip it; CT values have none)."""
    n_rows, n_cols = a.shape[1], a.shape[2]
    padded = np.pad(a, ((0, 0), (half, half), (half, half)), mode="edge")
    lo_cols = padded[:, :, :n_cols].copy()
    hi_cols = lo_cols.copy()
    for k in range(1, 2 * half + 1):
        np.minimum(lo_cols, padded[:, :, k : k + n_cols], out=lo_cols)
        np.maximum(hi_cols, padded[:, :, k : k + n_cols], out=hi_cols)
    lo = lo_cols[:, :n_rows].copy()
    hi = hi_cols[:, :n_rows].copy()
    for k in range(1, 2 * half + 1):
        np.minimum(lo, lo_cols[:, k : k + n_rows], out=lo)
        np.maximum(hi, hi_cols[:, k : k + n_rows], out=hi)
    return lo, hi
