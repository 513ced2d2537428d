"""The plan runner and ``osteoplan plan`` on the vertebra phantom: DESIGN.md keys, values, case file.

The anatomy comes from the phantom's truth (``_find_vertebra`` patched) except in one test that runs
the real anatomy engine. Tolerances: positions 1e-6 mm where the arithmetic is exact, one voxel
(1 mm) where a mask is involved; coverage in percentage points.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.errors import PlanValidationError
from planning.plan_runner import PlanCancelledError, run_plan, save_plan_case
from tests.phantoms.vertebra import VertebraPhantom
from tests.planning.test_proposals import anatomy_from_truth

TARGET_KEYS = {
    "name",
    "lesion",
    "coverage_percent",
    "uncovered_ml",
    "min_margin_mm",
    "zone_to_canal_mm",
    "warnings",
    "cement",
    "leakage_risk",
    "scores",
}
TRAJECTORY_KEYS = {
    "target",
    "approach",
    "entry_lps",
    "target_lps",
    "length_mm",
    "craniocaudal_deg",
    "mediolateral_deg",
    "pedicle_min_width_mm",
    "canal_distance_mm",
    "warnings",
}
ZONE_KEYS = {"trajectory", "center_lps", "axis_lps", "width_mm", "length_mm"}
LESION_KEYS = {
    "type",
    "volume_ml",
    "max_diameter_mm",
    "mean_hu",
    "centroid_lps",
    "bbox_lps",
    "reference_bone_hu",
}


@pytest.fixture
def truth_anatomy(phantom: VertebraPhantom, use_anatomy: Callable[[VertebraAnatomy], None]) -> None:
    use_anatomy(anatomy_from_truth(phantom, "L3"))


def _spec(phantom: VertebraPhantom, trajectories: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "targets": [
            {
                "name": "L3",
                "lesion_seed_lps": phantom.lesion_center_lps.tolist(),
                "vertebra_lps": phantom.center_lps.tolist(),
            }
        ],
        "trajectories": trajectories,
        "needle": {"gauge": 13, "antenna_extension_mm": 15},
        "ablation": {"width_mm": 35, "length_mm": 37, "center_behind_tip_mm": 11.5},
        "positions_per_trajectory": 1,
        "margin_mm": 2,
    }
    spec.update(extra)
    return spec


@pytest.mark.usefixtures("truth_anatomy")
def test_bilateral_plan_has_the_design_keys_and_consistent_values(
    phantom: VertebraPhantom, volume: Volume
) -> None:
    spec = _spec(
        phantom,
        [
            {"target": "L3", "approach": "transpedicular-left"},
            {"target": "L3", "approach": "transpedicular-right"},
        ],
    )
    progress: list[float] = []
    result = run_plan(volume, spec, progress=progress.append)
    out = json.loads(json.dumps(result.to_json()))
    assert progress and progress[-1] == pytest.approx(1.0)
    assert set(out["targets"][0]) >= TARGET_KEYS
    assert set(out["targets"][0]["lesion"]) >= LESION_KEYS
    assert {"estimate_ml", "range_ml"} <= set(out["targets"][0]["cement"])
    assert {"level", "reasons"} <= set(out["targets"][0]["leakage_risk"])
    assert len(out["trajectories"]) == 2
    for t in out["trajectories"]:
        assert set(t) >= TRAJECTORY_KEYS
        assert t["pedicle_min_width_mm"] == pytest.approx(8.0)
        assert t["canal_distance_mm"] > 0  # stays out of the canal
        length = float(np.linalg.norm(np.subtract(t["target_lps"], t["entry_lps"])))
        assert t["length_mm"] == pytest.approx(length, abs=0.02)
    assert [t["approach"] for t in out["trajectories"]] == ["transpedicular-left", "transpedicular-right"]
    # one zone per trajectory, centred 15 - 11.5 = 3.5 mm beyond the needle tip along the needle
    assert len(out["zones"]) == 2
    for k, z in enumerate(out["zones"]):
        assert set(z) >= ZONE_KEYS
        assert z["trajectory"] == k
        tr = result.trajectories[k].geometry
        expected = np.asarray(tr.target_lps) + 3.5 * tr.direction_lps
        np.testing.assert_allclose(z["center_lps"], expected, atol=0.01)
        np.testing.assert_allclose(z["axis_lps"], tr.direction_lps, atol=1e-4)
        assert (z["width_mm"], z["length_mm"]) == (35, 37)
    target = out["targets"][0]
    # a 7 mm lesion in the middle of the body, two 35 mm zones: fully covered
    assert target["coverage_percent"] == pytest.approx(100.0)
    assert target["uncovered_ml"] == 0.0
    assert target["min_margin_mm"] >= 2.0
    assert target["lesion"]["volume_ml"] == pytest.approx(phantom.lesion_volume_ml, rel=0.1)
    # heat next to the canal: the zones reach it, so the thermal advice is given
    assert target["zone_to_canal_mm"] is not None
    if target["zone_to_canal_mm"] < 5.0:
        assert any("42 °C" in w for w in target["warnings"])


@pytest.mark.usefixtures("truth_anatomy")
def test_manual_trajectory_and_pullbacks(phantom: VertebraPhantom, volume: Volume) -> None:
    c = phantom.lesion_center_lps
    d = np.array([0.0, -1.0, 0.0])
    tip = c - 3.5 * d  # puts the first zone's centre on the lesion's centre
    entry = tip - 60.0 * d
    spec = _spec(
        phantom,
        [{"target": "L3", "entry_lps": entry.tolist(), "target_lps": tip.tolist()}],
        positions_per_trajectory=3,
    )
    result = run_plan(volume, spec)
    out = result.to_json()
    t = out["trajectories"][0]
    assert t["approach"] in (
        "transpedicular-left",
        "transpedicular-right",
        "parapedicular-left",
        "parapedicular-right",
    )
    assert any("labelled" in w for w in t["warnings"])
    assert t["length_mm"] == pytest.approx(60.0, abs=0.01)
    assert t["craniocaudal_deg"] == pytest.approx(0.0, abs=0.5)
    assert t["mediolateral_deg"] == pytest.approx(0.0, abs=0.5)
    zones = out["zones"]
    assert len(zones) == 3
    np.testing.assert_allclose(zones[0]["center_lps"], c, atol=0.01)
    step = 0.8 * 37.0  # positions 80 % of the zone length apart
    for k in range(3):
        np.testing.assert_allclose(zones[k]["center_lps"], c - k * step * d, atol=0.01)
    assert out["targets"][0]["min_margin_mm"] == pytest.approx(17.5 - 7.0, abs=1.0)


def test_extraspinal_direct_and_the_case_file(
    phantom: VertebraPhantom, volume: Volume, tmp_path: Path
) -> None:
    from planning.case_io import load_case

    c = phantom.lesion_center_lps
    skin = c + np.array([0.0, 70.0, 20.0])
    spec = _spec(phantom, [{"target": "L3", "approach": "direct", "skin_lps": skin.tolist()}])
    del spec["targets"][0]["vertebra_lps"]
    result = run_plan(volume, spec)
    out = result.to_json()
    t = out["trajectories"][0]
    assert t["approach"] == "direct"
    assert t["canal_distance_mm"] is None and t["pedicle_min_width_mm"] is None
    _assert_zone_on_the_lesion(out)
    assert out["targets"][0]["zone_to_canal_mm"] is None
    path = tmp_path / "plan.osteoplan"
    written = save_plan_case(result, str(path), series_uid="1.2.3", source_path="phantom.nii.gz")
    assert Path(written) == path and path.is_file()
    case = load_case(path)
    trajs = list(case.trajectories.values())
    assert len(trajs) == 1
    assert trajs[0].approach.value == "direct"
    np.testing.assert_allclose(trajs[0].target_lps, result.trajectories[0].geometry.target_lps, atol=1e-9)
    assert trajs[0].antenna_extension_mm == 15.0
    assert trajs[0].ablation.width_mm == 35.0
    lesion_layer = case.layers["L3 lesion"]
    assert lesion_layer.mask.count() == result.targets[0].lesion.mask.count()
    assert case.settings.margin_mm == 2.0
    assert "L3 predicted zones" in case.layers

    # DESIGN's spec form {"target", "approach": "direct"} works without a skin point: the program
    # chooses one, says so, and the zone is still centred on the lesion
    spec["trajectories"] = [{"target": "L3", "approach": "direct"}]
    out = run_plan(volume, spec).to_json()
    t = out["trajectories"][0]
    assert t["approach"] == "direct"
    assert any("entry chosen by the program" in w for w in t["warnings"])
    _assert_zone_on_the_lesion(out)


def _assert_zone_on_the_lesion(out: dict[str, Any]) -> None:
    """A direct needle's zone is centred on the lesion's centroid, within 1 mm (half a voxel and the
    sampling step along the needle); the old code put the needle tip at the lesion's far edge."""
    centroid = np.asarray(out["targets"][0]["lesion"]["centroid_lps"])
    assert np.linalg.norm(np.asarray(out["zones"][0]["center_lps"]) - centroid) <= 1.0


