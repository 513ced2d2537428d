"""Direct (extraspinal) needle paths: from an operator-chosen skin point towards the lesion's centroid,
the needle tip placed so that the predicted ablation zone is centred on the lesion with the antenna tip
inside the bone (:mod:`planning.direct_tip`), checked for gas inside the body and for forbidden structures;
and, when no skin point is given (``osteoplan plan`` with ``"approach": "direct"`` alone), the skin
point the program chooses: the shortest straight way in from the skin to the lesion's centroid that
crosses no gas inside the body, no bone other than the lesion's own cortex and no forbidden structure.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); the lesion mask on the volume's
``[slice, row, col]`` grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.volume import Volume
from planning.direct_tip import bone_near_lesion, place_direct_tip
from planning.distance_field import DistanceField, crossed_structures
from planning.errors import PlanValidationError
from planning.grid_sampling import mask_at_points, sample_trilinear
from planning.model import Approach
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


def choose_direct_skin_point(
    volume: Volume,
    lesion: Mask,
    *,
    outer_diameter_mm: float = 0.0,
    forbidden: Mapping[str, DistanceField] | None = None,
) -> tuple[tuple[float, float, float], str]:
    """The skin point of the shortest clear straight path to the lesion's centroid, and a note saying so.

    ``ENTRY_DIRECTIONS`` directions are followed outward from the centroid to the skin; a path is
    clear when it crosses no gas inside the body, no dense bone (``CROSSED_BONE_HU``) farther than
    ``OWN_CORTEX_MM`` beyond the lesion's edge, and none of the ``forbidden`` structures. Of the clear
    paths no deeper than ``MAX_ENTRY_DEPTH_MM`` the shortest is chosen.

    Raises
    ------
    PlanValidationError
        When the lesion is empty or no clear path is found (the operator must give the skin point).
    """
    if not lesion.any():
        raise PlanValidationError("lesion", "empty mask", "a lesion of at least one voxel")
    centroid = _centroid_lps(volume, lesion)
    k = np.arange(ENTRY_DIRECTIONS) + 0.5
    polar = np.arccos(1.0 - 2.0 * k / ENTRY_DIRECTIONS)
    azimuth = np.pi * (1.0 + 5.0**0.5) * k
    directions = np.stack(
        [np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)], axis=1
    )
    step = 0.25 * min(volume.spacing_mm)
    best: tuple[float, tuple[float, float, float]] | None = None
    for d in directions:
        outline = find_skin_along_line(volume, centroid, d, max_distance_mm=MAX_ENTRY_DEPTH_MM + 50.0)
        if not outline.found or outline.internal_air_mm > 0 or outline.distance_mm > MAX_ENTRY_DEPTH_MM:
            continue
        if best is not None and outline.distance_mm >= best[0]:
            continue
        s = np.arange(0.0, outline.distance_mm, step)
        points = centroid + s[:, None] * d
        inside = mask_at_points(lesion, volume, points)
        edge_mm = float(s[np.flatnonzero(inside)[-1]]) if inside.any() else 0.0
        hu = sample_trilinear(volume.array, volume.lps_to_index_points(points), outside=np.nan)
        beyond_own = s > edge_mm + OWN_CORTEX_MM
        if np.any(hu[beyond_own] > CROSSED_BONE_HU):
            continue
        skin = outline.skin_lps
        radius = outer_diameter_mm / 2.0
        if forbidden and crossed_structures(forbidden, route_geometry(np.asarray(skin), centroid), radius):
            continue
        best = (outline.distance_mm, skin)
    if best is None:
        raise PlanValidationError(
            "skin_lps",
            None,
            "a skin point: no straight path from the skin reaches the lesion without crossing gas, "
            "other bone or a forbidden structure",
        )
    depth, skin = best
    note = (
        f"entry chosen by the program: the shortest straight path from the skin to the lesion's centre "
        f"({depth:.0f} mm) that crosses no gas, no other bone and no forbidden structure; check it on the "
        'images (give "skin_lps" to choose it)'
    )
    return skin, note


def _centroid_lps(volume: Volume, lesion: Mask) -> FloatArray:
    """The lesion's centroid (LPS mm), from its voxel centres."""
    return volume.index_to_lps_points(lesion.voxel_indices().astype(np.float64).mean(axis=0))
