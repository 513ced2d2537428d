"""A pedicle's narrowest width found without its axis: the shortest way through it from the canal out.

Frame as :mod:`imaging.vertebra_pedicle_sections`: body centroid ``c``, superior axis ``a``, posterior
``p``, patient left ``l``. Positions LPS mm, lengths mm.

A pedicle is the bar of bone between the spinal canal and the soft tissue lateral to it. Where it is
narrowest (its isthmus), the way out of the canal through bone is shortest: in the plane of the end
plates through the pedicle's centre, the least distance from the canal's lateral wall to the soft tissue
beyond the pedicle is the isthmus, and the segment that realises it runs straight across the pedicle,
perpendicular to its walls, whatever the pedicle's axis. A thoracic pedicle traces over only a few
millimetres of sections, and its fitted axis turns by 20-30 degrees between clicks a millimetre apart
(tests/imaging/test_vertebra_pedicle_click.py); widths measured across that axis turn with it. This
segment does not depend on the axis: its direction comes from the bony solid on a fine grid, and the
width is then measured along it on the source CT to a fraction of a voxel
(:func:`imaging.pedicle_profile.width_across`). This is done at every millimetre of height through the
pedicle, and the widest that two of three neighbouring heights reach is its width (the oval section is
widest at mid-height; a rib head fused with it at a few heights is dropped). There is no waist where
the pedicle's middle heights have none (:func:`walk_heights`): its width is then measured across its
axis (:mod:`imaging.vertebra_pedicles`). Both pedicles look for their waists in the same planes through
the canal, which :class:`WaistPlanes` samples once for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.pedicle_profile import width_across
from imaging.vertebra_pedicle_sections import VertebraFrame
from imaging.vertebra_roi import LpsRoi
from imaging.volume import Volume

__all__ = [
    "PedicleWaist",
    "WaistChord",
    "WaistPlanes",
    "find_waist",
    "pedicle_waist",
    "walk_heights",
    "wall_depth_range",
    "widest_width",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: grid step of the plane the waist is looked for in (mm)
WAIST_STEP_MM = 0.25
#: the plane reaches this far from the canal's centre, across and along (mm): past a lumbar pedicle
#: (up to ~18 mm wide, CLINICAL.md) and the soft tissue beside it
WAIST_REACH_MM = 40.0
#: a pocket of soft tissue enclosed by bone counts as the tissue outside the pedicle when at least this
#: large (mm^2): a thoracic rib's neck and the transverse process enclose one beside the pedicle (the
#: costotransverse foramen), while pores of the bony solid's interior are a voxel or two
MIN_POCKET_MM2 = 4.0
#: heights (along the body's axis) the waist is looked for at: every this (mm), from the pedicle's axis
#: up and down until the pedicle ends ...
WAIST_HEIGHT_STEP_MM = 1.0
#: ... at most this far beyond the body's end plates (mm; a thoracic pedicle reaches above its body's
#: upper end plate)
WAIST_HEIGHT_REACH_MM = 4.0
#: the pedicle ends where this many heights in a row have no waist (the canal opens into the foramen
#: between this pedicle and the next); a single height without one (a profile that found no edge on a
#: noisy slice) is bridged
WAIST_RUN_GAP = 2
#: widths over this multiple of the median over the pedicle's height are a neighbour fused with it at
#: those heights (chest T9 right: a rib head, 7.7-11.4 mm at four heights beside 3.7-4.9 mm), not the
#: pedicle's own
FUSED_WIDTH_FACTOR = 1.5
#: the width along a waist is measured from a point this far into the bone from the canal's wall (or
#: half-way across, if nearer; mm): past the medial cortex and its blur, and inside the pedicle even where
#: a rib head is fused with it beyond a joint the scan blurs (chest T10 right, 2 mm slices: half-way
#: along a 10 mm waist lies in the costovertebral joint, and the width read from there took in the rib
#: head, 7.4-8.6 mm against 6.0)
WAIST_INNER_MM = 2.5
#: fewest heights with a width of the pedicle's own
MIN_WAIST_WIDTHS = 3
#: the canal's wall is looked at over at least this depth in front of the canal's centre (mm): one voxel
#: of the 1 mm grid the anatomy is traced on (imaging.vertebra.ROI_SPACING_MM), four of the plane's
#: samples; the narrowest depth range among the real-data vertebrae whose waists are found is this (the
#: abdomen's L4, 3 mm voxels: 22.9-23.9 mm)
MIN_WALL_DEPTH_MM = 1.0


@dataclass(frozen=True)
class WaistChord:
    """The shortest segment from the canal through the pedicle to the tissue beside it (LPS mm)."""

    medial_lps: FloatArray  # on the canal's wall
    lateral_lps: FloatArray  # on the pedicle's outer surface
    length_mm: float

    @property
    def middle_lps(self) -> FloatArray:
        """Half-way along the segment: inside the pedicle, on its width's line."""
        out: FloatArray = 0.5 * (self.medial_lps + self.lateral_lps)
        return out

    @property
    def direction_lps(self) -> FloatArray:
        """Unit vector from the canal outwards across the pedicle."""
        d = self.lateral_lps - self.medial_lps
        out: FloatArray = d / np.linalg.norm(d)
        return out


