"""SINS, Mirels and Harrington: every item and every boundary of the CLINICAL.md tables."""

from __future__ import annotations

import pytest

from imaging.lesion_model import LesionType
from planning.errors import PlanValidationError
from planning.scores import (
    HarringtonClass,
    ItemSource,
    MirelsRisk,
    SinsCategory,
    SinsCollapse,
    SinsLocation,
    SinsPosterolateral,
    collapse_from_heights,
    harrington_class,
    harrington_impending_fracture,
    mirels_risk,
    mirels_score,
    mirels_size_points,
    parse_level,
    posterolateral_from_sides,
    sins_category,
    sins_item,
    sins_location,
    sins_score,
)

LYTIC_CRITERION = "lytic lesion with > 50% cortical destruction or > 25 mm"
J, M, SR, R = SinsLocation.JUNCTIONAL, SinsLocation.MOBILE, SinsLocation.SEMI_RIGID, SinsLocation.RIGID


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("occiput", J), ("C0", J), ("C1", J), ("C2", J), ("C3", M), ("C6", M), ("C7", J),
        ("T1", J), ("T2", J), ("T3", SR), ("T10", SR), ("T11", J), ("T12", J),
        ("L1", J), ("L2", M), ("L3", M), ("L4", M), ("L5", J),
        ("S1", J), ("S2", R), ("S5", R), (" t7 ", SR), ("l5", J),
    ],
)  # fmt: skip
def test_sins_location_table(level: str, expected: SinsLocation) -> None:
    assert sins_location(level) is expected


@pytest.mark.parametrize("level", ["T13", "L6", "C8", "S6", "X1", "L0", "", "T-1", "lumbar"])
def test_sins_location_rejects_unknown_levels(level: str) -> None:
    with pytest.raises(PlanValidationError, match="level"):
        sins_location(level)


def test_parse_level() -> None:
    assert parse_level("T11") == ("T", 11)
    assert parse_level("occiput") == ("C", 0)


@pytest.mark.parametrize(
    ("name", "value", "points"),
    [
        ("location", "junctional", 3), ("location", "mobile", 2), ("location", "semi-rigid", 1),
        ("location", "rigid", 0),
        ("pain", "mechanical", 3), ("pain", "occasional-non-mechanical", 1), ("pain", "pain-free", 0),
        ("bone_lesion", "lytic", 2), ("bone_lesion", "mixed", 1), ("bone_lesion", "blastic", 0),
        ("alignment", "subluxation-translation", 4), ("alignment", "de-novo-deformity", 2),
        ("alignment", "normal", 0),
        ("collapse", "collapse-over-50", 3), ("collapse", "collapse-under-50", 2),
        ("collapse", "no-collapse-over-50-involved", 1), ("collapse", "none", 0),
        ("posterolateral", "bilateral", 3), ("posterolateral", "unilateral", 1),
        ("posterolateral", "none", 0),
    ],
)  # fmt: skip
def test_sins_item_points(name: str, value: str, points: int) -> None:
    item = sins_item(name, value, ItemSource.CHOSEN)
    assert item.points == points
    assert item.source is ItemSource.CHOSEN
    assert item.basis == "chosen by the operator"


def test_sins_item_rejects_unknown() -> None:
    with pytest.raises(PlanValidationError, match="sins pain"):
        sins_item("pain", "severe", ItemSource.CHOSEN)
    with pytest.raises(PlanValidationError, match="sins item"):
        sins_item("weight", "heavy", ItemSource.CHOSEN)


@pytest.mark.parametrize(
    ("total", "category"),
    [
        (0, SinsCategory.STABLE), (6, SinsCategory.STABLE),
        (7, SinsCategory.POTENTIALLY_UNSTABLE), (12, SinsCategory.POTENTIALLY_UNSTABLE),
        (13, SinsCategory.UNSTABLE), (18, SinsCategory.UNSTABLE),
    ],
)  # fmt: skip
def test_sins_category_boundaries(total: int, category: SinsCategory) -> None:
    assert sins_category(total) is category


