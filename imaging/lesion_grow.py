"""Region growing of a bone lesion from a seed, and the helpers it needs (see :mod:`imaging.lesion`).

Arrays are the region of interest ``[slice, row, col]`` cut from the volume; HU; sizes in mm on the
grid's spacing ``(slice, row, col)``. :class:`LesionParameters` holds every threshold with its source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bone import BONE_THRESHOLD_HU, METAL_HU
from imaging.lesion_cortex import continuous_with_surface
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_morph import (
    ball_footprint,
    component_at,
    components_touching,
    dilate_mm,
    distance_outside_mm,
    fill_holes,
    mask_bbox,
    within_mm,
)

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LesionParameters:
    """Every threshold of :func:`segment_lesion`; see the module docstring for their sources.

    The ``texture_*`` fields drive the judgement of a seed that looks like normal bone by its texture
    (:mod:`imaging.lesion_texture`); ``texture_radius_mm = 0`` turns it off. ``deep_bone_check``
    refuses a low-density seed that is like the patient's deep trabecular bone elsewhere in the region
    (:mod:`imaging.lesion_deep`); False turns it off. ``cortex_check`` keeps the normal cortex (dense
    bone continuous with the bone's surface, :mod:`imaging.lesion_cortex`) out of a sclerotic band;
    False turns it off.
    """

    roi_size_mm: float = 80.0
    max_radius_mm: float = 40.0
    bone_threshold_hu: float = BONE_THRESHOLD_HU
    dense_max_hu: float = METAL_HU
    sclerotic_max_hu: float = 1000.0
    fat_limit_hu: float = -50.0
    normal_bone_range_hu: tuple[float, float] = (0.0, 400.0)
    abnormal_delta_hu: float = 88.0
    lytic_typical_hu: float = 50.0
    blastic_typical_hu: float = 654.0
    cortex_thickness_mm: float = 2.0
    extraosseous_max_mm: float = 15.0
    smoothing_sigma_mm: float = 0.6
    opening_radius_mm: float = 1.0
    mixed_min_fraction: float = 0.2
    seed_radius_mm: float = 2.0
    seed_bone_search_mm: float = 20.0
    shell_mm: tuple[float, float] = (3.0, 12.0)
    min_reference_voxels: int = 30
    bridge_mm: float = 2.0
    envelope_closing_mm: float = 3.0
    neck_fraction: float = 0.5
    extent_factor: float = 2.0
    extent_min_mm: float = 10.0
    neck_step_mm: float = 1.0
    texture_sigma_mm: float = 2.0
    texture_radius_mm: float = 3.0
    texture_depth_mm: float = 4.0
    texture_min_fraction: float = 0.2
    texture_contrast: float = 3.0
    deep_bone_check: bool = True
    cortex_check: bool = True

    def __post_init__(self) -> None:
        positive = ("roi_size_mm", "max_radius_mm", "abnormal_delta_hu", "seed_radius_mm")
        for name in positive:
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f'Argument "{name}" must be positive, got {value}')
        lo, hi = self.normal_bone_range_hu
        if not hi > lo:
            raise ValueError(f'Argument "normal_bone_range_hu" must be increasing, got {(lo, hi)}')
        a, b = self.shell_mm
        if not b > a >= 0:
            raise ValueError(
                f'Argument "shell_mm" must be (inner, outer) with outer > inner >= 0, got {(a, b)}'
            )
        if not 0 < self.texture_min_fraction <= 1:
            raise ValueError(
                f'Argument "texture_min_fraction" must be in (0, 1], got {self.texture_min_fraction}'
            )
        for name in ("texture_sigma_mm", "texture_radius_mm", "texture_depth_mm", "texture_contrast"):
            if getattr(self, name) < 0:
                raise ValueError(f'Argument "{name}" must be >= 0, got {getattr(self, name)}')
        if not 0 < self.mixed_min_fraction <= 0.5:
            raise ValueError(
                f'Argument "mixed_min_fraction" must be in (0, 0.5], got {self.mixed_min_fraction}'
            )


def grow_lesion(
    *,
    smooth: npt.NDArray[np.float32],
    seed_hu: float,
    reference: float,
    envelope: BoolArray,
    interior: BoolArray,
    within: BoolArray,
    seed_ball: BoolArray,
    seed_dist: FloatArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
    soft_tissue: Callable[[], BoolArray] | None = None,
) -> tuple[BoolArray, tuple[float, float, float, float]]:
    """Region growing from the seed; returns (mask, (lytic edge, sclerotic edge, limit mm, blob mm)).

    The seeded kind grows fully (a lytic one inside the bone envelope, then out of it up to
    ``extraosseous_max_mm`` from its intraosseous part); the other kind joins only inside the bone
    interior and only where it lies within ``bridge_mm`` of the seeded part (a mixed lesion). With
    ``soft_tissue`` (making :func:`imaging.lesion_cortex.soft_tissue_around_bone`'s mask, called only when
    the sclerotic band holds such dense voxels) and ``p.cortex_check``, the sclerotic band leaves out the
    normal cortex: the voxels more than ``abnormal_delta_hu`` denser than the sclerotic level that are
    continuous with the bone's surface (:mod:`imaging.lesion_cortex`).
    """
    delta = p.abnormal_delta_hu
    if seed_hu < reference - delta:
        low_level, high_level, lytic_seed = seed_hu, p.blastic_typical_hu, True
    elif seed_hu > reference + delta:
        low_level, high_level, lytic_seed = p.lytic_typical_hu, seed_hu, False
    else:
        raise NoLesionAtSeedError(
            f"the seed ({seed_hu:.0f} HU) is within {delta:g} HU of the local normal bone "
            f"({reference:.0f} HU): no lesion at the seed",
            seed_hu=seed_hu,
            reference_bone_hu=reference,
            at_bone=True,
        )
    low_edge = reference - max(delta, (reference - low_level) / 2.0)
    high_edge = reference + max(delta, (high_level - reference) / 2.0)
    blob_mm = blob_radius_mm(smooth, seed_dist, lytic=lytic_seed, p=p)
    limit_mm = p.max_radius_mm
    if p.extent_factor > 0:
        limit_mm = min(p.max_radius_mm, max(p.extent_min_mm, p.extent_factor * blob_mm))
        within = within & (seed_dist <= limit_mm)
    lytic_band = (smooth >= p.fat_limit_hu) & (smooth <= low_edge) & within
    sclerotic_band = (smooth >= high_edge) & (smooth <= p.sclerotic_max_hu) & interior & within
    if soft_tissue is not None and p.cortex_check:
        # cortex is its own normal, not a blastic lesion (CLINICAL.md: cortical bone 1000-2000 HU,
        # blastic metastasis 654 +- 176 HU): dense bone running out to the bone's surface is left out
        dense = smooth > high_level + delta
        if (sclerotic_band & dense).any():
            sclerotic_band &= ~continuous_with_surface(dense, soft_tissue())
    if lytic_seed:
        grown = component_at(lytic_band & envelope, seed_ball)
        if not grown.any():  # a seed just outside the bone: the extraosseous part of a lesion
            near = dilate_mm(envelope, p.extraosseous_max_mm, spacing)
            grown = component_at(lytic_band & near, seed_ball)
        elif p.extraosseous_max_mm > 0:
            outside = lytic_band & ~envelope
            if outside.any():
                outside &= dilate_mm(grown, p.extraosseous_max_mm, spacing)
                outside = _open(outside, p.opening_radius_mm, spacing)
                grown |= components_touching(outside, grown)
        other = sclerotic_band
    else:
        grown = component_at(sclerotic_band, seed_ball)
        other = lytic_band & interior
    # the other kind must be a region of its own, not the partial-volume layer where a lytic lesion
    # meets the cortex: open it first
    other = _open(other, p.opening_radius_mm, spacing)
    seeded = grown  # the seeded kind's own growth: its thickness sets the final opening's scale
    if grown.any() and other.any() and p.bridge_mm > 0:
        # the thin layer where a lytic part meets a sclerotic part passes through normal values once
        # smoothed: voxels close to both are lesion too
        near_grown = dilate_mm(grown, p.bridge_mm, spacing)
        joined = components_touching(other, near_grown)
        if joined.any():
            # within the operator's box and the growth limit, like the rest of the lesion (before, a
            # bridge took a voxel 0.8 mm beyond a box drawn on bone-lesions case7: QA 14)
            bridge = near_grown & dilate_mm(joined, p.bridge_mm, spacing) & envelope & within
            grown = grown | joined | bridge
    grown = final_opening(grown, seed_ball, spacing, p, seeded=seeded)
    box = mask_bbox(grown)
    if box is not None:
        grown[box] = fill_holes(grown[box])
    return grown, (low_edge, high_edge, limit_mm, blob_mm)


def final_opening(
    grown: BoolArray,
    seed_ball: BoolArray,
    spacing: Sequence[float],
    p: LesionParameters,
    *,
    seeded: BoolArray | None = None,
) -> BoolArray:
    """The grown lesion's last clean-up, at a scale set by the lesion's own thickness.

    A lesion thicker than the opening is opened with a ball of ``opening_radius_mm``: strands and
    necks thinner than that ball (a leak along the cortex) fall away and the piece at the seed is kept
    (the piece nearest to the seed when the seed lies on a strand). The radius is at most
    ``neck_fraction`` of the lesion's half thickness (the largest depth of a voxel in it): a
    sclerotic plate 3-4 voxels thick is not opened, since a 1 mm opening on a 1 mm grid keeps only its
    scraps that are 3 voxels thick and the lesion became whichever scrap lay at the seed's ball (case1,
    session 20: 0.019-0.250 mL over 27 seeds one voxel apart). A lesion that thin has its leaks cut
    at a neck instead (:func:`cut_at_neck`).

    With ``seeded`` (the seeded kind's own growth, before the other kind of a mixed lesion is joined to
    it) the thickness is that growth's: the joined parts were opened on their own before joining, and a
    thick lytic part must not set an opening that cuts a thin sclerotic network into pieces (case7 lesion
    2 from one seed, session 20: sclerotic growth 1.7 mm deep, joined lytic part 2.7 mm; the 1 mm
    opening kept the piece at the seed, 539 of 2,453 voxels, 0.540 mL against 2.9 mL from its
    neighbours).
    """
    if p.opening_radius_mm <= 0 or not grown.any():
        return grown
    scale = grown if seeded is None or not seeded.any() else seeded
    radius = min(p.opening_radius_mm, p.neck_fraction * half_thickness_mm(scale, spacing))
    if np.count_nonzero(ball_footprint(radius, spacing)) > 1:
        opened = _open(grown, radius, spacing)
        return _piece_nearest(opened, seed_ball, spacing) if opened.any() else grown
    return cut_at_neck(grown, seed_ball, spacing, p)


def half_thickness_mm(mask: BoolArray, spacing: Sequence[float]) -> float:
    """The largest distance (mm) from a voxel of the mask to its boundary: half the thickest part.

    The distance to the nearest voxel centre outside, less half the finest spacing (the boundary lies
    half a voxel before that centre): a plate n voxels thick on a 1 mm grid gives n / 2 mm for odd n and
    (n - 1) / 2 mm for even n, so with ``neck_fraction = 0.5`` plates of up to 4 voxels are not opened
    and a lesion 5 voxels thick or more is opened with the full ``opening_radius_mm = 1`` ball.
    """
    box = mask_bbox(mask)
    if box is None:
        return 0.0
    depth = ndimage.distance_transform_edt(np.pad(mask[box], 1), sampling=tuple(float(s) for s in spacing))
    return max(0.0, float(depth.max()) - 0.5 * float(min(spacing)))


def _piece_nearest(opened: BoolArray, seed_ball: BoolArray, spacing: Sequence[float]) -> BoolArray:
    """The component of ``opened`` at the seed's ball, else the one nearest to it."""
    if (opened & seed_ball).any():
        return component_at(opened, seed_ball)
    labels, n = ndimage.label(opened)
    away = distance_outside_mm(seed_ball, spacing)
    nearest = np.asarray(ndimage.minimum(away, labels, index=np.arange(1, n + 1)))
    out: BoolArray = labels == int(np.argmin(nearest)) + 1
    return out


