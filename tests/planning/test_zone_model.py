"""One ablation zone model for the window and the plan command: profile + centre -> figures and label."""

from __future__ import annotations

import pytest

from planning.devices import DeviceProfile, load_device_profiles
from planning.errors import PlanValidationError
from planning.plan_spec import spec_zone_model
from planning.zone_model import (
    CUSTOM_SOURCE,
    CentreSource,
    UnknownProfileError,
    ZoneCentreMissingError,
    resolve_zone_model,
)

ECO_40W = "ECO-100A1 40 W (bone)"


@pytest.fixture(scope="module")
def profiles() -> dict[str, DeviceProfile]:
    return load_device_profiles(user_path=False)


def test_eco_profile_without_a_centre_is_refused_with_the_specific_error(
    profiles: dict[str, DeviceProfile],
) -> None:
    assert profiles[ECO_40W].center_behind_tip_mm is None  # the shipped row states only a diameter
    with pytest.raises(ZoneCentreMissingError) as err:
        resolve_zone_model(ECO_40W, profiles, centre_given_by=CentreSource.PLAN, where="ablation")
    assert err.value.field == "ablation.center_behind_tip_mm"
    assert err.value.profile is profiles[ECO_40W]
    text = str(err.value)
    assert text.startswith('"ablation.center_behind_tip_mm" is missing: expected a number in mm')
    assert f'"{ECO_40W}" states only the zone\'s diameter' in text
    # the plan command refuses the same spec with the same error
    with pytest.raises(ZoneCentreMissingError):
        spec_zone_model({"profile": ECO_40W})


@pytest.mark.parametrize("given_by", list(CentreSource))
def test_eco_profile_with_a_centre_names_who_gave_it(
    profiles: dict[str, DeviceProfile], given_by: CentreSource
) -> None:
    p = profiles[ECO_40W]
    zm = resolve_zone_model(ECO_40W, profiles, center_behind_tip_mm=10.0, centre_given_by=given_by)
    assert (zm.width_mm, zm.length_mm, zm.center_behind_tip_mm) == (p.width_mm, p.length_mm, 10.0)
    assert zm.unverified and zm.profile == ECO_40W
    note = f"centre 10 mm behind the antenna tip, {given_by.value}"
    assert zm.label == f"{p.label}; {note}"  # "predicted, from <source> (unverified); centre ..."
    assert zm.cited_source == f"{p.source}; {note}"


def test_plan_spec_and_window_wordings_differ_only_in_who_gave_the_centre(
    profiles: dict[str, DeviceProfile],
) -> None:
    from_plan = spec_zone_model({"profile": ECO_40W, "center_behind_tip_mm": 7.5})
    from_window = resolve_zone_model(ECO_40W, profiles, center_behind_tip_mm=7.5)  # the window's default
    assert from_plan.label.endswith("centre 7.5 mm behind the antenna tip, given in the plan")
    assert from_window.label.endswith("centre 7.5 mm behind the antenna tip, entered by the operator")
    assert from_plan.label.replace("given in the plan", "entered by the operator") == from_window.label


def test_a_profile_s_own_centre_is_not_noted_and_its_size_is_its_own(
    profiles: dict[str, DeviceProfile],
) -> None:
    name, p = next((n, q) for n, q in profiles.items() if q.center_behind_tip_mm is not None)
    assert p.center_behind_tip_mm is not None
    own = resolve_zone_model(name, profiles, width_mm=p.width_mm + 5.0, length_mm=p.length_mm + 5.0)
    assert (own.width_mm, own.length_mm, own.center_behind_tip_mm) == (
        p.width_mm,
        p.length_mm,
        p.center_behind_tip_mm,
    )
    assert own.label == p.label and own.cited_source == p.source and own.centre_note == ""
    same = resolve_zone_model(name, profiles, center_behind_tip_mm=p.center_behind_tip_mm)
    assert same == own  # the profile's figure entered again is still the profile's
    moved = resolve_zone_model(name, profiles, center_behind_tip_mm=p.center_behind_tip_mm + 2.0)
    assert moved.center_behind_tip_mm == p.center_behind_tip_mm + 2.0
    note = f"centre {p.center_behind_tip_mm + 2.0:g} mm behind the antenna tip, entered by the operator"
    assert moved.label == f"{p.label}; {note}"


def test_custom_dimensions_are_unverified_and_need_all_three(profiles: dict[str, DeviceProfile]) -> None:
    zm = resolve_zone_model("", profiles, width_mm=28.0, length_mm=33.0, center_behind_tip_mm=9.0)
    assert (zm.width_mm, zm.length_mm, zm.center_behind_tip_mm) == (28.0, 33.0, 9.0)
    assert zm.source == CUSTOM_SOURCE and zm.unverified and zm.profile == ""
    assert zm.label == f"predicted, from {CUSTOM_SOURCE} (unverified)"
    with pytest.raises(PlanValidationError, match=r'"ablation.length_mm" is missing'):
        resolve_zone_model("", profiles, width_mm=28.0, center_behind_tip_mm=9.0, where="ablation")


def test_an_unknown_profile_is_named(profiles: dict[str, DeviceProfile]) -> None:
    with pytest.raises(UnknownProfileError, match=r'"ablation.profile" = \'no such device\'') as err:
        resolve_zone_model("no such device", profiles, center_behind_tip_mm=5.0, where="ablation")
    assert ECO_40W in str(err.value)