class WaistPlanes:
    """The planes the waist is looked for in, each sampled once for both pedicles.

    At a height along the body's axis, the plane, its bone and the soft tissue it separates (the canal,
    the tissue outside) do not depend on the side looked at: only which of them counts (the pedicle's
    side of the canal, ``t_range_mm``) does. Both sides' searches (:func:`find_waist`) given the same
    planes share them: each height is sampled from the bony solid once. The planes hold, per height,
    only the canal's wall and the tissue outside (booleans on the plane's grid).

    Parameters
    ----------
    roi
        LPS ROI.
    solid
        Bony solid on the ROI.
    frame
        The vertebra's frame and canal measures.
    """

    def __init__(self, roi: LpsRoi, solid: BoolArray, frame: VertebraFrame) -> None:
        self.roi = roi
        self.solid = solid
        self.frame = frame
        uc = frame.canal_center_u_mm
        self.u = np.arange(uc - WAIST_REACH_MM, uc + WAIST_REACH_MM + 1e-9, WAIST_STEP_MM)
        self.t = np.arange(
            frame.canal_t_mm - WAIST_REACH_MM, frame.canal_t_mm + WAIST_REACH_MM + 1e-9, WAIST_STEP_MM
        )
        self.tt, self.uu = np.meshgrid(self.t, self.u, indexing="ij")
        # the plane's offsets from its origin along p and l, the same at every height
        self._along_p = self.tt[..., None] * frame.posterior
        self._along_l = self.uu[..., None] * frame.left
        # converted once: LpsRoi.sample samples a float32 copy of whatever it is given
        self._solid_f32 = solid.astype(np.float32)
        self._planes: dict[float, tuple[BoolArray, BoolArray] | None] = {}

    def origin_lps(self, height_mm: float) -> FloatArray:
        """The plane's origin at ``height_mm`` along the body's axis from its centroid (LPS mm)."""
        out: FloatArray = self.frame.centroid_lps + height_mm * self.frame.axis
        return out

    def point_lps(self, height_mm: float, i: int, j: int) -> FloatArray:
        """The LPS point (mm) of the plane's grid node ``[i, j]`` at ``height_mm``."""
        f = self.frame
        out: FloatArray = self.origin_lps(height_mm) + self.tt[i, j] * f.posterior + self.uu[i, j] * f.left
        return out

    def at(self, height_mm: float) -> tuple[BoolArray, BoolArray] | None:
        """The canal's wall and the tissue outside the canal (of either side) in the plane at
        ``height_mm``, or None when the canal is not found in it or is open to its edge."""
        if height_mm not in self._planes:
            self._planes[height_mm] = self._sample(height_mm)
        return self._planes[height_mm]

    def _sample(self, height_mm: float) -> tuple[BoolArray, BoolArray] | None:
        f = self.frame
        pts = self.origin_lps(height_mm) + self._along_p + self._along_l
        bone = self.roi.sample(self._solid_f32, pts, order=1) > 0.5
        soft, _ = ndimage.label(~bone)  # 4-connected: a diagonal gap between cortices is no way out
        canal_ij = (
            round((f.canal_t_mm - self.t[0]) / WAIST_STEP_MM),
            round((f.canal_center_u_mm - self.u[0]) / WAIST_STEP_MM),
        )
        canal_label = int(soft[canal_ij])
        if canal_label == 0:
            return None
        border = np.unique(np.concatenate([soft[0, :], soft[-1, :], soft[:, 0], soft[:, -1]]))
        if canal_label in border:
            return None  # open to the tissue outside at this height (a foramen or a gap in the ring)
        canal = soft == canal_label
        sizes = np.bincount(soft.ravel())
        outside_labels = np.flatnonzero(sizes * WAIST_STEP_MM**2 >= MIN_POCKET_MM2)
        outside_labels = np.union1d(outside_labels, border)
        outside_labels = outside_labels[(outside_labels != 0) & (outside_labels != canal_label)]
        outside = np.isin(soft, outside_labels)
        wall = canal & ~ndimage.binary_erosion(canal)
        return wall, outside


