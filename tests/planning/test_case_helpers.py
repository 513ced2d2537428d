"""Builders shared by the case tests (no tests here): a case with a value in every section."""

from __future__ import annotations

import numpy as np

from imaging.mask import Mask
from planning.case import Case, CaseState
from planning.model import (
    AblationSpec,
    Approach,
    CaseInfo,
    CaseStatus,
    CementChoice,
    ForbiddenStructure,
    FrozenDict,
    ImageRef,
    ImageRole,
    LayerKind,
    LesionType,
    MaskLayer,
    PlanSettings,
    ReviewResult,
    ScoreItems,
    ScoreSystem,
    Target,
    TargetKind,
    Trajectory,
    Viscosity,
)

GRID = (40, 64, 64)


def sphere_mask(center: tuple[int, int, int], radius: int, grid: tuple[int, int, int] = GRID) -> Mask:
    """A voxelised ball (full-grid construction, then cropped)."""
    zz, yy, xx = np.ogrid[: grid[0], : grid[1], : grid[2]]
    full = (zz - center[0]) ** 2 + (yy - center[1]) ** 2 + (xx - center[2]) ** 2 <= radius**2
    return Mask.from_full(full)


def random_mask(seed: int, grid: tuple[int, int, int] = GRID) -> Mask:
    """An irregular mask (random voxels in a box), seeded."""
    rng = np.random.default_rng(seed)
    full = np.zeros(grid, dtype=bool)
    full[5:23, 10:41, 7:52] = rng.random((18, 31, 45)) < 0.4
    return Mask.from_full(full)


def full_state() -> CaseState:
    """Every section filled, including optional and extra values."""
    lesion = MaskLayer.new("lesion L1", LayerKind.LESION, sphere_mask((20, 30, 30), 6), "1.2.3.4")
    body = MaskLayer("body L1", LayerKind.BODY, random_mask(7), (10, 20, 30), "1.2.3.4", FrozenDict({"k": 1}))
    canal = MaskLayer.new("canal", LayerKind.CANAL, Mask.empty(GRID), "1.2.3.4")
    target = Target(
        "L1",
        TargetKind.SPINE,
        "L1",
        lesion_seed_lps=(1.5, -20.25, 300.125),
        vertebra_lps=(0.1, -25.0, 301.0),
        lesion_layer="lesion L1",
        lesion_type=LesionType.LYTIC,
        measures={"volume_ml": 4.2, "max_diameter_mm": 21.7, "mean_hu": 35.0},
        notes="posterior wall involved",
    )
    femur = Target("femur", TargetKind.EXTRASPINAL, lesion_seed_lps=(80.0, 10.0, -500.0))
    t1 = Trajectory(
        "L1 left",
        "L1",
        Approach.TRANSPEDICULAR_LEFT,
        entry_lps=(30.0, 60.0, 310.0),
        target_lps=(5.0, -25.0, 302.0),
        ablation_positions_mm=(0.0, 10.0),
        ablation=AblationSpec(profile="Emprint 100 W 5 min"),
    )
    t2 = Trajectory(
        "femur direct",
        "femur",
        Approach.DIRECT,
        entry_lps=(120.0, 10.0, -480.0),
        target_lps=(85.5, 10.0, -499.0),
        needle_gauge=11,
        needle_length_mm=100.0,
        antenna_gauge=14,
        antenna_extension_mm=20.0,
        ablation=AblationSpec(width_mm=35.0, length_mm=37.0, center_behind_tip_mm=11.5, power_w=60.0),
    )
    return CaseState(
        info=CaseInfo("L1 MWA", "Doe^Jane", "PID-0001", "1.2.840.1", "20260101", CaseStatus.PLANNED, "note"),
        settings=PlanSettings(margin_mm=3.0, extra=FrozenDict({"curative": True})),
        review=ReviewResult(
            "1.2.3.9",
            values={"cement_ml": 4.8},
            leaks=({"location": "diskal", "volume_ml": 0.3},),
        ),
        images=(
            ImageRef("1.2.3.4", "/data/ct", ImageRole.PLANNING, "1.2.3.5", "thin bone"),
            ImageRef("1.2.3.9", "/data/post", ImageRole.POST, "1.2.3.5"),
        ),
        layers=(lesion, body, canal),
        targets=(target, femur),
        trajectories=(t1, t2),
        forbidden=(ForbiddenStructure("canal", "canal", 2.0),),
        cement=(CementChoice("L1", 0.75, Viscosity.HIGH, "slow"),),
        scores=(ScoreItems("L1", ScoreSystem.SINS, {"location": 3, "pain": "mechanical"}),),
    )


def full_case() -> Case:
    """A case holding ``full_state()``."""
    return Case.from_state(full_state())
