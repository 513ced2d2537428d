"""Routes that pass lateral to the pedicle: transcostovertebral in the thoracic spine (between the
pedicle and the rib head), parapedicular otherwise.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); masks on the volume's
``[slice, row, col]`` grid.

Around a traced pedicle (:func:`lateral_route`, the alternative of a narrow pedicle): the route aims at
the transpedicular target but passes lateral to the pedicle isthmus by half the width + the needle
radius + the margin. That alternative is a geometric starting point: check ribs and pleura on the
images.

On a side whose pedicle the anatomy did not trace (:func:`propose_untraced_side`): a route built from
the body and canal alone, to the anterior-middle third of the body on its midline, coming in obliquely
enough to pass lateral to the widest pedicle of the region with the needle's clearance from the canal;
it is flagged ``pedicle_traced = False`` and its warnings ask for the operator's check.
"""

from __future__ import annotations

import math

import numpy as np

from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.volume import Volume
from planning.body_target import TARGET_BODY_FRACTION, body_crossing, pedicle_axis_target
from planning.distance_field import DistanceField, needle_distance
from planning.errors import PlanValidationError
from planning.model import DEFAULT_PEDICLE_SAFETY_MARGIN_MM, MAX_PEDICLE_SAFETY_MARGIN_MM, Approach
from planning.proposal_base import (
    AIR_WARNING,
    ROUTE_SEARCH_MM,
    FloatArray,
    PedicleNotFoundError,
    Proposal,
    approach_family,
    approach_of,
    approach_side,
    is_thoracic_level,
    route_geometry,
)
from planning.skin_crossing import find_skin_along_line
from planning.trajectory_geometry import as_point

#: Widest pedicle that a route built without a traced pedicle passes lateral to (mm), by region:
#: CLINICAL.md "Needles and pedicles" (thoracic widths up to 9.27 mm at T1; lumbar safe zone up to
#: 17.8 mm).
UNTRACED_PEDICLE_ALLOWANCE_MM = {"thoracic": 9.3, "lumbar": 17.8}
#: Most oblique route (from the posterior direction, degrees) tried without a traced pedicle (a
#: planning choice: beyond it the needle would come from the flank, through lung or kidney).
UNTRACED_MAX_OBLIQUITY_DEG = 60.0


def propose_alternative(
    volume: Volume,
    anatomy: VertebraAnatomy,
    approach: Approach | str,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    antenna_extension_mm: float = 0.0,
) -> Proposal:
    """A transcostovertebral or parapedicular path asked for by name (see module docstring).

    On a side whose pedicle was not traced, the route built from the body and canal
    (:func:`propose_untraced_side`, ``pedicle_traced`` False).
    """
    approach = Approach(approach)
    side = approach_side(approach)
    if side is None or approach_family(approach) not in ("transcostovertebral", "parapedicular"):
        raise PlanValidationError("approach", approach.value, "transcostovertebral-* or parapedicular-*")
    axis = anatomy.pedicles.get(side)
    if axis is None:
        if not anatomy.body.any() or not anatomy.canal.any():
            raise PedicleNotFoundError(side)
        return propose_untraced_side(
            volume,
            anatomy,
            side,
            outer_diameter_mm=outer_diameter_mm,
            safety_margin_mm=safety_margin_mm,
            antenna_extension_mm=antenna_extension_mm,
            approach=approach,
        )
    target, warnings = pedicle_axis_target(volume, anatomy, axis, antenna_extension_mm)
    alt = lateral_route(
        volume,
        axis,
        target,
        side,
        approach,
        outer_diameter_mm=outer_diameter_mm,
        safety_margin_mm=safety_margin_mm,
    )
    return Proposal(
        approach=alt.approach,
        geometry=alt.geometry,
        pedicle_min_width_mm=axis.min_width_mm,
        skin_found=alt.skin_found,
        warnings=tuple(warnings) + alt.warnings,
    )


