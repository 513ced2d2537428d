"""Proposed needle paths: transpedicular (left, right, bilateral), their narrow-pedicle alternatives
(transcostovertebral in the thoracic spine, parapedicular), and direct extraspinal punctures.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); masks on the volume's
``[slice, row, col]`` grid.

Transpedicular, step by step:

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
(CLINICAL.md "Needles and pedicles") and an alternative route is proposed: it aims at the same target
but passes lateral to the pedicle isthmus by half the width + the needle radius + the margin
(transcostovertebral for a thoracic level, between the pedicle and the rib head; parapedicular
otherwise). That alternative is a geometric starting point: check ribs and pleura on the images.
Pedicles that look implausible for their body (isthmus outside the body's craniocaudal extent,
axis tilted more than 30 degrees from the axial plane) are followed but flagged.

A side whose pedicle the anatomy did not trace does not vanish from :func:`propose_bilateral`: it gets
a route built from the body and canal alone (:func:`propose_untraced_side`), to the anterior-middle
third of the body on its midline, coming in obliquely enough to pass lateral to the widest pedicle of
the region with the needle's clearance from the canal; it is flagged ``pedicle_traced = False`` and
its warnings ask for the operator's check.

Direct (extraspinal): from an operator-chosen skin point through the lesion's centroid to the lesion's
far edge along that line, checked for gas inside the body and for forbidden structures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.volume import Volume
from planning.errors import PlanningError, PlanValidationError
from planning.model import Approach
from planning.trajectory import (
    DistanceField,
    TrajectoryGeometry,
    as_point,
    crossed_structures,
    find_skin_along_line,
    needle_distance,
)

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

#: Default safety margin added to the needle's outer diameter for the narrow-pedicle test (mm).
#: A planning choice, stated and editable: CLINICAL.md says only that OD > narrowest width calls
#: for another route.
DEFAULT_PEDICLE_SAFETY_MARGIN_MM = 1.0
#: Fraction of the body crossing (from posterior) where the transpedicular target lies.
TARGET_BODY_FRACTION = 2.0 / 3.0
#: The tip is kept at least this deep inside the body mask (a planning choice, stated and editable
#: here: it keeps the tip off the cortex and endplates; CLINICAL.md gives no figure).
MIN_TIP_DEPTH_MM = 3.0
#: How far (mm) a pedicle's isthmus may lie above or below its body before the level is questioned.
LEVEL_TOLERANCE_MM = 5.0
#: A pedicle axis steeper than this from the axial plane is questioned (a plausibility check,
#: *unverified*: CLINICAL.md gives transverse pedicle angles only).
MAX_PLAUSIBLE_AXIS_TILT_DEG = 30.0
#: Ending of the anatomy-plausibility warnings (tests and the GUI look for it).
CHECK_ANATOMY = "check the anatomy before using this path"
#: Widest pedicle that a route built without a traced pedicle passes lateral to (mm), by region:
#: CLINICAL.md "Needles and pedicles" (thoracic widths up to 9.27 mm at T1; lumbar safe zone up to
#: 17.8 mm).
UNTRACED_PEDICLE_ALLOWANCE_MM = {"thoracic": 9.3, "lumbar": 17.8}
#: Most oblique route (from the posterior direction, degrees) tried without a traced pedicle (a
#: planning choice: beyond it the needle would come from the flank, through lung or kidney).
UNTRACED_MAX_OBLIQUITY_DEG = 60.0
_SEARCH_MM = 150.0
_AIR_WARNING = "this path crosses {:.0f} mm of gas or air inside the body (lung or bowel): check it"


class PedicleNotFoundError(PlanningError):
    """The vertebra's anatomy has no pedicle axis on the side asked for."""

    def __init__(self, side: Side) -> None:
        self.side = side
        super().__init__(
            f"no {side.value} pedicle was found on this vertebra: place the needle by its entry and "
            "target points, or choose another approach"
        )


def approach_side(approach: Approach | str) -> Side | None:
    """Patient side of a spinal approach, None for direct."""
    value = Approach(approach).value
    if value.endswith("-left"):
        return Side.LEFT
    if value.endswith("-right"):
        return Side.RIGHT
    return None


def approach_family(approach: Approach | str) -> str:
    """``transpedicular``, ``transcostovertebral``, ``parapedicular`` or ``direct``."""
    return Approach(approach).value.split("-")[0]


def approach_of(family: str, side: Side | str) -> Approach:
    """The approach of a family (``transpedicular`` ...) on a side."""
    return Approach(f"{family}-{Side(side).value}")


