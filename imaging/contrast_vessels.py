"""Contrast-filled vessels (and other uniform structures without a cortex) beside bone, as a mask.

An enhanced aorta or vena cava reads 150-400 HU, as bright as trabecular bone and a thin cortex, and
lies against the anterior-left of the vertebral bodies in many patients; thresholded, it joins the
bone it touches. What tells it from bone is that it has no structure and no cortex:

- *uniform*: its HU varies only by the image's noise (a liquid), while trabecular bone adds its
  trabeculae's texture. A voxel is uniform when the standard deviation of the ~3 x 3 x 3 mm window
  around it is at most ``UNIFORM_SD_FACTOR`` times the image's noise (:mod:`imaging.image_noise`, on
  the same grid), at least ``UNIFORM_SD_FLOOR_HU``;
- *thick*: the uniform bright voxels (mean in ``range_hu``) hold a ball of ``CORE_RADIUS_MM`` (the
  aorta, vena cava and iliac vessels are 10-25 mm across); each part that ball sweeps, of at least
  ``MIN_STRUCTURE_ML``, elongated (``MIN_ELONGATION``) and ``MIN_LENGTH_MM`` long (a vessel runs on),
  is a candidate, its level the mean HU;
- *no cortical shell*: grown through the voxels connected to it within 3 noise deviations of its
  level (uniform marrow then reaches its cortex), at most half the ``SHELL_MM`` layer around it is
  brighter than it by ``SHELL_CONTRAST_HU`` (bone's marrow, however uniform, lies inside a brighter
  cortex), and the median of the ring ``RING_MM`` beyond is darker than it by at least
  ``SHELL_CONTRAST_HU`` and no brighter than soft tissue: fat and muscle around a vessel, where a
  uniform patch of trabecular bone has more bone around it.

The mask is the grown structure within ``GROW_MM`` of the candidate (not the bone of similar HU it may
run into where it overlaps a body) plus the partial-volume layer at its edge (within ``EDGE_MM``, not
brighter than its level plus 3 noise deviations: the cortex it touches stays out). Arrays
``[slice, row, col]``, HU, sizes mm on the array's spacing (anisotropic spacing honoured). Used by
:mod:`imaging.bone` (the bone mask leaves such structures out even where they touch bone) and
:mod:`imaging.vertebra_body` (the body's rays stop at them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.image_noise import noise_sd_hu
from imaging.lesion_morph import IndexBox, grown_box, mask_bbox

__all__ = [
    "CONTRAST_RANGE_HU",
    "CORE_RADIUS_MM",
    "EDGE_MM",
    "GROW_MM",
    "MIN_ELONGATION",
    "MIN_LENGTH_MM",
    "MIN_STRUCTURE_ML",
    "RING_MM",
    "SHELL_CONTRAST_HU",
    "SHELL_MM",
    "SURROUNDING_MAX_HU",
    "UNIFORM_SD_FACTOR",
    "UNIFORM_SD_FLOOR_HU",
    "uniform_structures",
]

BoolArray = npt.NDArray[np.bool_]

#: contrast-filled vessels: arterial-phase aorta and portal-venous vessels read about 150-400 HU
#: (CT angiography aims at 250-300 HU or more in the aorta; portal-venous phase 150-200 HU); above
#: 500 HU is cortex (CLINICAL.md: cortical bone 1000-2000 HU, half of the lower end for partial volume,
#: as imaging.bone's CORTEX_PEAK_HU) or a blastic lesion (654 +- 176 HU), never left out
CONTRAST_RANGE_HU = (130.0, 500.0)
#: a window this many times the noise's standard deviation is still uniform: the sample deviation of
#: 27 noise voxels exceeds 1.5 times the noise's with a probability below 0.1 %
UNIFORM_SD_FACTOR = 1.5
#: the least deviation counted as uniform (HU), for images with almost no noise (phantoms)
UNIFORM_SD_FLOOR_HU = 5.0
#: the ball a uniform structure must hold (mm): the great vessels are 10-25 mm across; trabecular bone
#: is rarely this uniform over 6 mm
CORE_RADIUS_MM = 3.0
#: the layer around a structure where bone would have its cortex (mm): cortex 1-2 mm thick, blurred
SHELL_MM = 2.0
#: the least volume of a structure (mL): a vessel runs on (a 6 mm vessel over 35 mm, the aorta over 3 mm);
#: a denser patch of marrow inside osteoporotic bone on a noisy image (case1 with 60 HU noise added: a
#: 0.34 mL patch of 164 HU in 60-90 HU marrow) is a blob
MIN_STRUCTURE_ML = 1.0
#: a vessel runs on: its largest spread is at least this many times its second (a cylinder of radius r
#: at least 3.5 r long; the great vessels cross a vertebra's region of 80-110 mm); the uniform marrow of a
#: vertebral body with a faint cortex is a blob (chest-ct-dicom T10, 2 mm slices: 18 x 18 x 25 mm)
MIN_ELONGATION = 2.0
#: and runs at least this far (mm): longer than any vertebral body is tall (40 mm, imaging.vertebra), so a
#: piece of a body's marrow is not taken for one (chest-ct-dicom T11, a click 5 mm low: a uniform piece
#: 29 mm long and elongated enough); the great vessels run across a vertebra's region (80-110 mm)
MIN_LENGTH_MM = 40.0
#: the ring whose tissue is compared with the structure (mm from it): beyond its blurred edge, which
#: reaches 3 mm on 3 mm slices resampled to 1 mm (abdomen-pelvis-ct: the ring's median at 1.5-3.5 mm
#: was still the edge's, 231 HU around a 350 HU vessel, 5 HU at 3.5-6.5 mm)
RING_MM = (3.5, 6.5)
#: the ring's median must be at least this much darker than the structure (HU): a vessel in fat or
#: muscle (-100..60 HU) around a 150-400 HU lumen; a shell this much brighter is a cortex (cortex
#: 250-600 HU on thin-cortex CT around 60-250 HU marrow, imaging.star_edges)
SHELL_CONTRAST_HU = 80.0
#: and no brighter than soft tissue (HU; CLINICAL.md: soft tissue 0-100 HU): a bright patch of marrow
#: inside darker marrow (100-130 HU on 3 mm slices) is not a vessel in fat or muscle
SURROUNDING_MAX_HU = 100.0
#: how far beyond its uniform part a structure is taken (mm): the window's half-width (one voxel) that
#: the uniform part stops short of its edge, plus one voxel of partial volume on 1 mm grids (1.5, 2 and
#: 3 mm measured on the QA's case1 with an aorta cut into the body: body 35.07, 34.89, 34.38 mL)
GROW_MM = 2.0
#: the partial-volume layer at a structure's edge that goes with it (mm)
EDGE_MM = 1.5


def uniform_structures(
    hu: npt.NDArray[Any],
    spacing_mm: Sequence[float],
    *,
    noise_sd: float | None = None,
    region: BoolArray | None = None,
    range_hu: tuple[float, float] = CONTRAST_RANGE_HU,
) -> BoolArray:
    """Bright uniform structures without a cortex (contrast-filled vessels), as a mask of ``hu``.

    Parameters
    ----------
    hu
        CT values, ``[slice, row, col]``.
    spacing_mm
        Voxel spacing ``(slice, row, col)``, mm.
    noise_sd
        The image's noise on this grid (HU); None: measured here (:func:`imaging.image_noise.noise_sd_hu`).
    region
        Where the image is valid (inside the field of view), same shape; None: everywhere.
    range_hu
        The HU range such structures read in (default ``CONTRAST_RANGE_HU``).

    Returns
    -------
    ndarray of bool
        The structures, their partial-volume edge included (empty when there are none).

    Raises
    ------
    ValueError
        If ``hu`` is not 3D or ``spacing_mm`` does not have 3 positive values.
    """
    a = np.asarray(hu, dtype=np.float32)
    sp = np.asarray(spacing_mm, dtype=np.float64)
    if a.ndim != 3:
        raise ValueError(f'Argument "hu" must be a 3D array, got {a.ndim} dimensions')
    if sp.shape != (3,) or not np.all(sp > 0):
        raise ValueError(f'Argument "spacing_mm" must have 3 positive values, got {tuple(spacing_mm)}')
    out = np.zeros(a.shape, dtype=bool)
    lo_hu, hi_hu = range_hu
    if not np.any((a >= lo_hu) & (a < hi_hu)):
        return out
    if noise_sd is None:
        noise_sd = noise_sd_hu(a, region=region)
    limit_sd = max(UNIFORM_SD_FACTOR * (noise_sd if noise_sd is not None else 0.0), UNIFORM_SD_FLOOR_HU)
    # one voxel each side (about 3 mm on 1 mm grids); across thick slices (over 1.5 mm) the slice alone,
    # but never fewer than 3 x 3 voxels in-plane: a deviation needs a sample
    window = (3 if sp[0] <= 1.5 else 1, 3, 3)
    mean = ndimage.uniform_filter(a, size=window, mode="nearest")
    mean_sq = ndimage.uniform_filter(a * a, size=window, mode="nearest")
    sd = np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))
    uniform = (mean >= lo_hu) & (mean < hi_hu) & (sd <= limit_sd)
    if region is not None:
        uniform &= region
    # work in the box of the uniform voxels, padded by the ring (the structures are judged in it)
    box = _padded_box(uniform, np.ceil(RING_MM[1] / sp).astype(int) + 1)
    if box is None:
        return out
    ab = a[box]
    valid = region[box] if region is not None else np.ones(ab.shape, dtype=bool)
    tolerance_hu = 3.0 * max(noise_sd if noise_sd is not None else 0.0, UNIFORM_SD_FLOOR_HU)
    found = np.zeros(ab.shape, dtype=bool)
    for seed, level_hu in _candidates(uniform[box], ab, sp):
        part = _judged(ab, seed, level_hu=level_hu, tolerance_hu=tolerance_hu, valid=valid, sp=sp)
        if part is not None:
            found |= part
    out[box] = found
    return out


def _candidates(
    uniform: BoolArray, hu: npt.NDArray[np.float32], sp: npt.NDArray[np.float64]
) -> list[tuple[BoolArray, float]]:
    """The candidate structures in ``uniform`` (each part a ball of ``CORE_RADIUS_MM`` sweeps there, of
    ``MIN_STRUCTURE_ML``, that runs on like a vessel), as masks of the array with their mean HU.

    The ball stays inside one connected part of ``uniform`` (the voxels nearer a core voxel than its
    distance to the nearest voxel outside are all uniform and connected to it), so each part is worked
    on alone, in its bounding box padded by one voxel: that box holds the voxel outside nearest to each
    of its voxels, so the distances there are those over the whole array. A part too small, too thin
    for the ball or too short to hold a candidate costs no distance map (most of a vertebra's region).
    """
    parts, _ = ndimage.label(uniform)
    voxel_mm3 = float(np.prod(sp))
    sizes = np.bincount(parts.ravel())
    # a core voxel has the ball's axis-aligned radius of uniform voxels each side (rounded down, less
    # a rounding margin so that no part that could hold one is passed over)
    least_extent = 2 * np.floor(CORE_RADIUS_MM / sp * (1.0 - 1e-9)).astype(int) + 1
    found: list[tuple[BoolArray, float]] = []
    for k, sl in enumerate(ndimage.find_objects(parts), start=1):
        if sl is None or sizes[k] * voxel_mm3 < MIN_STRUCTURE_ML * 1000.0:
            continue
        extent = np.array([s.stop - s.start for s in sl])
        # a candidate's extent along any axis is at most the diagonal of its part's box (voxel centres)
        if np.any(extent < least_extent) or np.hypot.reduce((extent - 1) * sp) < MIN_LENGTH_MM - 1e-6:
            continue
        sub = tuple(
            slice(max(s.start - 1, 0), min(s.stop + 1, n)) for s, n in zip(sl, uniform.shape, strict=True)
        )
        part = parts[sub] == k
        core = ndimage.distance_transform_edt(part, sampling=sp) > CORE_RADIUS_MM
        if not core.any():
            continue
        swept = (ndimage.distance_transform_edt(~core, sampling=sp) <= CORE_RADIUS_MM) & part
        labels, n = ndimage.label(swept)
        size = np.bincount(labels.ravel(), minlength=n + 1)
        # summed in the array's order, as over the whole array: the same level to the last bit
        level = np.bincount(labels.ravel(), weights=hu[sub].ravel(), minlength=n + 1) / np.maximum(size, 1)
        offset = np.array([s.start for s in sub])
        for j in np.flatnonzero(size * voxel_mm3 >= MIN_STRUCTURE_ML * 1000.0):
            if j == 0 or not _tube(np.argwhere(labels == j) + offset, sp):
                continue
            seed = np.zeros(uniform.shape, dtype=bool)
            seed[sub] = labels == j
            found.append((seed, float(level[j])))
    return found


def _judged(
    hu: npt.NDArray[np.float32],
    seed: BoolArray,
    *,
    level_hu: float,
    tolerance_hu: float,
    valid: BoolArray,
    sp: npt.NDArray[np.float64],
) -> BoolArray | None:
    """The structure grown from ``seed`` and its edge, or None when it has a cortex or bone around it.

    The structure is what is connected to the uniform seed within ``tolerance_hu`` of its level (the
    seed stops a window short of the edge; trabecular marrow, however uniform, then reaches its cortex).
    """
    similar = ((np.abs(hu - level_hu) <= tolerance_hu) & valid) | seed
    labels, _ = ndimage.label(similar)
    grown = np.isin(labels, np.unique(labels[seed]))
    g, dist = _distance_from(grown, RING_MM[1], sp)
    hu_g, valid_g = hu[g], valid[g]
    # no cortical shell: at most half the layer next to it is brighter than it by SHELL_CONTRAST_HU
    near = (dist > 0) & (dist <= SHELL_MM) & valid_g
    if not near.any() or 2 * np.count_nonzero(hu_g[near] > level_hu + SHELL_CONTRAST_HU) >= near.sum():
        return None
    # and fat or muscle beyond (median): darker than it by SHELL_CONTRAST_HU, no brighter than soft tissue
    ring = (dist > RING_MM[0]) & (dist <= RING_MM[1]) & valid_g
    if not ring.any() or float(np.median(hu_g[ring])) > min(level_hu - SHELL_CONTRAST_HU, SURROUNDING_MAX_HU):
        return None
    # the mask: the grown part near the seed (its edge, which the seed stops short of, and the blur of
    # thick slices; not the bone of similar HU it may run into where it touches a body), plus its edge
    mask = grown & _within(seed, GROW_MM, sp)
    edge = _within(mask, EDGE_MM, sp) & valid & (hu <= level_hu + tolerance_hu)
    out: BoolArray = mask | edge
    return out


def _distance_from(
    mask: BoolArray, reach_mm: float, sp: npt.NDArray[np.float64]
) -> tuple[tuple[slice, ...], npt.NDArray[np.float64]]:
    """The distance (mm) to the nearest voxel of a non-empty ``mask`` in its bounding box grown past
    ``reach_mm``, and that box: the box holds the whole mask, so the distances in it are those over
    the whole array, and every voxel outside it lies farther than ``reach_mm``."""
    box = _padded_box(mask, np.ceil(reach_mm / sp).astype(int) + 1)
    if box is None:
        raise ValueError("the mask is empty")
    return box, ndimage.distance_transform_edt(~mask[box], sampling=sp)


def _within(mask: BoolArray, reach_mm: float, sp: npt.NDArray[np.float64]) -> BoolArray:
    """The voxels within ``reach_mm`` of a non-empty ``mask`` (the mask included), as a mask."""
    box, dist = _distance_from(mask, reach_mm, sp)
    out = np.zeros(mask.shape, dtype=bool)
    out[box] = dist <= reach_mm
    return out


def _tube(index: npt.NDArray[np.int64], sp: npt.NDArray[np.float64]) -> bool:
    """Whether voxels (``index``, n x 3) run on like a vessel: their largest spread (standard deviation
    along a principal axis) at least ``MIN_ELONGATION`` times the second (about length / (1.7 x radius)
    for a cylinder, 1-1.5 for a blob), and their extent along that axis at least ``MIN_LENGTH_MM``."""
    pts = index * sp
    if len(pts) < 4:
        return False
    values, vectors = np.linalg.eigh(np.cov(pts.T))
    spread = np.sqrt(np.maximum(values, 0.0))
    along = pts @ vectors[:, 2]
    return bool(spread[2] >= MIN_ELONGATION * spread[1] and np.ptp(along) >= MIN_LENGTH_MM)


def _padded_box(mask: BoolArray, pad: npt.NDArray[np.int64]) -> IndexBox | None:
    """The bounding box of ``mask`` grown by ``pad`` voxels per axis (within the array); None if empty."""
    box = mask_bbox(mask)
    return None if box is None else grown_box(box, [int(q) for q in pad], mask.shape)
