"""The neural foramina of one vertebra, found from its anatomy and the CT: the finder.

Its values (:class:`Foramen`, :class:`VertebraForamina`, :class:`ForamenLevel`, re-exported here)
are in :mod:`imaging.foramina_model`; the frame and pedicle bounds of step 1 in :mod:`imaging.foramina_frame`.

A neural foramen is the opening between the pedicle of one vertebra and the pedicle of the next,
through which a nerve root leaves the spinal canal: bounded above and below by the two pedicles,
in front by the vertebral bodies and the disc between them, behind by the articular processes (facet
joint, pars), medially it opens into the canal and laterally into the paravertebral space. It holds
fat, the nerve root and vessels: low HU between bone.

:func:`find_foramina` looks, on each side, for the foramen *above* the pedicle (e.g. L2-L3 for L3) and
the one *below* it (L3-L4), in the vertebra's own frame (origin the body centroid; ``u`` towards the
patient's left, ``v`` along the body axis towards superior, ``t`` posterior towards the canal):

1. the pedicle's medial and lateral borders (``u``) at its isthmus come from its isthmus and
   narrowest width (:class:`imaging.vertebra_model.PedicleAxis`), the most medial and most lateral
   over the stretch of the axis where the isthmus may lie (:mod:`imaging.foramina_isthmus`: its widths
   equal the narrowest within their uncertainty); its top and bottom (``v``) and its posterior end
   (``t``) from its mask (:func:`imaging.foramina_frame.pedicle_bounds`);
2. the next pedicle is found on the CT: going up (or down) from the pedicle along the body axis,
   each level's cross-section of the box below is *open* when soft tissue leads through it from
   the canal side (the pedicle's medial border) to the lateral side (its lateral border). A pedicle
   closes its level, joining the body to the posterior elements; the foramen runs from the first
   open level to the next closed one, the next pedicle's edge (or to the edge of the field of view,
   flagged, when the next pedicle is not in view; :func:`imaging.foramina_passage.open_levels`);
3. the foramen is the non-bone region (smoothed HU under the bone threshold of the anatomy step) of
   the box between the two pedicles, between the pedicle's medial and lateral borders, from the
   bodies' posterior surface back to the pedicle's posterior end (plus the articular pillar's
   reach), outside the canal and the body masks, and connected to the canal side of the box.

Everything is computed in a region of interest resampled onto an LPS-aligned 1 mm grid
(:mod:`imaging.vertebra_roi`), so any stored orientation works; masks are mapped back to the source
grid. Positions LPS mm, lengths mm, volumes mL. The disc's posterior bulge reads like the foramen's
soft tissue (both about 30-100 HU) and lies inside the box when it bulges behind the bodies' outline:
it is counted in the foramen, the safe side for heat and cement distances.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.foramina_frame import ForaminaFrame, PedicleBounds, foramina_frame, pedicle_bounds
from imaging.foramina_model import Foramen, ForamenLevel, VertebraForamina
from imaging.foramina_passage import open_levels
from imaging.levels import LEVELS, normalize_level
from imaging.mask import Mask
from imaging.vertebra_body import SMOOTHING_MM, bony_solid
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.vertebra_roi import LpsRoi, resample_roi, roi_mask_to_source
from imaging.volume import Volume

__all__ = ["Foramen", "ForamenLevel", "VertebraForamina", "find_foramina", "with_foramina"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: ROI grid spacing (mm): the anatomy step's grid
ROI_SPACING_MM = 1.0
#: a level counts as in view when this share of its cross-section lies inside the scanned volume
IN_VIEW_FRACTION = 0.9
#: adult discs are up to about 12 mm tall (imaging.vertebra): the next pedicle lies within one body
#: height plus this of this pedicle's edge (mm), with some slack for tilt
DISC_MAX_MM = 12.0
SEARCH_SLACK_MM = 6.0
#: the articular pillar (superior articular process) forms the back of the foramen at about the
#: pedicle's posterior end; the box reaches this far behind the pedicle mask's posterior end so that
#: the bone of the pillar, not the box, closes the foramen (mm)
POSTERIOR_REACH_MM = 3.0
#: a gap between pedicles shorter than this is not an opening for a nerve root (mm); lumbar foramina
#: are 15-23 mm tall, thoracic about 15-20 mm
MIN_GAP_MM = 4.0
#: HU given to the ROI outside the field of view when the bone's holes are filled (cortical bone)
OUTSIDE_VIEW_HU = 1000.0
#: smallest foramen kept (mL): fewer than 20 voxels of 1 mm is noise, not a channel
MIN_FORAMEN_ML = 0.02


def find_foramina(volume: Volume, anatomy: VertebraAnatomy) -> VertebraForamina:
    """Segment the left and right neural foramina above and below the pedicles of a vertebra.

    Parameters
    ----------
    volume
        The CT (HU) the anatomy was found on, any orientation.
    anatomy
        The vertebra (body, canal, pedicles with their masks), from :func:`imaging.vertebra.find_vertebra`.

    Returns
    -------
    VertebraForamina
        Four entries (left/right x upper/lower); each is found (mask on the source grid, centroid,
        volume) or says why not (no pedicle mask, the next pedicle not in view or not found, no
        opening).

    Raises
    ------
    ValueError
        If the anatomy's masks do not lie on the volume's grid.
    """
    for name, m in (("anatomy.body", anatomy.body), ("anatomy.canal", anatomy.canal)):
        if m.grid_shape != volume.shape:
            raise ValueError(
                f'Argument "{name}" lies on grid {m.grid_shape}, not the volume\'s {volume.shape}'
            )
    names = _foramen_names(anatomy.level)
    frame = foramina_frame(volume, anatomy)
    out: list[Foramen] = []
    if frame is None:
        for side in (Side.LEFT, Side.RIGHT):
            for level in (ForamenLevel.UPPER, ForamenLevel.LOWER):
                out.append(_missing(side, level, names, "the vertebra's frame (body to canal) is undefined"))
        return VertebraForamina(tuple(out), volume.shape)
    pedicles: dict[Side, PedicleBounds] = {}
    for side in (Side.LEFT, Side.RIGHT):
        axis = anatomy.pedicles.get(side)
        if axis is None or axis.mask is None or not axis.mask.any():
            reason = "the pedicle was not traced" if axis is None else "the pedicle has no mask"
            for level in (ForamenLevel.UPPER, ForamenLevel.LOWER):
                out.append(_missing(side, level, names, reason))
            continue
        if axis.mask.grid_shape != volume.shape:
            raise ValueError(f'Argument "anatomy.pedicles[{side.value}].mask" lies on another grid')
        ped = pedicle_bounds(volume, frame, anatomy, side=side, axis=axis, mask=axis.mask)
        if ped is None:
            for level in (ForamenLevel.UPPER, ForamenLevel.LOWER):
                out.append(
                    _missing(side, level, names, "the pedicle's axis or mask does not give its borders")
                )
            continue
        pedicles[side] = ped
    if pedicles:
        # the next pedicle's near edge lies one vertebral pitch (body + disc) minus a pedicle height away
        ped_height = min(p.v_top - p.v_bottom for p in pedicles.values())
        search_mm = max(anatomy.body_height_mm + DISC_MAX_MM + SEARCH_SLACK_MM - ped_height, 2.0 * MIN_GAP_MM)
        roi = _roi(volume, frame, list(pedicles.values()), search_mm)
        # bone with the holes its shell encloses in coronal planes (a body's trabecular interior can
        # read below the bone threshold; the foramen, open to the canal, is never enclosed there)
        # outside the field of view reads as bone here, so that a body the edge of the view cuts is
        # closed by it and its interior fills like a whole body's (the canal and the foramina stay open
        # sideways); voxels near the edge are not trusted anyway (below)
        closed_view = LpsRoi(
            np.where(roi.inside, roi.array, np.float32(OUTSIDE_VIEW_HU)).astype(np.float32),
            roi.origin_lps,
            roi.spacing_mm,
            roi.inside,
        )
        masks = bony_solid(closed_view)
        bone = masks.arch_solid
        # smoothing mixes the air read outside the field of view into its edge: trust only the voxels
        # at least twice the smoothing away from it
        reach = int(np.ceil(2.0 * SMOOTHING_MM / roi.spacing_mm))
        inside = ndimage.binary_erosion(roi.inside, iterations=reach, border_value=1)
        bone &= inside
        inner_hu = _inner_hu(volume, anatomy.body)
        uvt = frame.coords(roi.index_to_lps(np.indices(roi.shape, dtype=np.float64).transpose(1, 2, 3, 0)))
        for ped in pedicles.values():
            for level in (ForamenLevel.UPPER, ForamenLevel.LOWER):
                out.append(
                    _one(
                        volume,
                        anatomy,
                        frame=frame,
                        roi=roi,
                        maps=(bone, inside, uvt, masks.sharp),
                        ped=ped,
                        level=level,
                        names=names,
                        search_mm=search_mm,
                        body_inner_hu=inner_hu,
                    )
                )
    order = {(s, lv): i for i, (s, lv) in enumerate((s, lv) for s in Side for lv in ForamenLevel)}
    out.sort(key=lambda f: order[(f.side, f.level)])
    return VertebraForamina(tuple(out), volume.shape)


def with_foramina(volume: Volume, anatomy: VertebraAnatomy) -> VertebraAnatomy:
    """The anatomy with its ``foramina`` field filled by :func:`find_foramina` (a new value)."""
    return replace(anatomy, foramina=find_foramina(volume, anatomy))


# -- region of interest ----------------------------------------------------------------------------
def _roi(volume: Volume, frame: ForaminaFrame, pedicles: list[PedicleBounds], search_mm: float) -> LpsRoi:
    """An LPS box holding, for every pedicle, the frame box the foramina can lie in."""
    corners: list[FloatArray] = []
    for p in pedicles:
        t_lo = min(float(np.min(b)) for b in p.body_back.values()) - 2.0
        t_hi = p.t_back + POSTERIOR_REACH_MM + 2.0
        v_lo, v_hi = p.v_bottom - search_mm, p.v_top + search_mm
        for lat in (p.u_med - 2.0, p.u_lat + 2.0):
            for v in (v_lo, v_hi):
                for t in (t_lo, t_hi):
                    corners.append(frame.to_lps(np.array([p.sign * lat, v, t])))
    pts = np.array(corners)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    # on the source's voxel lattice where it can be (an LPS-aligned 1 mm source): the mask then maps
    # back voxel for voxel instead of through interpolation at the box's faces
    shift = volume.index_to_lps_points(np.rint(volume.lps_to_index_points(lo))) - lo
    lo, hi = lo + shift, hi + shift
    centre = 0.5 * (lo + hi)
    return resample_roi(volume, centre, np.array([lo - centre, hi - centre]), ROI_SPACING_MM)


# -- one foramen -----------------------------------------------------------------------------------
def _one(
    volume: Volume,
    anatomy: VertebraAnatomy,
    *,
    frame: ForaminaFrame,
    roi: LpsRoi,
    maps: tuple[BoolArray, BoolArray, FloatArray, npt.NDArray[np.float32]],
    ped: PedicleBounds,
    level: ForamenLevel,
    names: dict[ForamenLevel, str],
    search_mm: float,
    body_inner_hu: float | None,
) -> Foramen:
    bone, inside, uvt, sharp = maps
    side = ped.side
    up = level is ForamenLevel.UPPER
    direction = 1.0 if up else -1.0
    where = "above" if up else "below"
    v_mid = 0.5 * (ped.v_bottom + ped.v_top)
    reach = abs((ped.v_top if up else ped.v_bottom) - v_mid) + search_mm
    vs = v_mid + direction * np.arange(0.0, reach + 0.5, roi.spacing_mm)
    backs = ped.body_back[level]
    passage, in_view = open_levels(
        frame, roi, (bone, inside), ped, backs, vs, t_end_mm=ped.t_back + POSTERIOR_REACH_MM
    )
    gap_start: int | None = None
    end: int | None = None
    cut = False
    for i in range(len(vs)):
        if in_view[i] < IN_VIEW_FRACTION:
            if gap_start is None:
                return _missing(
                    side,
                    level,
                    names,
                    f"the field of view ends {abs(vs[i] - v_mid):.0f} mm {where} the pedicle's middle, "
                    "before any opening",
                )
            end, cut = i, True
            break
        if gap_start is None:
            if passage[i]:
                gap_start = i
        elif not passage[i]:
            end = i
            break
    if gap_start is None:
        return _missing(side, level, names, "bone closes every level between the pedicles: no opening")
    if end is None:
        return _missing(side, level, names, f"no pedicle of the next vertebra within {search_mm:.0f} mm")
    # the opening runs from the first open level off this pedicle to the next pedicle's edge
    v_a, v_b = sorted((float(vs[gap_start]) - 0.5 * direction, float(vs[end]) - 0.5 * direction))
    gap_mm = v_b - v_a
    if gap_mm < MIN_GAP_MM and not cut:
        return _missing(
            side, level, names, f"the pedicles are only {gap_mm:.0f} mm apart: no opening", gap_mm=gap_mm
        )
    u, v, t = uvt[..., 0], uvt[..., 1], uvt[..., 2]
    lat = ped.sign * u
    front = np.interp(lat, ped.bins, backs)
    across = (lat >= ped.u_med) & (lat <= ped.u_lat) & (t <= ped.t_back + POSTERIOR_REACH_MM)
    box = across & (t > front) & (v > v_a) & (v < v_b)
    # where the half-maximum rim may add voxels: one voxel beyond the box's ends along the axis and in
    # front of the body mask's back (the image, not the body mask, then places the anterior face)
    grow_box = across & (t > front - roi.spacing_mm) & (v > v_a - roi.spacing_mm) & (v < v_b + roi.spacing_mm)
    # work in the box's bounding box (plus a voxel for the canal next to it)
    nz = np.argwhere(grow_box)
    lo = np.maximum(nz.min(axis=0) - 1, 0)
    hi = np.minimum(nz.max(axis=0) + 2, np.asarray(roi.shape))
    sub = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    box_c = box[sub]
    allowed = grow_box[sub] & inside[sub]
    allowed &= ~_source_mask_on_roi(volume, roi, anatomy.canal, allowed, lo)
    in_body = _source_mask_on_roi(volume, roi, anatomy.body, allowed, lo)
    region = box_c & allowed & ~bone[sub] & ~in_body
    # connected to the canal side of the box: the medial face, or the canal next to it
    canal_near = _source_mask_on_roi(volume, roi, anatomy.canal, ndimage.binary_dilation(region), lo)
    medial = box_c & (lat[sub] < ped.u_med + roi.spacing_mm)
    seeds = region & (medial | ndimage.binary_dilation(canal_near))
    labels, n = ndimage.label(region)
    keep = np.unique(labels[seeds & (labels > 0)])
    region = np.isin(labels, keep) if n and keep.size else np.zeros_like(region)
    if region.any():
        region |= _half_maximum_rim(region, sharp[sub], bone[sub], allowed, in_body, body_inner_hu)
    vox_ml = roi.spacing_mm**3 / 1000.0
    if region.sum() * vox_ml < MIN_FORAMEN_ML:
        return _missing(
            side,
            level,
            names,
            "no soft tissue opening into the canal between the pedicles (bone fills the gap)",
            gap_mm=gap_mm,
        )
    full = np.zeros(roi.shape, dtype=bool)
    full[sub] = region
    region = full
    mask = roi_mask_to_source(roi, region, volume)
    centre = roi.voxel_points_lps(region).mean(axis=0)
    note = (
        f"the soft tissue {where} the pedicle, {ped.u_lat - ped.u_med:.0f} mm wide between its borders "
        "(taken over the stretch of the axis its isthmus may lie on, so wider than its narrowest width: "
        "heat reads nearer the foramen, never further), from the bodies' back to the articular pillar, "
        "open to the canal, "
        + (
            f"cut by the field of view {gap_mm:.0f} mm {where} the pedicle (the next pedicle is not in view)"
            if cut
            else f"up to the next pedicle {gap_mm:.0f} mm {where}"
        )
    )
    return Foramen(
        side,
        level,
        f"{side.value} {names[level]}",
        mask,
        (float(centre[0]), float(centre[1]), float(centre[2])),
        mask.count() * volume.voxel_volume_ml,
        gap_mm,
        note,
        cut_by_view=cut,
    )


def _half_maximum_rim(  # noqa: PLR0917 - private helper of _one
    region: BoolArray,
    sharp: npt.NDArray[np.float32],
    bone: BoolArray,
    allowed: BoolArray,
    in_body: BoolArray,
    body_inner_hu: float | None,
) -> BoolArray:
    """The voxels just outside ``region`` that are closer in HU to its soft tissue than to the bone.

    The smoothed bone threshold puts bony edges about a millimetre into the soft tissue (a cortex of
    ~1000 HU blurred to 150 HU lies that far out); one voxel layer whose lightly smoothed HU is below
    the half-way value between the region's median HU and the nearby bone's (its 90th percentile)
    belongs to the soft tissue, which puts the edge at half maximum. Inside the body mask the layer
    must also be closer to the soft tissue than to the body's own trabecular bone (which can read
    far below the cortex): a gap in the cortex never lets the foramen into the body.
    """
    ring = ndimage.binary_dilation(region) & ~region & allowed
    near_bone = ndimage.binary_dilation(region, iterations=3) & bone
    if not ring.any() or not near_bone.any():
        return np.zeros_like(region)
    soft_hu = float(np.median(sharp[region]))
    bone_hu = float(np.percentile(sharp[near_bone], 90.0))
    if bone_hu <= soft_hu:
        return np.zeros_like(region)
    out: BoolArray = ring & (sharp < 0.5 * (soft_hu + bone_hu))
    if body_inner_hu is None or body_inner_hu <= soft_hu:
        out &= ~in_body
    else:
        out &= ~in_body | (sharp < 0.5 * (soft_hu + body_inner_hu))
    return out


def _inner_hu(volume: Volume, body: Mask) -> float | None:
    """Median HU of the body's interior (the mask eroded by two voxels: away from the cortex)."""
    inner = ndimage.binary_erosion(body.array, iterations=2)
    if not inner.any():
        return None
    return float(np.median(volume.array[body.slices][inner]))


