"""Clicks off a vertebral body's front (session 28, task E; imaging.click_near_bone, imaging.canal_recheck).

Measured on the base (2eb9578), lumbar-ct-labels L3 (its interior dark, 28-41 HU):

- a click in fat (26.0, 141.6, -64.9), -72 HU, 2 mm in front of L3's anterior cortex, was accepted as L3's
  front half: 21.5 mL, Dice 0.651 against the labelled body (labels 49, 50), nothing said of the fat;
- a click on that cortex (26.0, 143.6, -64.9) and one just inside it (26.0, 145.6, -64.9): 21.9 and 22.4 mL,
  Dice 0.657 and 0.667. From there the canal search took the dark interior for the canal (a hole along 13
  sections); the canal behind it was found along only 9 of them, the hole's own, and was not taken;
- on the 3 mm abdomen, a click in fat in front of L2 (5.9, -168.0, 351.7), -73 HU, was refused for "the
  nearest body found is 16 mm away": a body found from fat.

Every test here fails on the base. Real data; positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.volume import Volume
from tests.imaging import test_vertebra_realdata as realdata

pytestmark = [pytest.mark.realdata]

FAT_IN_FRONT_OF_L3 = (26.0, 141.6, -64.9)
L3_FRONT_CORTEX = {"on the cortex": (26.0, 143.6, -64.9), "just inside it": (26.0, 145.6, -64.9)}


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


@pytest.fixture(scope="module")
def lumbar(shared_data: Path) -> tuple[Volume, np.ndarray]:
    """The lumbar CT and its L3 body's labels (49, 50)."""
    ct, sub, vert = realdata._lumbar(str(shared_data))
    return ct, (vert == realdata.LUMBAR["L3"]) & np.isin(sub, [49, 50])


@pytest.mark.parametrize("click", L3_FRONT_CORTEX.values(), ids=L3_FRONT_CORTEX.keys())
def test_a_click_on_the_front_cortex_of_a_dark_body_finds_the_whole_body(
    lumbar: tuple[Volume, np.ndarray], click: tuple[float, float, float]
) -> None:
    ct, truth = lumbar
    # measured 0.903 and 0.902 (the centroid click's body: 0.909); the base 0.657 and 0.667
    assert _dice(find_vertebra(ct, click).body.to_full(), truth) >= 0.85


def test_a_click_in_fat_just_outside_the_cortex_finds_the_body_and_says_so(
    lumbar: tuple[Volume, np.ndarray],
) -> None:
    ct, truth = lumbar
    found = find_vertebra(ct, FAT_IN_FRONT_OF_L3)
    assert _dice(found.body.to_full(), truth) >= 0.85  # measured 0.903; the base 0.651
    assert found.click_lps == FAT_IN_FRONT_OF_L3  # the operator's click, not the bone it was searched from
    assert found.notes[0].startswith("the point is in fat (-72 HU), 2 mm outside the bone")


def test_a_click_in_fat_out_of_reach_of_bone_is_refused_before_any_body_is_found(abdomen: Volume) -> None:
    with pytest.raises(ClickNotInBodyError) as refused:
        find_vertebra(abdomen, (5.9, -168.0, 351.7))
    reason = refused.value.reason
    # no bone within 10 mm of it (the nearest: L2's front cortex, 16 mm behind it)
    assert reason.startswith("the point is in fat (-73 HU), not in bone (no bone lies within 10 mm of it")
    assert "body found" not in reason


#: soft tissue (29-35 HU) 4 and 6 mm in front of that L3's cortex, where lumbar-ct-labels' field of
#: view ends 8 mm further forward. Neither is bone nor within the 3 mm click tolerance of it, so neither
#: should give a body. The base gave L3's front half (Dice 0.651, 0.672: a wrong canal and wall); since
#: the canal recheck over the search's whole height (session 28) they give a 13.0 / 14.8 mL blob at the
#: point (Dice 0.086 / 0.090). Refusing soft points more than 3 mm from bone that no bone encloses also
#: refused L3's own centre (28 HU, 10 mm from any bone voxel: the bone mask does not fill this dark
#: interior), so it was not kept. Still wrong: strict xfail.
SOFT_IN_FRONT_OF_L3 = {"4 mm in front": (26.0, 139.6, -64.9), "6 mm in front": (26.0, 137.6, -64.9)}


@pytest.mark.xfail(strict=True, reason="soft tissue 4-6 mm in front of a dark L3 gives a blob (see above)")
@pytest.mark.parametrize("click", SOFT_IN_FRONT_OF_L3.values(), ids=SOFT_IN_FRONT_OF_L3.keys())
def test_a_click_in_soft_tissue_in_front_of_a_dark_body_gives_no_wrong_body(
    lumbar: tuple[Volume, np.ndarray], click: tuple[float, float, float]
) -> None:
    ct, truth = lumbar
    try:
        found = find_vertebra(ct, click)
    except ClickNotInBodyError:
        return  # refused: right
    assert _dice(found.body.to_full(), truth) >= 0.85
