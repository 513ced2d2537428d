"""The cross-sections of one pedicle, traced from the body back towards the canal's centre.

Frame (:class:`VertebraFrame`): body centroid ``c``, superior axis ``a``, posterior ``p`` (towards the
canal, perpendicular to ``a``), patient left ``l = p x a``; a section at depth ``t`` is the plane
normal to ``p`` through ``c + t p``, sampled in ``(u, v)`` along ``l`` and ``a``. Positions LPS mm,
lengths mm, areas mm^2.

In each section the bone on the pedicle's side of the canal is split into blobs
(:mod:`imaging.pedicle_section_split`): blobs side by side joined by a waist are split (watershed on the
distance map; pieces one above the other are one pedicle), side-by-side cortical rings are kept apart (a
rib neck pressed against a thoracic pedicle keeps its own cortex), and the split is carried from section
to section, since a neighbour that touches the pedicle in one section is often apart from it in the one
nearer the body. The pedicle is
the blob that forms the canal's lateral wall (the least distance from the canal's centre line) with its
centre at the height where pedicles join the body (thoracic ones in its upper half), followed through
the sections (the blob nearest the median of the first picks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.pedicle_reasons import CUT_BY_VIEW, HIDDEN_BY_METAL, METAL_TOUCH_MM
from imaging.pedicle_section_split import MIN_SECTION_MM2, SECTION_STEP_MM, keep_rings, split_plane
from imaging.vertebra_roi import LpsRoi, RoiPoints

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: least number of cross-sections to fit an axis
MIN_SECTIONS = 3
#: a pedicle section closer than this to the edge of the field of view is taken as cut by it (mm,
#: one voxel of a 1.5 mm scan)
VIEW_MARGIN_MM = 1.5
#: spacing of the cross-sections along the posterior direction (mm)
SECTION_SPACING_MM = 0.5
#: the sections span at least this much along the posterior direction (mm)
MIN_SECTION_SPAN_MM = 3.0
#: first section this far behind the body's most posterior point (mm)
SECTION_CLEARANCE_MM = 2.0
#: the pedicle's centre lies in this band of the body's height from its centre (superior +): pedicles
#: join the upper half of thoracic bodies and the upper-middle part of lumbar ones; the articular
#: processes between this level and the next lie lower or higher
PEDICLE_HEIGHT_BAND = (-0.35, 0.5)
#: where in that band a pedicle's centre is expected (fraction of the body's height above its centre),
#: and how much a mm away from it weighs against a mm further from the canal when two blobs compete
PEDICLE_HEIGHT_PREFERRED = 0.15
HEIGHT_WEIGHT = 0.5
#: bone is looked for this far beyond the pedicle's band of heights (mm)
BAND_MARGIN_MM = 2.0
#: the sections reach this far above and below the body's end plates (mm)
SECTION_REACH_MM = 4.0
#: a section's pick further than this from the pedicle followed through the others is another bone (mm)
TRACK_JUMP_MM = 4.0


@dataclass(frozen=True)
class VertebraFrame:
    """The vertebra's frame and the canal measures the pedicle search needs (LPS mm)."""

    centroid_lps: FloatArray
    axis: FloatArray
    posterior: FloatArray
    left: FloatArray
    canal_center_u_mm: float
    canal_half_width_mm: float
    wall_t_mm: float  # posterior body surface at the midline, along p from the centroid
    body_back_t_mm: float  # the body's most posterior point along p (its posterolateral corners)
    canal_t_mm: float  # canal centroid along p from the centroid
    height_mm: float


@dataclass(frozen=True, eq=False)
class PedicleSections:
    """The pedicle's cross-sections: centroids (LPS), areas (mm^2) and the bone they cover (ROI).

    ``front_region`` is the pedicle's bone in the sections split and carried only (from
    ``front_t_mm`` along the posterior direction up to the first traced section): its base, between
    the body's midline wall and its posterior corners, without a rib head lying apart from it there.
    """

    centroids: FloatArray
    areas: FloatArray
    region: BoolArray
    front_region: BoolArray
    front_t_mm: float


@dataclass(frozen=True)
class _Candidate:
    label: int
    centre_lps: FloatArray
    u_mm: float
    v_mm: float
    medial_mm: float  # distance of its nearest point from the canal's centre line, towards its side
    area_mm2: float
    cut_by_view: bool
    near_metal: bool = False


