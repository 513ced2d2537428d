"""A level named against the vertebra's ribs is warned (session 19 QA F8): a thoracic level without ribs,
a lumbar one with a rib on each side; nothing where the rib finding is uncertain.

Phantom: tests/phantoms/rib_spine.py (ribs on T11 and T12, none on L1-L5). Real data: the chest CT
(T8-T12 named right: no warning) and the abdomen (T12, L1-L3 named right: none; L1 named T12: warned,
with the suggestion L1), from body clicks through the vertebra finder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from imaging.level_check import check_level, rib_level_warning, rib_suggestion, ribs_next_level
from imaging.level_ribs import RibStatus, has_ribs
from imaging.vertebra_metal import MetalFinding
from tests.imaging.test_level_anatomy import phantom_vertebra
from tests.phantoms.rib_spine import RibSpinePhantom, make_rib_spine_phantom


@pytest.fixture(scope="module")
def spine() -> RibSpinePhantom:
    return make_rib_spine_phantom()


def test_the_rule_on_the_phantoms_findings(spine: RibSpinePhantom) -> None:
    findings = {level: has_ribs(spine.volume, spine.center(level)) for level in ("T11", "T12", "L1", "L2")}
    # named right: nothing said
    for level, finding in findings.items():
        assert rib_level_warning(level, finding) is None, level
    # one off either way: warned, named or counted
    said = rib_level_warning("T12", findings["L1"])
    assert said is not None and "named T12 but no ribs were found on it" in said
    said = rib_level_warning("t10", findings["L2"], named=False)
    assert said is not None and "counted as T10 but no ribs" in said
    said = rib_level_warning("L1", findings["T12"])
    assert said is not None and "named L1 but ribs were found on both sides" in said
    # uncertain: metal near it, not judged, no level
    assert rib_level_warning("T12", findings["L1"], metal_near=True) is None
    assert rib_level_warning("T12", None) is None
    assert rib_level_warning(None, findings["L1"]) is None
    # a rib on one side only is not enough to call a lumbar name wrong
    one_side = dataclasses.replace(
        findings["T12"], right=dataclasses.replace(findings["T12"].right, status=RibStatus.NOT_FOUND)
    )
    assert rib_level_warning("L1", one_side) is None


def test_a_side_outside_the_scan_says_nothing(spine: RibSpinePhantom) -> None:
    """The field of view cut 30 mm right of the midline: L1's right side is not seen, no warning on T12."""
    vol = spine.volume
    cut_col = round(float(vol.lps_to_index_points([-30.0, 0.0, 0.0])[2]))
    l1 = has_ribs(vol.crop((0, 0, cut_col), vol.shape), spine.center("L1"))
    assert l1.has_ribs is None
    assert rib_level_warning("T12", l1) is None


def test_check_level_gives_the_warning_and_the_l1_suggestion(spine: RibSpinePhantom) -> None:
    # L1 named T12: warned, and anatomy suggests L1 (the vertebra above carries ribs on both sides)
    check = check_level(spine.volume, phantom_vertebra(spine, "L1", "T12"))
    assert len(check.warnings) == 1 and "named T12 but no ribs" in check.warnings[0]
    assert check.suggestion is not None and check.suggestion.level == "L1"
    assert any("was named T12" in w for w in check.suggestion.warnings)
    # T12 named L1: warned, and the T12 suggestion (L1 below it without ribs) warns too
    check = check_level(spine.volume, phantom_vertebra(spine, "T12", "L1"))
    assert len(check.warnings) == 1 and "named L1 but ribs were found on both sides" in check.warnings[0]
    assert check.suggestion is not None and check.suggestion.level == "T12" and check.suggestion.warnings
    # named right, or not named: no warning; T12's suggestion stays
    for level in ("T11", "T12", "L1", "L2"):
        assert check_level(spine.volume, phantom_vertebra(spine, level, level)).warnings == (), level
    assert check_level(spine.volume, phantom_vertebra(spine, "L1", None)).warnings == ()
    right = check_level(spine.volume, phantom_vertebra(spine, "T12", "T12")).suggestion
    assert right is not None and right.level == "T12" and right.warnings == ()
    # metal near the vertebra: the ribs are not trusted against the name
    metal = MetalFinding(2.0, 3071.0, (0.0, 0.0, 0.0), "right", ("right pedicle",))
    with_metal = dataclasses.replace(phantom_vertebra(spine, "L1", "T12"), metal=metal)
    assert check_level(spine.volume, with_metal).warnings == ()


