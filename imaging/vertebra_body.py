"""The vertebral body from a click: bony solid, body without posterior elements, axis, height, endplates.

Works on an :class:`imaging.vertebra_roi.LpsRoi` (LPS-aligned, isotropic, HU). Positions LPS mm,
lengths mm. The approach:

1. bone = smoothed HU above a bone threshold (the cortex is what matters: real osteoporotic
   trabecular bone can read like muscle, so the body is what the cortical shell encloses);
2. the bony *solid* fills the holes of that shell in coronal and sagittal planes (an axial fill would
   also fill the spinal canal, which the bone ring of body, pedicles and lamina encloses);
3. the body is the solid opened with a ball (thin posterior elements vanish, the thick body stays),
   the component at the click, plus the rim the opening rounded off;
4. the body axis is the mean outward normal of its upper and lower faces (the endplates); the height
   is the body's extent along that axis near its centre; the endplates are the body's surface layers
   facing up and down.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_discs import BodySlab, body_slab
from imaging.vertebra_roi import LpsRoi
from imaging.vertebra_star import StarBody, star_body

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: bone threshold on the smoothed ROI (HU); between soft tissue / disc (< 100) and cortex (> 250),
#: within the generic 130-3000 HU bone range of CLINICAL.md
BONE_THRESHOLD_HU = 150.0
#: Gaussian smoothing of the ROI before thresholding (mm); tames real-CT noise of ~50-90 HU
SMOOTHING_MM = 0.8
#: lighter smoothing used to place edges (mm)
EDGE_SMOOTHING_MM = 0.4
#: closing radius that seals gaps in a thin, noisy cortex (mm)
CLOSING_MM = 1.5
#: radius of the opening ball that separates the body from pedicles (mm): removes bone thinner than
#: about 10 mm (pedicles 3.4-17.8 mm wide by CLINICAL.md, most < 10) and keeps bodies > 12 mm tall
OPENING_RADII_MM = (4.0, 3.0)
#: the rim added back around the opened body (mm)
RIM_MM = 2.0
#: thickness of the endplate layer (mm)
ENDPLATE_LAYER_MM = 2.0
#: radius around the body axis in which the height is measured (mm)
HEIGHT_RADIUS_MM = 8.0
#: rays within this cosine of the body axis measure the height (about 18 degrees)
HEIGHT_RAY_COS = 0.95
#: smallest body accepted (mL), below any adult vertebral body even when collapsed
MIN_BODY_ML = 3.0
#: at most this much of the surface is peeled back to the half-maximum edge (mm)
PEEL_DEPTH_MM = 1.5


class BodyMethod(StrEnum):
    """How the body was delineated."""

    RAYS = "rays"  # star-shaped region to the cortex, rays from inside (imaging.vertebra_star)
    OPENED_SOLID = "opened-solid"  # bony solid opened with a ball (when no cortex could be traced)


@dataclass(frozen=True, eq=False)
class BodyResult:
    """The vertebral body found on a ROI."""

    solid: BoolArray  # bony solid (bone with its enclosed holes), posterior elements included
    bone: BoolArray  # thresholded bone
    smoothed_hu: npt.NDArray[np.float32]
    body: BoolArray
    centroid_lps: FloatArray
    axis_lps: FloatArray  # unit vector, superior
    height_mm: float
    superior_endplate: BoolArray
    inferior_endplate: BoolArray
    method: BodyMethod
    trabecular_hu: float  # median HU of the body's core
    cortex_hu: float  # typical cortical peak HU around the body
    caps_in_view: bool  # both endplates were seen (not cut by the field of view)
    slab: BodySlab | None = None  # the body between its discs, when they were found


def _plane_structure(axis: int) -> npt.NDArray[np.bool_]:
    """3x3x3 structure connecting only within planes normal to ``axis``."""
    s = np.zeros((3, 3, 3), dtype=bool)
    sl: list[slice | int] = [slice(None)] * 3
    sl[axis] = 1
    s[tuple(sl)] = ndimage.generate_binary_structure(2, 1)
    return s


@dataclass(frozen=True, eq=False)
class BonyMasks:
    """Bone on a ROI: smoothed HU, thresholded bone, closed bone, and two filled solids.

    ``arch_solid`` fills holes in coronal planes only (pedicle and body interiors, never the canal);
    ``solid`` also fills sagittal planes (body interiors whose coronal ring has a gap).
    ``arch_bone`` is the unclosed bone with coronal holes filled: pedicle cross-sections without the
    webs a closing spins into the corners between pedicle and body.
    """

    smoothed: npt.NDArray[np.float32]
    sharp: npt.NDArray[np.float32]
    bone: BoolArray
    closed: BoolArray
    arch_solid: BoolArray
    solid: BoolArray
    arch_bone: BoolArray  # bone with coronal holes filled, no closing (no webs in concave corners)


def _close(mask: BoolArray, radius_mm: float, spacing_mm: float) -> BoolArray:
    """Closing with the 3x3x3 cube (radius 1-1.7 voxels) repeated to reach ``radius_mm``."""
    steps = max(1, round(radius_mm / (1.5 * spacing_mm)))
    cube = np.ones((3, 3, 3), dtype=bool)
    grown = ndimage.binary_dilation(mask, structure=cube, iterations=steps)
    out: BoolArray = np.asarray(
        ndimage.binary_erosion(grown, structure=cube, iterations=steps, border_value=1)
    )
    return out | mask


def _smooth_in_view(roi: LpsRoi, sigma_mm: float) -> npt.NDArray[np.float32]:
    """Gaussian-smoothed HU that only averages voxels inside the field of view.

    The edge of the field of view is not air: smoothing the ROI's ``OUTSIDE_HU`` into the voxels
    beside it would draw fat-like values along it (normalised convolution instead; outside stays).
    """
    sigma = sigma_mm / roi.spacing_mm
    if roi.inside.all():
        plain: npt.NDArray[np.float32] = ndimage.gaussian_filter(roi.array, sigma=sigma).astype(np.float32)
        return plain
    weight = roi.inside.astype(np.float32)
    num = ndimage.gaussian_filter(np.where(roi.inside, roi.array, 0.0).astype(np.float32), sigma=sigma)
    den = ndimage.gaussian_filter(weight, sigma=sigma)
    out = np.where(roi.inside, num / np.maximum(den, 1e-6), roi.array)
    return out.astype(np.float32)


def bony_solid(roi: LpsRoi) -> BonyMasks:
    """Bone mask, closed bone and bony solids on a ROI (see :class:`BonyMasks`)."""
    smoothed = _smooth_in_view(roi, SMOOTHING_MM)
    bone = smoothed > BONE_THRESHOLD_HU
    # closing seals gaps in a thin or noisy cortex (up to twice the radius wide)
    closed = _close(bone, CLOSING_MM, roi.spacing_mm)
    arch_solid = closed | ndimage.binary_fill_holes(closed, structure=_plane_structure(1))
    solid = arch_solid | ndimage.binary_fill_holes(closed, structure=_plane_structure(2))
    sharp = _smooth_in_view(roi, EDGE_SMOOTHING_MM)
    arch_bone = bone | ndimage.binary_fill_holes(bone, structure=_plane_structure(1))
    return BonyMasks(
        smoothed=smoothed,
        sharp=sharp,
        bone=bone,
        closed=closed,
        arch_solid=arch_solid,
        solid=solid,
        arch_bone=arch_bone,
    )


def _open(solid: BoolArray, radius_mm: float, spacing_mm: float) -> BoolArray:
    depth = ndimage.distance_transform_edt(solid, sampling=spacing_mm)
    core: BoolArray = np.asarray(depth > radius_mm, dtype=bool)
    if not core.any():
        return core
    reach = ndimage.distance_transform_edt(~core, sampling=spacing_mm)
    out: BoolArray = np.asarray((reach <= radius_mm) & solid, dtype=bool)
    return out


def _component_at(mask: BoolArray, seed_index: npt.NDArray[np.int64], max_distance_vox: float) -> BoolArray:
    labels, n = ndimage.label(mask)
    if n == 0:
        return np.zeros_like(mask)
    k, j, i = (int(v) for v in seed_index)
    inside = 0 <= k < mask.shape[0] and 0 <= j < mask.shape[1] and 0 <= i < mask.shape[2]
    if inside and labels[k, j, i] > 0:
        return np.asarray(labels == labels[k, j, i])
    # nearest component within reach of the seed
    r = int(np.ceil(max_distance_vox))
    lo = np.maximum(np.asarray(seed_index) - r, 0)
    hi = np.minimum(np.asarray(seed_index) + r + 1, mask.shape)
    box = labels[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    pts = np.argwhere(box > 0)
    if len(pts) == 0:
        return np.zeros_like(mask)
    d = np.linalg.norm(pts + lo - np.asarray(seed_index), axis=1)
    best = int(np.argmin(d))
    if d[best] > max_distance_vox:
        return np.zeros_like(mask)
    label = box[tuple(pts[best])]
    return np.asarray(labels == label)


def _surface_normals(mask: BoolArray, spacing_mm: float) -> tuple[FloatArray, FloatArray]:
    """Outward unit normals (LPS, ``(N, 3)``) at the mask's surface voxels, and those voxels' indices."""
    soft = ndimage.gaussian_filter(mask.astype(np.float32), sigma=1.5 / spacing_mm)
    gz, gy, gx = np.gradient(soft)
    surface = mask & ~ndimage.binary_erosion(mask)
    idx = np.argwhere(surface)
    g = -np.stack([gx[surface], gy[surface], gz[surface]], axis=1).astype(np.float64)
    norm = np.linalg.norm(g, axis=1)
    ok = norm > 1e-6
    normals: FloatArray = g[ok] / norm[ok, None]
    return normals, idx[ok].astype(np.float64)


def body_axis(mask: BoolArray, spacing_mm: float) -> FloatArray:
    """Superior unit axis of a body: the mean normal of its faces that look up or down."""
    normals, _ = _surface_normals(mask, spacing_mm)
    axis = np.array([0.0, 0.0, 1.0])
    for _ in range(2):
        cos = normals @ axis
        caps = np.abs(cos) > 0.7
        if caps.sum() < 10:
            break
        mean = (normals[caps] * np.sign(cos[caps])[:, None]).sum(axis=0)
        axis = mean / np.linalg.norm(mean)
    return axis


@dataclass(frozen=True)
class PosteriorCut:
    """Where the body ends posteriorly: ``t <= front_t(u)`` in a frame (origin, posterior p, left l).

    ``front_t`` is tabulated on ``u`` bins of 1 mm from ``u0_mm``; beyond the table the edge values
    hold. Built from the spinal canal's anterior boundary (the posterior vertebral wall).
    """

    origin_lps: FloatArray
    posterior: FloatArray
    left: FloatArray
    u0_mm: float
    front_t_mm: FloatArray

    def allowed(self, points_lps: FloatArray) -> npt.NDArray[np.bool_]:
        """True where points lie anterior to the cut."""
        rel = points_lps - self.origin_lps
        u = rel @ self.left
        t = rel @ self.posterior
        k = np.clip(np.rint(u - self.u0_mm).astype(int), 0, len(self.front_t_mm) - 1)
        out: npt.NDArray[np.bool_] = t <= self.front_t_mm[k]
        return out


def find_body(
    roi: LpsRoi,
    click_lps: npt.ArrayLike,
    *,
    masks: BonyMasks,
    cut: PosteriorCut | None = None,
    axis_hint: npt.ArrayLike = (0.0, 0.0, 1.0),
    slab_hint: BodySlab | None = None,
) -> BodyResult | None:
    """The vertebral body containing (or nearest to) the click, or None when no body is there.

    Parameters
    ----------
    roi
        LPS ROI around the click.
    click_lps
        The click, LPS mm.
    masks
        From :func:`bony_solid`.
    cut
        The posterior limit of the body (from the canal), or None to rely on the opening alone.
        Anterior to it, holes are also filled in axial planes (the canal is beyond the cut).
    axis_hint
        The spine's direction near the click (the canal's centre line), unit LPS.
    slab_hint
        The body's discs found by an earlier search of the same vertebra, used when none are found
        from this click (the disc profile is sampled on a small cross-section around the point and
        may miss a thin disc from one point and see it from another a few mm away).

    Returns
    -------
    BodyResult or None
        None when no bony solid thick enough to be a vertebral body lies within 10 mm of the click.
    """
    seed = np.rint(roi.lps_to_index(click_lps)).astype(np.int64)
    sp = roi.spacing_mm
    solid, bone, smoothed = masks.solid, masks.bone, masks.smoothed
    # the discs above and below the click bound the body where they are seen (thin thoracic discs
    # on thick slices let rays and the opened solid run into the next vertebra)
    slab = body_slab(roi, masks.sharp, click_lps, axis_hint)
    if slab is None:
        slab = slab_hint
    grid_lps = (
        roi.index_to_lps(np.indices(roi.shape, dtype=np.float32).reshape(3, -1).T)
        if cut is not None or slab is not None
        else None
    )
    front: BoolArray | None = None
    if cut is not None and grid_lps is not None:
        front = cut.allowed(grid_lps).reshape(roi.shape)
    star = star_body(roi, smoothed, masks.sharp, click_lps, allowed=front, axis=axis_hint, slab=slab)
    if star is not None and star.mask.sum() * sp**3 > MIN_BODY_ML * 1000.0:
        return _describe(
            roi,
            star.mask,
            solid=solid,
            bone=bone,
            smoothed=smoothed,
            method=BodyMethod.RAYS,
            cortex_hu=star.cortex_hu,
            star=star,
            slab=slab,
        )
    # no cortex traced around the click: the body is the thick part of the bony solid
    allowed = solid
    if front is not None:
        axial = ndimage.binary_fill_holes(masks.closed & front, structure=_plane_structure(0))
        allowed = (solid | axial) & front
    body = _opened_body(allowed, seed, sp)
    if body is None:
        return None
    if slab is not None and grid_lps is not None:
        limited = _opened_body(allowed & slab.contains(grid_lps).reshape(roi.shape), seed, sp)
        if limited is not None:
            body = limited
    body = ndimage.binary_fill_holes(body)
    body = _peel_to_half_maximum(body, smoothed, sp)
    shell = body & ~ndimage.binary_erosion(body, iterations=2)
    cortex = float(np.percentile(smoothed[shell], 90)) if shell.any() else float(smoothed[body].max())
    return _describe(
        roi,
        body,
        solid=solid,
        bone=bone,
        smoothed=smoothed,
        method=BodyMethod.OPENED_SOLID,
        cortex_hu=cortex,
        slab=slab,
    )


def _opened_body(allowed: BoolArray, seed: npt.NDArray[np.int64], sp: float) -> BoolArray | None:
    """The thick part of ``allowed`` at the seed (opened with a ball), plus the rim the opening took."""
    for radius in OPENING_RADII_MM:
        opened = _open(allowed, radius, sp)
        body = _component_at(opened, seed, 10.0 / sp)
        if body.sum() * sp**3 > MIN_BODY_ML * 1000.0:
            rim = ndimage.distance_transform_edt(~body, sampling=sp) <= RIM_MM
            body = (body | (rim & allowed)) & allowed
            out: BoolArray = _component_at(body, seed, 10.0 / sp)
            return out
    return None


def _peel_to_half_maximum(body: BoolArray, smoothed: npt.NDArray[np.float32], sp: float) -> BoolArray:
    """Move the surface inward to where HU crosses half-way between the cortex and the outside.

    A low bone threshold on a blurred image places the surface outside the true cortical edge (by
    about 1.4 mm for a 1000 HU cortex next to an 80 HU disc); the half-maximum is where the edge is.
    Only the outermost ``PEEL_DEPTH_MM`` can be removed, so trabecular bone is never touched.
    """
    idx = np.argwhere(body)
    lo = np.maximum(idx.min(axis=0) - 4, 0)
    hi = np.minimum(idx.max(axis=0) + 5, body.shape)
    sl = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    box = body[sl]
    hu = smoothed[sl]
    reach = max(1, round(2.0 / sp))
    peak = ndimage.maximum_filter(hu, size=2 * reach + 1)
    low = ndimage.minimum_filter(hu, size=2 * reach + 3)
    depth = ndimage.distance_transform_edt(box, sampling=sp)
    peel = box & (depth <= PEEL_DEPTH_MM) & (hu < 0.5 * (peak + low))
    out = body.copy()
    out[sl] = box & ~peel
    return out


def _describe(
    roi: LpsRoi,
    body: BoolArray,
    *,
    solid: BoolArray,
    bone: BoolArray,
    smoothed: npt.NDArray[np.float32],
    method: BodyMethod,
    cortex_hu: float,
    star: StarBody | None = None,
    slab: BodySlab | None = None,
) -> BodyResult:
    sp = roi.spacing_mm
    pts = roi.voxel_points_lps(body)
    centroid = pts.mean(axis=0)
    # work in the body's box (plus a margin) for the surface analysis
    idx = np.argwhere(body)
    lo = np.maximum(idx.min(axis=0) - 3, 0)
    hi = np.minimum(idx.max(axis=0) + 4, body.shape)
    box = body[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    axis = body_axis(box, sp)
    rel = pts - centroid
    along = rel @ axis
    radial = np.linalg.norm(rel - along[:, None] * axis, axis=1)
    central = along[radial <= HEIGHT_RADIUS_MM]
    if len(central) < 10:
        central = along
    height = float(np.percentile(central, 99.5) - np.percentile(central, 0.5) + sp)
    caps_in_view = True
    if star is not None:
        # sub-voxel: the rays along the axis end at the endplates' half-maximum edges
        cos = star.directions @ axis
        for sign in (1.0, -1.0):
            cap = sign * cos > HEIGHT_RAY_COS
            if cap.any() and star.out_of_view[cap].mean() > 0.5:
                caps_in_view = False
        heights = []
        for sign in (1.0, -1.0):
            cap = sign * cos > HEIGHT_RAY_COS
            if cap.sum() >= 3:
                heights.append(float(np.median(star.radii_mm[cap] * sign * cos[cap])))
        if len(heights) == 2:
            offset = float((star.centre_lps - centroid) @ axis)
            height = heights[0] + heights[1] if abs(offset) < 0.5 * sum(heights) else height

    normals, sidx = _surface_normals(box, sp)
    depth = ndimage.distance_transform_edt(box, sampling=sp)
    layer = box & (depth <= ENDPLATE_LAYER_MM)
    surface = box & ~ndimage.binary_erosion(box)
    _, nearest = ndimage.distance_transform_edt(~surface, return_indices=True)
    facing = np.zeros(box.shape, dtype=np.float32)
    facing[tuple(sidx.astype(np.int64).T)] = normals @ axis
    facing_layer = facing[nearest[0], nearest[1], nearest[2]]
    superior = np.zeros_like(body)
    inferior = np.zeros_like(body)
    sl = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    superior[sl] = layer & (facing_layer > 0.7)
    inferior[sl] = layer & (facing_layer < -0.7)
    core = depth >= 5.0
    sm_box = smoothed[sl]
    trab = float(np.median(sm_box[core])) if core.any() else float(np.median(sm_box[box]))
    return BodyResult(
        solid=solid,
        bone=bone,
        smoothed_hu=smoothed,
        body=body,
        centroid_lps=centroid,
        axis_lps=axis,
        height_mm=height,
        superior_endplate=superior,
        inferior_endplate=inferior,
        method=method,
        cortex_hu=cortex_hu,
        caps_in_view=caps_in_view,
        trabecular_hu=trab,
        slab=slab,
    )


def cut_from_canal(
    canal_points_lps: FloatArray,
    origin_lps: FloatArray,
    posterior: FloatArray,
    left: FloatArray,
    *,
    axis: FloatArray,
    half_height_mm: float,
) -> PosteriorCut | None:
    """The body's posterior limit from the canal: its anterior boundary, extended laterally.

    Only canal points within ``half_height_mm`` of the origin along ``axis`` count (at disc level
    the canal's front is the disc, not the body). Each 1 mm slab across the axis gives a front per
    lateral bin; the median over slabs is the limit. Within the central 70 % of the canal's width the
    limit follows that front (the posterior wall); lateral to it, where the pedicles join the body,
    it keeps the most posterior central value (the posterolateral corners of the body).
    """
    rel_all = canal_points_lps - origin_lps
    in_slab = np.abs(rel_all @ axis) <= half_height_mm
    rel = rel_all[in_slab]
    if len(rel) < 10:
        return None
    u = rel @ left
    t = rel @ posterior
    v = np.rint(rel @ axis).astype(int)
    u0 = float(np.floor(u.min()))
    bins = np.rint(u - u0).astype(int)
    n = int(bins.max()) + 1
    slabs = np.unique(v)
    fronts = np.full((len(slabs), n), np.inf)
    for row, slab in enumerate(slabs):
        sel = v == slab
        np.minimum.at(fronts[row], bins[sel], t[sel])
    finite = np.isfinite(fronts)
    counts = finite.sum(axis=0)
    valid = counts >= max(1, len(slabs) // 3)
    if valid.sum() < 3:
        return None
    front = np.full(n, np.inf)
    for b in np.flatnonzero(valid):
        front[b] = float(np.median(fronts[finite[:, b], b]))
    centre = 0.5 * (u.min() + u.max())
    half_width = 0.5 * (u.max() - u.min())
    u_bins = u0 + np.arange(n)
    central = valid & (np.abs(u_bins - centre) <= 0.7 * half_width)
    if not central.any():
        central = valid
    edge_t = float(front[central].max())
    table = np.where(central, front, edge_t)
    table = np.minimum(table, edge_t)
    table = ndimage.median_filter(table, size=3, mode="nearest") + 0.5
    # one bin each side holds the edge value beyond the table
    table = np.concatenate([[edge_t + 0.5], table, [edge_t + 0.5]])
    return PosteriorCut(
        origin_lps=np.asarray(origin_lps, dtype=np.float64),
        posterior=posterior,
        left=left,
        u0_mm=u0 - 1.0,
        front_t_mm=table,
    )