def wall_depth_range(front_t_mm: float, canal_t_mm: float) -> tuple[float, float]:
    """The depths (mm along the posterior direction from the body's centroid) the pedicle's waist is
    looked for between: from the pedicle's base ``front_t_mm`` to the canal's centre ``canal_t_mm``, over
    at least ``MIN_WALL_DEPTH_MM`` in front of the canal's centre.

    The pedicle forms the canal's lateral wall in front of the canal's centre. Where the canal found is a
    slit at the front of the real one (bone-lesions case7, lesion box 2: the coronal fill of the bony
    solid took its back, imaging.pedicle_solid), its centre lies in front of the base placed from the
    body's mask, which reaches back into the canal with it (13.0 mm against 11.7-11.8 mm from three
    clicks): the range was empty, no waist was found and the width came from lines across a fitted
    axis (5.3-12.9 mm, for the 9 mm the images show). The wall just in front of the centre is the
    pedicle's still.
    """
    return min(front_t_mm, canal_t_mm - MIN_WALL_DEPTH_MM), canal_t_mm


def find_waist(
    roi: LpsRoi,
    solid: BoolArray,
    *,
    frame: VertebraFrame,
    sgn: float,
    height_mm: float,
    t_range_mm: tuple[float, float],
    convergence_range_deg: tuple[float, float],
    planes: WaistPlanes | None = None,
) -> WaistChord | None:
    """The pedicle's waist on side ``sgn`` (+1 left, -1 right) at ``height_mm`` along ``a`` from ``c``.

    The canal's wall is looked at where the pedicle forms it: on the pedicle's side of the canal's
    centre line and between ``t_range_mm`` along ``p`` (the pedicle's base to the canal's centre). The
    tissue outside is the soft tissue on that side beyond the canal: open to the plane's edge, or a
    pocket of at least ``MIN_POCKET_MM2`` enclosed by bone. A waist runs across the pedicle, so it
    turns from the mediolateral direction by the pedicle's convergence: a shortest way out that turns
    by an angle outside ``convergence_range_deg`` (+ converging towards the front) crosses other bone
    (a lamina, an articular process). None where there is no such waist at this height (the canal open
    to the tissue beside it through a foramen, or not found in the plane). ``planes`` (built on the
    same ``roi``, ``solid`` and ``frame``) shares the sampled planes with the other side's search.

    Raises
    ------
    ValueError
        If ``planes`` was built on another ROI, solid or frame.
    """
    if planes is None:
        planes = WaistPlanes(roi, solid, frame)
    elif planes.roi is not roi or planes.solid is not solid or planes.frame is not frame:
        raise ValueError('Argument "planes" must be built on the same roi, solid and frame')
    plane = planes.at(height_mm)
    if plane is None:
        return None
    canal_wall, outside_any = plane
    uc = frame.canal_center_u_mm
    tt, uu = planes.tt, planes.uu
    p, lft = frame.posterior, frame.left
    lateral = sgn * (uu - uc) > frame.canal_half_width_mm
    outside = outside_any & lateral
    if not outside.any():
        return None
    wall = canal_wall & (sgn * (uu - uc) > 0)
    wall &= (tt >= t_range_mm[0]) & (tt <= t_range_mm[1])
    if not wall.any():
        return None
    dist, indices = ndimage.distance_transform_edt(~outside, sampling=WAIST_STEP_MM, return_indices=True)
    ni, nj = indices
    wi, wj = np.nonzero(wall)
    k = int(np.argmin(dist[wi, wj]))
    i, j = int(wi[k]), int(wj[k])
    medial = planes.point_lps(height_mm, i, j)
    lateral_pt = planes.point_lps(height_mm, int(ni[i, j]), int(nj[i, j]))
    length = float(np.linalg.norm(lateral_pt - medial))
    if length <= 0.0:
        return None
    e = (lateral_pt - medial) / length
    # the axis (cos q p + sgn sin q l, q the convergence) is perpendicular to e
    convergence = float(np.degrees(np.arctan2(-float(e @ p), sgn * float(e @ lft))))
    if not convergence_range_deg[0] <= convergence <= convergence_range_deg[1]:
        return None
    return WaistChord(medial_lps=medial, lateral_lps=lateral_pt, length_mm=length)


