"""Transpedicular needle paths (left or right), with their plausibility checks.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); masks on the volume's
``[slice, row, col]`` grid.

Step by step:

1. target: along the pedicle axis of :class:`imaging.vertebra_model.PedicleAxis`, at the junction
   of the anterior and middle thirds of the vertebral body (two thirds of the way from where the
   axis enters the body mask to where it leaves it; CLINICAL.md "Target"), moved back along the
   axis if needed to lie at least 3 mm inside the body (off the cortex and endplates);
2. the needle passes through the centre of the pedicle mask's cross-section at the isthmus (the
   anatomy's isthmus point when there is no mask), moved laterally within the pedicle if needed to
   keep the safety margin from the spinal canal;
3. entry: where that line, followed outward, meets the skin (body outline HU > -300; air with
   tissue beyond it, such as lung, is crossed and reported, not taken for the skin).

A pedicle whose narrowest width is under the needle's outer diameter plus a safety margin (default
1 mm, an argument), or in which the needle cannot keep that margin from the canal, is flagged narrow
(CLINICAL.md "Needles and pedicles") and an alternative route is proposed
(:func:`planning.lateral_routes.lateral_route`). Pedicles that look implausible for their body (isthmus
outside the body's craniocaudal extent, axis tilted more than 30 degrees from the axial plane) are
followed but flagged.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.volume import Volume
from planning.body_target import pedicle_axis_target
from planning.distance_field import DistanceField, needle_distance
from planning.errors import PlanValidationError
from planning.lateral_routes import lateral_route
from planning.model import DEFAULT_PEDICLE_SAFETY_MARGIN_MM, MAX_PEDICLE_SAFETY_MARGIN_MM
from planning.pedicle_approach import approach_crossings, nearest_clear_line
from planning.pedicle_passage import line_clearance, widest_passage
from planning.proposal_base import (
    AIR_WARNING,
    ROUTE_SEARCH_MM,
    FloatArray,
    PedicleNotFoundError,
    Proposal,
    approach_of,
    is_thoracic_level,
    route_geometry,
)
from planning.skin_crossing import find_skin_along_line
from planning.trajectory_geometry import as_point

#: distance (mm) to the spinal canal of the needle through a pass point to a target
CanalGap = Callable[[FloatArray, FloatArray], float]

#: How far (mm) a pedicle's isthmus may lie above or below its body before the level is questioned.
LEVEL_TOLERANCE_MM = 5.0
#: A pedicle axis steeper than this from the axial plane is questioned (a plausibility check,
#: *unverified*: CLINICAL.md gives transverse pedicle angles only).
MAX_PLAUSIBLE_AXIS_TILT_DEG = 30.0
#: Ending of the anatomy-plausibility warnings (tests and the GUI look for it).
CHECK_ANATOMY = "check the anatomy before using this path"


def propose_transpedicular(
    volume: Volume,
    anatomy: VertebraAnatomy,
    side: Side | str,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    antenna_extension_mm: float = 0.0,
) -> Proposal:
    """Transpedicular path on one side, with a narrow-pedicle alternative when needed.

    Parameters
    ----------
    volume
        The CT (HU).
    anatomy
        The vertebra (pedicle axes, body mask, level).
    side
        Patient side (``left`` = +x).
    outer_diameter_mm
        Access needle outer diameter.
    safety_margin_mm
        Added to the outer diameter for the narrow-pedicle test (default 1 mm).
    antenna_extension_mm
        When > 0, warn if the antenna tip would leave the body anteriorly.

    Returns
    -------
    Proposal
        The transpedicular path; ``narrow`` and ``alternative`` set for a narrow pedicle.

    Raises
    ------
    PlanValidationError
        When the anatomy has no pedicle axis on that side or the margin is out of range.
    """
    side = Side(side)
    if not 0.0 <= safety_margin_mm <= MAX_PEDICLE_SAFETY_MARGIN_MM:
        raise PlanValidationError(
            "safety_margin_mm", safety_margin_mm, f"0-{MAX_PEDICLE_SAFETY_MARGIN_MM:g} mm"
        )
    axis = anatomy.pedicles.get(side)
    if axis is None:
        raise PedicleNotFoundError(side)
    target, warnings = pedicle_axis_target(volume, anatomy, axis, antenna_extension_mm)
    warnings += _level_check(volume, anatomy, axis)
    through = _pedicle_centre(volume, axis, target, warnings)
    needed = outer_diameter_mm + safety_margin_mm
    too_narrow = axis.min_width_mm < needed
    canal_conflict = False
    if not too_narrow and anatomy.canal.any():
        through, canal_conflict = _clear_canal(
            volume, anatomy, axis, side, target, through, outer_diameter_mm, safety_margin_mm, warnings
        )
    room: float | None = None
    if not too_narrow and not canal_conflict:
        through, target, room = _give_room(
            volume, anatomy, axis, through, target, outer_diameter_mm, safety_margin_mm, warnings
        )
    no_room = room is not None and room < 0.0
    if room is not None and 0.0 <= room < safety_margin_mm / 2.0:
        warnings.append(
            f"the needle keeps only {room:.1f} mm from the {side.value} pedicle's cortex, under half the "
            f"{safety_margin_mm:g} mm safety margin: check the pedicle on the images"
        )
    u = target - through
    u /= np.linalg.norm(u)
    skin = find_skin_along_line(volume, through, -u, max_distance_mm=ROUTE_SEARCH_MM)
    if skin.internal_air_mm > 0:
        warnings.append(AIR_WARNING.format(skin.internal_air_mm))
    if not skin.found:
        warnings.append(
            "the skin was not found along the pedicle axis within the image: entry at the image edge"
        )
    narrow = too_narrow or canal_conflict or no_room
    entry = np.asarray(skin.skin_lps)
    if skin.found:
        entry, through, target = _clear_approach(
            volume, anatomy, axis, entry, through, target, outer_diameter_mm, safety_margin_mm, room, warnings
        )
    geometry = route_geometry(entry, target)
    alternative: Proposal | None = None
    if narrow:
        thoracic = is_thoracic_level(anatomy.level)
        family = "transcostovertebral" if thoracic else "parapedicular"
        why = (
            f"{side.value} pedicle is narrow: {axis.min_width_mm:.1f} mm at its isthmus, under the needle's "
            f"{outer_diameter_mm:.2f} mm + {safety_margin_mm:g} mm margin"
            if too_narrow
            else f"the needle cannot keep {safety_margin_mm:g} mm from the spinal canal inside the "
            f"{side.value} pedicle"
            if canal_conflict
            else f"no straight path through the {side.value} pedicle keeps the needle's "
            f"{outer_diameter_mm:.2f} mm inside its cortex: the best breaches it by {-(room or 0.0):.1f} mm"
        )
        warnings.append(
            f"{why}; proposing a {family} route"
            + (" (transcostovertebral if the level is thoracic)" if thoracic is None else "")
        )
        alternative = lateral_route(
            volume,
            axis,
            target,
            side,
            approach_of(family, side),
            outer_diameter_mm=outer_diameter_mm,
            safety_margin_mm=safety_margin_mm,
        )
    return Proposal(
        approach=approach_of("transpedicular", side),
        geometry=geometry,
        pedicle_min_width_mm=axis.min_width_mm,
        narrow=narrow,
        alternative=alternative,
        skin_found=skin.found,
        warnings=tuple(warnings),
    )


def _clear_approach(  # noqa: PLR0917 - private helper of propose_transpedicular
    volume: Volume,
    anatomy: VertebraAnatomy,
    axis: PedicleAxis,
    entry: FloatArray,
    through: FloatArray,
    target: FloatArray,
    outer_diameter_mm: float,
    safety_margin_mm: float,
    room: float | None,
    warnings: list[str],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Keep the stretch from the skin to the pedicle on the pedicle's own side, off the canal and off
    other bone (:mod:`planning.pedicle_approach`): the nearest line that does, within the pedicle's room
    and without less room from its cortex or the canal, or the line as it is with a warning naming what
    it crosses. Returns the skin entry, the pass point and the tip."""
    side = axis.side
    crossed = approach_crossings(volume, anatomy, axis, entry, target)
    if crossed.clear:
        return entry, through, target
    what = crossed.describe(side)
    r = outer_diameter_mm / 2.0
    gap = _canal_gap(volume, anatomy, r) if anatomy.safety_canal.any() else None
    needed = safety_margin_mm if gap is None else min(safety_margin_mm, gap(through, target))
    clearance = None if room is None else min(room, safety_margin_mm / 2.0)
    found = nearest_clear_line(volume, anatomy, axis, through, target, r, gap, needed, clearance)
    if found is None:
        warnings.append(
            f"the {side.value} needle's path from the skin to the pedicle crosses {what}, and no straight "
            f"path through the {side.value} pedicle avoids it: {CHECK_ANATOMY}, or plan the path by hand"
        )
        return entry, through, target
    new_entry, new_through, new_target = found
    u0 = (target - through) / np.linalg.norm(target - through)
    u1 = (new_target - new_through) / np.linalg.norm(new_target - new_through)
    turn = math.degrees(math.acos(min(1.0, float(u0 @ u1))))
    moved = float(np.linalg.norm(new_through - through))
    tip = float(np.linalg.norm(new_target - target))
    warnings.append(
        f"needle turned {turn:.0f} degrees in the {side.value} pedicle (pass point moved {moved:.1f} mm, "
        f"tip {tip:.1f} mm) "
        f"so that its path from the skin stays on the {side.value} of the midline, off the canal and "
        f"other bone: the line first found crossed {what}"
    )
    return new_entry, new_through, new_target