def propose_untraced_side(
    volume: Volume,
    anatomy: VertebraAnatomy,
    side: Side | str,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    antenna_extension_mm: float = 0.0,
    approach: Approach | str | None = None,
) -> Proposal:
    """A route on a side whose pedicle was not traced, built from the body and the canal alone.

    The target lies on the body's midline (through its centroid, along the direction from the body
    to the canal) at the junction of its anterior and middle thirds. The needle comes in from the
    side, in the axial plane, at the least obliquity from the posterior direction for which its
    surface keeps, behind the body, ``safety_margin_mm`` plus the widest pedicle of the region
    (``UNTRACED_PEDICLE_ALLOWANCE_MM``) from the canal, and ``safety_margin_mm`` everywhere: it
    passes lateral to a pedicle it cannot see (transcostovertebral at a thoracic level, parapedicular
    otherwise). ``pedicle_traced`` is False and the warnings ask the operator to check it.

    Raises
    ------
    PlanValidationError
        When the anatomy has no body or canal mask, or the margin is out of range.
    """
    side = Side(side)
    if not 0.0 <= safety_margin_mm <= MAX_PEDICLE_SAFETY_MARGIN_MM:
        raise PlanValidationError(
            "safety_margin_mm", safety_margin_mm, f"0-{MAX_PEDICLE_SAFETY_MARGIN_MM:g} mm"
        )
    if not anatomy.body.any() or not anatomy.canal.any():
        raise PlanValidationError("anatomy", "no body or canal mask", "a vertebra with body and canal")
    thoracic = is_thoracic_level(anatomy.level)
    family = "transcostovertebral" if thoracic else "parapedicular"
    chosen = approach_of(family, side) if approach is None else Approach(approach)
    allowance = UNTRACED_PEDICLE_ALLOWANCE_MM["thoracic" if thoracic else "lumbar"]
    c = as_point(anatomy.body_centroid_lps, "body_centroid_lps")
    up = np.array([0.0, 0.0, 1.0])
    p = as_point(anatomy.canal_centroid_lps, "canal_centroid_lps") - c
    p -= (p @ up) * up
    if float(np.linalg.norm(p)) < 1.0:
        raise PlanValidationError("anatomy", "canal centroid at the body centroid", "a canal behind the body")
    p /= np.linalg.norm(p)
    lateral = np.cross(p, up) * (1.0 if side is Side.LEFT else -1.0)  # p x up is the patient's left
    crossing = body_crossing(volume, anatomy.body, c - ROUTE_SEARCH_MM / 2.0 * p, p)
    if crossing is None:
        raise PlanValidationError("anatomy", "body mask off its centroid", "a body around its centroid")
    front = c - ROUTE_SEARCH_MM / 2.0 * p + crossing[0] * p
    back = c - ROUTE_SEARCH_MM / 2.0 * p + crossing[1] * p
    target = back + TARGET_BODY_FRACTION * (front - back)
    depth_back = float((back - target) @ p)
    # the canal through the body's height (imaging.canal_tube), as the needle's readout measures it
    canal = DistanceField(anatomy.safety_canal, volume.index_to_lps, pad_mm=40.0)
    r = outer_diameter_mm / 2.0
    warnings = [
        f"{side.value} pedicle not traced: {chosen.value} route built from the body and the canal alone, "
        f"passing lateral to a pedicle up to {allowance:g} mm wide; the operator must check it on the "
        "images (pedicle, rib head, pleura, nerve root, segmental vessels)"
    ]
    # the least oblique route that clears the canal; failing that, the one that comes closest
    best_angle, best_score = 0.0, -math.inf
    for angle in np.radians(np.arange(0.0, UNTRACED_MAX_OBLIQUITY_DEG + 1e-9, 1.0)):
        out = math.cos(angle) * p + math.sin(angle) * lateral
        wall = target + (depth_back / math.cos(angle)) * out
        behind = needle_distance(canal, route_geometry(wall + 60.0 * out, wall), r).distance_mm
        whole = needle_distance(canal, route_geometry(wall + 60.0 * out, target), r).distance_mm
        score = min(behind - allowance - safety_margin_mm, whole - safety_margin_mm)
        if score > best_score:
            best_angle, best_score = float(angle), score
        if score >= 0.0:
            break
    if best_score < 0.0:
        warnings.append(
            f"no route up to {UNTRACED_MAX_OBLIQUITY_DEG:g} degrees oblique keeps {allowance:g} mm + "
            f"{safety_margin_mm:g} mm from the canal behind the body: the one that comes closest is shown"
        )
    out = math.cos(best_angle) * p + math.sin(best_angle) * lateral
    wall = target + (depth_back / math.cos(best_angle)) * out
    skin = find_skin_along_line(volume, wall, out, max_distance_mm=ROUTE_SEARCH_MM)
    if skin.internal_air_mm > 0:
        warnings.append(AIR_WARNING.format(skin.internal_air_mm))
    if not skin.found:
        warnings.append("the skin was not found along this route within the image: entry at the image edge")
    warnings.append(
        f"{math.degrees(best_angle):.0f} degrees oblique from the posterior direction (axial plane)"
    )
    if antenna_extension_mm > 0:
        exit_s = body_crossing(volume, anatomy.body, target, -out)
        if exit_s is not None and antenna_extension_mm > exit_s[1]:
            warnings.append(
                f"the antenna tip would lie {antenna_extension_mm - exit_s[1]:.1f} mm beyond the body cortex "
                "along this route: use a shorter antenna extension or a more posterior target"
            )
    return Proposal(
        approach=chosen,
        geometry=route_geometry(np.asarray(skin.skin_lps), target),
        skin_found=skin.found,
        warnings=tuple(warnings),
        pedicle_traced=False,
    )


