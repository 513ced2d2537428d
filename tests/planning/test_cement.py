"""Cement volume estimate on masks whose volumes are known by construction: the lesion fill (lesion in
bone x fill fraction) held within the published series' volumes and the body's volume; the ablation
zone reported, never counted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging.lesion_model import LesionType
from imaging.mask import Mask
from planning.cement import (
    PUBLISHED_VOLUMES,
    CementBound,
    CementDefaults,
    CementSite,
    SeriesPosition,
    choose_site,
    estimate_cement,
    series_position,
)
from planning.errors import PlanValidationError
from tests.phantoms.vertebra import make_vertebra_phantom

GRID = (40, 50, 60)
VOX_ML = 0.001  # 1 mm^3 voxels


def _box(lo: tuple[int, int, int], hi: tuple[int, int, int], grid: tuple[int, int, int] = GRID) -> Mask:
    full = np.zeros(grid, dtype=bool)
    full[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return Mask.from_full(full)


def test_default_fill_fraction_is_chen_weighted_mean() -> None:
    # 0.25 * 0.625 + 0.379 * 0.825 + 0.371 * 1.0 = 0.8399
    assert CementDefaults().fill_fraction == pytest.approx(0.84, abs=1e-9)
    assert CementDefaults().fill_fraction_range == (0.5, 1.0)


def test_estimate_is_lesion_volume_times_fraction() -> None:
    lesion = _box((5, 5, 5), (15, 25, 35))  # 10 x 20 x 30 = 6000 voxels = 6.0 mL
    est = estimate_cement(lesion, VOX_ML, spinal=True, lesion_type=LesionType.LYTIC)
    assert est.lesion_in_bone_ml == pytest.approx(6.0)
    assert est.estimate_ml == pytest.approx(6.0 * 0.84)  # 5.04 mL, inside the published 2-8 mL
    assert est.range_ml == pytest.approx((3.0, 6.0))
    assert est.site is CementSite.VERTEBRA
    assert not est.capped and est.bound is None
    op = estimate_cement(lesion, VOX_ML, spinal=True, fill_fraction=0.6)
    assert op.estimate_ml == pytest.approx(3.6)
    assert op.defaults.fill_fraction_source == "operator"


def test_sphere_lesion_matches_closed_form_volume() -> None:
    # sphere r = 9 mm on a 0.5 mm grid: voxelised volume within 1 % of 4/3 pi r^3
    spacing = 0.5
    n = 48
    c = (n - 1) / 2.0
    k, i, j = np.indices((n, n, n))
    sphere = ((k - c) ** 2 + (i - c) ** 2 + (j - c) ** 2) * spacing**2 <= 9.0**2
    truth_ml = 4.0 / 3.0 * math.pi * 9.0**3 / 1000.0
    est = estimate_cement(Mask.from_full(sphere), spacing**3 / 1000.0, spinal=False, max_diameter_mm=18.0)
    assert est.lesion_in_bone_ml == pytest.approx(truth_ml, rel=0.01)
    assert est.estimate_ml == pytest.approx(truth_ml * 0.84, rel=0.01)  # 2.6 mL, inside 2-11 mL
    assert est.site is CementSite.EXTRASPINAL_SMALL


def test_ablation_zone_is_reported_not_counted() -> None:
    lesion = _box((10, 0, 0), (20, 25, 20))  # 5.0 mL
    zone = _box((15, 0, 0), (30, 25, 20))  # 7.5 mL, of which 2.5 mL overlaps the lesion
    bone = _box((0, 0, 0), (25, 50, 60))  # cuts the zone at slice 25
    plain = estimate_cement(lesion, VOX_ML, spinal=True)
    est = estimate_cement(lesion, VOX_ML, ablation_mask=zone, spinal=True)
    assert est.estimate_ml == pytest.approx(plain.estimate_ml) == pytest.approx(5.0 * 0.84)
    assert est.range_ml == pytest.approx(plain.range_ml)
    assert est.ablation_in_bone_ml == pytest.approx(5.0)  # slices 20-30, no bone mask
    in_bone = estimate_cement(lesion, VOX_ML, ablation_mask=zone, bone_mask=bone, spinal=True)
    assert in_bone.ablation_in_bone_ml == pytest.approx(2.5)  # slices 20-25
    assert in_bone.estimate_ml == pytest.approx(5.0 * 0.84)
    assert any("not counted" in n for n in in_bone.notes)
    assert in_bone.to_json()["ablation_counted"] is False


def test_lesion_outside_the_bone_is_not_counted() -> None:
    lesion = _box((10, 0, 0), (30, 25, 20))  # 10.0 mL
    bone = _box((0, 0, 0), (25, 50, 60))  # 7.5 mL of it inside
    est = estimate_cement(lesion, VOX_ML, bone_mask=bone, spinal=True)
    assert est.lesion_in_bone_ml == pytest.approx(7.5)
    assert est.estimate_ml == pytest.approx(7.5 * 0.84)
    assert any("outside the bone" in n for n in est.notes)


def test_small_lesion_is_raised_to_the_smallest_published_volume() -> None:
    lesion = _box((10, 10, 10), (17, 17, 17))  # 0.343 mL: fill 0.29 mL
    est = estimate_cement(lesion, VOX_ML, spinal=True, lesion_type=LesionType.BLASTIC, cap_ml=35.0)
    pub = PUBLISHED_VOLUMES[CementSite.VERTEBRA_OSTEOGENIC]
    assert est.lesion_fill_ml == pytest.approx(0.343 * 0.84)
    assert est.estimate_ml == pytest.approx(pub.min_ml)
    assert est.range_ml == pytest.approx((pub.min_ml, pub.min_ml))
    assert est.bound is CementBound.SERIES_MIN
    assert est.position is SeriesPosition.LOW
    # the bounds are a default the operator can switch off: the lesion fill itself then
    raw = estimate_cement(
        lesion, VOX_ML, spinal=True, cap_ml=35.0, defaults=CementDefaults(series_bounds=False)
    )
    assert raw.estimate_ml == pytest.approx(0.343 * 0.84)
    assert raw.position is SeriesPosition.BELOW_RANGE


def test_large_lesion_is_held_at_the_largest_published_volume() -> None:
    lesion = _box((0, 0, 0), (20, 30, 30))  # 18 mL: fill 15.1 mL
    est = estimate_cement(lesion, VOX_ML, spinal=True, cap_ml=40.0)
    assert est.estimate_ml == pytest.approx(8.0)
    assert est.range_ml == pytest.approx((8.0, 8.0))
    assert est.bound is CementBound.SERIES_MAX
    assert not est.capped
    assert est.position is SeriesPosition.HIGH


def test_bounded_by_body_volume() -> None:
    lesion = _box((0, 0, 0), (20, 30, 30))  # 18 mL
    est = estimate_cement(lesion, VOX_ML, spinal=True, cap_ml=6.0)
    assert est.capped and est.bound is CementBound.BODY
    assert est.estimate_ml == pytest.approx(6.0)
    assert est.range_ml == pytest.approx((6.0, 6.0))
    tiny = estimate_cement(_box((0, 0, 0), (5, 5, 5)), VOX_ML, spinal=True, cap_ml=1.5)
    assert tiny.estimate_ml == pytest.approx(1.5) and tiny.bound is CementBound.BODY


def test_operator_volume_replaces_the_estimate() -> None:
    lesion = _box((10, 10, 10), (17, 17, 17))
    est = estimate_cement(lesion, VOX_ML, spinal=True, planned_ml=3.5, cap_ml=30.0)
    assert est.estimate_ml == pytest.approx(3.5) and est.chosen and est.bound is None
    assert est.position is SeriesPosition.TYPICAL
    big = estimate_cement(lesion, VOX_ML, spinal=True, planned_ml=50.0, cap_ml=30.0)
    assert big.estimate_ml == pytest.approx(30.0) and big.bound is CementBound.BODY
    with pytest.raises(PlanValidationError, match="cement_volume_ml"):
        estimate_cement(lesion, VOX_ML, spinal=True, planned_ml=0.0)


def test_vertebra_phantom_lesion() -> None:
    ph = make_vertebra_phantom(lesion=(0.0, 2.0, 0.0, 9.0), noise_hu=0.0)
    lesion = Mask.from_full(ph.lesion_mask)
    body = Mask.from_full(ph.body_mask)
    est = estimate_cement(
        lesion,
        ph.volume.voxel_volume_ml,
        bone_mask=body,
        spinal=True,
        lesion_type=LesionType.LYTIC,
        cap_ml=ph.body_volume_ml,
    )
    truth = ph.lesion_volume_ml
    assert truth is not None
    assert est.lesion_in_bone_ml == pytest.approx(truth, rel=0.03)  # 1 mm voxels, r = 9 mm
    assert est.estimate_ml == pytest.approx(truth * 0.84, rel=0.03)  # 2.6 mL, inside 2-8 mL
    assert est.published == PUBLISHED_VOLUMES[CementSite.VERTEBRA]


def test_vertebra_phantom_small_lesion_in_a_large_ablation_zone() -> None:
    """The QA case in miniature: a 4 mm lesion (0.27 mL) in the phantom's body (about 36 mL) with a
    32 mm ablation zone around it; the zone's bone is not cement to plan."""
    ph = make_vertebra_phantom(lesion=(0.0, 2.0, 0.0, 4.0), noise_hu=0.0)
    lesion = Mask.from_full(ph.lesion_mask)
    body = Mask.from_full(ph.body_mask)
    lps = ph.volume.index_to_lps_points(np.argwhere(np.ones(ph.volume.shape, dtype=bool)))
    centre = ph.volume.index_to_lps_points(np.argwhere(ph.lesion_mask)).mean(axis=0)
    zone = Mask.from_full((np.linalg.norm(lps - centre, axis=1) <= 16.0).reshape(ph.volume.shape))
    est = estimate_cement(
        lesion,
        ph.volume.voxel_volume_ml,
        ablation_mask=zone,
        bone_mask=body,
        spinal=True,
        lesion_type=LesionType.BLASTIC,
        cap_ml=ph.body_volume_ml,
    )
    truth = ph.lesion_volume_ml
    assert truth is not None and truth * 0.84 < 2.0
    assert est.lesion_in_bone_ml == pytest.approx(truth, rel=0.1)  # r = 4 mm at 1 mm voxels
    zone_in_body = (
        np.count_nonzero(zone.to_full() & ph.body_mask & ~ph.lesion_mask) * ph.volume.voxel_volume_ml
    )
    assert est.ablation_in_bone_ml == pytest.approx(zone_in_body)
    assert zone_in_body > 8.0  # counted as a cavity it would have put the estimate above the series
    pub = PUBLISHED_VOLUMES[CementSite.VERTEBRA_OSTEOGENIC]
    assert pub.min_ml <= est.estimate_ml <= pub.max_ml
    assert est.estimate_ml == pytest.approx(pub.min_ml)