@pytest.mark.parametrize("total", [-1, 19])
def test_sins_category_out_of_range(total: int) -> None:
    with pytest.raises(PlanValidationError):
        sins_category(total)


def _full(location: str, pain: str, lesion: str, alignment: str, collapse: str, pl: str) -> dict:
    values = {
        "location": location,
        "pain": pain,
        "bone_lesion": lesion,
        "alignment": alignment,
        "collapse": collapse,
        "posterolateral": pl,
    }
    return {k: sins_item(k, v, ItemSource.CHOSEN) for k, v in values.items()}


@pytest.mark.parametrize(
    ("items", "total", "category", "consult"),
    [
        # 3 + 0 + 2 + 0 + 0 + 1 = 6
        (("junctional", "pain-free", "lytic", "normal", "none", "unilateral"), 6, SinsCategory.STABLE, False),
        # 3 + 1 + 2 + 0 + 0 + 1 = 7
        (("junctional", "occasional-non-mechanical", "lytic", "normal", "none", "unilateral"), 7,
         SinsCategory.POTENTIALLY_UNSTABLE, True),
        # 1 + 3 + 2 + 2 + 2 + 3 = 13
        (("semi-rigid", "mechanical", "lytic", "de-novo-deformity", "collapse-under-50", "bilateral"), 13,
         SinsCategory.UNSTABLE, True),
        # 1 + 3 + 1 + 2 + 2 + 3 = 12
        (("semi-rigid", "mechanical", "mixed", "de-novo-deformity", "collapse-under-50", "bilateral"), 12,
         SinsCategory.POTENTIALLY_UNSTABLE, True),
        (("rigid", "pain-free", "blastic", "normal", "none", "none"), 0, SinsCategory.STABLE, False),
        (("junctional", "mechanical", "lytic", "subluxation-translation", "collapse-over-50",
          "bilateral"), 18, SinsCategory.UNSTABLE, True),
    ],
)  # fmt: skip
def test_sins_total_category_and_consultation(
    items: tuple[str, ...], total: int, category: SinsCategory, consult: bool
) -> None:
    result = sins_score(_full(*items))
    assert result.complete
    assert result.total == total
    assert result.total_range == (total, total)
    assert result.category is category
    assert result.surgical_consultation is consult
    assert ("surgical consultation" in result.note) is consult


def test_sins_with_missing_items_gives_a_range_not_a_category() -> None:
    items = {
        "location": sins_item("location", "junctional", ItemSource.PREFILLED, "level L1"),
        "bone_lesion": sins_item("bone_lesion", "lytic", ItemSource.PREFILLED, "segmented"),
    }
    result = sins_score(items)
    assert not result.complete
    assert result.category is None
    # known 5; missing pain (max 3), alignment (4), collapse (3), posterolateral (3)
    assert result.total_range == (5, 18)
    assert result.surgical_consultation is None
    assert SinsCategory.STABLE in result.categories_possible
    assert SinsCategory.UNSTABLE in result.categories_possible
    missing = [i for i in result.items if i.source is ItemSource.MISSING]
    assert {i.name for i in missing} == {"pain", "alignment", "collapse", "posterolateral"}
    # known total already >= 7: consultation regardless of the rest
    items["alignment"] = sins_item("alignment", "de-novo-deformity", ItemSource.CHOSEN)
    assert sins_score(items).surgical_consultation is True
    # the maximum still possible under 7: not warranted
    low = {
        "location": sins_item("location", "rigid", ItemSource.CHOSEN),
        "pain": sins_item("pain", "pain-free", ItemSource.CHOSEN),
        "alignment": sins_item("alignment", "normal", ItemSource.CHOSEN),
        "collapse": sins_item("collapse", "none", ItemSource.CHOSEN),
        "posterolateral": sins_item("posterolateral", "none", ItemSource.CHOSEN),
    }
    res = sins_score(low)
    assert res.total_range == (0, 2)
    assert res.surgical_consultation is False


