"""Level suggestions from anatomy: ribs on a vertebra (the lowest rib-bearing one is T12), the sacrum (S1).

The operator names one vertebra and the others are labelled by counting (:mod:`imaging.levels`); this
module adds what anatomy can say about the level, as suggestions with their reasons, never as an
override: transitional anatomy (thoracic ribs on L1, a thirteenth rib pair, eleven rib pairs, six
lumbar vertebrae, a sacralised L5 or a lumbarised S1) is common, so where the counting from the named
level disagrees the suggestion carries a warning and the named level stays.

- :func:`has_ribs` looks for a rib on each side of a vertebra: bone lateral to the vertebra, starting
  at it (touching it or across a thin costovertebral / costotransverse joint gap) at the level of the
  pedicles, and running far laterally as a thin bar. A lumbar transverse process ends 3-5 cm from the
  midline; a rib carries on well beyond 6-8 cm.
- :func:`is_sacrum` works from a click alone (the vertebra finder may refuse the sacrum): at the
  click's level the central bone is wider than a lumbar body and meets a large bone on both sides (the
  iliac bones) across a thin sacroiliac joint, or is fused with it.
- :func:`suggest_levels` turns per-vertebra findings into suggestions (T12, S1) with reasons and
  warnings; :func:`refusal_hint` gives the S1 suggestion where the vertebra finder refused the point.

Positions are LPS mm (+x patient left, +y posterior, +z superior); CT values HU. Work is done in a
region of interest resampled on a grid aligned with the vertebra (lateral, posterior, superior).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.levels import GAP_FACTOR, label_by_counting, normalize_level, spine_order
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# -- defaults (anatomical reasons in the comments; every one is a keyword argument) ---------------
#: bone threshold after smoothing. The generic bone threshold is 130 HU (CLINICAL.md, 3D Slicer);
#: 150 HU keeps osteoporotic cortex (trabecular L1 bone can fall to ~90 HU, CLINICAL.md) while staying
#: above muscle, vessels with contrast and partial-volume soft tissue at 3 mm.
BONE_THRESHOLD_HU = 150.0
#: Gaussian smoothing before the threshold (noise), mm
SMOOTH_SIGMA_MM = 1.0
#: resampling step, mm: a rib is 6-12 mm thick, so 2 mm keeps it connected and the ROI small (fast)
STEP_MM = 2.0
#: medial limit of the search for a rib, mm from the midline: the vertebral body's half-width (thoracic
#: 15-22 mm, lumbar 20-25 mm) plus the pedicle; rib heads lie just beyond (costovertebral joint)
RIB_START_MM = 24.0
#: a costovertebral / costotransverse joint space is 1-3 mm; up to 6 mm allows 3 mm voxels either side
JOINT_GAP_MM = 6.0
#: half-height of the slab where the rib must start (pedicle level): a rib head and a pedicle are
#: 10-15 mm tall; half the distance to the next vertebra (about 25-35 mm) keeps the neighbour's ribs out
LEVEL_SLAB_MM = 12.0
#: a lumbar transverse process ends 3-5 cm from the midline (L3 longest); a rib continues well beyond
RIB_FAR_MM = 65.0
#: where the rib's cross-section is measured (mm from the midline): beyond every transverse process
RIB_BAND_MM = (55.0, 75.0)
#: largest mean cross-section (mm^2, in the plane across the left-right axis) of a rib in that band: a
#: rib is about 12 x 8 mm (~100 mm^2), 3 mm voxels and a neighbouring rib touching it at most triple
#: that; an iliac wing there is a broad plate of several thousand mm^2
RIB_MAX_SECTION_MM2 = 450.0
#: how far the ROI reaches (mm): laterally past the band, anteriorly / posteriorly around the rib's
#: course near the spine, and inferiorly (lower ribs slope down from their heads by 2-5 cm over 8 cm)
ROI_LATERAL_MM = RIB_BAND_MM[1] + 10.0
ROI_AP_MM = (-50.0, 80.0)
ROI_SI_MM = (-60.0, 30.0)
#: sacrum: the sacroiliac joint space is 2-5 mm; measured between sample centres (2 mm apart) a joint
#: reads up to about 6 mm (a lumbar transverse process near the iliac crest stays 8 mm or more away)
SI_GAP_MM = 6.0
#: an ilium reaches far laterally (the iliac wing spans 10-15 cm from the midline); a lumbar
#: transverse process ends by 5 cm
ILIUM_LATERAL_MM = 80.0
#: the sacrum with its alae is 10-12 cm wide; a lumbar body is 4-5.5 cm wide
SACRUM_MIN_WIDTH_MM = 75.0
#: half-height of the axial slab examined at the click (mm): the sacroiliac joints span S1-S3
SACRUM_SLAB_MM = 10.0
#: anteroposterior band around the click where the sacral width is measured (the alae flank the S1
#: body; lumbar transverse processes lie 2-4 cm behind the body's centre, outside it)
SACRUM_AP_BAND_MM = 12.0


class RibStatus(StrEnum):
    """What was found on one side of a vertebra."""

    FOUND = "found"
    NOT_FOUND = "not found"
    OUT_OF_VIEW = "outside the field of view"


@dataclass(frozen=True)
class SideRibs:
    """The rib search on one side.

    ``lateral_extent_mm`` is how far from the midline the bone starting at the vertebra reaches (0
    when none starts there); ``section_mm2`` its mean cross-section in :data:`RIB_BAND_MM` (0 when it
    does not reach the band).
    """

    side: Side
    status: RibStatus
    lateral_extent_mm: float
    section_mm2: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "lateral_extent_mm": round(self.lateral_extent_mm, 1),
            "section_mm2": round(self.section_mm2, 1),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RibFinding:
    """Ribs on a vertebra: one :class:`SideRibs` per side, with the time taken (s)."""

    left: SideRibs
    right: SideRibs
    elapsed_s: float = 0.0

    @property
    def sides(self) -> tuple[SideRibs, SideRibs]:
        return (self.left, self.right)

    @property
    def has_ribs(self) -> bool | None:
        """True when a rib was found on either side, False when both sides were seen without one,
        None when undecided (no rib found and a side lies outside the field of view)."""
        statuses = {s.status for s in self.sides}
        if RibStatus.FOUND in statuses:
            return True
        if RibStatus.OUT_OF_VIEW in statuses:
            return None
        return False

    @property
    def found_sides(self) -> tuple[Side, ...]:
        return tuple(s.side for s in self.sides if s.status == RibStatus.FOUND)

    @property
    def reason(self) -> str:
        return "; ".join(f"{s.side.value}: {s.reason}" for s in self.sides)

    def to_json(self) -> dict[str, Any]:
        return {"has_ribs": self.has_ribs, "left": self.left.to_json(), "right": self.right.to_json()}


@dataclass(frozen=True)
class SacrumFinding:
    """The sacrum check at a point: ``is_sacrum`` with per-side joint findings and the width (mm)."""

    is_sacrum: bool | None
    width_mm: float
    joined: dict[Side, bool]
    reason: str
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "is_sacrum": self.is_sacrum,
            "width_mm": round(self.width_mm, 1),
            "joined": {s.value: v for s, v in self.joined.items()},
            "reason": self.reason,
        }


@dataclass(frozen=True)
class LevelSuggestion:
    """A level suggested by anatomy for vertebra ``index`` (in the order given), with its reason."""

    index: int
    level: str
    reason: str
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "reason": self.reason, "warnings": list(self.warnings)}


# -- public API -------------------------------------------------------------------------------------
def has_ribs(
    volume: Volume,
    centroid_lps: Sequence[float] | npt.ArrayLike,
    *,
    posterior_lps: Sequence[float] | npt.ArrayLike = (0.0, 1.0, 0.0),
    axis_lps: Sequence[float] | npt.ArrayLike = (0.0, 0.0, 1.0),
    level_lps: Sequence[float] | npt.ArrayLike | None = None,
    threshold_hu: float = BONE_THRESHOLD_HU,
    rib_far_mm: float = RIB_FAR_MM,
    max_section_mm2: float = RIB_MAX_SECTION_MM2,
) -> RibFinding:
    """Does the vertebra at ``centroid_lps`` carry ribs? Judged on each side separately.

    Parameters
    ----------
    volume
        The CT (HU).
    centroid_lps
        The vertebra's centre (body centroid, or the centroid of a whole-vertebra label), LPS mm.
    posterior_lps
        Direction from the body towards the spinal canal (LPS); default the patient's posterior.
    axis_lps
        The body's superior axis (LPS); default the patient's superior.
    level_lps
        A point at the pedicles' level (ribs articulate there); default ``centroid_lps``.
    threshold_hu, rib_far_mm, max_section_mm2
        See :data:`BONE_THRESHOLD_HU`, :data:`RIB_FAR_MM`, :data:`RIB_MAX_SECTION_MM2`.

    Returns
    -------
    RibFinding

    Raises
    ------
    ValueError
        If a point or direction is not 3 finite values, or the directions are parallel.
    """
    t0 = time.perf_counter()
    centre = _point(centroid_lps, "centroid_lps")
    ez = _unit(axis_lps, "axis_lps")
    post = _unit(posterior_lps, "posterior_lps")
    ey = post - ez * float(post @ ez)
    if np.linalg.norm(ey) < 0.5:
        raise ValueError('Arguments "posterior_lps" and "axis_lps" must not be (nearly) parallel')
    ey /= np.linalg.norm(ey)
    ex = np.cross(ey, ez)  # patient left (LPS: x = y cross z)
    if level_lps is not None:
        level = _point(level_lps, "level_lps")
        centre = centre + ez * float((level - centre) @ ez)
    frame = np.stack([ex, ey, ez], axis=1)
    step = STEP_MM
    xs = np.arange(-ROI_LATERAL_MM, ROI_LATERAL_MM + step / 2, step)
    ys = np.arange(ROI_AP_MM[0], ROI_AP_MM[1] + step / 2, step)
    zs = np.arange(ROI_SI_MM[0], ROI_SI_MM[1] + step / 2, step)
    hu, inside = _resample(volume, centre, frame, xs=xs, ys=ys, zs=zs)
    bone = _bone(hu, inside, threshold_hu, step)
    gx = xs[:, None, None]
    gz = zs[None, None, :]
    slab = np.abs(gz) <= LEVEL_SLAB_MM
    core = bone & (np.abs(gx) < RIB_START_MM) & slab
    lateral = bone & (np.abs(gx) >= RIB_START_MM)
    near_core = _dilate(core, JOINT_GAP_MM / step) & slab
    seeds = lateral & near_core
    labels, _ = ndimage.label(lateral, structure=np.ones((3, 3, 3), dtype=bool))
    sides = []
    for side, sign in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0)):
        on_side = (sign * gx) > 0
        ids = np.unique(labels[seeds & on_side])
        ids = ids[ids > 0]
        region = np.broadcast_to(on_side & slab & (np.abs(gx) <= rib_far_mm), inside.shape)
        seen_fraction = float(inside[region].mean())
        best_extent, best_section = 0.0, 0.0
        for i in ids:
            comp = labels == i
            extent, section = _extent_and_section(comp, sign, xs, step)
            if extent > best_extent or (extent == best_extent and section < best_section):
                best_extent, best_section = extent, section
            if extent >= rib_far_mm and 0.0 < section <= max_section_mm2:
                best_extent, best_section = extent, section
                break
        status, reason = _judge_side(
            len(ids),
            best_extent,
            best_section,
            seen=seen_fraction,
            far_mm=rib_far_mm,
            max_section=max_section_mm2,
        )
        sides.append(SideRibs(side, status, best_extent, best_section, reason))
    return RibFinding(sides[0], sides[1], time.perf_counter() - t0)


def has_ribs_anatomy(volume: Volume, anatomy: VertebraAnatomy, **kwargs: Any) -> RibFinding:
    """:func:`has_ribs` for a vertebra found by :func:`imaging.vertebra.find_vertebra`.

    The frame comes from the anatomy: posterior = body centroid to canal centroid, level = the
    pedicles' isthmus (mean of those found), axis = the patient's superior unless given.
    """
    body = np.asarray(anatomy.body_centroid_lps, dtype=np.float64)
    canal = np.asarray(anatomy.canal_centroid_lps, dtype=np.float64)
    posterior = canal - body
    if np.linalg.norm(posterior) < 1.0:
        posterior = np.array([0.0, 1.0, 0.0])
    level = None
    if anatomy.pedicles:
        level = np.mean([np.asarray(p.isthmus_lps) for p in anatomy.pedicles.values()], axis=0)
    kwargs.setdefault("posterior_lps", posterior)
    kwargs.setdefault("level_lps", level)
    return has_ribs(volume, body, **kwargs)


def is_sacrum(
    volume: Volume,
    click_lps: Sequence[float] | npt.ArrayLike,
    *,
    threshold_hu: float = BONE_THRESHOLD_HU,
    si_gap_mm: float = SI_GAP_MM,
    min_width_mm: float = SACRUM_MIN_WIDTH_MM,
) -> SacrumFinding:
    """Is the bone at ``click_lps`` the sacrum? Needs only the point (patient axes are used).

    The sacrum at S1 is wider than any lumbar body (its alae) and meets the iliac bones at the
    sacroiliac joints on both sides at the same level. The central bone at the click (in an axial
    slab) must span at least ``min_width_mm`` across the click's anteroposterior band and, on each
    side, either reach the ilium (fused, or partial volume across the joint) or come within
    ``si_gap_mm`` of a large bone reaching far laterally.

    Returns
    -------
    SacrumFinding
        ``is_sacrum`` None when the field of view cuts the region where the joints would be.

    Raises
    ------
    ValueError
        If ``click_lps`` is not 3 finite values.
    """
    t0 = time.perf_counter()
    centre = _point(click_lps, "click_lps")
    step = STEP_MM
    lat = ILIUM_LATERAL_MM + 20.0
    xs = np.arange(-lat, lat + step / 2, step)
    ys = np.arange(-60.0, 80.0 + step / 2, step)
    zs = np.arange(-SACRUM_SLAB_MM, SACRUM_SLAB_MM + step / 2, step)
    hu, inside = _resample(volume, centre, np.eye(3), xs=xs, ys=ys, zs=zs)
    bone = _bone(hu, inside, threshold_hu, step)
    labels, _ = ndimage.label(bone, structure=np.ones((3, 3, 3), dtype=bool))
    gx = xs[:, None, None]
    gy = ys[None, :, None]
    near_click = (np.abs(gx) <= 10.0) & (np.abs(gy) <= 10.0)
    ids, counts = np.unique(labels[near_click & bone], return_counts=True)
    if len(ids) == 0:
        return SacrumFinding(
            False,
            0.0,
            {Side.LEFT: False, Side.RIGHT: False},
            "no bone at the point",
            time.perf_counter() - t0,
        )
    central = labels == ids[int(np.argmax(counts))]
    band = central & (np.abs(gy) <= SACRUM_AP_BAND_MM)
    xb = np.broadcast_to(gx, bone.shape)[band]
    width = float(xb.max() - xb.min() + step) if xb.size else 0.0
    dist = ndimage.distance_transform_edt(~central, sampling=step)
    joined: dict[Side, bool] = {}
    notes: list[str] = []
    out_of_view = False
    for side, sign in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0)):
        sx = sign * gx
        reach = float(np.max(np.where(central, sx, -np.inf)))
        if reach >= ILIUM_LATERAL_MM:
            joined[side] = True
            notes.append(f"{side.value}: fused with bone reaching {reach:.0f} mm (ilium)")
            continue
        far = bone & ~central & (sx >= ILIUM_LATERAL_MM)
        ilium_ids = np.unique(labels[far])
        ilium_ids = ilium_ids[ilium_ids > 0]
        gap = np.inf
        for i in ilium_ids:
            gap = min(gap, float(dist[labels == i].min()))
        if gap <= si_gap_mm:
            joined[side] = True
            notes.append(
                f"{side.value}: meets a bone reaching past {ILIUM_LATERAL_MM:.0f} mm across {gap:.0f} mm"
            )
            continue
        joined[side] = False
        region = (sx > 0) & (sx <= ILIUM_LATERAL_MM) & (np.abs(gy) <= 40.0)
        if float(inside[np.broadcast_to(region, inside.shape)].mean()) < 0.9:
            out_of_view = True
            notes.append(f"{side.value}: the region of the sacroiliac joint is outside the field of view")
        elif np.isfinite(gap):
            notes.append(f"{side.value}: nearest large lateral bone is {gap:.0f} mm away (no joint)")
        else:
            notes.append(f"{side.value}: no large bone lateral to it")
    both = all(joined.values())
    wide = width >= min_width_mm
    verdict: bool | None = both and wide
    if not verdict and out_of_view:
        verdict = None
    if verdict:
        # ribs fused with a thoracic vertebra also reach far laterally on both sides: a vertebra that
        # carries ribs is not the sacrum
        ribs = has_ribs(volume, centre, threshold_hu=threshold_hu)
        if ribs.has_ribs:
            verdict = False
            notes.append("the bone reaching the sides is ribs (" + ribs.reason + ")")
    if verdict:
        reason = f"sacrum: alae meet the iliac bones (sacroiliac joints, left and right), {width:.0f} mm wide"
    else:
        why = [] if wide else [f"{width:.0f} mm wide (sacrum >= {min_width_mm:.0f} mm)"]
        against = [n for n in notes if "meets" not in n and "fused" not in n]
        reason = "not the sacrum: " + "; ".join(why + against)
        if verdict is None:
            reason = "undecided: " + reason
    return SacrumFinding(verdict, width, joined, reason, time.perf_counter() - t0)


def suggest_levels(
    centroids_lps: Sequence[Sequence[float]] | npt.ArrayLike,
    rib_flags: Sequence[RibFinding | bool | None],
    sacrum_flags: Sequence[SacrumFinding | bool | None],
    *,
    named_index: int | None = None,
    named_level: str | None = None,
) -> list[LevelSuggestion]:
    """Levels suggested by anatomy: the lowest rib-bearing vertebra as T12, the sacrum as S1.

    T12 is suggested only when the vertebra just below it was seen without ribs (so that it is known
    to be the lowest); S1 for the uppermost vertebra judged to be the sacrum. When the operator has
    named a level, every suggestion the counting from it disagrees with carries a warning (and the
    named level is kept).

    Parameters
    ----------
    centroids_lps
        ``(N, 3)`` vertebral centroids (LPS mm), any order.
    rib_flags, sacrum_flags
        Per vertebra: a finding, True / False, or None when unknown.
    named_index, named_level
        The vertebra the operator named and its level, if any.

    Returns
    -------
    list of LevelSuggestion
        In spine order (superior first); empty when anatomy says nothing.

    Raises
    ------
    ValueError
        If the lengths differ or the named level / index is invalid.
    """
    pts = np.asarray(centroids_lps, dtype=np.float64)
    n = len(pts)
    if len(rib_flags) != n or len(sacrum_flags) != n:
        raise ValueError(
            f'Arguments "rib_flags" ({len(rib_flags)}) and "sacrum_flags" ({len(sacrum_flags)}) must have '
            f"one value per centroid ({n})"
        )
    if n == 0:
        return []
    order, along = spine_order(pts)
    ribs = [_flag(f) for f in rib_flags]
    sacrum = [_flag(f) for f in sacrum_flags]
    steps = np.abs(np.diff(along[order])) if n >= 2 else np.zeros(0)
    median_step = float(np.median(steps)) if n >= 3 else np.inf
    out: list[LevelSuggestion] = []
    for r in range(n - 1):
        here, below = order[r], order[r + 1]
        lower_ribbed = [i for i in order[r + 1 :] if ribs[i]]
        if ribs[here] is True and ribs[below] is False and not lower_ribbed:
            warnings: list[str] = []
            if n >= 3 and steps[r] > GAP_FACTOR * median_step:
                warnings.append(
                    f"a gap of {steps[r]:.0f} mm below it (median {median_step:.0f} mm): a vertebra may be "
                    "missing"
                )
            out.append(LevelSuggestion(here, "T12", _rib_reason(rib_flags[here]), tuple(warnings)))
            break
    for r, i in enumerate(order):
        if sacrum[i]:
            warnings = []
            if r + 1 < n and not sacrum[order[r + 1]] and sacrum[order[r + 1]] is not None:
                warnings.append("a vertebra below the sacrum was not judged sacral: check the order")
            finding = sacrum_flags[i]
            reason = (
                finding.reason
                if isinstance(finding, SacrumFinding)
                else "sacrum: alae meet the iliac bones (sacroiliac joints)"
            )
            out.append(LevelSuggestion(i, "S1", reason, tuple(warnings)))
            break
    t12 = next((s for s in out if s.level == "T12"), None)
    s1 = next((s for s in out if s.level == "S1"), None)
    if t12 is not None and s1 is not None:
        apart = order.index(s1.index) - order.index(t12.index)
        if apart != 6:
            note = (
                f"T12 and S1 suggestions are {apart} vertebrae apart, not 6 (five lumbar): transitional "
                "anatomy (ribs on L1, six lumbar vertebrae, sacralised L5) or a vertebra not in the list"
            )
            out = [_with_warning(s, note) for s in out]
    if named_index is not None and named_level is not None:
        counted = label_by_counting(pts, named_index, named_level).labels
        out = [_against_counting(s, counted[s.index], named_index == s.index) for s in out]
    out.sort(key=lambda s: order.index(s.index))
    return out


def suggestion_for_vertebra(
    volume: Volume,
    centroid_lps: Sequence[float] | npt.ArrayLike,
    *,
    height_mm: float,
    posterior_lps: Sequence[float] | npt.ArrayLike = (0.0, 1.0, 0.0),
    axis_lps: Sequence[float] | npt.ArrayLike = (0.0, 0.0, 1.0),
    level_lps: Sequence[float] | npt.ArrayLike | None = None,
    named_level: str | None = None,
) -> LevelSuggestion | None:
    """A suggestion for one vertebra alone (the command line's ``level_suggestion``).

    T12 when it carries ribs and the vertebra below (one body height plus a disc lower: the disc is a
    third of the body's height in the lumbar spine, a quarter to a fifth in the lower thoracic spine;
    a third is used) was seen without; S1 when the point is judged to be the sacrum. None otherwise.
    ``named_level`` is the operator's name for this vertebra: a suggestion that differs warns.
    """
    centre = _point(centroid_lps, "centroid_lps")
    axis = _unit(axis_lps, "axis_lps")
    if not height_mm > 0:
        raise ValueError(f'Argument "height_mm" must be positive, got {height_mm}')
    here = has_ribs(volume, centre, posterior_lps=posterior_lps, axis_lps=axis, level_lps=level_lps)
    if here.has_ribs:
        down = axis * (height_mm * 4.0 / 3.0)
        level_below = None if level_lps is None else _point(level_lps, "level_lps") - down
        below = has_ribs(
            volume, centre - down, posterior_lps=posterior_lps, axis_lps=axis, level_lps=level_below
        )
        found = suggest_levels(
            np.array([centre, centre - down]),
            [here, below],
            [False, False],
            named_index=None if named_level is None else 0,
            named_level=named_level,
        )
        return found[0] if found else None
    if here.has_ribs is False:
        sac = is_sacrum(volume, centre)
        if sac.is_sacrum:
            s1 = LevelSuggestion(0, "S1", sac.reason)
            if named_level is not None:
                s1 = _against_counting(s1, normalize_level(named_level), True)
            return s1
    return None


def suggestion_for_anatomy(
    volume: Volume, anatomy: VertebraAnatomy, *, named_level: str | None = None
) -> LevelSuggestion | None:
    """:func:`suggestion_for_vertebra` with the frame and height of a found vertebra."""
    body = np.asarray(anatomy.body_centroid_lps, dtype=np.float64)
    posterior = np.asarray(anatomy.canal_centroid_lps, dtype=np.float64) - body
    if np.linalg.norm(posterior) < 1.0:
        posterior = np.array([0.0, 1.0, 0.0])
    level = None
    if anatomy.pedicles:
        level = np.mean([np.asarray(p.isthmus_lps) for p in anatomy.pedicles.values()], axis=0)
    return suggestion_for_vertebra(
        volume,
        body,
        height_mm=max(anatomy.body_height_mm, 1.0),
        posterior_lps=posterior,
        level_lps=level,
        named_level=named_level if named_level is not None else anatomy.level,
    )


def refusal_hint(volume: Volume, click_lps: Sequence[float] | npt.ArrayLike) -> str | None:
    """What anatomy can still say where no vertebra was found at ``click_lps``, or None.

    The vertebra finder refuses the sacrum (it has no vertebral body with an enclosed canal behind it in
    the sense of the lumbar spine); the S1 suggestion must still reach the operator, so the refusal is
    completed with it (and with the level to give the vertebra above).
    """
    finding = is_sacrum(volume, click_lps)
    if not finding.is_sacrum:
        return None
    return f"anatomy suggests S1 here ({finding.reason}): the vertebra above it would be L5"


# -- helpers ----------------------------------------------------------------------------------------
def _point(value: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    p = np.asarray(value, dtype=np.float64).reshape(-1)
    if p.shape != (3,) or not np.all(np.isfinite(p)):
        raise ValueError(f'Argument "{name}" must be 3 finite LPS values (mm), got {value!r}')
    return p


def _unit(value: Sequence[float] | npt.ArrayLike, name: str) -> FloatArray:
    v = _point(value, name)
    norm = float(np.linalg.norm(v))
    if norm < 1e-9:
        raise ValueError(f'Argument "{name}" must be a non-zero direction, got {value!r}')
    out: FloatArray = v / norm
    return out


def _resample(
    volume: Volume, centre: FloatArray, frame: FloatArray, *, xs: FloatArray, ys: FloatArray, zs: FloatArray
) -> tuple[npt.NDArray[np.float32], BoolArray]:
    """HU on the local grid ``[x, y, z]`` (frame columns = local x, y, z in LPS) and the in-view mask."""
    local = np.stack(np.meshgrid(xs, ys, zs, indexing="ij"), axis=-1)
    lps = local @ frame.T + centre
    idx = volume.lps_to_index_points(lps)
    shape = np.asarray(volume.shape)
    inside: BoolArray = np.all((idx >= -0.5) & (idx <= shape - 0.5), axis=-1)
    lo = np.clip(np.floor(idx.reshape(-1, 3).min(axis=0)).astype(int) - 1, 0, shape - 1)
    hi = np.clip(np.ceil(idx.reshape(-1, 3).max(axis=0)).astype(int) + 2, 1, shape)
    out = np.full(inside.shape, -1000.0, dtype=np.float32)
    if not inside.any() or np.any(hi <= lo):
        return out, inside
    sub = np.asarray(volume.array[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]], dtype=np.float32)
    coords = (idx[inside] - lo).T
    out[inside] = ndimage.map_coordinates(sub, coords, order=1, mode="nearest")
    return out, inside


def _bone(hu: npt.NDArray[np.float32], inside: BoolArray, threshold_hu: float, step: float) -> BoolArray:
    smooth = ndimage.gaussian_filter(hu, SMOOTH_SIGMA_MM / step, mode="nearest")
    out: BoolArray = (smooth >= threshold_hu) & inside
    return out


def _dilate(mask: BoolArray, radius_vox: float) -> BoolArray:
    r = int(np.ceil(radius_vox))
    g = np.arange(-r, r + 1)
    ball = (g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2) <= radius_vox**2 + 1e-9
    out: BoolArray = ndimage.binary_dilation(mask, structure=ball)
    return out


def _extent_and_section(comp: BoolArray, sign: float, xs: FloatArray, step: float) -> tuple[float, float]:
    """How far laterally a component reaches (mm) and its mean cross-section in the rib band (mm^2)."""
    per_x = comp.sum(axis=(1, 2))
    sx = sign * xs
    present = (per_x > 0) & (sx > 0)
    extent = float(sx[present].max()) if present.any() else 0.0
    band = (sx >= RIB_BAND_MM[0]) & (sx <= RIB_BAND_MM[1]) & (per_x > 0)
    section = float(per_x[band].mean() * step * step) if band.any() else 0.0
    return extent, section


def _judge_side(
    n_seeds: int, extent: float, section: float, *, seen: float, far_mm: float, max_section: float
) -> tuple[RibStatus, str]:
    if extent >= far_mm and 0.0 < section <= max_section:
        return RibStatus.FOUND, (
            f"a thin bone ({section:.0f} mm^2 across) starts at the vertebra and reaches {extent:.0f} mm "
            "from the midline (rib)"
        )
    if seen < 0.9:
        return (
            RibStatus.OUT_OF_VIEW,
            f"only {100 * seen:.0f} % of the region where a rib would run is in view",
        )
    if n_seeds == 0:
        return RibStatus.NOT_FOUND, "no bone leaves the vertebra laterally at the pedicles' level"
    if extent >= far_mm:
        return RibStatus.NOT_FOUND, (
            f"the bone reaching {extent:.0f} mm is broad ({section:.0f} mm^2 across; a rib is under "
            f"{max_section:.0f}): not a rib (iliac wing?)"
        )
    return RibStatus.NOT_FOUND, (
        f"the bone beside the vertebra ends {extent:.0f} mm from the midline (transverse process; a rib "
        f"reaches past {far_mm:.0f} mm)"
    )


def _flag(value: RibFinding | SacrumFinding | bool | None) -> bool | None:
    if isinstance(value, RibFinding):
        return value.has_ribs
    if isinstance(value, SacrumFinding):
        return value.is_sacrum
    return None if value is None else bool(value)


def _rib_reason(value: RibFinding | bool | None) -> str:
    if isinstance(value, RibFinding):
        sides = value.found_sides
        which = "left and right" if len(sides) == 2 else f"{sides[0].value} only"
        return f"lowest vertebra with ribs ({which})"
    return "lowest vertebra with ribs"


def _with_warning(s: LevelSuggestion, note: str) -> LevelSuggestion:
    return LevelSuggestion(s.index, s.level, s.reason, (*s.warnings, note))


def _against_counting(s: LevelSuggestion, counted: str | None, is_named: bool) -> LevelSuggestion:
    if counted == s.level:
        return s
    what = "was named" if is_named else "counts as"
    note = (
        f"this vertebra {what} {counted or 'beyond C1/S1'} from the named level, anatomy suggests {s.level}: "
        "transitional anatomy is common (ribs on L1, 11 or 13 rib pairs, six lumbar vertebrae, sacralised "
        "L5); the named level is kept until you accept the suggestion"
    )
    return _with_warning(s, note)