def cut_at_neck(
    grown: BoolArray, seed_ball: BoolArray, spacing: Sequence[float], p: LesionParameters
) -> BoolArray:
    """Cut a thin lesion's leak where it narrows: the lesion within the ball around the seed whose
    surface it crosses least, when that is a neck.

    The lesion is taken inside balls of radius growing by ``neck_step_mm`` around the seed (its part
    connected to the seed there); its "front" is that part's voxels in the last step's shell. A
    closed lesion's front rises and falls away; one leaking through a narrow connection (along a rib
    or the cortex) narrows and runs on. When the narrowest front after the widest, short of the last
    shell, is at most ``neck_fraction`` of the widest, the lesion is cut there.
    """
    box = mask_bbox(grown)
    if box is None or p.neck_step_mm <= 0 or not (grown & seed_ball).any():
        return grown
    centre = np.array([np.mean(ix) for ix in np.nonzero(seed_ball)], dtype=np.float64)
    sub, seed_sub = grown[box], seed_ball[box]
    dist = distance_from(sub.shape, centre - np.array([b.start for b in box], dtype=np.float64), spacing)
    step = p.neck_step_mm
    fronts: list[int] = []
    parts: list[BoolArray] = []
    for r in np.arange(2.0 * step, float(dist[sub].max()) + step, step):
        part = component_at(sub & (dist <= r), seed_sub)
        fronts.append(int(np.count_nonzero(part & (dist > r - step))))
        parts.append(part)
        if fronts[-1] == 0:
            return grown  # closed within this ball: nothing leaks
    if not fronts:
        return grown
    peak = int(np.argmax(fronts))
    neck = peak + int(np.argmin(fronts[peak:]))
    if neck == len(fronts) - 1 or fronts[neck] > p.neck_fraction * fronts[peak]:
        return grown  # no narrowing with lesion beyond it: no leak
    out = np.zeros(grown.shape, dtype=bool)
    out[box] = parts[neck]
    return out