def test_the_ribs_suggestion_from_the_vertebrae_next_to_it(spine: RibSpinePhantom) -> None:
    """L1 for a rib-less vertebra labelled thoracic under one with ribs on both sides; T12 for one labelled
    lumbar with ribs above one seen without; nothing on a rib on one side only or a side not seen."""
    ribs = {level: has_ribs(spine.volume, spine.center(level)) for level in ("T11", "T12", "L1", "L2")}
    s = rib_suggestion("T12", ribs["L1"], above=ribs["T12"])
    assert s is not None and s.level == "L1" and "ribs on both sides of the one above it" in s.reason
    assert any("was named T12" in w for w in s.warnings)
    s = rib_suggestion("t11", ribs["L1"], above=ribs["T12"], named=False)
    assert s is not None and s.level == "L1" and any("counts as T11" in w for w in s.warnings)
    s = rib_suggestion("L1", ribs["T12"], below=ribs["L1"])
    assert s is not None and s.level == "T12" and "none on the one below it" in s.reason
    # the labels the ribs agree with; neighbours that say nothing (ribs below, none above, not given)
    assert rib_suggestion("L1", ribs["L1"], above=ribs["T12"]) is None
    assert rib_suggestion("T12", ribs["T12"], below=ribs["L1"]) is None
    assert rib_suggestion("T12", ribs["L2"], above=ribs["L1"]) is None
    assert rib_suggestion("L1", ribs["T11"], below=ribs["T12"]) is None
    assert rib_suggestion("T12", ribs["L1"]) is None
    one_side = dataclasses.replace(
        ribs["T12"], right=dataclasses.replace(ribs["T12"].right, status=RibStatus.NOT_FOUND)
    )
    assert rib_suggestion("T12", ribs["L1"], above=one_side) is None
    assert rib_suggestion("L1", one_side, below=ribs["L1"]) is None
    unseen = dataclasses.replace(
        ribs["L1"], right=dataclasses.replace(ribs["L1"].right, status=RibStatus.OUT_OF_VIEW)
    )
    assert rib_suggestion("L1", ribs["T12"], below=unseen) is None


def test_ribs_one_level_away_land_on_the_next_vertebra(spine: RibSpinePhantom) -> None:
    """From the phantom's T12 (24 mm body, 32 mm pitch) one level up is T11 (ribs), one down L1 (none)."""
    c = spine.center("T12")
    level = (0.0, 18.0, float(c[2]) + 1.0)  # the phantom's pedicles' centre (phantom_vertebra)
    up = ribs_next_level(
        spine.volume, c, height_mm=24.0, above=True, posterior_lps=(0, 1, 0), level_lps=level
    )
    down = ribs_next_level(spine.volume, c, height_mm=24.0, above=False, level_lps=level)
    assert up.has_ribs is True and len(up.found_sides) == 2
    assert down.has_ribs is False
    with pytest.raises(ValueError, match="height_mm"):
        ribs_next_level(spine.volume, c, height_mm=0.0, above=True)


#: body clicks named right (LPS mm): the chest's T8-T12 (s20 common notes) and the abdomen's T12, L1-L3
#: (the model labels' levels)
CHEST_CLICKS = {"T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0, "T12": -140.0}
ABDOMEN_CLICKS = {
    "T12": (4.5, -111.0, 416.6),
    "L1": (6.5, -120.9, 386.0),
    "L2": (5.9, -133.0, 351.7),
    "L3": (4.9, -141.3, 315.7),
}


@pytest.mark.realdata
def test_no_warning_on_real_vertebrae_named_right(shared_data: Path) -> None:
    """Measured: chest T8-T12 ribs found both sides; abdomen T12 both sides, L1-L3 none: no warning."""
    from imaging.load import load_volume
    from imaging.vertebra import find_vertebra

    chest = load_volume(shared_data / "chest-ct-dicom").volume
    for level, z in CHEST_CLICKS.items():
        check = check_level(chest, find_vertebra(chest, (-10.0, 125.0, z), level_hint=level))
        assert check.warnings == (), (level, check.warnings)
    abdomen = load_volume(shared_data / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    for level, click in ABDOMEN_CLICKS.items():
        check = check_level(abdomen, find_vertebra(abdomen, click, level_hint=level))
        assert check.warnings == (), (level, check.warnings)
    # one off on the abdomen: L1 named T12 is warned
    l1 = find_vertebra(abdomen, ABDOMEN_CLICKS["L1"], level_hint="T12")
    assert any("named T12 but no ribs" in w for w in check_level(abdomen, l1).warnings)
