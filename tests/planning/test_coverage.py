"""Coverage, margins and structure distances against spheres and cylinders with closed-form answers.

Tolerances: percentages within 2 percentage points of the analytic sphere / lens volumes; distances
and margins within one voxel (1 mm here). Margins and distances are reported on the safe side (the
mask's surface is taken half a voxel beyond its edge voxel centres), which this allows for.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import affine_from_geometry
from planning.ablation import AblationZone, zones_along_trajectory
from planning.coverage import CoverageContext, NeedleZones, coverage, suggest_positions
from planning.errors import PlanValidationError
from planning.trajectory import TrajectoryGeometry

SHAPE = (110, 110, 110)
M = affine_from_geometry((-55.0, -55.0, -55.0), (1.0, 1.0, 1.0), np.eye(3))


def centres() -> np.ndarray:
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij"), axis=-1).astype(float)
    return idx @ M[:3, :3].T + M[:3, 3]


P = centres()


def sphere(center: tuple[float, float, float], r: float) -> Mask:
    d2 = np.sum((P - np.asarray(center)) ** 2, axis=-1)
    return Mask.from_full(d2 <= r * r)


def cylinder_z(x: float, y: float, r: float) -> Mask:
    return Mask.from_full((P[..., 0] - x) ** 2 + (P[..., 1] - y) ** 2 <= r * r)


def lens_mm3(r1: float, r2: float, d: float) -> float:
    if d >= r1 + r2:
        return 0.0
    if d <= abs(r1 - r2):
        return 4.0 / 3.0 * math.pi * min(r1, r2) ** 3
    return math.pi * (r1 + r2 - d) ** 2 * (d * d + 2 * d * (r1 + r2) - 3 * (r1 - r2) ** 2) / (12 * d)


ZONE = AblationZone((0.0, 0.0, 0.0), (0.0, -1.0, 0.0), 35.0, 35.0)  # a sphere of radius 17.5


def test_centred_sphere_is_fully_covered_with_the_right_margin() -> None:
    r = 8.0
    res = coverage(sphere((0.0, 0.0, 0.0), r), [ZONE], M, margin_mm=2.0)
    assert res.covered_percent == pytest.approx(100.0)
    assert res.uncovered_ml == 0.0
    assert not res.uncovered.any()
    assert res.min_margin_mm == pytest.approx(17.5 - r, abs=1.0)
    assert res.min_margin_mm <= 17.5 - r  # never better than the truth
    # the target (lesion + 2 mm) errs on the large side by at most half a voxel of radius
    assert 4 / 3 * math.pi * (r + 2.0) ** 3 / 1000 <= res.target_ml <= 4 / 3 * math.pi * (r + 2.5) ** 3 / 1000
    assert res.warnings == ()


@pytest.mark.parametrize("offset_mm", [12.0, 20.0, 26.0])
def test_offset_sphere_matches_the_lens_volume(offset_mm: float) -> None:
    r = 10.0
    lesion = sphere((offset_mm, 0.0, 0.0), r)
    res = coverage(lesion, [ZONE], M, margin_mm=0.0)
    expected = 100.0 * lens_mm3(17.5, r, offset_mm) / (4 / 3 * math.pi * r**3)
    assert res.covered_percent == pytest.approx(expected, abs=2.0)
    assert res.uncovered_ml == pytest.approx(
        (4 / 3 * math.pi * r**3 - lens_mm3(17.5, r, offset_mm)) / 1000, abs=0.1
    )
    assert res.uncovered.count() / 1000 == pytest.approx(res.uncovered_ml, abs=1e-9)
    # the lesion sticks out by offset + r - R
    assert res.min_margin_mm == pytest.approx(-(offset_mm + r - 17.5), abs=1.0)
    assert any("outside the predicted zones" in w for w in res.warnings)
    # with a 2 mm margin the target is the sphere of radius 12
    res2 = coverage(lesion, [ZONE], M, margin_mm=2.0)
    expected2 = 100.0 * lens_mm3(17.5, r + 2, offset_mm) / (4 / 3 * math.pi * (r + 2) ** 3)
    assert res2.covered_percent == pytest.approx(expected2, abs=2.5)


def test_margin_inside_an_elongated_zone() -> None:
    zone = AblationZone((0.0, 0.0, 0.0), (0.0, 1.0, 0.0), 30.0, 44.0)
    lesion = sphere((0.0, 3.0, 0.0), 6.0)
    res = coverage(lesion, [zone], M, margin_mm=2.0)
    assert res.covered_percent == pytest.approx(100.0)
    # nearest zone surface is across the axis: 15 - 6 = 9 mm
    assert res.min_margin_mm == pytest.approx(9.0, abs=1.0)
    small_margin = coverage(lesion, [AblationZone((0.0, 0.0, 0.0), (0, 1, 0), 16.0, 44.0)], M, margin_mm=2.0)
    assert any("below the planned 2 mm" in w for w in small_margin.warnings)


@pytest.mark.parametrize("canal_x", [35.0, 28.0, 22.0, 16.0])
def test_zone_to_canal_distance_and_thermal_warning(canal_x: float) -> None:
    canal_r = 6.0
    lesion = sphere((0.0, 0.0, 0.0), 5.0)
    canal = cylinder_z(canal_x, 0.0, canal_r)
    res = coverage(lesion, [ZONE], M, margin_mm=2.0, structures={"canal": canal})
    expected = canal_x - canal_r - 17.5
    assert res.zone_to_canal_mm is not None
    assert res.zone_to_canal_mm == pytest.approx(expected, abs=1.0)
    text = " ".join(res.warnings)
    if expected < 0:
        assert res.structures["canal"].overlap_ml > 0
        assert "reaches into the spinal canal" in text
    if expected < 4.0:
        assert "42 °C" in text and "thermocouple" in text
    if expected > 6.0:
        assert "42 °C" not in text


def test_union_of_pullback_positions_covers_a_long_lesion() -> None:
    # a lesion 50 mm long along the needle (y), 16 mm across
    d2 = (P[..., 0] / 8.0) ** 2 + (P[..., 1] / 25.0) ** 2 + (P[..., 2] / 8.0) ** 2
    lesion = Mask.from_full(d2 <= 1.0)
    g = TrajectoryGeometry((0.0, 54.0, 0.0), (0.0, -10.0, 0.0))  # travelling anteriorly (-y)
    kw = {"antenna_extension_mm": 15.0, "width_mm": 35.0, "length_mm": 37.0, "center_behind_tip_mm": 11.5}
    ctx = CoverageContext(lesion, M, margin_mm=2.0)
    one = ctx.evaluate(zones_along_trajectory(g, **kw))
    assert one.covered_percent < 90.0
    suggestions = suggest_positions(ctx, [NeedleZones("needle 1", g, **kw)])
    pull = [s for s in suggestions if s.kind == "pullback"]
    assert len(pull) == 1
    assert pull[0].trajectory == "needle 1" and pull[0].text.startswith("needle 1: ")
    assert pull[0].covered_percent is not None and pull[0].covered_percent == pytest.approx(100.0)
    # re-evaluating with the suggested positions gives what the suggestion says
    again = ctx.evaluate(zones_along_trajectory(g, pullback_mm=pull[0].pullback_mm, **kw))
    assert again.covered_percent == pytest.approx(pull[0].covered_percent)


def test_a_wide_lesion_gets_a_second_trajectory() -> None:
    d2 = (P[..., 0] / 26.0) ** 2 + (P[..., 1] / 9.0) ** 2 + (P[..., 2] / 9.0) ** 2
    lesion = Mask.from_full(d2 <= 1.0)
    g = TrajectoryGeometry((-12.0, 60.0, 0.0), (-12.0, 10.0, 0.0))
    kw = {"antenna_extension_mm": 15.0, "width_mm": 30.0, "length_mm": 30.0, "center_behind_tip_mm": 15.0}
    ctx = CoverageContext(lesion, M, margin_mm=2.0)
    base = ctx.evaluate(zones_along_trajectory(g, **kw)).covered_percent
    second = [s for s in suggest_positions(ctx, [NeedleZones("a", g, **kw)]) if s.kind == "second_trajectory"]
    assert len(second) == 1
    s = second[0]
    assert s.covered_percent is not None and s.covered_percent > base + 10.0
    assert s.zone_center_lps is not None and s.zone_center_lps[0] > 0.0  # on the uncovered (+x) side
    assert s.entry_lps is not None and s.target_lps is not None


def test_arguments_are_checked() -> None:
    lesion = sphere((0.0, 0.0, 0.0), 5.0)
    with pytest.raises(PlanValidationError, match="margin_mm"):
        CoverageContext(lesion, M, margin_mm=-1.0)
    with pytest.raises(PlanValidationError, match="lesion"):
        CoverageContext(Mask.empty(SHAPE), M)
    with pytest.raises(ValueError, match="zones"):
        CoverageContext(lesion, M).evaluate([])


def test_target_evaluator_on_the_vertebra_phantom() -> None:
    """The evaluator gives the same figures as the individual functions, and follows a moved needle."""
    from planning.coverage import NeedlePlacement, TargetEvaluator, ZoneModel
    from planning.needles import Needle
    from planning.trajectory import DistanceField, needle_distance
    from tests.phantoms.vertebra import make_vertebra_phantom
    from tests.planning.test_proposals import anatomy_from_truth, padded

    ph = make_vertebra_phantom(spacing_mm=(1.0, 1.0, 1.0), lesion=(6.0, -6.0, 0.0, 6.0))
    vol = padded(ph)
    anatomy = anatomy_from_truth(ph, "L3")
    lesion = Mask.from_full(np.pad(ph.lesion_mask, 15))
    ev = TargetEvaluator(vol, lesion, anatomy, margin_mm=2.0)
    model = ZoneModel(35.0, 37.0, 11.5, "test", False)
    left = ph.pedicles[next(iter(ph.pedicles))]
    needle = Needle.from_gauge(13)
    tip = ph.lesion_center_lps - 3.5 * (-left.direction_lps)  # first zone centred on the lesion
    g = TrajectoryGeometry(tuple(tip + 70.0 * left.direction_lps), tuple(tip))
    out = ev.evaluate([NeedlePlacement(g, needle, (0.0,), anatomy.pedicles[left.side])], model)
    assert len(out.zones) == 1 and out.coverage is not None
    np.testing.assert_allclose(out.zones[0].center_lps, ph.lesion_center_lps, atol=1e-6)
    assert out.coverage.covered_percent == pytest.approx(100.0)
    assert out.coverage.min_margin_mm == pytest.approx(17.5 - 6.0, abs=1.0)
    canal = DistanceField(anatomy.canal, vol.index_to_lps)
    assert out.metrics[0].canal_distance_mm == pytest.approx(
        needle_distance(canal, g, needle.radius_mm).distance_mm
    )
    assert out.coverage.zone_to_canal_mm is not None
    # drag the needle 12 mm sideways: coverage drops, figures follow
    shift = 12.0 * ph.local_to_lps_rotation[:, 0]
    g2 = TrajectoryGeometry(tuple(np.asarray(g.entry_lps) + shift), tuple(np.asarray(g.target_lps) + shift))
    out2 = ev.evaluate([NeedlePlacement(g2, needle)], model)
    assert out2.coverage is not None and out2.coverage.min_margin_mm < out.coverage.min_margin_mm - 5.0
    assert ev.evaluate([], model).coverage is None