def distance_from(shape: tuple[int, ...], centre: FloatArray, spacing: Sequence[float]) -> FloatArray:
    sp = np.asarray(spacing, dtype=np.float64)
    g = [(np.arange(n) - c) * s for n, c, s in zip(shape, centre, sp, strict=True)]
    out: FloatArray = np.sqrt(g[0][:, None, None] ** 2 + g[1][None, :, None] ** 2 + g[2][None, None, :] ** 2)
    return out


def blob_radius_mm(
    smooth: npt.NDArray[np.float32], seed_dist: FloatArray, *, lytic: bool, p: LesionParameters
) -> float:
    """The radius (mm) of the ball around the seed that contrasts most with the shell around it.

    A scale-selection estimate of the lesion's size at the seed: for each radius r the mean HU inside
    the ball and in the shell (r, r + max(3 mm, r / 2)] are compared (lower inside for a lytic seed,
    higher for a sclerotic one); HU are clipped to fat_limit .. blastic_typical so that cortex and
    air do not dominate.
    """
    values = np.clip(smooth, p.fat_limit_hu, p.blastic_typical_hu).astype(np.float64).ravel()
    d = seed_dist.ravel()
    keep = d <= p.max_radius_mm * 1.5
    step = 1.0
    bins = np.floor(d[keep] / step).astype(int)
    n_bins = int(bins.max()) + 1
    sums = np.bincount(bins, weights=values[keep], minlength=n_bins)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    csum, ccount = np.cumsum(sums), np.cumsum(counts)
    best_r, best_c = p.extent_min_mm, -np.inf
    for k in range(1, n_bins):
        r = (k + 1) * step
        if r > p.max_radius_mm:
            break
        outer = min(n_bins - 1, int(np.floor((r + max(3.0, r / 2.0)) / step)))
        if outer <= k or ccount[k] == 0:
            continue
        shell_n = ccount[outer] - ccount[k]
        if shell_n <= 0:
            continue
        inside = csum[k] / ccount[k]
        shell = (csum[outer] - csum[k]) / shell_n
        contrast = shell - inside if lytic else inside - shell
        if contrast > best_c:
            best_r, best_c = r, contrast
    return float(best_r)


