"""Heat distance to the segmented neural foramina on the three-vertebra phantom.

The zone is a sphere (width = length); the analytic distance is from its surface to the constructed
foramen (tests.phantoms.foramina), whose definition is sampled at 0.2 mm: the distance from the
zone's centre to the nearest sampled point, minus the radius. Coverage reports it from the segmented
mask taken as voxel cubes; the two agree within one voxel (1 mm).
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.vertebra_model import Side
from planning.ablation import AblationZone
from planning.coverage import THERMAL_PROTECTION_ADVICE, CoverageContext, TargetEvaluator
from tests.imaging.test_vertebra_foramina import _phantom_case
from tests.phantoms.foramina import PILLAR_Y_MM, ForaminaPhantom

SAMPLE_MM = 0.2
VOXEL_MM = 1.0


def _analytic_distance_mm(ph: ForaminaPhantom, centre_local: np.ndarray, side: Side, level: str) -> float:
    b = ph.foramen_bounds(side, level)
    sign = 1.0 if side is Side.LEFT else -1.0
    lat, z = (np.linspace(lo, hi, int(np.ceil((hi - lo) / SAMPLE_MM)) + 1) for lo, hi in (b["lat"], b["z"]))
    y = np.linspace(0.0, PILLAR_Y_MM[0], int(np.ceil(PILLAR_Y_MM[0] / SAMPLE_MM)) + 1)
    g = np.stack(np.meshgrid(sign * lat, y, z, indexing="ij"), axis=-1).reshape(-1, 3)
    inside = g[ph.foramen_contains(g, side, level)]
    return float(np.min(np.linalg.norm(inside - centre_local, axis=1)))


def _sphere_lesion(ph: ForaminaPhantom, centre_lps: np.ndarray, radius_mm: float) -> Mask:
    vol = ph.volume
    c = np.rint(vol.lps_to_index_points(centre_lps)).astype(int)
    r = int(np.ceil(radius_mm / min(vol.spacing_mm))) + 1
    lo = np.maximum(c - r, 0)
    hi = np.minimum(c + r + 1, vol.shape)
    idx = np.stack(np.meshgrid(*(np.arange(a, b) for a, b in zip(lo, hi, strict=True)), indexing="ij"), -1)
    inside = np.linalg.norm(vol.index_to_lps_points(idx.astype(float)) - centre_lps, axis=-1) <= radius_mm
    return Mask.from_box(inside, tuple(int(v) for v in lo), vol.shape)


@pytest.mark.parametrize(
    ("centre_local", "radius_mm"),
    [
        pytest.param(
            (32.0, 20.0, 18.0),
            6.0,
            id="lateral-of-left-upper",
            # lateral of the left upper foramen, paravertebral: the foramen's lateral border is the
            # pedicle's at an isthmus whose depth the widths place only to a stretch of the axis (the
            # phantom's hourglass is flat within half a voxel over 5.8 mm either side of it), over which
            # the 17 degree oblique pedicle's wall moves laterally (imaging.foramina_isthmus)
        ),
        ((15.0, 4.0, 10.0), 4.0),  # in the body's upper posterolateral part, in front of it
        ((-15.0, 4.0, -10.0), 4.0),  # the same below on the right
    ],
)
def test_zone_to_foramina_distance_matches_the_constructed_one(
    centre_local: tuple[float, float, float], radius_mm: float
) -> None:
    ph, anatomy, foramina = _phantom_case("axial-1mm")
    union = foramina.union()
    assert union is not None
    c_loc = np.asarray(centre_local)
    side = Side.LEFT if c_loc[0] > 0 else Side.RIGHT
    level = "upper" if c_loc[2] > 0 else "lower"
    truth = _analytic_distance_mm(ph, c_loc, side, level) - radius_mm
    # no other foramen is nearer than this one (the test's premise)
    others = [
        _analytic_distance_mm(ph, c_loc, s, lv)
        for s in Side
        for lv in ("upper", "lower")
        if (s, lv) != (side, level)
    ]
    assert min(others) - radius_mm > truth + 2.0
    centre = ph.to_lps(c_loc)
    zone = AblationZone(tuple(centre), (0.0, 1.0, 0.0), 2.0 * radius_mm, 2.0 * radius_mm)
    lesion = _sphere_lesion(ph, centre, 2.0)
    ctx = CoverageContext(lesion, ph.volume.index_to_lps, margin_mm=0.0, structures={"foramina": union})
    got = ctx.evaluate([zone]).structures["foramina"]
    assert got.distance_mm == pytest.approx(truth, abs=VOXEL_MM), (got.distance_mm, truth)
    assert not got.overlaps
    # the same through the target evaluator fed by the anatomy's foramina
    ev = TargetEvaluator(ph.volume, lesion, anatomy, margin_mm=0.0, foramina=union)
    result = ev.context.evaluate([zone])
    assert result.structures["foramina"].distance_mm == pytest.approx(got.distance_mm)
    near = any("neural foramina" in w for w in result.warnings)
    assert near == (got.distance_mm < 5.0)
    if near:
        assert THERMAL_PROTECTION_ADVICE in result.warnings


def test_zone_reaching_into_a_foramen_warns_with_thermal_protection() -> None:
    ph, anatomy, foramina = _phantom_case("axial-1mm")
    union = foramina.union()
    assert union is not None
    found = foramina.found()[0]
    assert found.centroid_lps is not None
    centre = np.asarray(found.centroid_lps)
    zone = AblationZone(tuple(centre), (0.0, 1.0, 0.0), 8.0, 8.0)
    lesion = _sphere_lesion(ph, centre, 2.0)
    result = TargetEvaluator(ph.volume, lesion, anatomy, margin_mm=0.0, foramina=union).context.evaluate(
        [zone]
    )
    s = result.structures["foramina"]
    assert s.overlaps and s.distance_mm <= 0.0 and s.overlap_ml > 0.1
    assert any("reaches into the neural foramina" in w for w in result.warnings)
    assert THERMAL_PROTECTION_ADVICE in result.warnings
