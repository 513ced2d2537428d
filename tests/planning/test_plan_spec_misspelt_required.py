"""A plan spec whose required key is misspelt, or whose score choices hold a typo, is refused saying what
was probably meant (QA s31).

Required keys: on 0662c75 ``"target"`` for ``"targets"``, ``"lesion_seed"`` for a target's
``"lesion_seed_lps"``, ``"traget"`` for a trajectory's ``"target"`` or ``"aproach"`` for its ``"approach"``
were refused only as missing ('"targets" is missing: expected a non-empty list'), the key given not named.
Now the refusal names the key given there whose nearest known key (planning.plan_spec.SPEC_KEYS, the table
of the unused-key warnings) is the one missing.

Choices: ``choices.harrington`` and ``choices.impending`` took any key and any value without a word: a
misspelt ``"medial_wall_deficent": true`` gave Harrington class I (the wall read as intact),
``"medial_wall_deficient": "no"`` class II (the string read as true), ``"persistant_pain": true`` left the
criterion unknown, and ``"harrington": "II"`` ended in an internal error (AttributeError). Now unknown keys
are refused with the allowed keys and the one probably meant, and Harrington's findings must be true or
false.

Phantom: the rib-like bar of tests/planning/test_direct_route_choice.py (a lytic sphere at the origin), in
memory; the refusals come before or right after the lesion is segmented.
"""

from __future__ import annotations

from typing import Any

import pytest

from planning.errors import PlanValidationError
from planning.plan_runner import run_plan
from planning.target_choices import HARRINGTON_KEYS, IMPENDING_KEYS
from tests.planning.test_direct_route_choice import _rib_phantom

TARGET = {"name": "rib", "lesion_seed_lps": [0.0, 0.0, 0.0]}


@pytest.fixture(scope="module")
def rib() -> Any:
    return _rib_phantom()[0]


def _spec(**top: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "targets": [dict(TARGET)],
        "trajectories": [{"target": "rib", "approach": "direct"}],
        "needle": {"gauge": 11, "antenna_extension_mm": 15},
        "ablation": {"profile": "Emprint 75 W 5 min"},
    }
    spec.update(top)
    return spec


def _refusal(rib: Any, spec: dict[str, Any]) -> str:
    with pytest.raises(PlanValidationError) as refused:
        run_plan(rib, spec)
    return str(refused.value)


def test_a_misspelt_targets_key_is_named_as_probably_meant(rib: Any) -> None:
    spec = _spec()
    spec["target"] = spec.pop("targets")
    said = _refusal(rib, spec)
    assert said.startswith('"targets" is missing: expected a non-empty list')
    assert 'the spec gives "target" at the spec\'s top level: misspelt? did you mean "targets"?' in said


@pytest.mark.parametrize(
    ("field", "typo", "where", "place"),
    [
        ("lesion_seed_lps", "lesion_seed", "targets[0]", "in a target"),
        ("name", "nmae", "targets[0]", "in a target"),
    ],
)
def test_a_misspelt_required_key_of_a_target_is_named(
    rib: Any, field: str, typo: str, where: str, place: str
) -> None:
    target = dict(TARGET)
    target[typo] = target.pop(field)
    said = _refusal(rib, _spec(targets=[target]))
    assert said.startswith(f'"{where}.{field}" is missing')
    assert f'the spec gives "{typo}" {place}: misspelt? did you mean "{field}"?' in said


@pytest.mark.parametrize(("field", "typo"), [("target", "traget"), ("approach", "aproach")])
def test_a_misspelt_required_key_of_a_trajectory_is_named(rib: Any, field: str, typo: str) -> None:
    trajectory = {"target": "rib", "approach": "direct"}
    trajectory[typo] = trajectory.pop(field)
    said = _refusal(rib, _spec(trajectories=[trajectory]))
    assert said.startswith(f'"trajectories[0].{field}" is missing')
    assert f'the spec gives "{typo}" in a trajectory: misspelt? did you mean "{field}"?' in said


def test_a_missing_key_with_nothing_like_it_given_names_nothing(rib: Any) -> None:
    spec = _spec(notes="left out the targets")
    del spec["targets"]
    said = _refusal(rib, spec)
    assert said == '"targets" is missing: expected a non-empty list'


def _acetabulum(choices: dict[str, Any]) -> dict[str, Any]:
    target = {**TARGET, "bone": "acetabulum", "choices": choices}
    return _spec(targets=[target], trajectories=[])


def test_a_misspelt_harrington_finding_is_refused_naming_the_one_meant(rib: Any) -> None:
    said = _refusal(rib, _acetabulum({"harrington": {"medial_wall_deficent": True}}))
    assert said.startswith("\"choices.harrington\" = ['medial_wall_deficent']: expected keys among")
    for key in HARRINGTON_KEYS:
        assert key in said
    assert '"medial_wall_deficent": did you mean "medial_wall_deficient"?' in said


@pytest.mark.parametrize("value", ["no", 1, "yes"])
def test_a_harrington_finding_that_is_not_true_or_false_is_refused(rib: Any, value: Any) -> None:
    said = _refusal(rib, _acetabulum({"harrington": {"medial_wall_deficient": value}}))
    assert said == f'"choices.harrington.medial_wall_deficient" = {value!r}: expected true or false'


def test_harrington_given_as_a_class_is_refused_in_words(rib: Any) -> None:
    said = _refusal(rib, _acetabulum({"harrington": "II"}))
    assert said.startswith("\"choices.harrington\" = 'II': expected an object with keys among")


def test_a_misspelt_impending_criterion_is_refused_naming_the_one_meant(rib: Any) -> None:
    # the impending-fracture criteria are a long bone's (or a bone not stated)
    target = {**TARGET, "choices": {"impending": {"persistant_pain": True}}}
    said = _refusal(rib, _spec(targets=[target], trajectories=[]))
    assert said.startswith("\"choices.impending\" = ['persistant_pain']: expected keys among")
    for key in IMPENDING_KEYS:
        assert key in said
    assert '"persistant_pain": did you mean "persistent_pain"?' in said


def test_a_misspelt_choice_is_refused_naming_the_one_meant(rib: Any) -> None:
    said = _refusal(rib, _acetabulum({"harington": {"medial_wall_deficient": True}}))
    assert said.startswith("\"targets[0].choices\" = ['harington']: expected keys among")
    assert '"harington": did you mean "harrington"?' in said


def test_findings_spelt_right_still_give_the_class(rib: Any) -> None:
    spec = _acetabulum({"harrington": {"medial_wall_deficient": True, "lateral_cortex_deficient": False}})
    target = run_plan(rib, spec).to_json()["targets"][0]
    assert target["scores"]["harrington"]["class"] == "II"
