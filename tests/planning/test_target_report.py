"""cement_risk_scores: the plan runner's dict, on the vertebra phantom and an extraspinal lesion."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest

from imaging.lesion_model import Lesion, LesionType
from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy, WallDefect
from imaging.volume import Volume
from planning.errors import PlanValidationError
from planning.target_report import analyse_target, cement_risk_scores
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom


def _anatomy(
    ph: VertebraPhantom, *, defects: tuple[WallDefect, ...] = (), level: str | None = "L1"
) -> VertebraAnatomy:
    vol = ph.volume
    pedicles = {
        side: PedicleAxis(
            side,
            tuple(p.entry_lps),
            tuple(p.target_lps),
            p.min_width_mm,
            tuple(p.isthmus_lps),
            Mask.from_full(p.mask),
        )
        for side, p in ph.pedicles.items()
    }
    return VertebraAnatomy(
        body=Mask.from_full(ph.body_mask),
        canal=Mask.from_full(ph.canal_mask),
        posterior_wall=Mask.from_full(ph.posterior_wall_mask),
        body_volume_ml=ph.body_volume_ml,
        body_centroid_lps=tuple(vol.index_to_lps_points(np.argwhere(ph.body_mask)).mean(axis=0)),
        body_height_mm=ph.body_height_mm,
        canal_centroid_lps=tuple(ph.canal_centroid_lps),
        canal_area_mm2=ph.canal_area_mm2,
        posterior_wall_points_lps=(),
        posterior_wall_intact=not defects,
        posterior_wall_defects=defects,
        pedicles=pedicles,
        level=level,
    )


def _lesion(volume: Volume, mask_full: np.ndarray, kind: LesionType, *, diameter_mm: float) -> Lesion:
    mask = Mask.from_full(mask_full)
    centroid = tuple(volume.index_to_lps_points(mask.voxel_indices()).mean(axis=0))
    return Lesion(
        mask=mask,
        type=kind,
        volume_ml=mask.count() * volume.voxel_volume_ml,
        max_diameter_mm=diameter_mm,
        mean_hu=30.0,
        percentiles_hu={50: 30.0},
        reference_bone_hu=200.0,
        centroid_lps=centroid,
        bbox_lps=(centroid, centroid),
        seed_lps=centroid,
    )


@pytest.fixture(scope="module")
def spine_case() -> tuple[VertebraPhantom, Lesion]:
    ph = make_vertebra_phantom(noise_hu=0.0, lesion=(0.0, 6.0, 0.0, 8.0), wall_defect=(0.0, 0.0, 5.0))
    assert ph.lesion_mask is not None
    return ph, _lesion(ph.volume, ph.lesion_mask, LesionType.LYTIC, diameter_mm=16.0)


def test_spine_dict(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    ph, lesion = spine_case
    assert ph.wall_defect_center_lps is not None
    anatomy = _anatomy(ph, defects=(WallDefect(tuple(ph.wall_defect_center_lps), 5.0, "plug"),))
    ped = ph.pedicles[Side.LEFT]
    out = cement_risk_scores(ph.volume, lesion, anatomy, [(ped.entry_lps, ped.target_lps, 3.05)], None, None)
    json.dumps(out)  # JSON-able
    assert set(out) == {"cement", "leakage_risk", "scores", "injection"}

    truth_ml = 4.0 / 3.0 * math.pi * 8.0**3 / 1000.0
    # 2.1 mL lesion: its fill (1.8 mL) is raised to the smallest published volume, 2 mL
    assert out["cement"]["lesion_fill_ml"] == pytest.approx(truth_ml * 0.84, rel=0.04)
    assert out["cement"]["estimate_ml"] == pytest.approx(max(2.0, truth_ml * 0.84))
    assert out["cement"]["range_ml"][1] == pytest.approx(truth_ml, rel=0.04)

    risk = out["leakage_risk"]
    assert risk["level"] == "high"
    assert any("posterior-wall destruction" in r for r in risk["reasons"])
    kinds = {z["kind"] for z in risk["zones"]}
    assert {"posterior-wall band", "foramen band", "posterior-wall defect", "access track"} <= kinds
    assert "basivertebral venous foramen" in kinds

    sins = {i["name"]: i for i in out["scores"]["sins"]["items"]}
    assert sins["location"] == {
        "name": "location",
        "value": "junctional",
        "points": 3,
        "source": "prefilled",
        "basis": "level L1",
    }
    assert sins["bone_lesion"]["points"] == 2 and sins["bone_lesion"]["source"] == "prefilled"
    assert sins["posterolateral"]["value"] == "none"  # the lesion stays in the body
    assert sins["pain"]["source"] == "missing"
    assert out["scores"]["sins"]["complete"] is False

    inj = out["injection"]
    assert inj["planned_volume_ml"] == pytest.approx(out["cement"]["estimate_ml"], abs=0.01)
    assert (
        inj["near_wall_volume_ml"] > 0.0
    )  # the lesion reaches 14 mm behind the centre, the band starts at 11
    assert inj["posterior_quarter_depth_mm"] == pytest.approx(8.0, abs=0.6)
    # the sphere (y 6 +- 8 mm) reaches the posterior quarter (y > 16 - 8 = 8 mm): cap of height 6 mm,
    # pi h^2 (3r - h) / 3 = 678.6 mm^3 of 2144.7 mm^3 = 32% (voxelised: within 5 points)
    quarter = next(n for n in inj["notes"] if "posterior quarter" in n)
    share = float(quarter.split("%")[0])
    assert share == pytest.approx(
        100.0 * math.pi * 36.0 * 18.0 / 3.0 / (4.0 / 3.0 * math.pi * 512.0), abs=5.0
    )


def test_operator_choices_complete_sins_and_change_risk(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    ph, lesion = spine_case
    anatomy = _anatomy(ph)  # wall intact
    choices = {
        "sins": {"pain": "mechanical", "alignment": "normal", "collapse": "none"},
        "cement_viscosity": "low",
        "treated_levels": 1,
        "intravertebral_cleft": False,
    }
    out = cement_risk_scores(ph.volume, lesion, anatomy, [], None, "T7", choices=choices)
    sins = out["scores"]["sins"]
    # semi-rigid 1 + mechanical 3 + lytic 2 + normal 0 + none 0 + posterolateral none 0 = 6
    assert sins["complete"] is True
    assert sins["total"] == 6
    assert sins["category"] == "stable"
    assert {i["name"]: i["source"] for i in sins["items"]}["pain"] == "chosen"
    # low viscosity (major) alone: moderate
    assert out["leakage_risk"]["level"] == "moderate"
    assert any("low-viscosity cement" in r for r in out["leakage_risk"]["reasons"])


def test_collapse_prefilled_from_adjacent_heights() -> None:
    ph = make_vertebra_phantom(noise_hu=0.0, collapse_fraction=0.4, lesion=(0.0, 0.0, 0.0, 6.0))
    assert ph.lesion_mask is not None
    lesion = _lesion(ph.volume, ph.lesion_mask, LesionType.MIXED, diameter_mm=12.0)
    out = cement_risk_scores(
        ph.volume, lesion, _anatomy(ph), [], None, "L3", choices={"adjacent_heights_mm": [26.0, 26.0]}
    )
    items = {i["name"]: i for i in out["scores"]["sins"]["items"]}
    assert items["collapse"]["value"] == "collapse-under-50"  # 40 % loss
    assert items["collapse"]["source"] == "prefilled"
    assert "40% loss" in items["collapse"]["basis"]
    factors = {f["factor"]: f for f in out["leakage_risk"]["factors"]}
    assert factors["vertebral collapse"]["present"] is True


def test_posterolateral_from_a_lesion_in_one_pedicle() -> None:
    ph = make_vertebra_phantom(noise_hu=0.0)
    ped = ph.pedicles[Side.RIGHT]
    lps = ph.volume.index_to_lps_points(np.stack(np.indices(ph.volume.shape), axis=-1).astype(float))
    ball = np.sum((lps - ped.isthmus_lps) ** 2, axis=-1) <= 5.0**2
    lesion = _lesion(ph.volume, ball & (ped.mask | ph.body_mask), LesionType.LYTIC, diameter_mm=10.0)
    out = cement_risk_scores(ph.volume, lesion, _anatomy(ph), [], None, "L2")
    items = {i["name"]: i for i in out["scores"]["sins"]["items"]}
    assert items["posterolateral"]["value"] == "unilateral"
    assert items["posterolateral"]["points"] == 1


def test_extraspinal_dict() -> None:
    shape = (40, 60, 60)
    k, i, j = np.indices(shape)
    ball = ((k - 20) * 2.0) ** 2 + (i - 30.0) ** 2 + (j - 30.0) ** 2 <= 20.0**2  # r = 20 mm, 40 mm wide
    cavity_ball = ((k - 20) * 2.0) ** 2 + (i - 30.0) ** 2 + (j - 50.0) ** 2 <= 10.0**2
    # bone (700 HU) up to column 54 with the lytic lesion (20 HU) in it; soft tissue (40 HU) beyond: the
    # zone reaching past the bone is not a cavity to fill
    hu = np.where(j < 55, 700, 40).astype(np.int16)
    hu[ball] = 20
    vol = Volume(hu, np.diag([2.0, 1.0, 1.0, 1.0]))
    lesion = _lesion(vol, ball, LesionType.LYTIC, diameter_mm=40.0)
    cavity = Mask.from_full(cavity_ball)
    out = cement_risk_scores(
        vol,
        lesion,
        None,
        [],
        cavity,
        None,
        choices={"mirels": {"site": "peritrochanteric", "pain": "functional", "cortical_fraction": 0.8}},
    )
    json.dumps(out)
    assert out["cement"]["site"] == "extraspinal-over-35mm"
    in_bone_ml = np.count_nonzero(cavity_ball & ~ball & (j < 55)) * vol.voxel_volume_ml
    outside_ml = np.count_nonzero(cavity_ball & (j >= 55)) * vol.voxel_volume_ml
    assert in_bone_ml > 0.5 and outside_ml > 0.5  # the zone straddles the bone's edge
    # the zone's part in the bone (within the bone mask's one-voxel closing) is reported, not counted:
    # the 33.5 mL lesion's fill (28 mL) is held at the largest published volume (> 3.5 cm: 19 mL)
    assert out["cement"]["ablation_in_bone_ml"] == pytest.approx(in_bone_ml, rel=0.1)
    assert out["cement"]["ablation_counted"] is False
    assert out["cement"]["estimate_ml"] == pytest.approx(19.0)
    assert out["leakage_risk"]["zones"] == []
    assert out["scores"]["mirels"]["total"] == 12
    assert out["scores"]["mirels"]["risk"].startswith("prophylactic fixation")
    nature = next(i for i in out["scores"]["mirels"]["items"] if i["name"] == "nature")
    assert nature["source"] == "prefilled"
    assert out["scores"]["impending_fracture"]["impending"] is True  # lytic and 40 mm > 25 mm
    assert "sins" not in out["scores"]
    assert not any("quarter" in r for r in out["injection"]["stop_rules"])


def test_rejects_unknown_choice(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    ph, lesion = spine_case
    with pytest.raises(PlanValidationError, match="choices"):
        cement_risk_scores(ph.volume, lesion, _anatomy(ph), [], None, None, choices={"colour": "red"})
    with pytest.raises(PlanValidationError, match="cement_viscosity"):
        cement_risk_scores(
            ph.volume, lesion, _anatomy(ph), [], None, None, choices={"cement_viscosity": "thin"}
        )


def test_analysis_keeps_masks(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    ph, lesion = spine_case
    analysis = analyse_target(ph.volume, lesion, _anatomy(ph), [], None, "L1")
    assert analysis.leakage is not None
    assert all(z.mask.grid_shape == ph.volume.shape for z in analysis.leakage.zones)


def test_defaults_are_reported_and_editable(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    ph, lesion = spine_case
    anatomy = _anatomy(ph)
    base = cement_risk_scores(ph.volume, lesion, anatomy, [], None, "L1")
    defaults = base["leakage_risk"]["defaults"]
    assert defaults["band_mm"]["value"] == 5.0
    assert "*unverified*" in defaults["foramen_width_mm"]["source"]
    assert base["cement"]["defaults"]["fill_fraction"] == 0.84

    def foramen_ml(out: dict) -> float:
        return sum(z["volume_ml"] for z in out["leakage_risk"]["zones"] if z["kind"] == "foramen band")

    wide = cement_risk_scores(
        ph.volume, lesion, anatomy, [], None, "L1", choices={"foramen_depth_mm": 20.0, "band_mm": 8.0}
    )
    assert wide["leakage_risk"]["defaults"]["foramen_depth_mm"]["value"] == 20.0
    assert foramen_ml(wide) > foramen_ml(base)
    band = next(z for z in wide["leakage_risk"]["zones"] if z["kind"] == "posterior-wall band")
    base_band = next(z for z in base["leakage_risk"]["zones"] if z["kind"] == "posterior-wall band")
    assert band["volume_ml"] > base_band["volume_ml"]
    with pytest.raises(PlanValidationError, match="foramen_width_mm"):
        cement_risk_scores(ph.volume, lesion, anatomy, [], None, "L1", choices={"foramen_width_mm": "wide"})


def test_a_level_named_without_a_vertebra_found_is_spinal(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    """A vertebral lesion whose vertebra was not found (a destroyed body) but whose level the operator
    named is scored with SINS and estimated with the vertebral cement series, not as extraspinal; the
    items measured on the vertebra are left to the operator."""
    ph, lesion = spine_case
    named = cement_risk_scores(ph.volume, lesion, None, [], None, "T1")
    extraspinal = cement_risk_scores(ph.volume, lesion, None, [], None, None)
    assert "mirels" in extraspinal["scores"] and "sins" not in extraspinal["scores"]
    assert "sins" in named["scores"] and "mirels" not in named["scores"]
    items = {i["name"]: i for i in named["scores"]["sins"]["items"]}
    assert items["location"]["value"] == "junctional" and items["location"]["basis"] == "level T1"
    assert items["bone_lesion"]["source"] == "prefilled"
    assert items["collapse"]["source"] == "missing" and items["posterolateral"]["source"] == "missing"
    assert named["cement"]["site"] != extraspinal["cement"]["site"]
    assert not named["cement"]["site"].startswith("extraspinal")


def test_a_lesion_like_normal_bone_is_not_counted_lytic(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    """A drawn mask measured as mostly like the bone around it (NORMAL_LIKE) has no type worth a risk
    factor: "lytic lesion" is left to the operator (not assessed), not counted present from the images."""
    import dataclasses

    from imaging.lesion_remeasure import NORMAL_LIKE

    ph, lesion = spine_case
    judged = cement_risk_scores(ph.volume, lesion, None, [], None, "T1")
    like_bone = dataclasses.replace(lesion, notes=(f"{NORMAL_LIKE} (62% of its voxels)",))
    unjudged = cement_risk_scores(ph.volume, like_bone, None, [], None, "T1")

    def lytic(out: dict[str, Any]) -> dict[str, Any]:
        return next(f for f in out["leakage_risk"]["factors"] if f["factor"] == "lytic lesion")

    assert lytic(judged)["present"] is True and lytic(judged)["source"] == "images"
    assert lytic(unjudged)["present"] is None and lytic(unjudged)["source"] == "operator"
    assert not any("lytic" in r for r in unjudged["leakage_risk"]["reasons"])


def test_extraspinal_texts_have_no_spine_words_and_the_borrowed_fill_is_marked() -> None:
    """Outside the spine the injection protocol has no wall or foramen rule, and the fill fraction
    (CLINICAL.md gives lesion filling for vertebrae only) is the vertebral figure marked unverified."""
    shape = (30, 40, 40)
    k, i, j = np.indices(shape)
    ball = ((k - 15) * 2.0) ** 2 + (i - 20.0) ** 2 + (j - 20.0) ** 2 <= 8.0**2
    hu = np.full(shape, 700, dtype=np.int16)
    hu[ball] = 20
    vol = Volume(hu, np.diag([2.0, 1.0, 1.0, 1.0]))
    lesion = _lesion(vol, ball, LesionType.LYTIC, diameter_mm=16.0)
    out = cement_risk_scores(vol, lesion, None, [], None, None)
    inj = out["injection"]
    words = " ".join([inj["aliquot_rule"], *inj["stop_rules"], *inj["notes"]]).lower()
    for w in ("posterior wall", "foramen", "vertebra", "spinal", "canal"):
        assert w not in words
    source = out["cement"]["defaults"]["fill_fraction_source"]
    assert "borrowed" in source and "*unverified*" in source
    assert "*unverified*" in out["cement"]["defaults"]["fill_fraction_range_source"]
    # the operator's own fill is not marked borrowed; a spinal target's default is Chen's own
    chosen = cement_risk_scores(vol, lesion, None, [], None, None, choices={"fill_fraction": 0.6})
    assert chosen["cement"]["defaults"]["fill_fraction_source"] == "operator"
    spinal = cement_risk_scores(vol, lesion, None, [], None, "L1")
    assert "borrowed" not in spinal["cement"]["defaults"]["fill_fraction_source"]
    assert "posterior wall" in spinal["injection"]["aliquot_rule"]


def test_a_wall_not_seen_is_unknown_not_destroyed(spine_case: tuple[VertebraPhantom, Lesion]) -> None:
    """QA s19 F3: a posterior wall too little seen to judge (a body cut by the scan's edge) was counted as
    posterior-wall destruction, evidence "wall not intact". It is now unknown, said so, and left out of the
    reasons; the wall seen intact and the wall with a defect read as before."""
    ph, lesion = spine_case
    unseen = dataclasses.replace(_anatomy(ph), posterior_wall_intact=False, posterior_wall_assessed=False)
    risk = cement_risk_scores(ph.volume, lesion, unseen, [], None, None)["leakage_risk"]
    (wall,) = [f for f in risk["factors"] if f["factor"] == "posterior-wall destruction"]
    assert wall["present"] is None, wall
    assert "not assessed" in wall["evidence"], wall
    assert not any("posterior-wall destruction" in r for r in risk["reasons"]), risk["reasons"]
    assert "posterior-wall destruction" in risk["not_assessed"]
    seen = cement_risk_scores(ph.volume, lesion, _anatomy(ph), [], None, None)["leakage_risk"]
    (intact,) = [f for f in seen["factors"] if f["factor"] == "posterior-wall destruction"]
    assert intact["present"] is False and intact["evidence"].startswith("wall intact")
    # the plan's evidence says what "intact" means on this scan (QA s25 E3)
    limited = dataclasses.replace(_anatomy(ph), posterior_wall_smallest_gap_mm=6.0)
    told = cement_risk_scores(ph.volume, lesion, limited, [], None, None)["leakage_risk"]
    (wall,) = [f for f in told["factors"] if f["factor"] == "posterior-wall destruction"]
    assert wall["evidence"].startswith("wall intact (no gap of 6 mm or more found on this scan"), wall