@pytest.mark.parametrize(
    ("spinal", "lesion_type", "diameter", "site"),
    [
        (True, LesionType.LYTIC, 20.0, CementSite.VERTEBRA),
        (True, LesionType.MIXED, 20.0, CementSite.VERTEBRA),
        (True, LesionType.BLASTIC, 20.0, CementSite.VERTEBRA_OSTEOGENIC),
        (False, LesionType.LYTIC, 35.0, CementSite.EXTRASPINAL_SMALL),  # <= 3.5 cm
        (False, LesionType.LYTIC, 35.1, CementSite.EXTRASPINAL_LARGE),
        (False, LesionType.BLASTIC, None, CementSite.EXTRASPINAL_SMALL),
    ],
)
def test_site_choice(spinal: bool, lesion_type: LesionType, diameter: float | None, site: CementSite) -> None:
    assert (
        choose_site(
            spinal=spinal, lesion_type=lesion_type, max_diameter_mm=diameter, defaults=CementDefaults()
        )
        is site
    )


@pytest.mark.parametrize(
    ("volume", "position"),
    [
        (1.9, SeriesPosition.BELOW_RANGE),
        (2.0, SeriesPosition.LOW),
        (2.9, SeriesPosition.LOW),
        (3.0, SeriesPosition.TYPICAL),  # 5.4 - 2.4
        (5.4, SeriesPosition.TYPICAL),
        (7.8, SeriesPosition.TYPICAL),  # 5.4 + 2.4
        (7.9, SeriesPosition.HIGH),
        (8.0, SeriesPosition.HIGH),
        (8.1, SeriesPosition.ABOVE_RANGE),
    ],
)
def test_series_position_vertebra(volume: float, position: SeriesPosition) -> None:
    assert series_position(volume, PUBLISHED_VOLUMES[CementSite.VERTEBRA]) is position


