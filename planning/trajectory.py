"""What the planner reports for one needle (length, angles, skin depth, canal distance, pedicle
clearance, crossings, the length outside the scanned image), and the public face of the trajectory
modules (import from here or from them):

- :mod:`planning.trajectory_geometry`: the needle line (entry -> tip) and its angle conventions;
- :mod:`planning.grid_sampling`: trilinear sampling of the CT or a distance map;
- :mod:`planning.skin_crossing`: where a line leaves the body (HU > -300), and internal air crossed;
- :mod:`planning.distance_field`: signed distance maps of masks and the needle's (a capsule's)
  distance to them;
- :mod:`planning.pedicle_clearance`: room between the needle and the pedicle cortex at the isthmus;
- :mod:`planning.antenna_body`: whether the antenna tip stays inside the vertebral body.

Frames and units: positions are DICOM patient coordinates, LPS, in mm (+x patient left, +y posterior,
+z superior). Volumes and masks are indexed ``[slice, row, col]`` and placed by the 4x4
``index_to_lps`` matrix of :class:`imaging.volume.Volume`. Angles in degrees, as
:mod:`planning.trajectory_geometry` defines them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from imaging.mask import Mask
from imaging.volume import Volume
from planning.antenna_body import antenna_beyond_body, antenna_beyond_body_warning
from planning.distance_field import (
    DistanceField,
    NeedleDistance,
    crossed_structures,
    needle_distance,
)
from planning.grid_sampling import (
    SAMPLE_STEP_FRACTION,
    length_outside_image_mm,
    sample_trilinear,
)
from planning.pedicle_clearance import (
    BreachSide,
    PedicleClearance,
    breach_side,
    pedicle_clearance,
    pedicle_clearance_from_axis,
)
from planning.skin_crossing import (
    BODY_OUTLINE_HU,
    SkinCrossing,
    find_skin_along_line,
    skin_to_target_depth_mm,
)
from planning.trajectory_geometry import (
    FloatArray,
    Point,
    TrajectoryGeometry,
    as_point,
    craniocaudal_deg,
    mediolateral_deg,
    point_tuple,
)

__all__ = [
    "BODY_OUTLINE_HU",
    "SAMPLE_STEP_FRACTION",
    "DistanceField",
    "FloatArray",
    "NeedleDistance",
    "PedicleClearance",
    "Point",
    "SkinCrossing",
    "TrajectoryGeometry",
    "TrajectoryMetrics",
    "antenna_outside_image_warning",
    "as_point",
    "craniocaudal_deg",
    "crossed_structures",
    "find_skin_along_line",
    "length_outside_image_mm",
    "measure_trajectory",
    "mediolateral_deg",
    "needle_distance",
    "outside_image_warning",
    "pedicle_clearance",
    "pedicle_clearance_from_axis",
    "point_tuple",
    "sample_trilinear",
    "skin_to_target_depth_mm",
]


@dataclass(frozen=True)
class TrajectoryMetrics:
    """What the planner reports for one needle (mm, degrees; LPS points).

    ``skin_depth_mm`` is the tip's depth below the skin along the needle (a lower bound when
    ``skin_found`` is False); ``canal_distance_mm`` the signed distance from the access needle's
    surface to the canal (negative = it enters); ``antenna_canal_distance_mm`` the same for the
    antenna segment beyond the needle tip; ``pedicle_clearance_mm`` the smallest distance from the
    needle surface to the pedicle cortex where it runs in the pedicle; ``pedicle_breach_side`` the wall
    that distance is to (medial = towards the canal) when the clearance is negative and the canal is
    known; ``antenna_beyond_body_mm`` how far the antenna tip lies beyond the vertebral body's cortex
    along the needle when the body is known and the tip has left it. None = not known (or, for the
    antenna, inside the body). ``outside_image_mm`` is the length of the needle (entry to tip) that lies
    outside the scanned image, where neither the skin nor the structures crossed can be seen: the skin
    depth and ``crossed`` count only what the image shows (0 when the needle is all in the image).
    ``antenna_outside_image_mm`` is the same for the antenna beyond the needle tip (tip to antenna tip):
    what it and its zone reach there is not seen.
    ``pedicle_missed`` is True when the pedicle's mask is known but the needle's axis lies outside it at
    the isthmus (it misses the pedicle there, or breaches it by more than its radius): no clearance is
    measured then; ``pedicle_miss_side`` says beyond which wall of the pedicle the axis passes there
    (medial = towards the canal; None when not known or the canal is not known).
    """

    length_mm: float
    craniocaudal_deg: float
    mediolateral_deg: float
    skin_depth_mm: float
    skin_found: bool
    internal_air_mm: float
    canal_distance_mm: float | None
    canal_closest_lps: Point | None
    antenna_canal_distance_mm: float | None
    pedicle_clearance_mm: float | None
    crossed: tuple[str, ...]
    warnings: tuple[str, ...]
    pedicle_breach_side: BreachSide | None = None
    antenna_beyond_body_mm: float | None = None
    outside_image_mm: float = 0.0
    antenna_outside_image_mm: float = 0.0
    pedicle_missed: bool = False
    pedicle_miss_side: BreachSide | None = None


def outside_image_warning(outside_mm: float) -> str | None:
    """The plain sentence for a needle partly outside the scanned image (None when the length reads 0.0
    mm): where the field of view cuts the body off, the skin depth and the crossings cannot be right."""
    if f"{outside_mm:.1f}" == "0.0":
        return None
    return (
        f"{outside_mm:.1f} mm of the needle lies outside the scanned image: "
        "skin to tip and what it crosses are not known there"
    )


def antenna_outside_image_warning(outside_mm: float) -> str | None:
    """The plain sentence for an antenna (beyond the needle tip) partly outside the scanned image (None
    when the length reads 0.0 mm): the tissue it and its zone reach there is not seen."""
    if f"{outside_mm:.1f}" == "0.0":
        return None
    return (
        f"{outside_mm:.1f} mm of the antenna beyond the needle tip lies outside the scanned image: what it "
        "and its zone reach there is not seen"
    )


def measure_trajectory(
    volume: Volume,
    geometry: TrajectoryGeometry,
    *,
    outer_diameter_mm: float,
    needle_length_mm: float,
    antenna_extension_mm: float,
    antenna_outer_diameter_mm: float,
    canal: DistanceField | None = None,
    pedicle_mask: Mask | None = None,
    pedicle_isthmus_lps: Sequence[float] | None = None,
    pedicle_min_width_mm: float | None = None,
    forbidden: Mapping[str, DistanceField] | None = None,
    body: Mask | None = None,
) -> TrajectoryMetrics:
    """Length, angles, depth, canal distance, pedicle clearance and crossings of one needle.

    Parameters
    ----------
    volume
        The CT (for the skin depth).
    geometry
        Entry and tip of the access needle.
    outer_diameter_mm, needle_length_mm
        Access needle outer diameter and usable length.
    antenna_extension_mm, antenna_outer_diameter_mm
        Antenna beyond the tip and its diameter.
    canal
        Distance field of the spinal canal, when known.
    pedicle_mask, pedicle_isthmus_lps, pedicle_min_width_mm
        The pedicle the needle should run in, when known: clearance from the mask around the
        isthmus, or estimated from the narrowest width when there is no mask.
    forbidden
        Other structures the needle must not cross, by name.
    body
        The vertebral body of the target (on ``volume``'s grid), when known: the antenna tip is
        checked against it, and its bone is not a pedicle wall (the pedicle mask ends against it).

    Returns
    -------
    TrajectoryMetrics
        The figures and plain-sentence warnings.
    """
    warnings: list[str] = []
    outside_mm = length_outside_image_mm(volume, geometry.entry_lps, geometry.target_lps)
    outside = outside_image_warning(outside_mm)
    if outside is not None:
        warnings.append(outside)
    antenna_outside_mm = (
        length_outside_image_mm(
            volume,
            geometry.target_lps,
            np.add(geometry.target_lps, antenna_extension_mm * geometry.direction_lps),
        )
        if antenna_extension_mm > 0
        else 0.0
    )
    antenna_outside = antenna_outside_image_warning(antenna_outside_mm)
    if antenna_outside is not None:
        warnings.append(antenna_outside)
    skin = skin_to_target_depth_mm(volume, geometry)
    if not skin.found:
        warnings.append("the skin was not found along the needle within the image; depth is a lower bound")
    if skin.internal_air_mm > 0:
        warnings.append(
            f"the needle crosses {skin.internal_air_mm:.0f} mm of gas or air inside the body "
            "(lung or bowel): check the path"
        )
    if skin.distance_mm > needle_length_mm:
        warnings.append(
            f"the tip lies {skin.distance_mm:.0f} mm below the skin, deeper than the "
            f"{needle_length_mm:.0f} mm needle"
        )
    r = outer_diameter_mm / 2.0
    canal_mm: float | None = None
    canal_at: Point | None = None
    antenna_mm: float | None = None
    if canal is not None and not canal.empty:
        nd = needle_distance(canal, geometry, r)
        canal_mm, canal_at = nd.distance_mm, nd.closest_lps
        if nd.enters:
            warnings.append(f"the needle enters the spinal canal (by {-nd.distance_mm:.1f} mm)")
        if antenna_extension_mm > 0:
            ad = needle_distance(
                canal,
                geometry,
                antenna_outer_diameter_mm / 2.0,
                extension_mm=antenna_extension_mm,
                from_mm=geometry.length_mm,
            )
            antenna_mm = ad.distance_mm
            if ad.enters:
                warnings.append("the antenna beyond the needle tip enters the spinal canal")
    clearance: float | None = None
    side: BreachSide | None = None
    missed = False
    miss_side: BreachSide | None = None
    if pedicle_isthmus_lps is not None:
        if pedicle_mask is not None and pedicle_mask.any():
            pc = pedicle_clearance(
                pedicle_mask, volume.index_to_lps, geometry, r, pedicle_isthmus_lps, body=body
            )
        elif pedicle_min_width_mm is not None:
            pc = pedicle_clearance_from_axis(pedicle_min_width_mm, pedicle_isthmus_lps, geometry, r)
        else:
            pc = PedicleClearance(None, None, "none")
        clearance = pc.clearance_mm
        if pc.method == "mask" and pc.clearance_mm is None:
            missed = True
            if canal is not None and not canal.empty:
                miss_side = breach_side(
                    geometry,
                    _isthmus_to_axis(geometry, pedicle_isthmus_lps),
                    # at the isthmus, in the pedicle: the axis there may lie in the canal, past its middle
                    _towards(canal, geometry, pedicle_isthmus_lps, on_axis=False),
                )
            warnings.append("the needle does not pass through the pedicle at its isthmus")
        elif pc.clearance_mm is not None and pc.clearance_mm < 0:
            wall_at, toward_wall = pc.closest_lps, pc.toward_wall
            if wall_at is not None and toward_wall is not None and canal is not None and not canal.empty:
                side = breach_side(geometry, toward_wall, _towards(canal, geometry, wall_at))
            where = "" if side is None else f" on its {side.value} wall"
            if side is BreachSide.MEDIAL:
                where += " (towards the spinal canal)"
            elif side is BreachSide.INFERIOR:
                where += " (towards the nerve root in the foramen)"
            warnings.append(f"the needle breaches the pedicle cortex{where} (by {-pc.clearance_mm:.1f} mm)")
    crossed = tuple(crossed_structures(forbidden or {}, geometry, r))
    for name in crossed:
        warnings.append(f"the needle crosses {name}")
    beyond: float | None = None
    if body is not None and body.any():
        beyond = antenna_beyond_body(volume, body, geometry, antenna_extension_mm).beyond_mm
        if beyond is not None:
            warnings.append(antenna_beyond_body_warning(beyond))
    return TrajectoryMetrics(
        length_mm=geometry.length_mm,
        craniocaudal_deg=geometry.craniocaudal_deg,
        mediolateral_deg=geometry.mediolateral_deg,
        skin_depth_mm=skin.distance_mm,
        skin_found=skin.found,
        internal_air_mm=skin.internal_air_mm,
        canal_distance_mm=canal_mm,
        canal_closest_lps=canal_at,
        antenna_canal_distance_mm=antenna_mm,
        pedicle_clearance_mm=clearance,
        crossed=crossed,
        warnings=tuple(warnings),
        pedicle_breach_side=side,
        antenna_beyond_body_mm=beyond,
        outside_image_mm=outside_mm,
        antenna_outside_image_mm=antenna_outside_mm,
        pedicle_missed=missed,
        pedicle_miss_side=miss_side,
    )


def _isthmus_to_axis(geometry: TrajectoryGeometry, isthmus_lps: Sequence[float]) -> FloatArray:
    """Across the needle, from the pedicle's isthmus to the needle's axis (LPS mm; zero on the axis)."""
    v = np.asarray(isthmus_lps, dtype=np.float64) - np.asarray(geometry.entry_lps)
    d = geometry.direction_lps
    out: FloatArray = (v @ d) * d - v
    return out


def _towards(
    field: DistanceField, geometry: TrajectoryGeometry, point_lps: Sequence[float], *, on_axis: bool = True
) -> FloatArray:
    """Down the field's gradient (towards its structure) at the needle-axis point nearest a point (at
    the point itself with ``on_axis=False``), by central differences 1 mm apart."""
    at = np.asarray(point_lps, dtype=np.float64)
    if on_axis:
        e = np.asarray(geometry.entry_lps)
        d = geometry.direction_lps
        at = e + float((at - e) @ d) * d
    steps = np.eye(3)
    grad = (field.sample(at + steps) - field.sample(at - steps)) / 2.0
    out: FloatArray = -np.asarray(grad, dtype=np.float64)
    return out
