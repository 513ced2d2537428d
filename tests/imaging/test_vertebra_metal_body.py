"""The vertebral body next to metal: metal and its streaks are unknown voxels, not bone or soft tissue
(issue #4, session 18's measurements; imaging.metal_unknown, imaging.vertebra_star).

A rod through the right pedicle (the QA's 6 mm rod at 3071 HU, run on 30 % past each end of the pedicle's
axis) with and without its streaks (+-500 HU, radial from the rod in its own slices: tests/metal_cases.py).
Each case must give the body within ``VOLUME_REL`` of the same vertebra without metal, or a refusal that
names the metal; never a wrong figure. Before: the rays took the rod for cortex (the phantom's body 27.66
against 30.49 mL, -9 %; case1 32.4 against 37.1 mL, -13 %) and stopped on the streaks (phantom 26.2 mL,
-14 %; case1 16.6-22.8 mL or "on the disc"; abdomen L3 20.5-27.4 against 41.4 mL).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.image_files import read_image
from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from tests.imaging.case1_points import CASE1_CLICKS
from tests.metal_cases import with_rod
from tests.phantoms.vertebra import make_vertebra_phantom

#: the body's volume near metal within this of the metal-free one (issue #4's phantom tolerance)
VOLUME_REL = 0.05
#: case1's right pedicle axis as the QA's script traced it (its c1_anat.json), LPS mm
CASE1_ROD = ((-5.84, 178.94, -558.57), (4.57, 153.16, -549.13))
#: abdomen L3's right pedicle axis found on the clean CT (find_vertebra at the L3 click), LPS mm
L3_ROD = ((-13.35, -111.25, 315.92), (-16.43, -138.85, 318.30))
L3_CLICK = (4.9, -141.3, 315.7)
#: clicks within a voxel of each other (case1 1 mm, abdomen 3 mm)
CASE1_NEAR = ((20.0, 165.0, -547.0), (20.4, 165.3, -547.2), (19.6, 164.6, -546.7))
L3_NEAR = (L3_CLICK, (5.9, -141.3, 315.7), (4.9, -140.3, 316.7), (3.9, -142.3, 314.7))


def _volume_or_metal_refusal(volume: Volume, click: tuple[float, float, float]) -> float | None:
    """The body's volume (mL), or None for a refusal that names the metal (any other refusal fails)."""
    try:
        anatomy = find_vertebra(volume, click)
    except VertebraNotFoundError as refused:
        assert "metal" in refused.reason, (click, refused.reason)
        return None
    assert anatomy.metal is not None
    _says_what_was_inferred(anatomy)
    return anatomy.body_volume_ml


def _says_what_was_inferred(anatomy: VertebraAnatomy) -> None:
    said = [n for n in anatomy.notes if "of the body's surface was not seen" in n]
    assert len(said) <= 1


def _phantom_with_rod(streak_hu: float) -> tuple[Volume, float, tuple[float, float, float]]:
    ph = make_vertebra_phantom(seed=4)
    click = (float(ph.center_lps[0]), float(ph.center_lps[1]), float(ph.center_lps[2]))
    clean = find_vertebra(ph.volume, click).body_volume_ml
    ped = ph.pedicles[Side.RIGHT]
    return with_rod(ph.volume, ped.entry_lps, ped.target_lps, streak_hu=streak_hu), clean, click


def test_a_rod_through_the_pedicle_is_not_taken_for_the_cortex() -> None:
    """Measured: 30.18 mL against 30.49 clean (-1 %), 8 % of the surface filled in; before 27.66 (-9 %)."""
    volume, clean, click = _phantom_with_rod(streak_hu=0.0)
    anatomy = find_vertebra(volume, click)
    assert anatomy.body_volume_ml == pytest.approx(clean, rel=VOLUME_REL)
    assert any("of the body's surface was not seen" in n for n in anatomy.notes)


def test_streaks_from_the_rod_give_the_body_or_a_refusal_naming_the_metal() -> None:
    """Measured: 30.63 mL against 30.49 clean, 24 % of the surface filled in; before 26.2 mL (-14 %)."""
    volume, clean, click = _phantom_with_rod(streak_hu=500.0)
    for offset in ((0.0, 0.0, 0.0), (3.0, 2.0, -4.0)):
        found = _volume_or_metal_refusal(volume, tuple(np.add(click, offset)))
        if found is not None:
            assert found == pytest.approx(clean, rel=VOLUME_REL)


def test_no_metal_no_unknown_voxels() -> None:
    ph = make_vertebra_phantom(seed=4)
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    assert anatomy.metal is None
    assert not any("surface was not seen" in n for n in anatomy.notes)


@pytest.mark.realdata
def test_case1_with_a_rod_and_streaks(shared_data: Path) -> None:
    """case1 (1 mm): before, the rod alone gave 31.4-32.4 mL against 36.4-37.3 clean (-13 %), and with
    streaks 16.6-22.8 mL or "on the disc" with no word of the metal. Now refused naming the metal from
    every click: the rod alone hides 39-50 % of the surface from the rays, with its streaks 64-73 %, more
    than the 25 % allowed (or the search, refused, finds the click "on the disc", and the metal is named).
    A figure given must be the clean one's."""
    case1 = read_image(shared_data / "bone-lesions" / "case1.nii.gz")
    clicks = (*CASE1_NEAR, *CASE1_CLICKS.values())
    for streak_hu in (0.0, 500.0):
        volume = with_rod(case1, *CASE1_ROD, streak_hu=streak_hu)
        for click in clicks:
            found = _volume_or_metal_refusal(volume, click)
            if found is not None:
                clean = find_vertebra(case1, click).body_volume_ml
                assert found == pytest.approx(clean, rel=VOLUME_REL), (streak_hu, click)


@pytest.mark.realdata
def test_abdomen_l3_with_a_rod_and_streaks(shared_data: Path) -> None:
    """Abdomen L3 (3 mm): before, with streaks 20.5-27.4 mL against 41.4 clean (a dark streak below the
    click read as a disc). Now: refused naming the metal (38-50 % hidden); the rod alone gives 41.9-42.3
    mL (15 % filled in) against 41.41-41.44 clean from the same clicks."""
    abdomen = read_image(shared_data / "abdomen-pelvis-ct" / "ct.nii.gz")
    clean = {c: find_vertebra(abdomen, c).body_volume_ml for c in L3_NEAR}
    for streak_hu in (0.0, 500.0):
        volume = with_rod(abdomen, *L3_ROD, streak_hu=streak_hu)
        for click in L3_NEAR:
            found = _volume_or_metal_refusal(volume, click)
            if found is not None:
                assert found == pytest.approx(clean[click], rel=VOLUME_REL), (streak_hu, click)
