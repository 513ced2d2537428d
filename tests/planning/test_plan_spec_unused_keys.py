"""A plan spec's keys the plan never read are named in the plan's top-level ``warnings`` (QA s31 D, row 19:
``"margn_mm": 5`` gave a plan with the default margin and no word).

DESIGN.md lets more keys be added, so such a key is not refused. Which keys went unread is recorded while
the plan reads the spec (planning/spec_reads.py); a key the plan reads in some cases and not in this one
is said not to apply, not to be misspelt (planning.plan_spec.SPEC_KEYS, checked below against the keys
the readers ask for). Phantom: the vertebra phantom of tests/planning/conftest.py (1 mm grid, a 7 mm
lytic lesion in the body), with its true anatomy. Positions LPS mm.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning import plan_runner
from planning.coverage import DEFAULT_MARGIN_MM
from planning.plan_runner import run_plan
from planning.plan_spec import SPEC_KEYS
from planning.spec_reads import ReadRecorder, asked_keys, place_of, unread_paths
from tests.phantoms.vertebra import VertebraPhantom
from tests.planning.test_proposals import anatomy_from_truth


@pytest.fixture
def truth_anatomy(phantom: VertebraPhantom, use_anatomy: Callable[[VertebraAnatomy], None]) -> None:
    use_anatomy(anatomy_from_truth(phantom, "L3"))


def _points(phantom: VertebraPhantom) -> dict[str, list[float]]:
    """A needle from 60 mm behind the lesion's centre to it."""
    c = phantom.lesion_center_lps
    return {"entry_lps": (c + np.array([0.0, 60.0, 0.0])).tolist(), "target_lps": c.tolist()}


def _design_spec(phantom: VertebraPhantom, trajectories: list[dict[str, Any]]) -> dict[str, Any]:
    """DESIGN.md's example spec."""
    return {
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


def _spec_key_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if w.startswith("spec key ")]


@pytest.mark.usefixtures("truth_anatomy")
def test_a_misspelt_top_level_key_is_named_and_the_plan_says_it_used_the_default(
    phantom: VertebraPhantom, volume: Volume
) -> None:
    """The base planned with the default margin and one position per needle and said nothing."""
    spec = _design_spec(phantom, [{"target": "L3", "approach": "transpedicular-left"}])
    del spec["margin_mm"], spec["positions_per_trajectory"]
    spec["margn_mm"] = 5
    spec["positons_per_trajectory"] = 3
    result = run_plan(volume, spec)
    assert result.margin_mm == DEFAULT_MARGIN_MM != 5
    assert len(result.zones) == 1  # one position, the default
    assert _spec_key_warnings(result.to_json()["warnings"]) == [
        "spec key margn_mm was not used (misspelt? did you mean margin_mm?); the plan was made without it",
        "spec key positons_per_trajectory was not used (misspelt? did you mean positions_per_trajectory?); "
        "the plan was made without it",
    ]


def test_misspelt_keys_inside_a_target_and_a_trajectory_are_named_by_their_place(
    phantom: VertebraPhantom, volume: Volume
) -> None:
    """``vertebra_lsp`` made the target extraspinal (no anatomy, no canal distance) and ``aproach`` let the
    needle be labelled from its geometry, both without a word on the base."""
    spec = _design_spec(phantom, [{"target": "L3", "aproach": "transpedicular-left", **_points(phantom)}])
    target = spec["targets"][0]
    target["vertebra_lsp"] = target.pop("vertebra_lps")
    result = run_plan(volume, spec)
    assert result.targets[0].anatomy is None
    assert result.trajectories[0].approach.value == "direct"  # labelled from the geometry
    out = json.loads(json.dumps(result.to_json()))
    assert _spec_key_warnings(out["warnings"]) == [
        "spec key targets[0].vertebra_lsp was not used (misspelt? did you mean vertebra_lps?); "
        "the plan was made without it",
        "spec key trajectories[0].aproach was not used (misspelt? did you mean approach?); "
        "the plan was made without it",
    ]