@dataclass(frozen=True)
class PedicleWaist:
    """The pedicle's width over its height (mm), and what it came from."""

    width_mm: float
    chord: WaistChord  # the waist at the height whose width is nearest it
    heights_mm: FloatArray  # along the body's axis from its centroid
    widths_mm: FloatArray  # NaN where no waist or no width was found


def widest_width(
    heights_mm: FloatArray, widths_mm: FloatArray, *, fused_factor: float | None = FUSED_WIDTH_FACTOR
) -> tuple[float, int] | None:
    """The pedicle's width over its height: the widest that two of three neighbouring heights reach.

    ``heights_mm`` increase in equal steps, with NaN widths where no waist was found. Widths over
    ``fused_factor`` (default ``FUSED_WIDTH_FACTOR``) times the median of all are a neighbour fused with
    the pedicle at those heights and are dropped (None keeps them all). A pedicle's oval section is
    widest at mid-height and thins to its top and bottom, so the width is the greatest value that at
    least two of three neighbouring heights reach (a single profile that read too wide is outvoted; for
    an elliptic section 14 mm high, sampled every 1 mm, this is 99% of its widest). Returns it and the
    index of the height it was read at, or None with fewer than ``MIN_WAIST_WIDTHS`` widths of the
    pedicle's own.
    """
    ok = np.isfinite(widths_mm)
    if ok.sum() < MIN_WAIST_WIDTHS:
        return None
    limit = np.inf if fused_factor is None else fused_factor * float(np.median(widths_mm[ok]))
    own = np.where(ok & (np.where(ok, widths_mm, np.inf) <= limit), widths_mm, np.nan)
    if np.isfinite(own).sum() < MIN_WAIST_WIDTHS:
        return None
    best: tuple[float, int] | None = None
    for k in range(len(own)):
        lo = max(k - 1, 0)
        window = own[lo : k + 2]
        finite = np.flatnonzero(np.isfinite(window))
        if len(finite) < 2:
            continue
        # the second widest of the window is reached by at least two of its heights
        j = lo + int(finite[np.argsort(window[finite])][-2])
        if best is None or own[j] > best[0]:
            best = (float(own[j]), j)
    return best