def lateral_route(
    volume: Volume,
    axis: PedicleAxis,
    target: FloatArray,
    side: Side,
    approach: Approach,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float,
) -> Proposal:
    """A path to ``target`` passing lateral to the pedicle isthmus with the needle's clearance."""
    e = as_point(axis.axis_entry_lps, "axis_entry_lps")
    isthmus = as_point(axis.isthmus_lps, "isthmus_lps")
    u = target - e
    u /= np.linalg.norm(u)
    lateral = np.cross(np.array([0.0, 0.0, 1.0]), u)
    if float(np.linalg.norm(lateral)) < 1e-6:
        lateral = np.array([1.0, 0.0, 0.0])
    lateral /= np.linalg.norm(lateral)
    sign = 1.0 if side is Side.LEFT else -1.0
    if lateral[0] * sign < 0:
        lateral = -lateral
    offset = axis.min_width_mm / 2.0 + outer_diameter_mm / 2.0 + safety_margin_mm
    through = isthmus + offset * lateral
    v = target - through
    v /= np.linalg.norm(v)
    skin = find_skin_along_line(volume, through, -v, max_distance_mm=ROUTE_SEARCH_MM)
    air = [AIR_WARNING.format(skin.internal_air_mm)] if skin.internal_air_mm > 0 else []
    warnings = [
        f"{approach.value}: passes {offset:.1f} mm lateral to the pedicle axis at its isthmus"
        + (
            ", between the pedicle and the rib head"
            if approach_family(approach) == "transcostovertebral"
            else ""
        )
        + "; a geometric proposal, check ribs, pleura and nerve roots on the images",
        *air,
    ]
    if not skin.found:
        warnings.append("the skin was not found along this route within the image: entry at the image edge")
    angle = math.degrees(math.acos(float(np.clip(np.dot(u, v), -1.0, 1.0))))
    warnings.append(f"{angle:.0f} degrees more oblique than the pedicle axis")
    return Proposal(
        approach=approach,
        geometry=route_geometry(np.asarray(skin.skin_lps), target),
        pedicle_min_width_mm=axis.min_width_mm,
        skin_found=skin.found,
        warnings=tuple(warnings),
    )
