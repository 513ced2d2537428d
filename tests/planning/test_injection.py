"""Injection protocol: aliquot sequence, CT checks and stop rules, counted by hand."""

from __future__ import annotations

import pytest

from planning.errors import PlanValidationError
from planning.injection import AliquotPolicy, plan_injection


def test_all_standard_aliquots_when_nothing_is_near_the_wall() -> None:
    plan = plan_injection(5.4, near_wall_share=0.0)
    assert [round(s.volume_ml, 6) for s in plan.steps] == [1.0, 1.0, 1.0, 1.0, 1.0, 0.4]
    assert plan.ct_checks == 6
    assert plan.ct_checks_range == (6, 6)
    assert plan.steps[-1].cumulative_ml == pytest.approx(5.4)
    assert not any(s.near_wall for s in plan.steps)


def test_near_wall_share_in_small_aliquots_after_the_rest() -> None:
    plan = plan_injection(4.0, near_wall_share=0.25)  # 3 mL away from the wall, 1 mL near it
    vols = [round(s.volume_ml, 6) for s in plan.steps]
    assert vols == [1.0, 1.0, 1.0, 0.3, 0.3, 0.3, 0.1]
    assert [s.near_wall for s in plan.steps] == [False] * 3 + [True] * 4
    assert plan.ct_checks == 7
    # Chen 0.2-0.5 mL: 3 + 1/0.5 = 5 checks at the largest, 3 + 1/0.2 = 8 at the smallest
    assert plan.ct_checks_range == (5, 8)
    assert plan.near_wall_volume_ml == pytest.approx(1.0)
    assert plan.steps[-1].cumulative_ml == pytest.approx(4.0)


def test_fan_policy() -> None:
    plan = plan_injection(2.0, near_wall_share=1.0, policy="fan", near_wall_aliquot_ml=0.25)
    assert plan.policy is AliquotPolicy.FAN
    assert plan.ct_checks == 8
    assert plan.ct_checks_range == (7, 20)  # 2/0.3 -> 7, 2/0.1 -> 20
    with pytest.raises(PlanValidationError, match="near_wall_aliquot_ml"):
        plan_injection(2.0, near_wall_share=1.0, policy="fan", near_wall_aliquot_ml=0.5)
    with pytest.raises(PlanValidationError, match="near_wall_aliquot_ml"):
        plan_injection(2.0, near_wall_share=1.0, policy="chen", near_wall_aliquot_ml=0.1)


def test_stop_rules_spine_and_extraspinal() -> None:
    spine = plan_injection(5.0, near_wall_share=0.1, posterior_quarter_depth_mm=8.25)
    text = " | ".join(spine.stop_rules)
    assert "spinal canal or a neural foramen" in text
    assert "posterior quarter" in text
    assert "8.2 mm" in text or "8.3 mm" in text
    assert "planned volume reached" in text
    extra = plan_injection(12.0, near_wall_share=0.5, spinal=False)
    assert not any("quarter" in r for r in extra.stop_rules)
    assert extra.near_wall_volume_ml == 0.0  # no posterior wall outside the spine
    assert extra.ct_checks == 12


def test_zero_volume_and_bad_arguments() -> None:
    assert plan_injection(0.0, near_wall_share=0.0).ct_checks == 0
    with pytest.raises(PlanValidationError, match="planned_volume_ml"):
        plan_injection(-1.0, near_wall_share=0.0)
    with pytest.raises(PlanValidationError, match="near_wall_share"):
        plan_injection(1.0, near_wall_share=1.5)
    with pytest.raises(PlanValidationError, match="standard_aliquot_ml"):
        plan_injection(1.0, near_wall_share=0.0, standard_aliquot_ml=2.0)


def test_json() -> None:
    data = plan_injection(3.0, near_wall_share=0.5).to_json()
    assert data["standard_aliquot_ml"] == 1.0
    assert data["near_wall_aliquot_range_ml"] == [0.2, 0.5]
    assert data["expected_ct_checks"] == len(data["steps"])
    assert data["near_wall_distance_mm"] == 5.0


def test_posterior_quarter_note() -> None:
    plan = plan_injection(
        3.0, near_wall_share=0.2, posterior_quarter_share=0.15, posterior_quarter_depth_mm=8.0
    )
    assert any("15% of the fill region lies in the posterior quarter" in n for n in plan.notes)
    assert not any("posterior quarter" in n for n in plan_injection(3.0, near_wall_share=0.2).notes)
    with pytest.raises(PlanValidationError, match="posterior_quarter_share"):
        plan_injection(3.0, near_wall_share=0.2, posterior_quarter_share=2.0)


def test_the_near_wall_rule_is_stated_only_for_the_spine() -> None:
    """Outside the spine there is no posterior wall or foramen: the rule and the JSON say no such thing."""
    spine = plan_injection(5.0, near_wall_share=0.1)
    assert spine.aliquot_rule.startswith("1 mL aliquots with a CT check after each")
    assert "0.2-0.5 mL within 5 mm of the posterior wall or a foramen" in spine.aliquot_rule
    extra = plan_injection(5.0, near_wall_share=0.1, spinal=False)
    words = " ".join([extra.aliquot_rule, *extra.stop_rules, *extra.notes]).lower()
    for w in ("posterior wall", "foramen", "vertebra", "spinal", "canal", "pedicle"):
        assert w not in words
    js = extra.to_json()
    assert js["spinal"] is False and js["aliquot_rule"] == extra.aliquot_rule
    assert "Chen" not in js["policy_source"]