@pytest.mark.parametrize(
    ("height", "reference", "involved", "expected"),
    [
        (12.0, 26.0, None, SinsCollapse.OVER_50),  # 53.8 % loss
        (13.0, 26.0, None, SinsCollapse.UNDER_50),  # exactly 50 %: not "> 50 %"
        (20.8, 26.0, None, SinsCollapse.UNDER_50),  # exactly 20 %: collapse threshold reached
        (21.06, 26.0, None, SinsCollapse.NONE),  # 19 %
        (26.0, 26.0, 0.6, SinsCollapse.NONE_OVER_50_INVOLVED),
        (26.0, 26.0, 0.5, SinsCollapse.NONE),  # exactly 50 % involved: not "> 50 %"
        (28.0, 26.0, None, SinsCollapse.NONE),  # taller than the reference
    ],
)
def test_collapse_from_heights(
    height: float, reference: float, involved: float | None, expected: SinsCollapse
) -> None:
    value, basis = collapse_from_heights(height, reference, body_involved_fraction=involved)
    assert value is expected
    assert f"{reference:.1f} mm expected" in basis


def test_collapse_rejects_bad_heights() -> None:
    with pytest.raises(PlanValidationError, match="reference_height_mm"):
        collapse_from_heights(20.0, 0.0)
    with pytest.raises(PlanValidationError, match="body_involved_fraction"):
        collapse_from_heights(26.0, 26.0, body_involved_fraction=1.5)


def test_posterolateral_from_sides() -> None:
    assert posterolateral_from_sides(True, True) is SinsPosterolateral.BILATERAL
    assert posterolateral_from_sides(True, False) is SinsPosterolateral.UNILATERAL
    assert posterolateral_from_sides(False, True) is SinsPosterolateral.UNILATERAL
    assert posterolateral_from_sides(False, False) is SinsPosterolateral.NONE


# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fraction", "points"),
    [(0.0, 1), (0.3333, 1), (1.0 / 3.0, 2), (0.5, 2), (2.0 / 3.0, 2), (0.6667, 3), (1.0, 3)],
)
def test_mirels_size_boundaries(fraction: float, points: int) -> None:
    assert mirels_size_points(fraction) == points


@pytest.mark.parametrize("fraction", [-0.01, 1.01, float("nan")])
def test_mirels_size_rejects(fraction: float) -> None:
    with pytest.raises(PlanValidationError):
        mirels_size_points(fraction)


@pytest.mark.parametrize(
    ("total", "risk"),
    [(4, MirelsRisk.LOW), (7, MirelsRisk.LOW), (8, MirelsRisk.BORDERLINE), (9, MirelsRisk.FIXATION),
     (12, MirelsRisk.FIXATION)],
)  # fmt: skip
def test_mirels_risk_bands(total: int, risk: MirelsRisk) -> None:
    assert mirels_risk(total) is risk


@pytest.mark.parametrize("total", [3, 13])
def test_mirels_risk_out_of_range(total: int) -> None:
    with pytest.raises(PlanValidationError):
        mirels_risk(total)