def test_profiles_and_spec_errors(phantom: VertebraPhantom, volume: Volume) -> None:
    base = _spec(phantom, [])
    del base["targets"][0]["vertebra_lps"]
    with pytest.raises(PlanValidationError) as missing:
        run_plan(volume, {**base, "ablation": {"profile": "ECO-100A1 40 W (bone)"}})
    # says what is missing and why, not "None is outside ..."
    text = str(missing.value)
    assert text.startswith('"ablation.center_behind_tip_mm" is missing: expected a number in mm')
    assert "only the zone's diameter" in text and "None" not in text
    with pytest.raises(PlanValidationError, match=r'"ablation.length_mm" is missing: expected a number'):
        run_plan(volume, {**base, "ablation": {"width_mm": 30}})
    with pytest.raises(PlanValidationError, match=r"ablation\.profile"):
        run_plan(volume, {**base, "ablation": {"profile": "no such device"}})
    with pytest.raises(PlanValidationError, match="targets"):
        run_plan(volume, {**base, "targets": []})
    with pytest.raises(PlanValidationError, match="margin_mm"):
        run_plan(volume, {**base, "margin_mm": -2})
    with pytest.raises(PlanValidationError, match=r"trajectories\[0\].approach"):
        run_plan(volume, {**base, "trajectories": [{"target": "L3", "approach": "sideways"}]})
    with pytest.raises(PlanValidationError, match=r"trajectories\[0\].target"):
        run_plan(volume, {**base, "trajectories": [{"target": "T1", "approach": "direct"}]})
    with pytest.raises(PlanValidationError, match="gauge"):
        run_plan(volume, {**base, "needle": {"gauge": 12}})
    # transpedicular without anatomy is refused with a reason
    with pytest.raises(PlanValidationError, match="no vertebra anatomy"):
        run_plan(volume, {**base, "trajectories": [{"target": "L3", "approach": "transpedicular-left"}]})
    ev = threading.Event()
    ev.set()
    with pytest.raises(PlanCancelledError):
        run_plan(volume, base, cancel=ev)


