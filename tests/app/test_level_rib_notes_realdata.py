"""Rib warnings on named and counted levels, with the ribs' suggestion, on real CT (the Vertebrae dock's
:func:`app.segmentation.vertebra_rib_levels.rib_level_notes`, without the window).

Vertebrae found from body clicks (abdomen-pelvis-ct T12, L1, L2; chest-ct-dicom T10-T12), put in a case
as the Vertebra tool puts them, named and counted as the dock does (:func:`level_plan`). Correctly counted:
no warning. One off: the vertebra whose count its ribs contradict is warned, with the level they suggest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.segmentation.vertebra_levels import level_plan
from app.segmentation.vertebra_rib_levels import RibLevelNote, rib_level_notes
from app.segmentation.vertebra_tool import FindingCache, anatomy_layers
from imaging.volume import Volume
from planning.case import Case, Section

#: body clicks (LPS mm), superior first, by their true level
ABDOMEN = {"T12": (4.5, -111.0, 416.6), "L1": (6.5, -120.9, 386.0), "L2": (5.9, -133.0, 351.7)}
CHEST = {"T10": (-10.0, 125.0, -92.0), "T11": (-10.0, 125.0, -116.0), "T12": (-10.0, 125.0, -140.0)}

pytestmark = pytest.mark.realdata


def _case(volume: Volume, clicks: dict[str, tuple[float, float, float]]) -> tuple[Case, dict[str, str]]:
    """The vertebrae found at the clicks, unnamed ("V1"...), and true level -> vertebra id."""
    from imaging.vertebra import find_vertebra

    case = Case()
    ids = {}
    for n, (level, click) in enumerate(clicks.items(), start=1):
        vid = f"v{n}"
        anatomy = find_vertebra(volume, click)
        for layer in anatomy_layers(
            anatomy, vertebra_id=vid, level="", series_uid="", taken=set(case.layers)
        ):
            case.add(Section.LAYERS, layer)
        ids[level] = vid
    return case, ids


def _name(case: Case, volume: Volume, vid: str, level: str) -> None:
    plan = level_plan(case, volume.index_to_lps, vid, level)
    for command in (*plan.first, *plan.second):
        command.do(case)


def _notes(case: Case, volume: Volume, cache: FindingCache) -> dict[str, RibLevelNote]:
    return rib_level_notes(case, volume, cache, {})


def test_abdomen_counted_right_is_quiet_and_one_off_is_warned(shared_data: Path) -> None:
    from imaging.load import load_volume

    volume = load_volume(shared_data / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    case, ids = _case(volume, ABDOMEN)
    cache: FindingCache = {}
    # named right from any one of them: the others counted right, nothing said
    for level, vid in ids.items():
        _name(case, volume, vid, level)
        assert _notes(case, volume, cache) == {}, level
    # L2 named "L1": L1 counts as T12 without ribs; T12 above it (found, ribs on both sides) gives L1
    _name(case, volume, ids["L2"], "L1")
    notes = _notes(case, volume, cache)
    assert set(notes) == {ids["L1"]}, notes
    assert "counted as T12 but no ribs were found on it" in notes[ids["L1"]].warning
    suggestion = notes[ids["L1"]].suggestion
    assert suggestion is not None and suggestion.level == "L1"
    # L2 named "L3": T12 counts as L1 with ribs on both sides; L1 below it (none) gives T12
    _name(case, volume, ids["L2"], "L3")
    notes = _notes(case, volume, cache)
    assert set(notes) == {ids["T12"]}, notes
    assert "counted as L1 but ribs were found on both sides" in notes[ids["T12"]].warning
    suggestion = notes[ids["T12"]].suggestion
    assert suggestion is not None and suggestion.level == "T12"


def test_abdomen_l1_alone_named_t12_is_offered_l1_from_the_ribs_above(shared_data: Path) -> None:
    """No vertebra found above it: the CT is probed one level up (the QA's F8 case, in the window)."""
    from imaging.load import load_volume

    volume = load_volume(shared_data / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    case, ids = _case(volume, {"L1": ABDOMEN["L1"]})
    _name(case, volume, ids["L1"], "T12")
    notes = rib_level_notes(case, volume, {}, neighbours := {})
    assert len(neighbours) == 1  # the probe above, kept
    suggestion = notes[ids["L1"]].suggestion
    assert suggestion is not None and suggestion.level == "L1"
    _name(case, volume, ids["L1"], "L1")
    assert rib_level_notes(case, volume, {}, {}) == {}


def test_chest_counted_right_is_quiet(shared_data: Path) -> None:
    from imaging.load import load_volume

    volume = load_volume(shared_data / "chest-ct-dicom").volume
    case, ids = _case(volume, CHEST)
    cache: FindingCache = {}
    for level, vid in ids.items():
        _name(case, volume, vid, level)
        assert _notes(case, volume, cache) == {}, level