@pytest.mark.usefixtures("truth_anatomy")
def test_a_correct_full_spec_gets_no_such_warning_and_every_key_read_is_known(
    phantom: VertebraPhantom, volume: Volume, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two specs holding, between them, every key DESIGN.md, docs/cli-json.md and the readers accept
    (a spinal target, and an extraspinal one with a profile and pull-backs: ``pullback_mm`` and
    ``positions_per_trajectory`` at the top level exclude each other, as a profile and dimensions do).
    The keys the readers ask for, present or not, are all in SPEC_KEYS, so a key the code reads is never
    called misspelt; and SPEC_KEYS holds no key the specs do not give."""
    recorders: list[ReadRecorder] = []

    def recording(spec: Any) -> ReadRecorder:
        recorders.append(ReadRecorder(spec))
        return recorders[-1]

    monkeypatch.setattr(plan_runner, "ReadRecorder", recording)
    skin = phantom.lesion_center_lps + np.array([0.0, 70.0, 20.0])
    spinal = _design_spec(
        phantom,
        [
            {"target": "L3", "approach": "transpedicular-left", "pullback_mm": [0, 10]},
            {"target": "L3", "approach": "transpedicular-right", **_points(phantom)},
            {"target": "L3", "approach": "direct", "skin_lps": skin.tolist()},
        ],
    )
    spinal["targets"][0].update({"level": "L3", "reference_bone_hu": 250.0, "choices": {"band_mm": 3.0}})
    spinal["needle"]["length_mm"] = 200
    spinal.update({"pedicle_safety_margin_mm": 1.0, "warn_distance_mm": 5, "min_needle_depth_mm": 10})
    extraspinal = {
        "targets": [
            {
                "name": "bone",
                "lesion_seed_lps": phantom.lesion_center_lps.tolist(),
                "bone": "long bone",
                "choices": {"mirels": {"pain": "mild"}},
            }
        ],
        "trajectories": [{"target": "bone", "approach": "direct"}],
        "ablation": {"profile": "ECO-100A1 40 W (bone)", "center_behind_tip_mm": 0.0},
        "pullback_mm": [0, 5],
    }
    given: dict[str, set[str]] = {}
    for spec in (spinal, extraspinal):
        warnings = run_plan(volume, spec).to_json()["warnings"]
        assert _spec_key_warnings(warnings) == [], warnings
        for path in _all_key_paths(spec):
            parent, _, key = path.rpartition(".")
            given.setdefault(place_of(parent), set()).add(key)
    assert len(recorders) == 2
    assert all(unread_paths(r) == [] for r in recorders)
    asked = [*asked_keys(recorders[0]).items(), *asked_keys(recorders[1]).items()]
    for place, keys in asked:
        if place.startswith("targets[].choices"):
            continue  # the choices' own keys: planning.target_choices refuses an unknown one
        assert keys <= SPEC_KEYS[place], (place, keys - SPEC_KEYS[place])
    assert {p: given[p] for p in SPEC_KEYS} == SPEC_KEYS


def _all_key_paths(value: Any, path: str = "") -> list[str]:
    """Every key's place in a plain spec, the choices' own keys left out."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else k
            out.append(here)
            if k != "choices":
                out += _all_key_paths(v, here)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _all_key_paths(v, f"{path}[{i}]")
    return out


@pytest.mark.usefixtures("truth_anatomy")
def test_a_valid_key_this_plan_does_not_read_is_not_called_misspelt(
    phantom: VertebraPhantom, volume: Volume
) -> None:
    """Keys read only with some others: a skin point on a transpedicular needle, dimensions beside a
    profile, ``positions_per_trajectory`` beside ``pullback_mm``; and a valid key in the wrong place."""
    skin = (phantom.lesion_center_lps + np.array([0.0, 70.0, 20.0])).tolist()
    spec = _design_spec(
        phantom,
        [
            {"target": "L3", "approach": "transpedicular-left", "skin_lps": skin},
            {"target": "L3", "approach": "direct", "skin_lps": skin, "positions_per_trajectory": 2},
        ],
    )
    spec["ablation"] = {"profile": "Emprint 100 W 5 min", "width_mm": 50}
    spec["pullback_mm"] = [0, 5]
    warnings = _spec_key_warnings(run_plan(volume, spec).to_json()["warnings"])
    assert warnings == [  # in the spec's order
        'spec key trajectories[0].skin_lps was not used by this plan (read only for a "direct" approach '
        'without "entry_lps"/"target_lps"); the plan was made without it',
        "spec key trajectories[1].positions_per_trajectory was not used (positions_per_trajectory is read "
        "at the spec's top level, not here); the plan was made without it",
        'spec key ablation.width_mm was not used by this plan (the zone is the "profile"\'s); '
        "the plan was made without it",
        'spec key positions_per_trajectory was not used by this plan (the spec gives "pullback_mm", '
        "which sets the positions instead); the plan was made without it",
    ]


def test_the_command_line_prints_the_unused_key_among_the_plans_warnings(
    phantom: VertebraPhantom, volume: Volume, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from imaging.load import save_volume

    image = tmp_path / "ct.nii.gz"
    save_volume(volume, image)
    spec = _design_spec(phantom, [{"target": "L3", **_points(phantom)}])
    del spec["targets"][0]["vertebra_lps"]
    spec["margn_mm"] = 5
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    said = "spec key margn_mm was not used (misspelt? did you mean margin_mm?); the plan was made without it"
    args = ["plan", str(image), "--spec", str(spec_path), "--out", str(tmp_path / "c.osteoplan")]
    assert main([*args, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert said in payload["warnings"]
    assert main(args) == 0
    assert f"! {said}" in capsys.readouterr().out.splitlines()


def test_the_recorder_is_the_json_object_and_notes_only_what_is_taken() -> None:
    plain = {"a": 1, "b": {"c": 2, "d": 3}, "l": [{"x": 1}, {"y": 2}], "ch": {"q": {"z": 1}}}
    dumped = ReadRecorder(plain)
    assert json.loads(json.dumps(dumped)) == plain
    assert unread_paths(dumped) == []  # json.dumps takes the whole object, as any iteration does
    spec = ReadRecorder(plain)
    assert isinstance(spec, dict) and isinstance(spec["b"], dict) and isinstance(spec["l"][0], dict)
    spec = ReadRecorder(plain)
    assert unread_paths(spec) == ["a", "b", "l", "ch"]  # looking does not count
    assert "a" in spec and unread_paths(spec)[0] == "a"  # nor does a test of presence
    spec.get("a")
    assert spec.get("missing", 0) == 0
    assert spec["b"]["c"] == 2
    spec.get("l")[1].get("y")
    assert unread_paths(spec) == ["b.d", "l[0].x", "ch"]
    copied = dict(spec["ch"])  # a reader that takes the object whole checks its keys itself
    assert copied == {"q": {"z": 1}} and unread_paths(spec) == ["b.d", "l[0].x"]
    assert asked_keys(spec)[""] == {"a", "missing", "b", "l", "ch"}