@pytest.mark.usefixtures("truth_anatomy")
def test_unverified_profile_with_operator_centre(phantom: VertebraPhantom, volume: Volume) -> None:
    spec = _spec(phantom, [{"target": "L3", "approach": "transpedicular-left"}])
    spec["ablation"] = {"profile": "ECO-100A1 40 W (bone)", "center_behind_tip_mm": 10.0}
    out = run_plan(volume, spec).to_json()
    assert out["ablation"]["unverified"] is True
    assert "unverified" in out["ablation"]["label"]
    assert "centre 10 mm behind the antenna tip, given in the plan" in out["ablation"]["label"]
    assert any("unverified" in w for w in out["warnings"])
    z = out["zones"][0]
    assert (z["width_mm"], z["length_mm"]) == (30.0, 30.0)
    assert z["unverified"] is True


def test_real_anatomy_engine_on_the_phantom(phantom: VertebraPhantom, volume: Volume) -> None:
    """With the real anatomy engine; the needles are judged against the phantom's truth."""
    from planning.trajectory import DistanceField, TrajectoryGeometry, needle_distance, pedicle_clearance

    pytest.importorskip("imaging.vertebra")
    spec = _spec(phantom, [{"target": "L3", "approach": "transpedicular-bilateral"}])
    result = run_plan(volume, spec)
    out = result.to_json()
    assert [t["approach"] for t in out["trajectories"]] == ["transpedicular-left", "transpedicular-right"]
    truth = anatomy_from_truth(phantom, "L3")
    canal = DistanceField(truth.canal, volume.index_to_lps)
    for t in out["trajectories"]:
        assert t["pedicle_min_width_mm"] == pytest.approx(8.0, abs=1.0)
        assert t["canal_distance_mm"] is not None and t["canal_distance_mm"] > 0
        g = TrajectoryGeometry(tuple(t["entry_lps"]), tuple(t["target_lps"]))
        side = Side(t["approach"].split("-")[1])
        # against the truth: out of the canal, inside the pedicle ((8 - 2.41) / 2 = 2.8 mm each side)
        assert needle_distance(canal, g, 2.41 / 2).distance_mm > 1.0
        pc = pedicle_clearance(
            truth.pedicles[side].mask, volume.index_to_lps, g, 2.41 / 2, truth.pedicles[side].isthmus_lps
        )
        assert pc.clearance_mm is not None and pc.clearance_mm > 1.0
    assert out["targets"][0]["coverage_percent"] == pytest.approx(100.0)


