"""The vertebral body from a click: the body without posterior elements, found on the bony solid.

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

Steps 1-2 are in :mod:`imaging.bony_masks` (:func:`bony_solid`), step 4 and the result value in
:mod:`imaging.body_result` (:class:`BodyResult`), the posterior limit from the canal in
:mod:`imaging.body_cut` (:class:`PosteriorCut`); all re-exported here. When a cortex surrounds the
click the body is traced by rays instead of step 3 (:mod:`imaging.vertebra_star`). Neither may enter a
contrast-filled vessel (:mod:`imaging.contrast_vessels`): as bright as bone, it has no edge the rays
could stop at where it lies against the body (session 17 QA: case1's body took in an aorta beside it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.body_cut import PosteriorCut, cut_from_canal
from imaging.body_result import BodyMethod, BodyResult, body_axis, describe_body
from imaging.bony_masks import BONE_THRESHOLD_HU, SMOOTHING_MM, BonyMasks, bony_solid, plane_structure
from imaging.contrast_vessels import uniform_structures
from imaging.disc_tilt import tilted_body_slab
from imaging.vertebra_discs import PROFILE_RADIUS_MM, BodySlab
from imaging.vertebra_roi import LpsRoi
from imaging.vertebra_star import star_body

__all__ = [
    "BONE_THRESHOLD_HU",
    "SMOOTHING_MM",
    "BodyMethod",
    "BodyResult",
    "BonyMasks",
    "PosteriorCut",
    "body_axis",
    "bony_solid",
    "cut_from_canal",
    "find_body",
    "roi_vessels",
]

BoolArray = npt.NDArray[np.bool_]

#: a slab that took a disc in is taller by at least the disc's height (mm): the thinnest adult discs, T4-5,
#: 2.7 +- 0.7 mm (men) and 2.6 +- 0.8 mm (women) mean anterior height on CT (Fletcher et al., Eur Spine J
#: 2015, 128 adults; posterior heights 3.4-3.6 mm)
THINNEST_DISC_MM = 2.6
#: radius of the opening ball that separates the body from pedicles (mm): removes bone thinner than
#: about 10 mm (pedicles 3.4-17.8 mm wide by CLINICAL.md, most < 10) and keeps bodies > 12 mm tall
OPENING_RADII_MM = (4.0, 3.0)
#: the rim added back around the opened body (mm)
RIM_MM = 2.0
#: smallest body accepted (mL), below any adult vertebral body even when collapsed
MIN_BODY_ML = 3.0
#: at most this much of the surface is peeled back to the half-maximum edge (mm)
PEEL_DEPTH_MM = 1.5


def find_body(
    roi: LpsRoi,
    click_lps: npt.ArrayLike,
    *,
    masks: BonyMasks,
    cut: PosteriorCut | None = None,
    axis_hint: npt.ArrayLike = (0.0, 0.0, 1.0),
    slab_hint: BodySlab | None = None,
    vessels: BoolArray | None = None,
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
    vessels
        The ROI's contrast-filled vessels (:func:`roi_vessels`), when already found for this ROI (the
        body is searched twice on it); None: found here.

    Returns
    -------
    BodyResult or None
        None when no bony solid thick enough to be a vertebral body lies within 10 mm of the click.
    """
    seed = np.rint(roi.lps_to_index(click_lps)).astype(np.int64)
    sp = roi.spacing_mm
    solid, bone, smoothed = masks.solid, masks.bone, masks.smoothed
    # the discs above and below the click bound the body where they are seen (thin thoracic discs
    # on thick slices let rays and the opened solid run into the next vertebra), read along the endplates'
    # own normal when the canal's line is tilted against them (imaging.disc_tilt); read in front of the canal
    slab = _slab_in_front_of_canal(roi, masks, click_lps, axis_hint, cut)
    if slab is None:
        slab = slab_hint
    grid_lps = (
        roi.index_to_lps(np.indices(roi.shape, dtype=np.float32).reshape(3, -1).T)
        if cut is not None or slab is not None
        else None
    )
    front: BoolArray | None = None
    canal_band: BoolArray | None = None
    if cut is not None and grid_lps is not None:
        front = cut.allowed(grid_lps).reshape(roi.shape)
        canal_band = cut.across_canal(grid_lps).reshape(roi.shape)
    # a contrast-filled vessel against the body (uniform, no cortex) reads like bone and has no edge
    # the rays could stop at: it is no place for the body (imaging.contrast_vessels)
    if vessels is None:
        vessels = roi_vessels(roi)
    if vessels.any():
        front = ~vessels if front is None else front & ~vessels
    star = star_body(
        roi,
        smoothed,
        masks.sharp,
        click_lps,
        allowed=front,
        canal_band=canal_band,
        axis=axis_hint,
        slab=slab,
        unknown=masks.unknown,
    )
    if star is not None and star.mask.sum() * sp**3 > MIN_BODY_ML * 1000.0:
        return describe_body(
            roi,
            star.mask,
            solid=solid,
            bone=bone,
            smoothed=smoothed,
            method=BodyMethod.RAYS,
            cortex_hu=star.cortex_hu,
            star=star,
            slab=slab,
            unknown=masks.unknown,
        )
    if masks.unknown is not None:
        # the bony solid takes metal for bone and streaks for bone or its gaps: no body from it
        return None
    # no cortex traced around the click: the body is the thick part of the bony solid
    allowed = solid
    if front is not None:
        axial = ndimage.binary_fill_holes(masks.closed & front, structure=plane_structure(0))
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
    return describe_body(
        roi,
        body,
        solid=solid,
        bone=bone,
        smoothed=smoothed,
        method=BodyMethod.OPENED_SOLID,
        cortex_hu=cortex,
        slab=slab,
    )