def bone_envelope(bone: BoolArray, closing_mm: float, spacing: Sequence[float]) -> BoolArray:
    """The bone with small cortical gaps closed and its cavities filled (padded: no border loss)."""
    if closing_mm <= 0 or not bone.any():
        out0: BoolArray = fill_holes(bone)
        return out0
    # closing as two exact distance maps (faster than a ball footprint); edge padding keeps bone that
    # leaves the region from being eaten at the border
    pad = [int(np.ceil(closing_mm / s)) + 1 for s in spacing]
    padded = np.pad(bone, [(q, q) for q in pad], mode="edge")
    dilated = dilate_mm(padded, closing_mm, spacing)
    closed = ~dilate_mm(~dilated, closing_mm, spacing)
    crop = tuple(slice(q, n - q) for q, n in zip(pad, closed.shape, strict=True))
    out: BoolArray = fill_holes(closed[crop] | bone)
    return out


def _open(mask: BoolArray, radius_mm: float, spacing: Sequence[float]) -> BoolArray:
    box = mask_bbox(mask)
    if radius_mm <= 0 or box is None:
        return mask
    out = np.zeros(mask.shape, dtype=bool)
    out[box] = ndimage.binary_opening(mask[box], structure=ball_footprint(radius_mm, spacing))
    return out