def test_command_line(
    phantom: VertebraPhantom, volume: Volume, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from imaging.load import save_volume

    image = tmp_path / "ct.nii.gz"
    save_volume(volume, image)
    c = phantom.lesion_center_lps
    spec = _spec(
        phantom,
        [{"target": "L3", "entry_lps": (c + np.array([0.0, 60.0, 0.0])).tolist(), "target_lps": c.tolist()}],
    )
    del spec["targets"][0]["vertebra_lps"]
    spec["ablation"] = {"profile": "Emprint 100 W 5 min"}
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out_case = tmp_path / "case.osteoplan"
    code = main(["plan", str(image), "--spec", str(spec_path), "--out", str(out_case), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert {"targets", "trajectories", "zones"} <= set(payload)
    assert set(payload["targets"][0]) >= TARGET_KEYS
    assert payload["trajectories"][0]["length_mm"] == pytest.approx(60.0, abs=0.01)
    assert payload["zones"][0]["source"].startswith("vendor profile meshes")
    assert out_case.is_file()
    # bad input: exit 2 with one line on stderr
    spec["ablation"] = {"profile": "nope"}
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    code = main(["plan", str(image), "--spec", str(spec_path), "--out", str(out_case), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "ablation.profile" in captured.err and captured.err.count("\n") == 1
    code = main(["plan", str(image), "--spec", str(tmp_path / "missing.json"), "--out", str(out_case)])
    assert code == 2


@pytest.mark.realdata
def test_plan_on_a_real_sclerotic_lesion(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """bone-lesions case1 (lumbar body, sclerotic): a needle whose tip is at the lesion box centre.

    The zone (Emprint 75 W 5 min, 32 x 35 mm, centre 3.5 mm beyond the needle tip) is far larger than
    the ~14 mm lesion box, so the lesion plus 2 mm must be fully covered.
    """
    from app.cli import main

    box = next(
        line.split(",")
        for line in (shared_data / "bone-lesions" / "lesion-boxes.csv").read_text().splitlines()[1:]
        if line.startswith("case1")
    )
    centre = [float(v) for v in box[2:5]]
    spec = {
        "targets": [{"name": "case1", "lesion_seed_lps": centre}],
        "trajectories": [
            {"target": "case1", "entry_lps": [centre[0], centre[1] + 40.0, centre[2]], "target_lps": centre}
        ],
        "needle": {"gauge": 11, "antenna_extension_mm": 15},
        "ablation": {"profile": "Emprint 75 W 5 min"},
        "margin_mm": 2,
    }
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    code = main(
        [
            "plan",
            str(shared_data / "bone-lesions" / "case1.nii.gz"),
            "--spec",
            str(spec_path),
            "--out",
            str(tmp_path / "c.osteoplan"),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    target = out["targets"][0]
    assert target["lesion"]["type"] in ("blastic", "mixed")
    assert target["coverage_percent"] == pytest.approx(100.0)
    assert target["min_margin_mm"] >= 2.0
    t = out["trajectories"][0]
    assert t["length_mm"] == pytest.approx(40.0, abs=0.01)
    assert t["craniocaudal_deg"] == pytest.approx(0.0, abs=0.5) and t["mediolateral_deg"] == pytest.approx(
        0.0, abs=0.5
    )


def test_a_seed_in_normal_bone_says_how_to_plan_it(phantom: VertebraPhantom, volume: Volume) -> None:
    """A target seeded in normal trabecular bone is refused with the spec key that would segment it
    (the command line's plan said nothing of it); with "reference_bone_hu" the lesion is judged
    against that figure."""
    from imaging.lesion_errors import NoLesionAtSeedError

    spec = _spec(phantom, [])
    del spec["targets"][0]["vertebra_lps"]
    normal = phantom.to_lps(np.array([-12.0, 6.0, 0.0]))  # in the body, away from the lesion
    spec["targets"][0]["lesion_seed_lps"] = normal.tolist()
    with pytest.raises(NoLesionAtSeedError, match='"reference_bone_hu"') as refused:
        run_plan(volume, spec)
    assert refused.value.at_bone and str(refused.value).startswith("target L3: ")
    spec["targets"][0]["lesion_seed_lps"] = phantom.lesion_center_lps.tolist()
    spec["targets"][0]["reference_bone_hu"] = 250.0
    out = run_plan(volume, spec).to_json()
    assert out["targets"][0]["lesion"]["reference_bone_hu"] == pytest.approx(250.0)
    with pytest.raises(PlanValidationError, match="reference_bone_hu"):
        run_plan(volume, {**spec, "targets": [{**spec["targets"][0], "reference_bone_hu": "dense"}]})
