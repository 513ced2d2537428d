"""The cross-sections of one pedicle, traced from the body back towards the canal's centre.

Frame (:class:`VertebraFrame`): body centroid ``c``, superior axis ``a``, posterior ``p`` (towards the
canal, perpendicular to ``a``), patient left ``l = p x a``; a section at depth ``t`` is the plane
normal to ``p`` through ``c + t p``, sampled in ``(u, v)`` along ``l`` and ``a``. Positions LPS mm,
lengths mm, areas mm^2.

In each section the bone on the pedicle's side of the canal is split into blobs: blobs side by side
joined by a waist are split (watershed on the distance map; pieces one above the other are one
pedicle), side-by-side cortical rings are kept apart (a rib neck pressed against a thoracic pedicle
keeps its own cortex), and the split is carried from section to section, since a neighbour that
touches the pedicle in one section is often apart from it in the one nearer the body. The pedicle is
the blob that forms the canal's lateral wall (the least distance from the canal's centre line) with its
centre at the height where pedicles join the body (thoracic ones in its upper half), followed through
the sections (the blob nearest the median of the first picks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage import measure
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

from imaging.pedicle_reasons import CUT_BY_VIEW, HIDDEN_BY_METAL, METAL_TOUCH_MM
from imaging.vertebra_roi import LpsRoi, RoiPoints

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: in-plane sampling of the cross-sections (mm)
SECTION_STEP_MM = 0.5
#: smallest pedicle cross-section accepted (mm^2)
MIN_SECTION_MM2 = 8.0
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
#: a section's blobs are split where their thickness falls this much below each one's core (mm): a rib
#: head or neck, or an articular process, touches the pedicle through a joint the CT does not resolve
SPLIT_DEPTH_MM = 0.75
#: a blob's core is at least this far from its edge (mm): the narrowest pedicles are about 3.4 mm wide
#: (CLINICAL.md safe-zone widths)
SPLIT_CORE_MM = 1.0
#: the pedicle's centre lies in this band of the body's height from its centre (superior +): pedicles
#: join the upper half of thoracic bodies and the upper-middle part of lumbar ones; the articular
#: processes between this level and the next lie lower or higher
PEDICLE_HEIGHT_BAND = (-0.35, 0.5)
#: where in that band a pedicle's centre is expected (fraction of the body's height above its centre),
#: and how much a mm away from it weighs against a mm further from the canal when two blobs compete
PEDICLE_HEIGHT_PREFERRED = 0.15
HEIGHT_WEIGHT = 0.5
#: a section's blob is reduced to its filled cortical rings when they cover at least this fraction of it
RING_COVER = 0.7
#: ... and when pieces of it lie side by side, their centres this far apart across (mm): a rib neck
#: lies lateral to the pedicle, the halves of a pedicle whose cortex the scan blurs one above the other
RING_APART_MM = 5.0
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


def _keep_rings(plane: BoolArray, fraction: FloatArray, u_mm: FloatArray) -> BoolArray:
    """A section's bone with side-by-side blobs split along their cortical rings.

    A rib neck touching the pedicle laterally keeps its own cortex: the bridge between them is bone
    only by partial volume, outside both filled rings. A blob is reduced to its filled rings when they
    cover at least ``RING_COVER`` of it and hold two or more pieces of a pedicle's least section whose
    centres lie ``RING_APART_MM`` apart mediolaterally; otherwise (a cortex too thin or blurred for the
    scan to show it whole, which breaks a pedicle into pieces one above the other) it is kept whole.
    """
    rings = ndimage.binary_fill_holes(fraction > 0.5) & plane
    labels, n = ndimage.label(plane)
    out = plane.copy()
    min_px = MIN_SECTION_MM2 / SECTION_STEP_MM**2
    for lab in range(1, n + 1):
        blob = labels == lab
        inner = rings & blob
        if inner.sum() < RING_COVER * blob.sum():
            continue
        pieces, m = ndimage.label(inner)
        if m < 2:
            continue
        index = np.arange(1, m + 1)
        sizes = ndimage.sum_labels(inner, pieces, index)
        u_c = np.asarray(ndimage.mean(u_mm, pieces, index))[sizes >= min_px]
        if len(u_c) >= 2 and float(u_c.max() - u_c.min()) >= RING_APART_MM:
            out[blob & ~inner] = False
    return out


def _split_plane(
    plane: BoolArray,
    previous: npt.NDArray[np.int32] | None,
    hidden: BoolArray | None = None,
    beyond: BoolArray | None = None,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Label a section's bone, keeping apart the blobs that the previous section kept apart.

    A rib neck or an articular process often touches the pedicle in a section through a joint the CT
    does not resolve, while a section nearer the body shows them apart. Blobs are therefore carried
    from section to section: the previous section's labels seed a watershed on the distance map of
    this one, and bone they do not reach is new (labelled afresh). The first section is split where
    its blobs' thickness has a waist (maxima of the distance map at least ``SPLIT_DEPTH_MM`` above
    the saddle between them), unless the pieces lie one above the other (:func:`_merge_stacked`;
    ``beyond`` is the bone above or below the pedicle's band of heights). A label whose bone falls
    apart into pieces in this section is split into them (bone apart is apart), but blobs joined
    through ``hidden`` bone (bone under the body's mask, in the sections nearer the body than its
    posterior corners) are one blob that the mask cut: they are merged. Returns the labels and the
    label values present.
    """
    dist = ndimage.distance_transform_edt(plane) * SECTION_STEP_MM
    if previous is not None:
        markers = np.where(plane & ndimage.binary_erosion(previous > 0), previous, 0)
        flooded = watershed(-dist, markers, mask=plane)  # type: ignore[no-untyped-call]
        labels = np.asarray(flooded, dtype=np.int32)
        fresh, _ = ndimage.label(plane & (labels == 0))
        start = int(previous.max()) + 1
        labels = np.where(fresh > 0, fresh + start - 1, labels).astype(np.int32)
    else:
        peaks = h_maxima(dist, SPLIT_DEPTH_MM) > 0  # type: ignore[no-untyped-call]
        markers, n = ndimage.label(peaks & (dist > SPLIT_CORE_MM), structure=np.ones((3, 3), dtype=bool))
        labels = np.asarray(markers, dtype=np.int32)
        if n:
            flooded = watershed(-dist, markers, mask=plane)  # type: ignore[no-untyped-call]
            labels = _merge_stacked(np.asarray(flooded, dtype=np.int32), beyond)
    start = max(int(labels.max()), 0 if previous is None else int(previous.max())) + 1
    labels = _split_pieces(labels, start=start)
    if hidden is not None and hidden.any():
        labels = _merge_through(labels, hidden)
    present = np.unique(labels)
    return labels, present[present > 0].astype(np.int64)


