"""Ribs on a vertebra: is there a rib on each side (the lowest rib-bearing vertebra is T12)?

:func:`has_ribs` looks for a rib on each side of a vertebra: bone lateral to the vertebra, starting at
it (touching it or across a thin costovertebral / costotransverse joint gap) at the level of the
pedicles, and running far laterally as a thin bar. A lumbar transverse process ends 3-5 cm from the
midline; a rib carries on well beyond 6-8 cm. :func:`has_ribs_anatomy` takes the frame from a found
vertebra. The level suggestions built on it are in :mod:`imaging.level_anatomy`.

Positions are LPS mm (+x patient left, +y posterior, +z superior); CT values HU. Work is done in a
region of interest resampled on a grid aligned with the vertebra (lateral, posterior, superior;
:mod:`imaging.level_grid`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.level_grid import (
    BONE_THRESHOLD_HU,
    STEP_MM,
    BoolArray,
    FloatArray,
    bone_on_grid,
    dilate_ball,
    point_lps,
    resample_local,
    unit_lps,
)
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume

# -- defaults (anatomical reasons in the comments; every one is a keyword argument) ---------------
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
    centre = point_lps(centroid_lps, "centroid_lps")
    ez = unit_lps(axis_lps, "axis_lps")
    post = unit_lps(posterior_lps, "posterior_lps")
    ey = post - ez * float(post @ ez)
    if np.linalg.norm(ey) < 0.5:
        raise ValueError('Arguments "posterior_lps" and "axis_lps" must not be (nearly) parallel')
    ey /= np.linalg.norm(ey)
    ex = np.cross(ey, ez)  # patient left (LPS: x = y cross z)
    if level_lps is not None:
        level = point_lps(level_lps, "level_lps")
        centre = centre + ez * float((level - centre) @ ez)
    frame = np.stack([ex, ey, ez], axis=1)
    step = STEP_MM
    xs = np.arange(-ROI_LATERAL_MM, ROI_LATERAL_MM + step / 2, step)
    ys = np.arange(ROI_AP_MM[0], ROI_AP_MM[1] + step / 2, step)
    zs = np.arange(ROI_SI_MM[0], ROI_SI_MM[1] + step / 2, step)
    hu, inside = resample_local(volume, centre, frame, xs=xs, ys=ys, zs=zs)
    bone = bone_on_grid(hu, inside, threshold_hu, step)
    gx = xs[:, None, None]
    gz = zs[None, None, :]
    slab = np.abs(gz) <= LEVEL_SLAB_MM
    core = bone & (np.abs(gx) < RIB_START_MM) & slab
    lateral = bone & (np.abs(gx) >= RIB_START_MM)
    near_core = dilate_ball(core, JOINT_GAP_MM / step) & slab
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
    body, posterior, level = anatomy_rib_frame(anatomy)
    kwargs.setdefault("posterior_lps", posterior)
    kwargs.setdefault("level_lps", level)
    return has_ribs(volume, body, **kwargs)


def anatomy_rib_frame(anatomy: VertebraAnatomy) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Where a found vertebra's ribs are looked for: its body centroid, the posterior direction (body
    centroid to canal centroid; +y when they lie within 1 mm) and the level of the ribs (the mean of
    the pedicles' isthmus points; None without pedicles). LPS mm."""
    body = np.asarray(anatomy.body_centroid_lps, dtype=np.float64)
    isthmi = [np.asarray(p.isthmus_lps, dtype=np.float64) for p in anatomy.pedicles.values()]
    posterior, level = rib_search_frame(
        body, np.asarray(anatomy.canal_centroid_lps, dtype=np.float64), isthmi
    )
    return body, posterior, level


def rib_search_frame(
    body_lps: FloatArray, canal_lps: FloatArray | None, pedicle_points_lps: Sequence[FloatArray]
) -> tuple[FloatArray, FloatArray | None]:
    """The posterior direction (body to canal; +y without a canal or when the two lie within 1 mm) and
    the level of the ribs (the mean of the pedicles' points; None without any), LPS mm: one frame for a
    found vertebra (:func:`anatomy_rib_frame`) and for one kept as masks in a case (the app's)."""
    posterior: FloatArray = np.array([0.0, 1.0, 0.0])
    if canal_lps is not None and np.linalg.norm(canal_lps - body_lps) >= 1.0:
        posterior = canal_lps - body_lps
    level: FloatArray | None = np.mean(pedicle_points_lps, axis=0) if len(pedicle_points_lps) else None
    return posterior, level


# -- helpers ----------------------------------------------------------------------------------------
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
