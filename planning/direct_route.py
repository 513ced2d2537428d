"""Direct (extraspinal) needle paths: from an operator-chosen skin point through the lesion's centroid
to the lesion's far edge along that line, checked for gas inside the body and for forbidden structures.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); the lesion mask on the volume's
``[slice, row, col]`` grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from imaging.mask import Mask
from imaging.volume import Volume
from planning.distance_field import DistanceField, crossed_structures
from planning.errors import PlanValidationError
from planning.grid_sampling import mask_at_points
from planning.model import Approach
from planning.proposal_base import AIR_WARNING, Proposal, route_geometry
from planning.skin_crossing import find_skin_along_line
from planning.trajectory_geometry import as_point


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
    geometry = route_geometry(skin, skin + s[last] * u)
    outline = find_skin_along_line(volume, geometry.target_lps, -u, max_distance_mm=geometry.length_mm + 20.0)
    if outline.internal_air_mm > 0:
        warnings.append(AIR_WARNING.format(outline.internal_air_mm))
    for name in crossed_structures(forbidden or {}, geometry, outer_diameter_mm / 2.0):
        warnings.append(f"this path crosses {name}")
    return Proposal(
        approach=Approach.DIRECT, geometry=geometry, skin_found=outline.found, warnings=tuple(warnings)
    )