def _source_mask_on_roi(
    volume: Volume, roi: LpsRoi, mask: Mask, where: BoolArray, offset: npt.NDArray[np.int64]
) -> BoolArray:
    """A source-grid mask read (nearest voxel) at the voxels of ``where``, a part of the ROI starting
    at ROI index ``offset``; False elsewhere."""
    out = np.zeros(where.shape, dtype=bool)
    if not mask.any() or not where.any():
        return out
    idx = np.argwhere(where)
    src = np.rint(volume.lps_to_index_points(roi.index_to_lps((idx + offset).astype(np.float64))))
    src = src.astype(np.int64)
    rel = src - np.asarray(mask.offset_index)
    ok = np.all((rel >= 0) & (rel < np.asarray(mask.array.shape)), axis=1)
    hit = np.zeros(len(idx), dtype=bool)
    hit[ok] = mask.array[tuple(rel[ok].T)]
    out[tuple(idx[hit].T)] = True
    return out


def _foramen_names(level: str | None) -> dict[ForamenLevel, str]:
    """``{UPPER: "L2-L3", LOWER: "L3-L4"}`` for L3; "upper"/"lower" when the level is unknown."""
    names = {ForamenLevel.UPPER: "upper", ForamenLevel.LOWER: "lower"}
    if level is None:
        return names
    try:
        name = normalize_level(level)
    except ValueError:
        return names
    i = LEVELS.index(name)
    if i > 0:
        names[ForamenLevel.UPPER] = f"{LEVELS[i - 1]}-{name}"
    if i + 1 < len(LEVELS):
        names[ForamenLevel.LOWER] = f"{name}-{LEVELS[i + 1]}"
    return names


def _missing(
    side: Side,
    level: ForamenLevel,
    names: dict[ForamenLevel, str],
    reason: str,
    *,
    gap_mm: float | None = None,
) -> Foramen:
    return Foramen(side, level, f"{side.value} {names[level]}", None, None, 0.0, gap_mm, reason)
