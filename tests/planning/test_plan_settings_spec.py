"""Plan settings the window and the command line share: the least needle depth of a direct route the
program chooses (``min_needle_depth_mm``: a case setting, a plan spec key, saved into the case), the
pedicle safety margin (``pedicle_safety_margin_mm``, the same), and the bone of an extraspinal target
(``bone``: the plan's scores follow it as the window's Scores dock does, and it is saved with the target).

Phantom: the rib-like bar of tests/planning/test_direct_route_choice.py (1 mm grid, a lytic sphere of
radius 4 mm at the LPS origin in a bar under the front skin), written nowhere: the plan runs on the
volume in memory. Positions LPS mm, depths mm.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planning.case import Case
from planning.case_io import load_case, save_case
from planning.errors import PlanValidationError
from planning.model import (
    DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    HELD_NEEDLE_DEPTH_MM,
    MAX_NEEDLE_DEPTH_MM,
    MAX_PEDICLE_SAFETY_MARGIN_MM,
    PlanSettings,
    ScoreSystem,
)
from planning.plan_runner import build_case, run_plan
from planning.score_site import BONE_KEY, BoneSite, score_for
from tests.planning.test_direct_route_choice import _rib_phantom

#: a least depth that rules out the default route on the phantom: the default's needle tip lies 10.5 mm
#: under the skin (measured by the first test, not assumed)
DEEPER_MM = 20.0


def _spec(**top: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "targets": [{"name": "rib", "lesion_seed_lps": [0.0, 0.0, 0.0]}],
        "trajectories": [{"target": "rib", "approach": "direct"}],
        "needle": {"gauge": 11, "antenna_extension_mm": 15},
        "ablation": {"profile": "Emprint 75 W 5 min"},
    }
    spec.update(top)
    return spec


@pytest.fixture(scope="module")
def rib() -> Any:
    return _rib_phantom()[0]


def test_the_plan_reads_the_least_needle_depth_and_saves_it_in_the_case(rib: Any, tmp_path: Path) -> None:
    """The old plan command ignored the key: both runs chose the same route (needle tip 10.5 mm deep)."""
    default = run_plan(rib, _spec())
    deeper = run_plan(rib, _spec(min_needle_depth_mm=DEEPER_MM))
    d0, d1 = default.trajectories[0].geometry, deeper.trajectories[0].geometry
    assert d0.length_mm < DEEPER_MM  # the default route leaves the tip shallower than the setting
    assert d1.length_mm >= DEEPER_MM - 1e-6  # floating point only
    assert np.linalg.norm(np.subtract(d0.entry_lps, d1.entry_lps)) > 5.0  # another way in
    assert f"at least {DEEPER_MM:.0f} mm, so that the tissue holds the needle" in " ".join(
        deeper.trajectories[0].warnings
    )
    assert default.to_json()["min_needle_depth_mm"] == HELD_NEEDLE_DEPTH_MM
    assert deeper.to_json()["min_needle_depth_mm"] == DEEPER_MM
    case = build_case(deeper)
    assert case.settings.min_needle_depth_mm == DEEPER_MM
    save_case(case, tmp_path / "c.osteoplan")
    assert load_case(tmp_path / "c.osteoplan").settings.min_needle_depth_mm == DEEPER_MM


@pytest.mark.parametrize("bad", [-1.0, MAX_NEEDLE_DEPTH_MM + 1.0, "10", True, float("nan")])
def test_a_bad_least_needle_depth_is_refused_by_name(rib: Any, bad: object) -> None:
    with pytest.raises(PlanValidationError, match='"min_needle_depth_mm"'):
        run_plan(rib, _spec(min_needle_depth_mm=bad))


def test_the_setting_is_checked_and_older_case_files_load_with_the_default(tmp_path: Path) -> None:
    assert PlanSettings().min_needle_depth_mm == HELD_NEEDLE_DEPTH_MM == 10.0
    for bad in (-0.5, MAX_NEEDLE_DEPTH_MM + 0.5):
        with pytest.raises(PlanValidationError, match="min_needle_depth_mm"):
            PlanSettings(min_needle_depth_mm=bad)
    case = Case()
    case.set_settings(PlanSettings(min_needle_depth_mm=25.0, heat_warn_distance_mm=8.0))
    path = tmp_path / "c.osteoplan"
    save_case(case, path)
    assert load_case(path).settings == PlanSettings(min_needle_depth_mm=25.0, heat_warn_distance_mm=8.0)
    # a case file written before the setting existed: its settings lack the key
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(members["case.json"])
    del doc["case"]["settings"]["min_needle_depth_mm"]
    members["case.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    old = load_case(path).settings
    assert old.min_needle_depth_mm == HELD_NEEDLE_DEPTH_MM and old.heat_warn_distance_mm == 8.0


def _scores(rib: Any, bone: str | None, choices: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
    target: dict[str, Any] = {"name": "rib", "lesion_seed_lps": [0.0, 0.0, 0.0]}
    if bone is not None:
        target["bone"] = bone
    if choices is not None:
        target["choices"] = choices
    result = run_plan(rib, _spec(targets=[target], trajectories=[]))
    return result.to_json()["targets"][0], result


def test_the_stated_bone_chooses_the_plans_scores_as_the_window_does(rib: Any) -> None:
    """The old plan scored every extraspinal target with Mirels and the impending-fracture criteria,
    whatever its bone; it had no key for the bone."""
    unstated, _ = _scores(rib, None)
    assert set(unstated["scores"]) == {"mirels", "impending_fracture"} and unstated["bone"] is None

    long_bone, _ = _scores(rib, "long bone")
    assert set(long_bone["scores"]) == {"mirels", "impending_fracture"}
    assert long_bone["bone"] == "long bone"

    acetabulum, result = _scores(rib, "acetabulum")
    assert set(acetabulum["scores"]) == {"harrington"}
    assert acetabulum["scores"]["harrington"]["class"] is None  # the walls are not stated yet
    assert "medial wall" in acetabulum["scores"]["harrington"]["reasons"][0]
    walls = {"medial_wall_deficient": True, "lateral_cortex_deficient": False}
    stated, _ = _scores(rib, "acetabulum", {"harrington": walls, "mirels": {"pain": "mild"}})
    assert stated["scores"]["harrington"]["class"] == "II" and "mirels" not in stated["scores"]
    assert any("choices mirels not used" in w for w in stated["warnings"]), stated["warnings"]
    target = build_case(result).targets["rib"]
    assert target.extra[BONE_KEY] == BoneSite.ACETABULUM.value
    assert score_for(target) is ScoreSystem.HARRINGTON

    other, _ = _scores(rib, "rib or other bone")
    assert other["scores"] == {}
    assert any(w.startswith("no score for a rib or other bone") for w in other["warnings"]), other["warnings"]


def test_a_wrong_bone_and_a_bone_on_a_spinal_target_are_refused_with_the_reason(rib: Any) -> None:
    allowed = (
        r'"targets\[0\]\.bone" = .femur.: expected one of "long bone", "acetabulum", "rib or other bone"'
    )
    with pytest.raises(PlanValidationError, match=allowed):
        _scores(rib, "femur")
    spinal = {"name": "rib", "lesion_seed_lps": [0.0, 0.0, 0.0], "level": "L3", "bone": "long bone"}
    with pytest.raises(PlanValidationError, match=r'no "bone" on a spinal target.*scored with SINS'):
        run_plan(rib, _spec(targets=[spinal], trajectories=[]))


def test_the_bone_survives_a_save_and_load(rib: Any, tmp_path: Path) -> None:
    _, result = _scores(rib, "long bone")
    save_case(build_case(result), tmp_path / "c.osteoplan")
    target = load_case(tmp_path / "c.osteoplan").targets["rib"]
    assert target.extra[BONE_KEY] == "long bone" and score_for(target) is ScoreSystem.MIRELS


def test_the_plan_saves_its_pedicle_safety_margin_in_the_case_and_older_files_read_the_default(
    rib: Any, tmp_path: Path
) -> None:
    """The spec's ``pedicle_safety_margin_mm`` judged the plan's pedicles but was not kept: the saved case
    (which the window opens) had no such setting, so the window judged them with 1 mm whatever the plan
    said. A case file written before the setting existed opens with the default."""
    assert PlanSettings().pedicle_safety_margin_mm == DEFAULT_PEDICLE_SAFETY_MARGIN_MM == 1.0
    result = run_plan(rib, _spec(pedicle_safety_margin_mm=3.0))
    assert result.pedicle_safety_margin_mm == 3.0
    path = tmp_path / "c.osteoplan"
    save_case(build_case(result), path)
    assert load_case(path).settings.pedicle_safety_margin_mm == 3.0
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(members["case.json"])
    assert doc["case"]["settings"]["pedicle_safety_margin_mm"] == 3.0  # the spec's key, the case's name
    del doc["case"]["settings"]["pedicle_safety_margin_mm"]
    members["case.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    old = load_case(path).settings
    assert old.pedicle_safety_margin_mm == DEFAULT_PEDICLE_SAFETY_MARGIN_MM
    assert old.min_needle_depth_mm == HELD_NEEDLE_DEPTH_MM  # the rest as saved


@pytest.mark.parametrize("bad", [-0.5, MAX_PEDICLE_SAFETY_MARGIN_MM + 0.5, float("nan")])
def test_a_pedicle_safety_margin_out_of_the_plans_bounds_is_refused_by_name(rib: Any, bad: float) -> None:
    """The case setting takes what the plan spec takes (0-5 mm), no more."""
    with pytest.raises((PlanValidationError, ValueError), match="pedicle_safety_margin_mm"):
        PlanSettings(pedicle_safety_margin_mm=bad)
    with pytest.raises(PlanValidationError, match="pedicle_safety_margin_mm"):
        run_plan(rib, _spec(pedicle_safety_margin_mm=bad))
