"""A plan's targets keep what a click with the Lesion tool keeps (planning.lesion_extra).

QA s22 D4/D5: where the reference bone HU was measured and the shares behind the type are kept in the
lesion's ``Target.extra`` by the window's Lesion tool. A case built from a plan spec (``osteoplan plan``,
planning.plan_case.build_case) kept neither until session 24, so a plan opened in the window could not say
where its reference was measured nor why its type. Phantom: the rib-like bar with a lytic sphere of
tests/planning/test_direct_route_choice.py (1 mm grid). Positions LPS mm.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from imaging.lesion_basis import ReferenceSite
from imaging.lesion_model import GROWTH_LIMIT_NOTE
from planning.case_io import load_case, save_case
from planning.lesion_extra import (
    BASIS_KEYS,
    LYTIC_KEY,
    MEASURED_TYPE_KEY,
    OPERATOR,
    REFERENCE_SITE_KEY,
    SCLEROTIC_KEY,
    VOXELS_KEY,
    WARNINGS_KEY,
    with_segmentation,
)
from planning.plan_runner import build_case, run_plan
from planning.score_site import BONE_KEY
from tests.planning.test_direct_route_choice import _rib_phantom


def _spec(**target: Any) -> dict[str, Any]:
    return {
        "targets": [
            {"name": "rib", "lesion_seed_lps": [0.0, 0.0, 0.0], "bone": "rib or other bone", **target}
        ],
        "trajectories": [{"target": "rib", "approach": "direct"}],
        "needle": {"gauge": 11, "antenna_extension_mm": 15},
        "ablation": {"profile": "Emprint 75 W 5 min"},
    }


@pytest.fixture(scope="module")
def rib() -> Any:
    return _rib_phantom()[0]


def test_a_plans_target_keeps_where_its_reference_was_measured_and_why_its_type(
    rib: Any, tmp_path: Path
) -> None:
    result = run_plan(rib, _spec())
    lesion = result.targets[0].lesion
    assert lesion.reference_site is not None and lesion.type_basis is not None
    target = build_case(result).targets["rib"]
    assert all(k in target.extra for k in BASIS_KEYS), dict(target.extra)
    assert target.extra[BONE_KEY] == "rib or other bone"  # the spec's bone is kept beside them
    site = ReferenceSite.from_json(json.loads(str(target.extra[REFERENCE_SITE_KEY])))
    assert site == ReferenceSite.from_json(lesion.reference_site.to_json())
    assert "around" in site.region and site.n_voxels > 0
    assert target.extra[LYTIC_KEY] == lesion.type_basis.lytic_fraction > 0.9
    assert target.extra[SCLEROTIC_KEY] == lesion.type_basis.sclerotic_fraction
    assert target.extra[VOXELS_KEY] == lesion.mask.count()
    assert target.extra[MEASURED_TYPE_KEY] == lesion.type.value == "lytic"
    # saved with the case and read back as written
    save_case(build_case(result), tmp_path / "plan.osteoplan")
    assert dict(load_case(tmp_path / "plan.osteoplan").targets["rib"].extra) == dict(target.extra)


def test_a_reference_given_in_the_spec_is_said_to_be_given(rib: Any) -> None:
    result = run_plan(rib, _spec(reference_bone_hu=200.0))
    target = build_case(result).targets["rib"]
    assert target.extra[REFERENCE_SITE_KEY] == OPERATOR
    assert target.measures["reference_bone_hu"] == 200.0


def test_the_warnings_are_kept_one_per_line(rib: Any) -> None:
    result = run_plan(rib, _spec())
    lesion = result.targets[0].lesion
    assert WARNINGS_KEY not in build_case(result).targets["rib"].extra  # none given, none kept
    note = f"{GROWTH_LIMIT_NOTE} (16 mm from the seed)"
    warned = dataclasses.replace(lesion, notes=(*lesion.notes, note))
    result.targets[0] = dataclasses.replace(result.targets[0], lesion=warned)
    target = build_case(result).targets["rib"]
    assert target.extra[WARNINGS_KEY] == note
    kept = with_segmentation(target, warned)  # segmented again: the same keys, written again
    assert dict(kept.extra) == dict(target.extra)