def test_published_figures_match_clinical_md() -> None:
    v = PUBLISHED_VOLUMES
    assert (v[CementSite.VERTEBRA].mean_ml, v[CementSite.VERTEBRA].sd_ml) == (5.4, 2.4)
    assert (v[CementSite.VERTEBRA_OSTEOGENIC].mean_ml, v[CementSite.VERTEBRA_OSTEOGENIC].sd_ml) == (
        4.98,
        2.17,
    )
    assert (v[CementSite.EXTRASPINAL_LARGE].min_ml, v[CementSite.EXTRASPINAL_LARGE].max_ml) == (11.0, 19.0)
    assert (v[CementSite.EXTRASPINAL_SMALL].mean_ml, v[CementSite.EXTRASPINAL_SMALL].max_ml) == (5.5, 11.0)


def test_empty_lesion_gives_zero_with_a_note() -> None:
    est = estimate_cement(Mask.empty(GRID), VOX_ML, spinal=True)
    assert est.estimate_ml == 0.0
    assert any("nothing to fill" in n for n in est.notes)


def test_rejects_bad_arguments() -> None:
    lesion = _box((1, 1, 1), (3, 3, 3))
    with pytest.raises(PlanValidationError, match="fill_fraction"):
        estimate_cement(lesion, VOX_ML, spinal=True, fill_fraction=0.0)
    with pytest.raises(PlanValidationError, match="fill_fraction"):
        estimate_cement(lesion, VOX_ML, spinal=True, fill_fraction=1.2)
    with pytest.raises(PlanValidationError, match="voxel_volume_ml"):
        estimate_cement(lesion, 0.0, spinal=True)
    with pytest.raises(PlanValidationError, match="ablation_mask"):
        estimate_cement(lesion, VOX_ML, spinal=True, ablation_mask=Mask.empty((5, 5, 5)))
    with pytest.raises(PlanValidationError, match="cap_ml"):
        estimate_cement(lesion, VOX_ML, spinal=True, cap_ml=-1.0)


def test_to_json_is_plain() -> None:
    import json

    est = estimate_cement(_box((1, 1, 1), (21, 21, 21)), VOX_ML, spinal=True)  # 8 mL: fill 6.72 mL
    data = json.loads(json.dumps(est.to_json()))
    assert data["estimate_ml"] == pytest.approx(6.72)
    assert data["range_ml"] == [4.0, 8.0]
    assert data["bounds_ml"] == [2.0, 8.0] and data["bound"] is None
    assert data["published"]["source"].startswith("Chen 2022")
