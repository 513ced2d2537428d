"""Direct (extraspinal) needle paths: from an operator-chosen skin point towards the lesion's centroid,
the needle tip placed so that the predicted ablation zone is centred on the lesion with the antenna tip
inside the bone (:mod:`planning.direct_tip`), checked for gas inside the body and for forbidden structures;
and, when no skin point is given (``osteoplan plan`` with ``"approach": "direct"`` alone), the skin
point the program chooses: of the straight ways in from the skin to the lesion's centroid that cross no
gas inside the body, no bone other than the lesion's own cortex and no forbidden structure, the one whose
needle is most usable (the antenna tip kept inside the bone, the needle tip deep enough for the tissue to
hold it, the zone covering the lesion), then the shortest.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); the lesion mask on the volume's
``[slice, row, col]`` grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.volume import Volume
from planning.direct_tip import bone_near_lesion, place_direct_tip
from planning.distance_field import DistanceField, crossed_structures
from planning.errors import PlanValidationError
from planning.grid_sampling import mask_at_points, sample_trilinear
from planning.model import HELD_NEEDLE_DEPTH_MM, Approach
from planning.needles import DEFAULT_ANTENNA_EXTENSION_MM
from planning.proposal_base import AIR_WARNING, Proposal, route_geometry
from planning.skin_crossing import find_skin_along_line
from planning.trajectory_geometry import as_point
from planning.zone_model import ZoneModel

FloatArray = npt.NDArray[np.float64]


def propose_direct(
    volume: Volume,
    lesion: Mask,
    skin_lps: Sequence[float],
    *,
    outer_diameter_mm: float = 0.0,
    forbidden: Mapping[str, DistanceField] | None = None,
    antenna_extension_mm: float = DEFAULT_ANTENNA_EXTENSION_MM,
    zone: ZoneModel | None = None,
    bone: Mask | None = None,
) -> Proposal:
    """Direct puncture from an operator-chosen skin point, its zone centred on the lesion.

    The needle runs from ``skin_lps`` towards the lesion's centroid. With a ``zone`` model its tip goes
    where the predicted zone's centre (``zone.center_behind_tip_mm`` behind the antenna tip, itself
    ``antenna_extension_mm`` beyond the needle tip) lies on the centroid, drawn back along the line when
    the antenna tip would otherwise leave the bone (``bone``, or the bone found around the lesion when
    None): :func:`planning.direct_tip.place_direct_tip`. Without a zone model the tip goes to the
    lesion's near edge along the line (CLINICAL.md "Target": access needle to the lesion's anterior
    edge, extraspinal), and a warning asks for a device. The path is checked for gas or air inside the
    body (lung, bowel) and, when given, for the ``forbidden`` structures it touches (a capsule of the
    needle's outer radius).

    Raises
    ------
    PlanValidationError
        When the lesion is empty, the skin point lies within 1 mm of its centre, or the line misses it.
    """
    if not lesion.any():
        raise PlanValidationError("lesion", "empty mask", "a lesion of at least one voxel")
    skin = as_point(skin_lps, "skin_lps")
    centroid = _centroid_lps(volume, lesion)
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
    warnings: list[str] = []
    if zone is None:
        first = int(np.flatnonzero(hit)[0])
        tip_mm = float(s[first])
        warnings.append(
            "no ablation device chosen: needle tip placed at the lesion's near edge; choose a device and "
            "propose again to centre its zone on the lesion"
        )
    else:
        if bone is None:
            # the antenna tip lies at most the lesion's far side plus the zone centre's offset away
            bone = bone_near_lesion(volume, lesion, zone.center_behind_tip_mm + _BONE_REACH_MARGIN_MM)
        tip = place_direct_tip(
            volume, lesion, bone, skin, centroid, antenna_extension_mm=antenna_extension_mm, zone=zone
        )
        tip_mm = tip.tip_mm
        warnings += tip.warnings
    geometry = route_geometry(skin, skin + tip_mm * u)
    outline = find_skin_along_line(volume, geometry.target_lps, -u, max_distance_mm=geometry.length_mm + 20.0)
    if outline.internal_air_mm > 0:
        warnings.append(AIR_WARNING.format(outline.internal_air_mm))
    for name in crossed_structures(forbidden or {}, geometry, outer_diameter_mm / 2.0):
        warnings.append(f"this path crosses {name}")
    return Proposal(
        approach=Approach.DIRECT, geometry=geometry, skin_found=outline.found, warnings=tuple(warnings)
    )


#: bone is looked for this far beyond the zone centre's offset behind the antenna tip (mm): room for the
#: clearance the antenna tip keeps and the cortex around it (:mod:`planning.direct_tip`)
_BONE_REACH_MARGIN_MM = 10.0


#: directions tried from the lesion's centroid when the program chooses the skin point (a Fibonacci
#: sphere: about 11 degrees between neighbours)
ENTRY_DIRECTIONS = 300
#: dense bone (HU) counted as crossed on the way in: cortex, not trabecular bone or contrast
CROSSED_BONE_HU = 400.0
#: the lesion's own cortex lies within this of its edge along the path (mm): crossing it is the point
#: of a direct puncture ("through the cortex if intact", CLINICAL.md)
OWN_CORTEX_MM = 8.0
#: the deepest skin-to-lesion path considered (mm): the access needles are 10-15 cm (CLINICAL.md)
MAX_ENTRY_DEPTH_MM = 150.0
# the needle tip's least depth under the skin (``min_needle_depth_mm``) defaults to the case setting's
# ``planning.model.HELD_NEEDLE_DEPTH_MM`` (10 mm, so that the tissue holds the needle; reason given there)
#: when the program chooses the route, zones covering the lesion within this share of the best one
#: count as equal and the shortest route is taken (a needle drawn back to keep the antenna tip in the
#: bone whose zone still covers the lesion is as good as a centred one): a few per cent of the lesion's
#: voxels is below what the predicted zone tells apart (vendor zones from ex vivo liver, smaller in
#: bone, CLINICAL.md "Microwave ablation zone models")
COVERAGE_TOLERANCE = 0.05


def choose_direct_skin_point(
    volume: Volume,
    lesion: Mask,
    *,
    outer_diameter_mm: float = 0.0,
    forbidden: Mapping[str, DistanceField] | None = None,
    antenna_extension_mm: float = DEFAULT_ANTENNA_EXTENSION_MM,
    zone: ZoneModel | None = None,
    bone: Mask | None = None,
    min_needle_depth_mm: float = HELD_NEEDLE_DEPTH_MM,
) -> tuple[tuple[float, float, float], str]:
    """The skin point of the best clear straight path to the lesion's centroid, and a note saying why.

    ``ENTRY_DIRECTIONS`` directions are followed outward from the centroid to the skin; a path is
    clear when it crosses no gas inside the body, no dense bone (``CROSSED_BONE_HU``) farther than
    ``OWN_CORTEX_MM`` beyond the lesion's edge, and none of the ``forbidden`` structures, and is no
    deeper than ``MAX_ENTRY_DEPTH_MM``. Each clear path's needle is placed as :func:`propose_direct`
    places it (with a ``zone``: :func:`planning.direct_tip.place_direct_tip`, the zone centred on the
    lesion, drawn back when the antenna tip would leave the bone; without one: at the lesion's near
    edge), and the paths are ranked by whether that needle is usable:

    1. the antenna tip stays inside the bone (``bone``, or the bone found around the lesion), with the
       zone centred on the lesion or, drawn back, still covering it;
    2. the needle tip lies at least ``min_needle_depth_mm`` from the skin, so the tissue holds it;
    3. the zone covers the most of the lesion (within ``COVERAGE_TOLERANCE``: a drawn-back needle whose
       zone still covers the lesion is as good as a centred one);
    4. the shortest.

    Paths are looked at from the shortest, and the search stops at the first that meets 1 and 2 with
    the zone covering all but ``COVERAGE_TOLERANCE`` of the lesion: no longer one can rank above it.

    Returns
    -------
    tuple
        The skin point (LPS mm) and a note for the operator: what was chosen and what it could not meet.

    Raises
    ------
    PlanValidationError
        When the lesion is empty or no clear path is found (the operator must give the skin point).
    ValueError
        When ``antenna_extension_mm`` or ``min_needle_depth_mm`` is negative.
    """
    if not lesion.any():
        raise PlanValidationError("lesion", "empty mask", "a lesion of at least one voxel")
    if not min_needle_depth_mm >= 0.0:
        raise ValueError(f'Argument "min_needle_depth_mm" must be >= 0, got {min_needle_depth_mm}')
    if not antenna_extension_mm >= 0.0:
        raise ValueError(f'Argument "antenna_extension_mm" must be >= 0, got {antenna_extension_mm}')
    centroid = _centroid_lps(volume, lesion)
    skins = _skins_by_depth(volume, centroid)
    if not skins:
        raise PlanValidationError(
            "skin_lps",
            None,
            f"a skin point: the skin was not found within {MAX_ENTRY_DEPTH_MM:.0f} mm of the lesion in "
            "any direction without gas on the way (the image may end before the skin)",
        )
    if zone is not None and bone is None:
        bone = bone_near_lesion(volume, lesion, zone.center_behind_tip_mm + _BONE_REACH_MARGIN_MM)
    points = volume.index_to_lps_points(lesion.voxel_indices().astype(np.float64))  # once for every path
    seen: list[_Candidate] = []
    for depth_mm, skin, d in skins:
        edge_mm = _lesion_edge_if_clear(
            volume, lesion, centroid, skin, d, depth_mm, outer_diameter_mm, forbidden
        )
        if edge_mm is None:
            continue
        cand = _placed(
            volume, lesion, points, bone, skin, centroid, depth_mm, edge_mm, antenna_extension_mm, zone
        )
        seen.append(cand)
        if _rank(cand, min_needle_depth_mm) == (False, False) and _cover(cand) >= 1.0 - COVERAGE_TOLERANCE:
            break
    if not seen:
        raise PlanValidationError(
            "skin_lps",
            None,
            "a skin point: no straight path from the skin reaches the lesion without crossing gas, "
            "other bone or a forbidden structure",
        )
    chosen = _best(seen, min_needle_depth_mm)
    return chosen.skin_lps, _note(chosen, seen, min_needle_depth_mm, zone is not None)


@dataclass(frozen=True)
class _Candidate:
    """A clear path and its needle as :func:`propose_direct` would place it: ``length_mm`` from the skin
    to the lesion's centroid, ``tip_mm`` the needle tip's distance from the skin, ``covered_fraction``
    the lesion's share in the zone (None without a zone)."""

    skin_lps: tuple[float, float, float]
    length_mm: float
    tip_mm: float
    antenna_in_bone: bool | None
    drawn_back: bool
    covered_fraction: float | None


def _skins_by_depth(
    volume: Volume, centroid: FloatArray
) -> list[tuple[float, tuple[float, float, float], FloatArray]]:
    """The skin in each of the ``ENTRY_DIRECTIONS`` (found, no gas on the way, no deeper than
    ``MAX_ENTRY_DEPTH_MM``): ``(depth_mm, skin_lps, outward direction)``, the shallowest first (ties in
    the directions' order)."""
    k = np.arange(ENTRY_DIRECTIONS) + 0.5
    polar = np.arccos(1.0 - 2.0 * k / ENTRY_DIRECTIONS)
    azimuth = np.pi * (1.0 + 5.0**0.5) * k
    directions = np.stack(
        [np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)], axis=1
    )
    found = []
    for d in directions:
        outline = find_skin_along_line(volume, centroid, d, max_distance_mm=MAX_ENTRY_DEPTH_MM + 50.0)
        if outline.found and outline.internal_air_mm == 0 and outline.distance_mm <= MAX_ENTRY_DEPTH_MM:
            found.append((outline.distance_mm, outline.skin_lps, d))
    found.sort(key=lambda f: f[0])
    return found


