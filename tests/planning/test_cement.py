"""Cement volume estimate on masks whose volumes are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imaging.lesion_model import LesionType
from imaging.mask import Mask
from planning.cement import (
    PUBLISHED_VOLUMES,
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
    assert est.fill_volume_ml == pytest.approx(6.0)
    assert est.estimate_ml == pytest.approx(6.0 * 0.84)
    assert est.range_ml == pytest.approx((3.0, 6.0))
    assert est.site is CementSite.VERTEBRA
    assert not est.capped
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
    assert est.fill_volume_ml == pytest.approx(truth_ml, rel=0.01)
    assert est.estimate_ml == pytest.approx(truth_ml * 0.84, rel=0.01)
    assert est.site is CementSite.EXTRASPINAL_SMALL


def test_cavity_adds_once_and_only_inside_bone() -> None:
    lesion = _box((10, 10, 10), (20, 20, 20))  # 1.0 mL
    cavity = _box((15, 10, 10), (30, 20, 20))  # 1.5 mL, of which 0.5 mL overlaps the lesion
    bone = _box((0, 0, 0), (25, 50, 60))  # cuts the cavity at slice 25
    est = estimate_cement(lesion, VOX_ML, cavity_mask=cavity, spinal=True)
    assert est.fill_volume_ml == pytest.approx(2.0)  # slices 10-30
    assert est.cavity_only_ml == pytest.approx(1.0)
    in_bone = estimate_cement(lesion, VOX_ML, cavity_mask=cavity, bone_mask=bone, spinal=True)
    assert in_bone.fill_volume_ml == pytest.approx(1.5)  # slices 10-25
    assert in_bone.lesion_in_bone_ml == pytest.approx(1.0)
    assert any("outside the bone" in n for n in in_bone.notes)


def test_bounded_by_body_volume() -> None:
    lesion = _box((0, 0, 0), (20, 30, 30))  # 18 mL
    est = estimate_cement(lesion, VOX_ML, spinal=True, cap_ml=12.0)
    assert est.capped
    assert est.estimate_ml == pytest.approx(12.0)
    assert est.range_ml == pytest.approx((9.0, 12.0))
    assert est.position is SeriesPosition.ABOVE_RANGE


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
    assert est.fill_volume_ml == pytest.approx(truth, rel=0.03)  # 1 mm voxels, r = 9 mm
    assert est.estimate_ml == pytest.approx(truth * 0.84, rel=0.03)
    assert est.published == PUBLISHED_VOLUMES[CementSite.VERTEBRA]


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
    with pytest.raises(PlanValidationError, match="cavity_mask"):
        estimate_cement(lesion, VOX_ML, spinal=True, cavity_mask=Mask.empty((5, 5, 5)))
    with pytest.raises(PlanValidationError, match="cap_ml"):
        estimate_cement(lesion, VOX_ML, spinal=True, cap_ml=-1.0)


def test_to_json_is_plain() -> None:
    import json

    est = estimate_cement(_box((1, 1, 1), (11, 11, 11)), VOX_ML, spinal=True)
    data = json.loads(json.dumps(est.to_json()))
    assert data["estimate_ml"] == pytest.approx(0.84)
    assert data["range_ml"] == [0.5, 1.0]
    assert data["published"]["source"].startswith("Chen 2022")