def _slab_in_front_of_canal(
    roi: LpsRoi,
    masks: BonyMasks,
    click_lps: npt.ArrayLike,
    axis_hint: npt.ArrayLike,
    cut: PosteriorCut | None,
) -> BodySlab | None:
    """The body's slab between its discs (:func:`imaging.disc_tilt.tilted_body_slab`), read around the
    click, or around the click moved in front of the canal (:func:`_profile_origin`) where that slab is
    shorter than the click's own by at least ``THINNEST_DISC_MM``: the click's own profile then reached
    over the canal and took a disc in (chest T10 "wall -3": 35.5 mm against 23.6 mm from the moved point,
    21.2 from the body's centre; 13.5 mm behind its body click: 29.8 against 22.6; session 27).

    Elsewhere the click's own slab stands: a moved point that bounds no shorter slab has read nothing the
    click missed, and moving it only changes the tilt (abdomen L2 "wall -2": 30.6 mm, 30.1 moved and
    tilted less, the body 44.2 mL against 40.5 from the click's slab and the centroid click's 40.3), or it
    leads along the arch (abdomen L5's right lamina: 13.6 mm, moved 31.6) or from behind the canal into
    it (chest T12, 10 mm behind its canal: 36.1, moved 35.7; session 27 B2).
    """
    slab = tilted_body_slab(roi, masks.sharp, click_lps, axis_hint, unknown=masks.unknown)
    origin = _profile_origin(click_lps, cut)
    if slab is None or np.array_equal(origin, np.asarray(click_lps, dtype=np.float64)):
        return slab
    moved = tilted_body_slab(roi, masks.sharp, origin, axis_hint, unknown=masks.unknown)
    if moved is not None and moved.height_mm <= slab.height_mm - THINNEST_DISC_MM:
        return moved
    return slab


def _profile_origin(click_lps: npt.ArrayLike, cut: PosteriorCut | None) -> npt.NDArray[np.float64]:
    """Where the disc profile is read for a click: the click, moved straight forward until the profile's
    cross-section (radius :data:`imaging.vertebra_discs.PROFILE_RADIUS_MM`) lies in front of the canal's
    front. A point behind the canal's front is left where it is.

    Near the posterior wall the cross-section reaches over the canal, whose contents read like a disc at
    every level, and over the pedicles' roots; the profile then loses the body's own discs (chest T10 from
    a click 3 mm in front of its back: a 35.5 mm "body" between discs, against 21.9 from its centre).
    """
    point = np.asarray(click_lps, dtype=np.float64)
    if cut is None:
        return point
    depth = cut.depth_in_front_mm(point)
    if depth < 0.0 or depth >= PROFILE_RADIUS_MM:
        # behind the canal's front the point is in no body (a lamina, the canal: refused on other grounds,
        # in words about where it lies); far enough in front the profile is the body's
        return point
    return point - (PROFILE_RADIUS_MM - depth) * cut.posterior


def roi_vessels(roi: LpsRoi) -> BoolArray:
    """The ROI's contrast-filled vessels (:func:`imaging.contrast_vessels.uniform_structures`), which
    :func:`find_body` keeps the body out of."""
    sp = roi.spacing_mm
    return uniform_structures(roi.array, (sp, sp, sp), region=roi.inside)


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
