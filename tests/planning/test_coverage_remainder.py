"""No further position is suggested for an uncovered remainder below what the predicted zone resolves
(every uncovered target voxel within one voxel of the zones' surface), and the readout says why; a
remainder deeper than that is still suggested on.

Phantom: a spherical lesion (radius 6 mm) at the LPS origin, margin 2 mm; a spherical zone (32 mm, an
Emprint 75 W width, CLINICAL.md) moved sideways (+x) so that it leaves a crescent of the target uncovered.
The crescent's depth is known in closed form from the target's voxel centres: the farthest lies
``offset + r_target - 16`` mm outside the zone. Grids: 1 mm, and 1 x 1 x 3 mm (3 mm slices). For the plan
command: the rib-like bar of tests/planning/test_direct_route_choice.py, a 16 x 35 mm custom zone.
Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import affine_from_geometry
from planning.coverage import CoverageContext, NeedleZones, suggest_positions
from planning.coverage_suggestions import RESOLVED_DEPTH_VOXELS, SUGGEST_BELOW_PERCENT, remainder_note
from planning.trajectory import TrajectoryGeometry
from tests.planning.test_direct_route_choice import _rib_phantom

ZONE_RADIUS_MM = 16.0
EXTENSION_MM = 15.0
CENTRE_BEHIND_TIP_MM = 11.5


def _context(spacing_mm: tuple[float, float, float]) -> CoverageContext:
    """The lesion (radius 6 mm) on a grid of ``spacing_mm`` ([slice, row, col]), margin 2 mm."""
    shape = tuple(round(60.0 / s) + 1 for s in spacing_mm)
    m = affine_from_geometry((-30.0, -30.0, -30.0), spacing_mm, np.eye(3))
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1).astype(float)
    p = idx @ m[:3, :3].T + m[:3, 3]
    return CoverageContext(Mask.from_full(np.sum(p**2, axis=-1) <= 36.0), m, margin_mm=2.0)


def _needle(offset_mm: float) -> list[NeedleZones]:
    """One needle along -y whose spherical zone is centred at (offset_mm, 0, 0)."""
    tip_y = EXTENSION_MM - CENTRE_BEHIND_TIP_MM  # zone centre at y = 0: the needle travels -y
    g = TrajectoryGeometry((offset_mm, tip_y + 60.0, 0.0), (offset_mm, tip_y, 0.0))
    width = 2.0 * ZONE_RADIUS_MM
    return [NeedleZones("needle 1", g, EXTENSION_MM, width, width, CENTRE_BEHIND_TIP_MM)]


def _offset_for_depth(ctx: CoverageContext, depth_mm: float) -> float:
    """The sideways offset that leaves the farthest target voxel centre ``depth_mm`` outside the zone."""
    r_target = float(np.max(np.linalg.norm(ctx.target_points_lps, axis=1)))
    return ZONE_RADIUS_MM + depth_mm - r_target


def _depth(ctx: CoverageContext, offset_mm: float) -> float:
    """How far outside the zone the farthest target voxel centre lies (closed form, a sphere)."""
    d = np.linalg.norm(ctx.target_points_lps - np.array([offset_mm, 0.0, 0.0]), axis=1)
    return float(d.max()) - ZONE_RADIUS_MM


@pytest.mark.parametrize("spacing_mm", [(1.0, 1.0, 1.0), (3.0, 1.0, 1.0)])
def test_a_rim_within_one_voxel_of_the_zone_gets_no_suggestion_and_a_reason(
    spacing_mm: tuple[float, float, float],
) -> None:
    """The old suggestions offered a further needle for such a rim (case1 QA: 0.03 mL uncovered at
    97.7 %). Nine tenths of a voxel deep (on the 1 mm grid 0.03 mL at 98.7 %): nothing suggested, the
    note says the volume and why."""
    ctx = _context(spacing_mm)
    voxel_mm = max(spacing_mm)
    offset = _offset_for_depth(ctx, 0.9 * RESOLVED_DEPTH_VOXELS * voxel_mm)
    needles = _needle(offset)
    result = ctx.evaluate(needles[0].zones())
    assert result.uncovered_ml > 0.0 and result.covered_percent < SUGGEST_BELOW_PERCENT  # a remainder
    assert _depth(ctx, offset) <= RESOLVED_DEPTH_VOXELS * voxel_mm
    assert suggest_positions(ctx, needles) == []
    note = remainder_note(ctx, needles)
    assert note is not None
    assert note.startswith(f"{result.uncovered_ml:.2f} mL uncovered: below what the zone model resolves")
    assert note.endswith("no further position suggested")
    assert f"one voxel, {voxel_mm:.1f} mm" in note


def test_a_remainder_deeper_than_a_voxel_is_still_suggested_on() -> None:
    """Two voxels deep on the 1 mm grid: a further position is suggested and no note is given; the same
    depth on the 3 mm-slice grid lies within one of its voxels and gets the note instead."""
    fine = _context((1.0, 1.0, 1.0))
    needles = _needle(_offset_for_depth(fine, 2.0))
    assert fine.evaluate(needles[0].zones()).covered_percent < SUGGEST_BELOW_PERCENT
    assert suggest_positions(fine, needles)
    assert remainder_note(fine, needles) is None
    coarse = _context((3.0, 1.0, 1.0))
    needles = _needle(_offset_for_depth(coarse, 2.0))
    assert suggest_positions(coarse, needles) == []
    assert remainder_note(coarse, needles) is not None


def test_the_plan_says_why_it_suggests_nothing_for_a_rim() -> None:
    """``osteoplan plan``: a zone (16 x 35 mm) moved 2.75 mm off the lesion leaves a rim 0.4 mm deep (the
    old plan suggested a further needle there); moved 3.75 mm it leaves 1.3 mm and a suggestion."""
    from planning.plan_runner import run_plan

    vol = _rib_phantom()[0]
    out = {}
    for offset in (2.75, 3.75):
        tip_y = CENTRE_BEHIND_TIP_MM - EXTENSION_MM  # zone centre at y = 0: the needle travels +y
        spec = {
            "targets": [{"name": "rib", "lesion_seed_lps": [0.0, 0.0, 0.0]}],
            "trajectories": [
                {
                    "target": "rib",
                    "entry_lps": [0.0, tip_y - 40.0, offset],
                    "target_lps": [0.0, tip_y, offset],
                }
            ],
            "needle": {"gauge": 11, "antenna_extension_mm": EXTENSION_MM},
            "ablation": {"width_mm": 16, "length_mm": 35, "center_behind_tip_mm": CENTRE_BEHIND_TIP_MM},
        }
        out[offset] = run_plan(vol, spec).to_json()["targets"][0]
    rim, deeper = out[2.75], out[3.75]
    for t in (rim, deeper):
        assert t["coverage_percent"] < SUGGEST_BELOW_PERCENT
    said = [w for w in rim["warnings"] if "below what the zone model resolves" in w]
    assert rim["suggestions"] == [] and len(said) == 1, rim["warnings"]
    assert said[0].startswith(f"{rim['uncovered_ml']:.2f} mL uncovered")
    assert deeper["suggestions"]
    assert not any("below what the zone model resolves" in w for w in deeper["warnings"])