@dataclass(frozen=True)
class Proposal:
    """A proposed needle path and what the planner noticed while building it.

    ``pedicle_min_width_mm`` is the narrowest pedicle width (None for direct); ``narrow`` is True when
    it is under the needle's outer diameter plus the safety margin, and ``alternative`` then holds
    the other route. ``skin_found`` is False when the image ended before the skin. ``pedicle_traced``
    is False for a route built from the body and canal alone on a side whose pedicle the anatomy
    did not trace (:func:`propose_untraced_side`); its warnings say so and ask for the operator's check.
    """

    approach: Approach
    geometry: TrajectoryGeometry
    pedicle_min_width_mm: float | None = None
    narrow: bool = False
    alternative: Proposal | None = None
    skin_found: bool = True
    warnings: tuple[str, ...] = field(default=())
    pedicle_traced: bool = True

    @property
    def route(self) -> Proposal:
        """The path to use: the alternative of a narrow pedicle, else this one."""
        return self.alternative if self.narrow and self.alternative is not None else self

    @property
    def entry_lps(self) -> Point:
        """Skin entry (LPS mm)."""
        return self.geometry.entry_lps

    @property
    def target_lps(self) -> Point:
        """Access needle tip (LPS mm)."""
        return self.geometry.target_lps


def mask_at_points(mask: Mask, volume: Volume, points_lps: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Mask value (nearest voxel) at LPS points; False outside the mask's box."""
    idx = np.rint(volume.lps_to_index_points(np.asarray(points_lps, dtype=np.float64).reshape(-1, 3)))
    rel = idx.astype(np.int64) - np.asarray(mask.offset_index)
    shape = np.asarray(mask.array.shape)
    ok = np.all((rel >= 0) & (rel < shape), axis=1)
    out = np.zeros(len(rel), dtype=bool)
    r = rel[ok]
    out[ok] = mask.array[r[:, 0], r[:, 1], r[:, 2]]
    return out


def _body_crossing(
    volume: Volume, body: Mask, start: FloatArray, direction: FloatArray
) -> tuple[float, float] | None:
    """Distances along the line where it first enters the body and where that run leaves it."""
    step = 0.25 * min(volume.spacing_mm)
    s = np.arange(0.0, _SEARCH_MM, step)
    hit = mask_at_points(body, volume, start + s[:, None] * direction)
    if not hit.any():
        return None
    k0 = int(np.argmax(hit))
    after = np.flatnonzero(~hit[k0:])
    k1 = k0 + (int(after[0]) - 1 if len(after) else len(hit) - 1 - k0)
    return float(s[k0]), float(s[k1])


def _geometry(entry: FloatArray, target: FloatArray) -> TrajectoryGeometry:
    return TrajectoryGeometry(
        (float(entry[0]), float(entry[1]), float(entry[2])),
        (float(target[0]), float(target[1]), float(target[2])),
    )


def _is_thoracic(level: str | None) -> bool | None:
    if not level:
        return None
    return level.strip().upper().startswith("T")


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
    if not 0.0 <= safety_margin_mm <= 5.0:
        raise PlanValidationError("safety_margin_mm", safety_margin_mm, "0-5 mm")
    axis = anatomy.pedicles.get(side)
    if axis is None:
        raise PedicleNotFoundError(side)
    target, warnings = _body_target(volume, anatomy, axis, antenna_extension_mm)
    warnings += _level_check(volume, anatomy, axis)
    through = _pedicle_centre(volume, axis, target, warnings)
    needed = outer_diameter_mm + safety_margin_mm
    too_narrow = axis.min_width_mm < needed
    canal_conflict = False
    if not too_narrow and anatomy.canal.any():
        through, canal_conflict = _clear_canal(
            volume, anatomy, axis, side, target, through, outer_diameter_mm, safety_margin_mm, warnings
        )
    u = target - through
    u /= np.linalg.norm(u)
    skin = find_skin_along_line(volume, through, -u, max_distance_mm=_SEARCH_MM)
    if skin.internal_air_mm > 0:
        warnings.append(_AIR_WARNING.format(skin.internal_air_mm))
    if not skin.found:
        warnings.append(
            "the skin was not found along the pedicle axis within the image: entry at the image edge"
        )
    geometry = _geometry(np.asarray(skin.skin_lps), target)
    narrow = too_narrow or canal_conflict
    alternative: Proposal | None = None
    if narrow:
        thoracic = _is_thoracic(anatomy.level)
        family = "transcostovertebral" if thoracic else "parapedicular"
        why = (
            f"{side.value} pedicle is narrow: {axis.min_width_mm:.1f} mm at its isthmus, under the needle's "
            f"{outer_diameter_mm:.2f} mm + {safety_margin_mm:g} mm margin"
            if too_narrow
            else f"the needle cannot keep {safety_margin_mm:g} mm from the spinal canal inside the "
            f"{side.value} pedicle"
        )
        warnings.append(
            f"{why}; proposing a {family} route"
            + (" (transcostovertebral if the level is thoracic)" if thoracic is None else "")
        )
        alternative = _lateral_route(
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


def propose_side(
    volume: Volume,
    anatomy: VertebraAnatomy,
    side: Side | str,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    antenna_extension_mm: float = 0.0,
) -> Proposal:
    """One side's proposal: transpedicular where the pedicle was traced, otherwise the route built
    from the body and canal (:func:`propose_untraced_side`, ``pedicle_traced`` False)."""
    make = propose_transpedicular if Side(side) in anatomy.pedicles else propose_untraced_side
    return make(
        volume,
        anatomy,
        side,
        outer_diameter_mm=outer_diameter_mm,
        safety_margin_mm=safety_margin_mm,
        antenna_extension_mm=antenna_extension_mm,
    )


def propose_bilateral(
    volume: Volume,
    anatomy: VertebraAnatomy,
    *,
    outer_diameter_mm: float,
    safety_margin_mm: float = DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    antenna_extension_mm: float = 0.0,
) -> list[Proposal]:
    """Left and right proposals, each as :func:`propose_side` makes it."""
    return [
        propose_side(
            volume,
            anatomy,
            side,
            outer_diameter_mm=outer_diameter_mm,
            safety_margin_mm=safety_margin_mm,
            antenna_extension_mm=antenna_extension_mm,
        )
        for side in (Side.LEFT, Side.RIGHT)
    ]


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
    if not 0.0 <= safety_margin_mm <= 5.0:
        raise PlanValidationError("safety_margin_mm", safety_margin_mm, "0-5 mm")
    if not anatomy.body.any() or not anatomy.canal.any():
        raise PlanValidationError("anatomy", "no body or canal mask", "a vertebra with body and canal")
    thoracic = _is_thoracic(anatomy.level)
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
    crossing = _body_crossing(volume, anatomy.body, c - _SEARCH_MM / 2.0 * p, p)
    if crossing is None:
        raise PlanValidationError("anatomy", "body mask off its centroid", "a body around its centroid")
    front = c - _SEARCH_MM / 2.0 * p + crossing[0] * p
    back = c - _SEARCH_MM / 2.0 * p + crossing[1] * p
    target = back + TARGET_BODY_FRACTION * (front - back)
    depth_back = float((back - target) @ p)
    canal = DistanceField(anatomy.canal, volume.index_to_lps, pad_mm=40.0)
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
        behind = needle_distance(canal, _geometry(wall + 60.0 * out, wall), r).distance_mm
        whole = needle_distance(canal, _geometry(wall + 60.0 * out, target), r).distance_mm
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
    skin = find_skin_along_line(volume, wall, out, max_distance_mm=_SEARCH_MM)
    if skin.internal_air_mm > 0:
        warnings.append(_AIR_WARNING.format(skin.internal_air_mm))
    if not skin.found:
        warnings.append("the skin was not found along this route within the image: entry at the image edge")
    warnings.append(
        f"{math.degrees(best_angle):.0f} degrees oblique from the posterior direction (axial plane)"
    )
    if antenna_extension_mm > 0:
        exit_s = _body_crossing(volume, anatomy.body, target, -out)
        if exit_s is not None and antenna_extension_mm > exit_s[1]:
            warnings.append(
                f"the antenna tip would lie {antenna_extension_mm - exit_s[1]:.1f} mm beyond the body cortex "
                "along this route: use a shorter antenna extension or a more posterior target"
            )
    return Proposal(
        approach=chosen,
        geometry=_geometry(np.asarray(skin.skin_lps), target),
        skin_found=skin.found,
        warnings=tuple(warnings),
        pedicle_traced=False,
    )


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
    target, warnings = _body_target(volume, anatomy, axis, antenna_extension_mm)
    alt = _lateral_route(
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


def propose_direct(
    volume: Volume,
    lesion: Mask,
    skin_lps: Sequence[float],
    *,
    outer_diameter_mm: float = 0.0,
    forbidden: Mapping[str, DistanceField] | None = None,
) -> Proposal:
    """Direct puncture from an operator-chosen skin point to the lesion's far edge.

    The needle runs from ``skin_lps`` through the lesion's centroid; its tip is the last lesion
    voxel along that line (the far edge). The path is checked for gas or air inside the body (lung,
    bowel) and, when given, for the ``forbidden`` structures it touches (a capsule of the needle's
    outer radius).

    Raises
    ------
    PlanValidationError
        When the lesion is empty or the line misses it.
    """
    if not lesion.any():
        raise PlanValidationError("lesion", "empty mask", "a lesion of at least one voxel")
    skin = as_point(skin_lps, "skin_lps")
    centroid = volume.index_to_lps_points(lesion.voxel_indices().astype(np.float64).mean(axis=0))
    u = centroid - skin
    dist = float(np.linalg.norm(u))
    if dist < 1.0:
        raise PlanValidationError("skin_lps", tuple(skin.tolist()), "a point at least 1 mm from the lesion")
    u /= dist
    step = 0.25 * min(volume.spacing_mm)
    s = np.arange(0.0, dist + 200.0, step)
    hit = mask_at_points(lesion, volume, skin + s[:, None] * u)
    if not hit.any():
        raise PlanValidationError(
            "skin_lps", tuple(skin.tolist()), "a point whose line to the lesion centroid hits it"
        )
    last = int(np.flatnonzero(hit)[-1])
    first = int(np.flatnonzero(hit)[0])
    warnings = []
    if not hit[first : last + 1].all():
        warnings.append("the line leaves and re-enters the lesion; tip placed at its last exit")
    geometry = _geometry(skin, skin + s[last] * u)
    outline = find_skin_along_line(volume, geometry.target_lps, -u, max_distance_mm=geometry.length_mm + 20.0)
    if outline.internal_air_mm > 0:
        warnings.append(_AIR_WARNING.format(outline.internal_air_mm))
    for name in crossed_structures(forbidden or {}, geometry, outer_diameter_mm / 2.0):
        warnings.append(f"this path crosses {name}")
    return Proposal(
        approach=Approach.DIRECT, geometry=geometry, skin_found=outline.found, warnings=tuple(warnings)
    )


# -- helpers ----------------------------------------------------------------------------------------
def _body_target(
    volume: Volume, anatomy: VertebraAnatomy, axis: PedicleAxis, antenna_extension_mm: float
) -> tuple[FloatArray, list[str]]:
    """Target two thirds of the way across the body along the pedicle axis (and its warnings)."""
    warnings: list[str] = []
    e = as_point(axis.axis_entry_lps, "axis_entry_lps")
    t = as_point(axis.axis_target_lps, "axis_target_lps")
    u = t - e
    n = float(np.linalg.norm(u))
    if n < 1.0:
        raise PlanValidationError("pedicle axis", n, "an axis at least 1 mm long")
    u /= n
    crossing = _body_crossing(volume, anatomy.body, e, u) if anatomy.body.any() else None
    if crossing is None:
        warnings.append(
            "the pedicle axis does not cross the body mask: target taken from the anatomy as given"
        )
        return t, warnings
    s_in, s_out = crossing
    s_target = s_in + TARGET_BODY_FRACTION * (s_out - s_in)
    # keep the tip inside the body, away from its cortex (an axis may leave through an endplate):
    # move it back along the axis, never forward, until it lies MIN_TIP_DEPTH_MM deep
    field = DistanceField(anatomy.body, volume.index_to_lps, pad_mm=2.0)
    step = 0.25 * min(volume.spacing_mm)
    s = np.arange(s_in, s_target + 1e-9, step)
    depth = -field.sample(e + s[:, None] * u)
    deep = np.flatnonzero(depth >= MIN_TIP_DEPTH_MM)
    if len(deep):
        k = int(deep[-1])
    else:
        k = int(np.argmax(depth))
        warnings.append(
            f"the pedicle axis runs no deeper than {depth[k]:.1f} mm inside the body: check the target"
        )
    if s[k] < s_target - step:
        warnings.append(
            f"target moved {s_target - s[k]:.1f} mm back along the axis to stay {MIN_TIP_DEPTH_MM:g} mm "
            "inside the body (the axis leaves the body close to an endplate or wall)"
        )
    s_target = float(s[k])
    target = e + s_target * u
    if antenna_extension_mm > 0:
        beyond = s_target + antenna_extension_mm - s_out
        if beyond > 0:
            warnings.append(
                f"the antenna tip would lie {beyond:.1f} mm beyond the body cortex along this "
                "axis: use a shorter antenna extension or a more posterior target"
            )
    return target, warnings


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
    field = DistanceField(anatomy.canal, volume.index_to_lps, pad_mm=10.0)
    r = outer_diameter_mm / 2.0

    def canal_gap(p: FloatArray) -> float:
        v = target - p
        v /= np.linalg.norm(v)
        start = p - 40.0 * v  # the stretch behind the pass point is where the canal can be met
        return needle_distance(field, _geometry(start, target), r).distance_mm

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


def _lateral_route(
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
    skin = find_skin_along_line(volume, through, -v, max_distance_mm=_SEARCH_MM)
    air = [_AIR_WARNING.format(skin.internal_air_mm)] if skin.internal_air_mm > 0 else []
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
        geometry=_geometry(np.asarray(skin.skin_lps), target),
        pedicle_min_width_mm=axis.min_width_mm,
        skin_found=skin.found,
        warnings=tuple(warnings),
    )