def _clear_canal(  # noqa: PLR0917 - private helper of propose_transpedicular
    volume: Volume,
    anatomy: VertebraAnatomy,
    axis: PedicleAxis,
    side: Side,
    target: FloatArray,
    through: FloatArray,
    outer_diameter_mm: float,
    safety_margin_mm: float,
    warnings: list[str],
) -> tuple[FloatArray, bool]:
    """Move the pedicle pass point laterally (within the pedicle's room) until the needle keeps
    ``safety_margin_mm`` from the canal; returns the pass point and whether that was impossible."""
    gap_to = _canal_gap(volume, anatomy, outer_diameter_mm / 2.0)

    def canal_gap(p: FloatArray) -> float:
        return gap_to(p, target)

    gap = canal_gap(through)
    if gap >= safety_margin_mm:
        return through, False
    u = target - through
    u /= np.linalg.norm(u)
    lateral = np.cross(np.array([0.0, 0.0, 1.0]), u)
    if float(np.linalg.norm(lateral)) < 1e-6:
        return through, True
    lateral /= np.linalg.norm(lateral)
    if lateral[0] * (1.0 if side is Side.LEFT else -1.0) < 0:
        lateral = -lateral
    room = (axis.min_width_mm - outer_diameter_mm) / 2.0  # from the centre to the cortex
    step = 0.25 * min(volume.spacing_mm)
    for shift in np.arange(step, room + 1e-9, step):
        moved = through + shift * lateral
        if canal_gap(moved) >= safety_margin_mm:
            warnings.append(
                f"needle moved {shift:.1f} mm laterally in the pedicle to keep {safety_margin_mm:g} mm "
                f"from the spinal canal ({gap:.1f} mm on the pedicle's centre line)"
            )
            return moved, False
    return through, True