def _section_candidates(
    roi: LpsRoi,
    posterior_bone: BoolArray,
    *,
    weight_of: BoolArray | None,
    bone_fraction: npt.NDArray[np.float32] | None,
    frame: VertebraFrame,
    sgn: float,
    t: float,
    grid: tuple[FloatArray, FloatArray],
    previous: npt.NDArray[np.int32] | None = None,
    body_bone: BoolArray | None = None,
    unknown: BoolArray | None = None,
) -> tuple[list[_Candidate], npt.NDArray[np.int32], FloatArray]:
    """Bone blobs of one section on one side of the canal, with their places (labels carried over
    from the ``previous`` section, and blobs joined through ``body_bone`` merged: see
    :func:`imaging.pedicle_section_split.split_plane`)."""
    uu, vv = grid
    c, a, p, lft = frame.centroid_lps, frame.axis, frame.posterior, frame.left
    pts = c + t * p + uu[..., None] * lft + vv[..., None] * a
    on_grid = RoiPoints(roi, pts)  # placed once for the arrays sampled there, read around the plane only
    occupancy = on_grid.sample(posterior_bone, order=1)
    lateral = sgn * (uu - frame.canal_center_u_mm)
    v_lo, v_hi = (f * frame.height_mm for f in PEDICLE_HEIGHT_BAND)
    band = (
        (lateral >= 0.5 * frame.canal_half_width_mm)
        # bone far above or below the pedicle's band belongs to the articular processes
        & (vv >= v_lo - BAND_MARGIN_MM)
        & (vv <= v_hi + BAND_MARGIN_MM)
    )
    plane = (occupancy > 0.5) & band
    beyond = (occupancy > 0.5) & (lateral >= 0.5 * frame.canal_half_width_mm) & ~band
    fraction = None if bone_fraction is None else on_grid.sample(bone_fraction, order=1)
    if fraction is not None:
        plane = keep_rings(plane, fraction, uu)
    hidden = None
    if body_bone is not None:
        hidden = (on_grid.sample(body_bone, order=1) > 0.5) & band & ~plane
    labels, index = split_plane(plane, previous, hidden, beyond)
    if len(index) == 0:
        return [], labels, pts
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index)
    # sub-voxel centroids: each blob (grown by one sample) weighted by its bone fraction
    grown = ndimage.grey_dilation(labels, size=3)
    weight = occupancy
    if fraction is not None and weight_of is not None:
        weight = fraction * (on_grid.sample(weight_of, order=0) < 0.5)
    with np.errstate(invalid="ignore", divide="ignore"):  # a blob of zero weight: no centroid (skipped)
        coms = ndimage.center_of_mass(weight, grown, index)
    medial = ndimage.minimum(lateral, labels, index)
    in_view = on_grid.sample(roi.inside, order=0) > 0.5
    cut_by_view = ndimage.binary_dilation(~in_view, iterations=round(VIEW_MARGIN_MM / SECTION_STEP_MM))
    cut = ndimage.maximum(cut_by_view, labels, index)
    metal = np.zeros(len(index), dtype=bool)
    if unknown is not None:
        touch = on_grid.sample(unknown, order=0) > 0.5
        touch = ndimage.binary_dilation(touch, iterations=max(1, round(METAL_TOUCH_MM / SECTION_STEP_MM)))
        metal = np.asarray(ndimage.maximum(touch, labels, index), dtype=bool)
    min_px = MIN_SECTION_MM2 / SECTION_STEP_MM**2
    u0, v0 = float(uu[0, 0]), float(vv[0, 0])
    out: list[_Candidate] = []
    for lab, size, com, med, cv, mt in zip(index, sizes, coms, medial, cut, metal, strict=True):
        if size < min_px or not np.all(np.isfinite(com)):
            continue
        u_c = u0 + com[0] * SECTION_STEP_MM
        v_c = v0 + com[1] * SECTION_STEP_MM
        out.append(
            _Candidate(
                label=int(lab),
                centre_lps=c + t * p + u_c * lft + v_c * a,
                u_mm=u_c,
                v_mm=v_c,
                medial_mm=float(med),
                area_mm2=float(size) * SECTION_STEP_MM**2,
                cut_by_view=bool(cv),
                near_metal=bool(mt),
            )
        )
    return out, labels, pts