def _merge_stacked(labels: npt.NDArray[np.int32], beyond: BoolArray | None = None) -> npt.NDArray[np.int32]:
    """Touching labels one above the other (centres less than ``RING_APART_MM`` apart across, along the
    plane's first axis, ``u``) merged into one, the lowest label value; a label touching ``beyond`` (bone
    above or below the pedicle's band of heights) is left apart.

    The waist split keeps apart what lies side by side: a rib head or neck lateral to the pedicle. A
    pedicle's own oval section, slightly pinched at mid-height, also has two maxima of thickness, one
    above the other; split there, the pedicle was traced as its lower or upper half only (case1 right,
    one of five clicks: its centre 4 mm low, and the width measured across that half, 6.95 mm for the
    8.6 the images show). Pieces one above the
    other at one lateral position are one pedicle, as in :func:`_keep_rings`. But a piece that goes on
    past the band's top or bottom is an articular process or the lamina reaching the pedicle's heights,
    not half of its oval (abdomen L4 right, 3 mm voxels: bone down to the band's foot under the pedicle,
    merged with it the pedicle was 22 mm tall and its centre 4 mm low).
    """
    index = np.unique(labels)
    index = index[index > 0]
    if len(index) < 2:
        return labels
    cut_by_band: set[int] = set()
    if beyond is not None and beyond.any():
        rim = ndimage.binary_dilation(beyond, structure=np.ones((3, 3), dtype=bool))
        cut_by_band = {int(k) for k in np.unique(labels[rim & (labels > 0)])}
    rows = np.indices(labels.shape)[0].astype(np.float64) * SECTION_STEP_MM
    u_c = dict(zip(index.tolist(), np.asarray(ndimage.mean(rows, labels, index)).tolist(), strict=True))
    parent = {int(k): int(k) for k in index}

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    for axis in (0, 1):
        here = np.moveaxis(labels, axis, 0)
        a, b = here[:-1].ravel(), here[1:].ravel()
        touching = (a > 0) & (b > 0) & (a != b)
        for x, y in set(zip(a[touching].tolist(), b[touching].tolist(), strict=True)):
            if abs(u_c[x] - u_c[y]) < RING_APART_MM and not {x, y} & cut_by_band:
                rx, ry = root(x), root(y)
                parent[max(rx, ry)] = min(rx, ry)
    lut = np.zeros(int(labels.max()) + 1, dtype=np.int32)
    for k in parent:
        lut[k] = root(k)
    return lut[labels]


def _merge_through(labels: npt.NDArray[np.int32], hidden: BoolArray) -> npt.NDArray[np.int32]:
    """Labels that touch one piece of ``hidden`` bone merged into the smallest of them (labels that
    merely touch each other stay apart)."""
    pieces, n = ndimage.label(hidden)
    out = labels.copy()
    for k in range(1, n + 1):
        rim = ndimage.binary_dilation(pieces == k, structure=np.ones((3, 3), dtype=bool))
        touching = np.unique(out[rim & (out > 0)])
        if len(touching) > 1:
            out[np.isin(out, touching)] = touching[0]
    return out


def _split_pieces(labels: npt.NDArray[np.int32], *, start: int) -> npt.NDArray[np.int32]:
    """Every label's disconnected pieces but its largest relabelled from ``start`` on."""
    pieces = np.asarray(measure.label(labels, background=0, connectivity=1), dtype=np.int64)  # type: ignore[no-untyped-call]
    n = int(pieces.max())
    if n == 0:
        return labels
    idx = np.arange(1, n + 1)
    owner = np.asarray(ndimage.maximum(labels, pieces, idx), dtype=np.int64)  # one label per piece
    if len(np.unique(owner)) == n:
        return labels
    size = np.asarray(ndimage.sum_labels(np.ones_like(labels), pieces, idx), dtype=np.int64)
    out = labels.copy()
    for lab in np.unique(owner):
        mine = np.flatnonzero(owner == lab)
        for k in mine[np.argsort(-size[mine])][1:]:
            out[pieces == k + 1] = start
            start += 1
    return out


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
    :func:`_split_plane`)."""
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
        plane = _keep_rings(plane, fraction, uu)
    hidden = None
    if body_bone is not None:
        hidden = (on_grid.sample(body_bone, order=1) > 0.5) & band & ~plane
    labels, index = _split_plane(plane, previous, hidden, beyond)
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