def _lesion_edge_if_clear(  # noqa: PLR0917 - one path's check
    volume: Volume,
    lesion: Mask,
    centroid: FloatArray,
    skin: tuple[float, float, float],
    d: FloatArray,
    depth_mm: float,
    outer_diameter_mm: float,
    forbidden: Mapping[str, DistanceField] | None,
) -> float | None:
    """The lesion's edge along the outward direction ``d`` (mm from the centroid) when the path to the
    ``skin``, ``depth_mm`` away, crosses no other bone and no forbidden structure, else None."""
    step = 0.25 * min(volume.spacing_mm)
    s = np.arange(0.0, depth_mm, step)
    points = centroid + s[:, None] * d
    inside = mask_at_points(lesion, volume, points)
    edge_mm = float(s[np.flatnonzero(inside)[-1]]) if inside.any() else 0.0
    hu = sample_trilinear(volume.array, volume.lps_to_index_points(points), outside=np.nan)
    if np.any(hu[s > edge_mm + OWN_CORTEX_MM] > CROSSED_BONE_HU):
        return None
    geometry = route_geometry(np.asarray(skin), centroid)
    if forbidden and crossed_structures(forbidden, geometry, outer_diameter_mm / 2.0):
        return None
    return edge_mm


def _placed(  # noqa: PLR0917 - one path's needle
    volume: Volume,
    lesion: Mask,
    lesion_points_lps: FloatArray,
    bone: Mask | None,
    skin: tuple[float, float, float],
    centroid: FloatArray,
    length_mm: float,
    edge_mm: float,
    antenna_extension_mm: float,
    zone: ZoneModel | None,
) -> _Candidate:
    """The needle on one clear path, placed as :func:`propose_direct` places it."""
    if zone is None:
        # the needle tip at the lesion's near edge
        return _Candidate(skin, length_mm, length_mm - edge_mm, None, False, None)
    tip = place_direct_tip(
        volume,
        lesion,
        bone,
        np.asarray(skin),
        centroid,
        antenna_extension_mm=antenna_extension_mm,
        zone=zone,
        lesion_points_lps=lesion_points_lps,
    )
    return _Candidate(
        skin, length_mm, tip.tip_mm, tip.antenna_in_bone, tip.centre_short_mm > 0.0, tip.covered_fraction
    )


