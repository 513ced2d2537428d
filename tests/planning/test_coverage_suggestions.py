"""Suggestions against the union of all a target's needles: consistent with the coverage figure.

Phantom: an ellipsoidal lesion (semi-axes 10 x 22 x 8 mm, the long one along the needles, y) on a 1 mm
grid, two parallel needles travelling anteriorly (-y) 14 mm apart in x, zones 30 mm wide and 34 mm long
whose first positions cover the lesion's anterior part only. Percentages are compared with the
evaluation of the same zones (no tolerance beyond floating point); positions in LPS mm.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import affine_from_geometry
from planning.ablation import AblationZone
from planning.coverage import CoverageContext, NeedleZones, suggest_positions
from planning.trajectory import TrajectoryGeometry

SHAPE = (80, 80, 80)
M = affine_from_geometry((-40.0, -40.0, -40.0), (1.0, 1.0, 1.0), np.eye(3))
ZONE_MM = {"antenna_extension_mm": 15.0, "width_mm": 30.0, "length_mm": 34.0, "center_behind_tip_mm": 10.0}
SPINE_WORDS = ("vertebra", "pedicle", "spinal", "canal", "foramen", "posterior wall")


def _context() -> CoverageContext:
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij"), axis=-1).astype(float)
    p = idx @ M[:3, :3].T + M[:3, 3]
    inside = (p[..., 0] / 10.0) ** 2 + (p[..., 1] / 22.0) ** 2 + (p[..., 2] / 8.0) ** 2 <= 1.0
    return CoverageContext(Mask.from_full(inside), M, margin_mm=2.0)


def _needle(name: str, x_mm: float, zone_centre_y_mm: float) -> NeedleZones:
    # travelling -y: the antenna tip lies 15 mm beyond the needle tip, the zone centre 10 mm behind it
    tip_y = zone_centre_y_mm + ZONE_MM["center_behind_tip_mm"] - ZONE_MM["antenna_extension_mm"]
    g = TrajectoryGeometry((x_mm, tip_y + 60.0, 0.0), (x_mm, tip_y, 0.0))
    return NeedleZones(name, g, **ZONE_MM)


def _zones(needles: list[NeedleZones]) -> list[AblationZone]:
    return [z for n in needles for z in n.zones()]


@pytest.fixture(scope="module")
def ctx() -> CoverageContext:
    return _context()


def test_suggestions_are_measured_against_every_needle_and_name_the_needle(ctx: CoverageContext) -> None:
    needles = [_needle("needle 1", -7.0, -10.0), _needle("needle 2", 7.0, -10.0)]
    union = ctx.evaluate(_zones(needles))  # what the coverage figure shows
    alone = ctx.evaluate(needles[0].zones())
    assert 20.0 < union.covered_percent < 99.0
    assert alone.covered_percent < union.covered_percent - 5.0  # needle 2 matters
    suggestions = suggest_positions(ctx, needles, reference="needle 1")
    assert {s.kind for s in suggestions} >= {"pullback", "second_trajectory"}
    names = {n.name: n for n in needles}
    for s in suggestions:
        # every suggestion names a needle of the target, and improves on what all the needles cover
        assert s.trajectory in names
        assert s.covered_percent is not None and s.covered_percent > union.covered_percent
        if s.kind == "pullback":
            assert s.text.startswith(f"{s.trajectory}: ")
            changed = [
                replace(n, pullback_mm=s.pullback_mm) if n.name == s.trajectory else n for n in needles
            ]
            assert ctx.evaluate(_zones(changed)).covered_percent == pytest.approx(s.covered_percent)
    second = next(s for s in suggestions if s.kind == "second_trajectory")
    # the uncovered volume it quotes is the figure's, not what one needle alone leaves
    assert f"{union.uncovered_ml:.2f} mL" in second.text
    assert f"{alone.uncovered_ml:.2f} mL" not in second.text
    assert "2 needles" in second.text and "parallel to needle 1" in second.text
    assert second.entry_lps is not None and second.target_lps is not None
    added = NeedleZones("needle 3", TrajectoryGeometry(second.entry_lps, second.target_lps), **ZONE_MM)
    assert ctx.evaluate(_zones([*needles, added])).covered_percent == pytest.approx(second.covered_percent)
    # the selected needle comes first
    assert next(s for s in suggestions if s.kind == "pullback").trajectory == "needle 1"
    again = suggest_positions(ctx, needles, reference="needle 2")
    assert next(s for s in again if s.kind == "pullback").trajectory == "needle 2"


def test_an_advance_is_offered_for_a_needle_short_of_the_lesion(ctx: CoverageContext) -> None:
    # both zones centred 14 mm behind the lesion centre: the anterior part is left uncovered
    needles = [_needle("a", -7.0, 14.0), _needle("b", 7.0, 14.0)]
    union = ctx.evaluate(_zones(needles))
    advances = [s for s in suggest_positions(ctx, needles) if s.kind == "advance"]
    assert advances
    for s in advances:
        n = next(x for x in needles if x.name == s.trajectory)
        tip = np.asarray(n.geometry.target_lps) + s.advance_mm * n.geometry.direction_lps
        moved = replace(n, geometry=TrajectoryGeometry(n.geometry.entry_lps, (tip[0], tip[1], tip[2])))
        other = [x for x in needles if x.name != s.trajectory]
        res = ctx.evaluate(_zones([moved, *other]))
        assert res.covered_percent == pytest.approx(s.covered_percent)
        assert res.covered_percent > union.covered_percent


def test_full_cover_by_the_union_gives_no_suggestion(ctx: CoverageContext) -> None:
    # each needle alone leaves part uncovered; with its pull-backs the pair covers everything
    needles = [
        replace(_needle("a", -7.0, -10.0), pullback_mm=(0.0, 14.0, 28.0)),
        replace(_needle("b", 7.0, -10.0), pullback_mm=(0.0, 14.0, 28.0)),
    ]
    assert ctx.evaluate(needles[0].zones()).covered_percent < 99.0
    assert ctx.evaluate(_zones(needles)).covered_percent >= 99.0
    assert suggest_positions(ctx, needles) == []


@pytest.mark.parametrize("spinal", [False, True])
def test_spine_words_only_for_the_spine(ctx: CoverageContext, spinal: bool) -> None:
    one = [_needle("needle 1", -7.0, -10.0)]
    texts = " ".join(s.text for s in suggest_positions(ctx, one, spinal=spinal))
    assert texts  # there is something to say
    assert any(w in texts for w in SPINE_WORDS) == spinal
