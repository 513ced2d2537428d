"""Device profiles: every row of CLINICAL.md's zone table is shipped; user files merge and validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planning.devices import (
    DeviceFileError,
    load_device_profiles,
    read_device_file,
    tissue_warning,
    user_device_file,
)

# CLINICAL.md "Microwave ablation zone models": (device, power, time s, width, length, beyond, centre)
CLINICAL_ROWS = [
    ("Emprint", 75, 300, 32, 35, 6.0, 11.5),
    ("Emprint", 100, 300, 35, 37, 7.0, 11.5),
    ("Emprint", 100, 600, 36, 42, 9.5, 11.5),
    ("Emprint", 150, 600, 39, 42, 7.8, 13.0),
    ("NeuWave", 65, 300, 24, 36, 1.2, 16.8),
    ("NeuWave", 65, 600, 30, 43, 2.2, 19.3),
]


def test_every_clinical_row_is_shipped() -> None:
    profiles = load_device_profiles(user_path=None)
    rows = [p for p in profiles.values() if p.device in ("Emprint", "NeuWave")]
    assert len(rows) == len(CLINICAL_ROWS)
    for device, power, time_s, width, length, beyond, centre in CLINICAL_ROWS:
        match = [
            p
            for p in rows
            if p.device == device and p.power_w == (power, power) and p.time_s == (time_s, time_s)
        ]
        assert len(match) == 1, (device, power, time_s)
        p = match[0]
        assert (p.width_mm, p.length_mm) == (width, length)
        assert p.beyond_tip_mm == pytest.approx(beyond)
        assert p.center_behind_tip_mm == pytest.approx(centre)
        assert not p.unverified
        assert "SlicerAblationPlannerProfiles" in p.source
        # geometry is self-consistent: the zone reaches length/2 - centre beyond the tip
        assert p.length_mm / 2 - p.center_behind_tip_mm == pytest.approx(beyond, abs=0.3)


def test_eco_rows_are_unverified_with_their_stated_diameters() -> None:
    eco = {p.power_w: p for p in load_device_profiles(user_path=None).values() if p.device == "ECO-100A1"}
    assert set(eco) == {(40.0, 40.0), (60.0, 80.0)}
    assert eco[(40.0, 40.0)].width_mm == 30 and eco[(60.0, 80.0)].width_mm == 35
    assert eco[(60.0, 80.0)].time_s == (180.0, 780.0)
    for p in eco.values():
        assert p.unverified
        assert p.center_behind_tip_mm is None and p.beyond_tip_mm is None
        assert p.label.endswith("(unverified)")


def _write(path: Path, profiles: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps({"format": "osteoplan-ablation-devices", "profiles": profiles}), encoding="utf-8"
    )
    return path


GOOD = {
    "name": "My antenna 50 W 4 min",
    "device": "Mine",
    "power_w": 50,
    "time_s": 240,
    "width_mm": 28,
    "length_mm": 34,
    "beyond_tip_mm": 5,
    "center_behind_tip_mm": 12,
    "source": "our own ex vivo bench test",
}


def test_user_file_in_the_data_dir_is_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSTEOPLAN_DATA_DIR", str(tmp_path))
    assert user_device_file() == tmp_path / "ablation_devices.json"
    _write(tmp_path / "ablation_devices.json", [GOOD])
    profiles = load_device_profiles()
    p = profiles["My antenna 50 W 4 min"]
    assert p.origin == "user"
    assert p.unverified  # an operator's figures are unverified unless the file says otherwise
    assert "Emprint 100 W 5 min" in profiles


def test_user_file_absent_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSTEOPLAN_DATA_DIR", str(tmp_path / "nowhere"))
    assert "Emprint 75 W 5 min" in load_device_profiles()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"width_mm": -3}, "width_mm", "outside"),
        ({"length_mm": "long"}, "length_mm", "must be a number"),
        ({"power_w": [80, 60]}, "power_w", "min > max"),
        ({"source": ""}, "source", "source is required"),
        ({"beyond_tip_mm": 12}, "beyond_tip_mm", "should equal"),
        ({"unverified": "no"}, "unverified", "true or false"),
        ({"tissue": ["bone"]}, "tissue", "must be text naming the tissue"),
    ],
)
def test_bad_rows_are_refused_naming_the_field(
    tmp_path: Path, change: dict[str, object], field: str, message: str
) -> None:
    path = _write(tmp_path / "d.json", [{**GOOD, **change}])
    with pytest.raises(DeviceFileError, match=message) as info:
        read_device_file(path)
    assert info.value.field == field
    assert info.value.profile == GOOD["name"]
    assert str(path) in str(info.value)


def test_duplicate_and_shipped_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DeviceFileError, match="duplicate"):
        read_device_file(_write(tmp_path / "a.json", [GOOD, GOOD]))
    clash = _write(tmp_path / "b.json", [{**GOOD, "name": "Emprint 100 W 5 min"}])
    with pytest.raises(DeviceFileError, match="shipped profile"):
        load_device_profiles(user_path=clash)


def test_broken_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DeviceFileError, match="not valid JSON"):
        read_device_file(bad)
    with pytest.raises(DeviceFileError, match="profiles"):
        read_device_file(_obj(tmp_path / "x.json", {"p": 1}))
    with pytest.raises(DeviceFileError, match="not found"):
        load_device_profiles(user_path=tmp_path / "missing.json")


def _obj(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_profile_without_a_time_keeps_how_its_time_is_planned() -> None:
    """The ECO-100A1 40 W profile states no time but how it is planned (short cycles): that is read and
    shown instead of "not stated"."""
    p = load_device_profiles(user_path=False)["ECO-100A1 40 W (bone)"]
    assert p.time_s is None
    assert p.time_note.startswith("per cycle plan") and "30-90 s" in p.time_note
    assert p.to_json()["time_note"] == p.time_note


def test_the_tissue_each_shipped_profile_was_measured_in_is_stated() -> None:
    # CLINICAL.md: NeuWave rows are kidney profiles, the ECO-100A1 rows bone, and the vendor charts (the
    # Emprint rows) ex vivo liver; the base's profiles said nothing of it (QA s32 D)
    for p in load_device_profiles(user_path=None).values():
        expected = {"NeuWave": "kidney", "ECO-100A1": "bone", "Emprint": "liver (ex vivo)"}[p.device]
        assert p.tissue == expected, p.name
        assert p.to_json()["tissue"] == expected
        said = tissue_warning(p.name, p.tissue)
        assert (said is None) == (expected == "bone"), p.name
        if said is not None:
            assert f'"{p.name}" gives zone figures measured in {expected}, not bone' in said


@pytest.mark.parametrize(
    ("tissue", "warned"), [(None, False), ("Bone (ovine vertebra)", False), ("lung", True)]
)
def test_a_user_profile_states_its_tissue_or_claims_none(
    tissue: str | None, warned: bool, tmp_path: Path
) -> None:
    row = {**GOOD} if tissue is None else {**GOOD, "tissue": f"  {tissue} "}
    (p,) = read_device_file(_write(tmp_path / "d.json", [row]))
    assert p.tissue == ("" if tissue is None else tissue)
    assert (tissue_warning(p.name, p.tissue) is not None) == warned