def smooth_hu(
    hu: npt.NDArray[np.float32],
    spacing: Sequence[float],
    sigma_mm: float,
    *,
    outside: BoolArray | None = None,
) -> npt.NDArray[np.float32]:
    """Gaussian smoothing; voxels in ``outside`` (not scanned) neither contribute nor change.

    With ``outside`` the smoothing is normalised over the scanned voxels, so a zero-filled slab does
    not pull the tissue next to it towards 0 HU.
    """
    if sigma_mm <= 0:
        return hu
    sigma = [sigma_mm / s for s in spacing]
    if outside is None or not outside.any():
        out: npt.NDArray[np.float32] = ndimage.gaussian_filter(hu, sigma=sigma, mode="nearest", truncate=3.0)
        return out
    weight = (~outside).astype(np.float32)
    num = ndimage.gaussian_filter(hu * weight, sigma=sigma, mode="nearest", truncate=3.0)
    den = ndimage.gaussian_filter(weight, sigma=sigma, mode="nearest", truncate=3.0)
    normalised: npt.NDArray[np.float32] = np.where(
        outside | (den <= 1e-3), hu, num / np.maximum(den, 1e-3)
    ).astype(np.float32)
    return normalised


def shell_around(mask: BoolArray, spacing: Sequence[float], shell_mm: tuple[float, float]) -> BoolArray:
    """Voxels farther than ``shell_mm[0]`` and at most ``shell_mm[1]`` from the mask (mm)."""
    # the same voxels as a distance map thresholded at both radii, without the distance map
    out: BoolArray = within_mm(mask, shell_mm[1], spacing) & ~within_mm(mask, shell_mm[0], spacing)
    return out