def _rank(c: _Candidate, min_depth_mm: float) -> tuple[bool, bool]:
    """What a path's needle fails, worst first: the antenna tip outside the bone, the needle tip too
    shallow (False is better)."""
    return (c.antenna_in_bone is False, c.tip_mm < min_depth_mm)


def _cover(c: _Candidate) -> float:
    """The lesion's share in the zone; 1 without a zone (nothing to compare)."""
    return 1.0 if c.covered_fraction is None else c.covered_fraction


def _best(seen: list[_Candidate], min_depth_mm: float) -> _Candidate:
    """The best of ``seen``: the best rank; of those, the zones covering the most of the lesion (within
    ``COVERAGE_TOLERANCE``); of those, the shortest."""
    top = min(_rank(c, min_depth_mm) for c in seen)
    tied = [c for c in seen if _rank(c, min_depth_mm) == top]
    most = max(_cover(c) for c in tied)
    return min((c for c in tied if _cover(c) >= most - COVERAGE_TOLERANCE), key=lambda c: c.length_mm)


def _note(chosen: _Candidate, seen: list[_Candidate], min_depth_mm: float, with_zone: bool) -> str:
    """What the program chose and why, in the operator's words, with what it could not meet."""
    out_of_bone, shallow = _rank(chosen, min_depth_mm)
    said = [
        f"entry chosen by the program: a straight path from the skin to the lesion's centre "
        f"({chosen.length_mm:.0f} mm) that crosses no gas, no other bone and no forbidden structure"
    ]
    if with_zone and not out_of_bone:
        placed = "drawn back" if chosen.drawn_back else "with the zone centred on the lesion"
        said.append(f"the antenna tip inside the bone ({placed}, {100 * _cover(chosen):.0f}% covered)")
    if not shallow:
        said.append(
            f"the needle tip {chosen.tip_mm:.0f} mm deep (at least {min_depth_mm:.0f} mm, so that the tissue "
            "holds the needle)"
        )
    shortest = seen[0]
    if chosen is not shortest:
        why = _shortfalls(shortest, min_depth_mm, with_zone) or ["its zone covers less of the lesion"]
        said.append(
            f"the shortest clear path ({shortest.length_mm:.0f} mm) was not taken: {' and '.join(why)}"
        )
    missed = _shortfalls(chosen, min_depth_mm, with_zone)
    if missed:
        said.append(f"no clear path does better: on this one {' and '.join(missed)}")
    return "; ".join(said) + '; check it on the images (give "skin_lps" to choose it)'


def _shortfalls(c: _Candidate, min_depth_mm: float, with_zone: bool) -> list[str]:
    """What makes a path's needle less usable, in the operator's words."""
    out_of_bone, shallow = _rank(c, min_depth_mm)
    words = []
    if with_zone and out_of_bone:
        words.append("the antenna tip would lie outside the bone")
    if shallow:
        words.append(f"the needle tip would be only {c.tip_mm:.0f} mm deep")
    return words


def _centroid_lps(volume: Volume, lesion: Mask) -> FloatArray:
    """The lesion's centroid (LPS mm), from its voxel centres."""
    return volume.index_to_lps_points(lesion.voxel_indices().astype(np.float64).mean(axis=0))