def _canal_gap(volume: Volume, anatomy: VertebraAnatomy, radius_mm: float) -> CanalGap:
    """Distance (mm) from the needle through a pass point to a target to the spinal canal."""
    # the canal through the body's height (imaging.canal_tube), as the needle's readout measures it
    field = DistanceField(anatomy.safety_canal, volume.index_to_lps, pad_mm=10.0)

    def gap(p: FloatArray, target: FloatArray) -> float:
        v = target - p
        v /= np.linalg.norm(v)
        start = p - 40.0 * v  # the stretch behind the pass point is where the canal can be met
        return needle_distance(field, route_geometry(start, target), radius_mm).distance_mm

    return gap


def _give_room(  # noqa: PLR0917 - private helper of propose_transpedicular
    volume: Volume,
    anatomy: VertebraAnatomy,
    axis: PedicleAxis,
    through: FloatArray,
    target: FloatArray,
    outer_diameter_mm: float,
    safety_margin_mm: float,
    warnings: list[str],
) -> tuple[FloatArray, FloatArray, float | None]:
    """The line's room in the pedicle, as the needle's readout measures it; when the line breaches the
    cortex (or misses the mask), the line with the most room near it
    (:func:`planning.pedicle_passage.widest_passage`). Returns the pass point, the tip and the clearance
    (mm; None: not measured)."""
    r = outer_diameter_mm / 2.0
    body = anatomy.body if anatomy.body.any() else None
    first = line_clearance(volume, axis, through, target, r, body=body)
    if axis.mask is None or not axis.mask.any() or (first is not None and first >= 0.0):
        return through, target, first
    gap = _canal_gap(volume, anatomy, r) if anatomy.safety_canal.any() else None
    needed = safety_margin_mm if gap is None else min(safety_margin_mm, gap(through, target))
    best = widest_passage(volume, axis, through, target, r, body, gap, needed)
    if best.clearance_mm is None or (first is not None and best.clearance_mm <= first + 0.05):
        return through, target, first
    moved = float(np.linalg.norm(best.through_lps - through))
    tip = float(np.linalg.norm(best.target_lps - target))
    before = "outside the pedicle" if first is None else f"{first:.1f} mm"
    warnings.append(
        f"needle moved {moved:.1f} mm in the pedicle's narrowest section"
        + (f" and its tip {tip:.1f} mm in the body" if tip >= 0.05 else "")
        + f" for room from the pedicle cortex: {best.clearance_mm:.1f} mm ({before} on the first line)"
    )
    return best.through_lps, best.target_lps, best.clearance_mm