@pytest.mark.parametrize(
    ("site", "fraction", "nature", "pain", "total", "risk"),
    [
        ("upper-limb", 0.1, "blastic", "mild", 4, MirelsRisk.LOW),
        ("lower-limb", 0.5, "mixed", "mild", 7, MirelsRisk.LOW),  # 2+2+2+1
        ("lower-limb", 0.5, "mixed", "moderate", 8, MirelsRisk.BORDERLINE),  # 2+2+2+2
        ("peritrochanteric", 0.5, "mixed", "moderate", 9, MirelsRisk.FIXATION),  # 3+2+2+2
        ("peritrochanteric", 0.9, "lytic", "functional", 12, MirelsRisk.FIXATION),
        ("upper-limb", 0.9, "lytic", "functional", 10, MirelsRisk.FIXATION),  # 1+3+3+3
    ],
)
def test_mirels_totals(
    site: str, fraction: float, nature: str, pain: str, total: int, risk: MirelsRisk
) -> None:
    result = mirels_score(
        site=site, cortical_fraction=fraction, nature=nature, pain=pain, prefilled=frozenset({"nature"})
    )
    assert result.complete
    assert result.total == total
    assert result.risk is risk
    by_name = {i.name: i for i in result.items}
    assert by_name["nature"].source is ItemSource.PREFILLED
    assert by_name["pain"].source is ItemSource.CHOSEN
    assert [i.name for i in result.items] == ["site", "size", "nature", "pain"]


def test_mirels_incomplete_and_invalid() -> None:
    result = mirels_score(nature="lytic")
    assert not result.complete
    assert result.risk is None
    assert result.total == 3
    assert result.total_range == (6, 12)
    with pytest.raises(PlanValidationError, match="mirels site"):
        mirels_score(site="skull")


# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("medial", "lateral", "superior", "solitary", "cls", "percutaneous"),
    [
        (False, False, False, False, HarringtonClass.I, True),
        (True, False, False, False, HarringtonClass.II, True),
        (True, True, True, False, HarringtonClass.III, True),
        (False, False, False, True, HarringtonClass.IV, False),
        (True, True, True, True, HarringtonClass.IV, False),
        (False, True, False, False, None, None),  # fits no class
        (True, True, False, False, None, None),
    ],
)
def test_harrington_classes(
    medial: bool,
    lateral: bool,
    superior: bool,
    solitary: bool,
    cls: HarringtonClass | None,
    percutaneous: bool | None,
) -> None:
    result = harrington_class(
        medial_wall_deficient=medial,
        lateral_cortex_deficient=lateral,
        superior_wall_deficient=superior,
        solitary_resectable_for_cure=solitary,
    )
    assert result.harrington_class is cls
    assert result.percutaneous_candidate is percutaneous
    assert result.reasons


@pytest.mark.parametrize(
    ("lesion_type", "fraction", "size", "pain", "progression", "impending", "met"),
    [
        (LesionType.LYTIC, 0.50, 25.0, False, False, False, ()),  # both exactly at the limits
        (LesionType.LYTIC, 0.51, 10.0, False, False, True, (LYTIC_CRITERION,)),
        (LesionType.LYTIC, 0.10, 25.1, False, False, True, (LYTIC_CRITERION,)),
        (LesionType.BLASTIC, 0.90, 40.0, False, False, False, ()),
        (LesionType.BLASTIC, 0.10, 10.0, True, False, True, ("persistent pain",)),
        (LesionType.MIXED, 0.10, 10.0, False, True, True, ("progression after radiotherapy",)),
        (LesionType.LYTIC, None, 10.0, None, False, None, ()),  # unknown and nothing met
    ],
)  # fmt: skip
def test_harrington_impending_fracture(
    lesion_type: LesionType,
    fraction: float | None,
    size: float,
    pain: bool | None,
    progression: bool,
    impending: bool | None,
    met: tuple[str, ...],
) -> None:
    result = harrington_impending_fracture(
        lesion_type=lesion_type,
        cortical_destruction_fraction=fraction,
        size_mm=size,
        persistent_pain=pain,
        progression_after_radiotherapy=progression,
    )
    assert result.impending is impending
    assert result.criteria_met == met
    if impending is None:
        assert "persistent pain" in result.criteria_unknown


def test_harrington_impending_rejects() -> None:
    with pytest.raises(PlanValidationError, match="cortical_destruction_fraction"):
        harrington_impending_fracture(
            lesion_type=LesionType.LYTIC,
            cortical_destruction_fraction=1.2,
            size_mm=10.0,
            persistent_pain=None,
            progression_after_radiotherapy=None,
        )