def walk_heights(
    has_waist: Callable[[float], bool], *, start_mm: float, step_mm: float, reach_mm: float
) -> list[float]:
    """The heights looked at for the pedicle's waist, walking from its centre ``start_mm`` (mm along the
    body's axis) up and down in steps of ``step_mm``, or an empty list when its centre has no waist.

    Each way, the walk ends where ``WAIST_RUN_GAP`` heights in a row have no waist (``has_waist``), or
    beyond ``reach_mm``. The waist is the pedicle's width at its middle heights, where its oval section is
    widest: the centre, or a height beside it within the single missing height a run bridges, must have
    one. Where ``WAIST_RUN_GAP`` heights or more in a row through the centre have none, the ring round the
    canal is open across the pedicle's middle, and the waists a walk finds beyond that gap lie where the
    ring closes around the pedicle's lower or upper part only: across its narrow end, or across its base
    where it meets the body (case1 right, 1 mm voxels: 3.3-6.8 mm found 1-8 mm below the centre, whose
    fatty marrow reads as soft tissue, for the 8.6 mm the images show). For the same reason the waists
    must hold the centre between them: where the centre has none, a walk that finds waists on one side of
    it only (the ring closed around the pedicle's lower or upper part, open from the centre on) gives
    none either (abdomen L3 left, 3 mm voxels: waists 1-7 mm below a centre that has none, the heights
    above it none, read 2.9-6.4 mm into the pedicle's own marrow, which reads as soft tissue, for the
    11-13 mm the images show), while a centre missing between waists above and below it is bridged
    (chest T7 left). Returns the heights looked at, in increasing order (each looked at once), or an
    empty list.
    """
    seen: dict[float, bool] = {}

    def at(h: float) -> bool:
        if h not in seen:
            seen[h] = has_waist(h)
        return seen[h]

    # the centre first, then the heights either side of it out to the gap a run bridges
    ks = sorted(range(1 - WAIST_RUN_GAP, WAIST_RUN_GAP), key=abs)
    near = [start_mm + k * step_mm for k in ks]
    if not any(at(h) for h in near if abs(h) <= reach_mm + 1e-9):
        return []
    for direction in (1.0, -1.0):
        misses = 0
        h = start_mm if direction > 0 else start_mm - step_mm
        while abs(h) <= reach_mm + 1e-9 and misses < WAIST_RUN_GAP:
            misses = 0 if at(h) else misses + 1
            h += direction * step_mm
    found = [h for h, ok in seen.items() if ok]
    if not (at(start_mm) or (found and min(found) < start_mm < max(found))):
        return []  # the waists lie on one side of the centre only: across the pedicle's end, not its middle
    return sorted(seen)


def pedicle_waist(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    frame: VertebraFrame,
    sgn: float,
    t_range_mm: tuple[float, float],
    axis_height_mm: float,
    convergence_range_deg: tuple[float, float],
    planes: WaistPlanes | None = None,
) -> PedicleWaist | None:
    """The pedicle's narrowest width on side ``sgn`` (+1 left, -1 right), or None.

    From the pedicle axis's height ``axis_height_mm`` (along the body's axis from its centroid) up and
    down in steps of ``WAIST_HEIGHT_STEP_MM`` until ``WAIST_RUN_GAP`` heights in a row have no waist
    (or ``WAIST_HEIGHT_REACH_MM`` beyond the end plates), the waist (:func:`find_waist`) is measured
    along its own line on the source CT (:func:`imaging.pedicle_profile.width_across`); the widths are
    combined by :func:`widest_width`. None when too few heights give one (a pedicle whose ring round
    the canal is open, or not imaged). ``planes`` (:class:`WaistPlanes` on the same ``roi``, ``solid``
    and ``frame``) shares the planes sampled with the other side's search; None samples them anew.

    Raises
    ------
    ValueError
        If ``planes`` was built on another ROI, solid or frame.
    """
    if planes is None:
        planes = WaistPlanes(roi, solid, frame)
    a = frame.axis
    reach = 0.5 * frame.height_mm + WAIST_HEIGHT_REACH_MM
    step = WAIST_HEIGHT_STEP_MM
    start = float(np.clip(np.round(axis_height_mm / step) * step, -reach, reach))
    found: dict[float, tuple[float, WaistChord]] = {}

    def measure(h: float) -> bool:
        chord = find_waist(
            roi,
            solid,
            frame=frame,
            sgn=sgn,
            height_mm=h,
            t_range_mm=t_range_mm,
            convergence_range_deg=convergence_range_deg,
            planes=planes,
        )
        if chord is None:
            return False
        across = chord.direction_lps
        up = a - (a @ across) * across
        up = up / np.linalg.norm(up)
        point = chord.medial_lps + min(0.5 * chord.length_mm, WAIST_INNER_MM) * across
        w = width_across(volume, roi, solid, point=point, across=across, up=up)
        if w is None or w <= 1.0:
            return False
        found[h] = (w, chord)
        return True

    scanned = walk_heights(measure, start_mm=start, step_mm=step, reach_mm=reach)
    if not scanned:
        return None
    heights = np.array(scanned)
    widths = np.array([found[h][0] if h in found else np.nan for h in heights])
    result = widest_width(heights, widths)
    if result is None:
        return None
    width, k = result
    chord = found[float(heights[k])][1]
    return PedicleWaist(width_mm=width, chord=chord, heights_mm=heights, widths_mm=widths)
