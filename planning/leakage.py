"""Cement-leakage risk: where cement may escape from a vertebral body, and how likely a leak is.

The public face of these modules, one concept each (import from here or from them):

- :mod:`planning.leakage_map`: the leakage-risk zones of one vertebra (posterior-wall and foramen
  bands, wall, cortical and endplate defects, the basivertebral foramen, access tracks), as masks on
  the volume's grid ``[slice, row, col]`` with volumes in mL, distances in mm, positions LPS; the zone
  values are in :mod:`planning.leakage_zone`, the foramen bands in :mod:`planning.leakage_foramen`;
- :mod:`planning.leakage_risk`: the risk factors of CLINICAL.md and the stated rule that combines them
  into a level, always with its reasons;
- :mod:`planning.leakage_grid`: the grid geometry the zones are drawn with (the vertebra's local
  frame, the region of interest, distances to voxel faces).
"""

from __future__ import annotations

from planning.leakage_map import (
    BONE_THRESHOLD_HU,
    FORAMEN_DEPTH_MM,
    FORAMEN_WIDTH_MM,
    NEAR_WALL_KINDS,
    NEAR_WALL_MM,
    NEAR_WALL_SOURCE,
    PEDICLE_HEIGHT_FRACTION,
    TRACK_MARGIN_MM,
    LeakageMap,
    LeakageZone,
    Trajectory,
    ZoneKind,
    leakage_zones,
)
from planning.leakage_risk import (
    BASELINE_NOTE,
    FACTOR_INFO,
    MAJOR_ODDS_RATIO,
    RULE_TEXT,
    FactorFinding,
    FactorInfo,
    LeakageRisk,
    RiskFactor,
    RiskLevel,
    assess_leakage_risk,
)

__all__ = [
    "BASELINE_NOTE",
    "BONE_THRESHOLD_HU",
    "FACTOR_INFO",
    "FORAMEN_DEPTH_MM",
    "FORAMEN_WIDTH_MM",
    "MAJOR_ODDS_RATIO",
    "NEAR_WALL_KINDS",
    "NEAR_WALL_MM",
    "NEAR_WALL_SOURCE",
    "PEDICLE_HEIGHT_FRACTION",
    "RULE_TEXT",
    "TRACK_MARGIN_MM",
    "FactorFinding",
    "FactorInfo",
    "LeakageMap",
    "LeakageRisk",
    "LeakageZone",
    "RiskFactor",
    "RiskLevel",
    "Trajectory",
    "ZoneKind",
    "assess_leakage_risk",
    "leakage_zones",
]