def trace_sections(
    roi: LpsRoi,
    posterior_bone: BoolArray,
    *,
    body_grown: BoolArray,
    bone_fraction: npt.NDArray[np.float32] | None,
    frame: VertebraFrame,
    sgn: float,
    body_bone: BoolArray | None = None,
    refusals: list[str] | None = None,
    unknown: BoolArray | None = None,
) -> PedicleSections | None:
    """The pedicle's sections between the body and the canal's centre, or None (too few, or cut).

    When the field of view cuts a section, :data:`CUT_BY_VIEW` is appended to ``refusals`` (if given),
    or :data:`HIDDEN_BY_METAL` when the blob reaching the edge touches ``unknown`` (the region's voxels
    marked for metal and its streaks, :mod:`imaging.metal_unknown`).

    In each section the pedicle is the blob that forms the canal's lateral wall (the first bone
    lateral to the canal) with its centre at the height of the body's middle or upper part; rib
    heads and necks lie further lateral, the articular processes of the levels above and below
    higher or lower. A second pass keeps, in every section, the blob nearest the median of the
    first picks (one pedicle followed through the sections, not a neighbour picked in one of them).

    The sections are taken behind the body's posterior corners, but the blobs are split and carried
    from the midline wall on (with ``body_bone``, the bone under the body's mask): where the body's
    mask reaches back into the pedicle's base, a rib head or neck often lies apart from the pedicle
    only in the sections in front of the corners, and touches it in all those behind.
    """
    t_start = max(frame.wall_t_mm, frame.body_back_t_mm) + SECTION_CLEARANCE_MM
    t_carry = t_start if body_bone is None else min(t_start, frame.wall_t_mm + SECTION_CLEARANCE_MM)
    t_stop = max(frame.canal_t_mm, t_start + MIN_SECTION_SPAN_MM)
    us = np.arange(-45.0, 45.0 + 1e-9, SECTION_STEP_MM)
    # a thoracic pedicle reaches the level of the upper end plate: the sections reach above it
    v_half = 0.5 * frame.height_mm + SECTION_REACH_MM
    vs = np.arange(-v_half, v_half + 1e-9, SECTION_STEP_MM)
    uu, vv = np.meshgrid(us, vs, indexing="ij")
    v_lo, v_hi = (f * frame.height_mm for f in PEDICLE_HEIGHT_BAND)
    sections: list[tuple[list[_Candidate], npt.NDArray[np.int32], FloatArray]] = []
    carried: list[tuple[list[_Candidate], npt.NDArray[np.int32], FloatArray]] = []
    previous: npt.NDArray[np.int32] | None = None
    for t in np.arange(t_carry, t_stop + 1e-9, SECTION_SPACING_MM):
        cands, labels, pts = _section_candidates(
            roi,
            posterior_bone,
            weight_of=body_grown,
            bone_fraction=bone_fraction,
            frame=frame,
            sgn=sgn,
            t=float(t),
            grid=(uu, vv),
            previous=previous,
            body_bone=body_bone,
            unknown=unknown,
        )
        previous = labels
        if t < t_start - 1e-9:  # split and carried only
            carried.append(([k for k in cands if v_lo <= k.v_mm <= v_hi], labels, pts))
            continue
        sections.append(([k for k in cands if v_lo <= k.v_mm <= v_hi], labels, pts))
    v_pref = PEDICLE_HEIGHT_PREFERRED * frame.height_mm

    def first_score(k: _Candidate) -> float:
        return k.medial_mm + HEIGHT_WEIGHT * abs(k.v_mm - v_pref)

    firsts = [min(cands, key=first_score) for cands, _, _ in sections if cands]
    if len(firsts) < MIN_SECTIONS:
        return None
    u_med = float(np.median([k.u_mm for k in firsts]))
    v_med = float(np.median([k.v_mm for k in firsts]))

    def nearest(cands: list[_Candidate]) -> _Candidate | None:
        if not cands:
            return None
        best = min(cands, key=lambda k: float(np.hypot(k.u_mm - u_med, k.v_mm - v_med)))
        return best if np.hypot(best.u_mm - u_med, best.v_mm - v_med) <= TRACK_JUMP_MM else None

    def cover(into: BoolArray, pts: FloatArray) -> None:
        idx = np.rint(roi.lps_to_index(pts)).astype(np.int64)
        ok = np.all((idx >= 0) & (idx < np.asarray(roi.shape)), axis=1)
        into[tuple(idx[ok].T)] = True

    centroids: list[FloatArray] = []
    areas: list[float] = []
    region = np.zeros(roi.shape, dtype=bool)
    for cands, labels, pts in sections:
        best = nearest(cands)
        if best is None:
            continue
        if best.cut_by_view:
            if refusals is not None:
                refusals.append(HIDDEN_BY_METAL if best.near_metal else CUT_BY_VIEW)
            return None  # the field of view cuts the pedicle: its axis cannot be traced
        centroids.append(best.centre_lps)
        areas.append(best.area_mm2)
        cover(region, pts[labels == best.label])
    if len(centroids) < MIN_SECTIONS:
        return None
    front = np.zeros(roi.shape, dtype=bool)
    for cands, labels, pts in carried:
        best = nearest(cands)
        if best is not None:
            cover(front, pts[labels == best.label])
    return PedicleSections(np.array(centroids), np.array(areas), region, front, float(t_carry))