def _pedicle_centre(volume: Volume, axis: PedicleAxis, target: FloatArray, warnings: list[str]) -> FloatArray:
    """Where the needle crosses the pedicle's narrowest section: the centroid of the pedicle mask's
    cross-section there (perpendicular to the needle), or the anatomy's isthmus point without a mask."""
    isthmus = as_point(axis.isthmus_lps, "isthmus_lps")
    mask = axis.mask
    if mask is None or not mask.any():
        return isthmus
    pts = volume.index_to_lps_points(mask.voxel_indices().astype(np.float64))
    slab = max(volume.spacing_mm)
    through = isthmus
    for _ in range(3):  # the section's plane turns with the line it defines
        u = target - through
        u /= np.linalg.norm(u)
        rel = pts - isthmus
        along = rel @ u
        perp = rel - along[:, None] * u
        near = (np.abs(along) <= slab) & (np.linalg.norm(perp, axis=1) <= max(axis.min_width_mm, 4.0))
        if not near.any():
            return through
        centre = pts[near].mean(axis=0)
        through = centre - float((centre - isthmus) @ u) * u
    shift = float(np.linalg.norm(through - isthmus))
    if shift > 0.5:
        warnings.append(
            f"needle centred in the pedicle's narrowest section ({shift:.1f} mm from the anatomy's axis)"
        )
    return through


def _level_check(volume: Volume, anatomy: VertebraAnatomy, axis: PedicleAxis) -> list[str]:
    """Warnings when the pedicle found looks implausible for this body (the proposal follows it)."""
    if not anatomy.body.any():
        return []
    idx = anatomy.body.voxel_indices().astype(np.float64)
    z = volume.index_to_lps_points(idx)[:, 2]
    iz = float(axis.isthmus_lps[2])
    lo, hi = float(z.min()), float(z.max())
    out = []
    if not lo - LEVEL_TOLERANCE_MM <= iz <= hi + LEVEL_TOLERANCE_MM:
        out.append(
            f"{axis.side.value} pedicle isthmus (z = {iz:.0f} mm) lies outside the body's craniocaudal "
            f"extent ({lo:.0f} to {hi:.0f} mm): the pedicle found may belong to another level; "
            f"{CHECK_ANATOMY}"
        )
    d = np.subtract(axis.axis_target_lps, axis.axis_entry_lps)
    steep = math.degrees(math.asin(min(1.0, abs(float(d[2])) / float(np.linalg.norm(d)))))
    if steep > MAX_PLAUSIBLE_AXIS_TILT_DEG:
        out.append(
            f"{axis.side.value} pedicle axis is tilted {steep:.0f} degrees from the axial plane "
            f"(more than {MAX_PLAUSIBLE_AXIS_TILT_DEG:g}): {CHECK_ANATOMY}"
        )
    return out
