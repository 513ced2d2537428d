"""Clicks behind the spinal canal (in the lamina, the spinous process' root or the soft tissue between the
arch's parts) are refused as such, never answered with a wrong vertebra (session 22, task A).

The clicks are those of tests/benchmarks/wall_click_figures.py, 7-13 mm behind the canal's centroid found
from the body's centroid click, along the line from the body's centroid to it. On the old code each was
accepted: the canal search from the click took a pocket in the arch, 20-32 mm behind the real canal, for
the canal, and reported the body in front of it (Dice 0.08-0.93 against the centroid click's body), or a
"body" centred in the canal. Body clicks at the same vertebrae, and clicks on the posterior wall that the
new checks could have caught (lumbar-ct-labels L3, whose dark interior the canal search from in front
takes for a canal; the 3 mm abdomen's L5, where the canal's straight centre line runs 1.3 mm in front of
the wall at the body's level), stay accepted. Positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.volume import Volume

pytestmark = [pytest.mark.realdata]

Point = tuple[float, float, float]

#: what the old code answered, per click: the body's Dice against the centroid click's, its volume (mL)
#: and how far its canal's centroid lay from the centroid click's (mm)
CHEST_BEHIND: dict[str, Point] = {
    # Dice 0.20, 23.0 mL, canal 25.7 mm off: a "body" centred in the canal, 8 mm lower
    "T7 +10": (-8.3, 156.6, -20.3),
    # Dice 0.20, 26.6 mL, canal 28.9 mm off
    "T7 +13": (-8.4, 159.6, -20.3),
    # Dice 0.93, 18.7 mL (the right body), canal 22.9 mm off and no right pedicle
    "T8 +7": (-6.9, 155.6, -44.5),
    # Dice 0.55, 39.8 mL, canal 26.7 mm off
    "T9 +13": (-5.6, 162.2, -70.0),
    # Dice 0.75, 30.4 mL, canal 20.4 mm off
    "T10 +10": (-5.8, 159.0, -94.1),
    # Dice 0.84, 33.1 mL, canal 20.3 mm off
    "T11 +7": (-6.6, 154.4, -119.6),
}
ABDOMEN_BEHIND: dict[str, Point] = {
    # Dice 0.89, 42.4 mL, canal 21.6 mm off
    "L5 +10": (0.3, -104.0, 252.2),
    # Dice 0.83, 41.5 mL, canal 24.0 mm off
    "L5 +13": (0.2, -101.0, 252.2),
}
LUMBAR_BEHIND: dict[str, Point] = {
    # Dice 0.08, 34.4 mL, canal 29.3 mm off
    "L4 +13": (21.1, 198.4, -96.2),
}
#: the words of a refusal behind the canal (or in its back half, or on the lamina at its back edge)
BEHIND_WORDS = r"lies behind the spinal canal|lies in the back of the spinal canal|vertebral arch \(lamina\)"

#: body clicks kept: the chest bodies' centroid clicks (tests/imaging/test_vertebra_pedicles_chest.py)
CHEST_BODY: dict[str, Point] = {"T7": (-10.0, 125.0, -21.5), "T8": (-10.0, 125.0, -45.0)}
#: the abdomen's L5 body click (s22_common.md) and a click on its posterior wall, the body's last voxel on
#: the line from its centroid to the canal (old and new: Dice 0.957 against the centroid click's body)
ABDOMEN_KEPT: dict[str, Point] = {"L5 body": (1.3, -133.9, 242.3), "L5 wall": (0.7, -112.2, 242.9)}
#: lumbar-ct-labels L3, 2 mm in front of its posterior wall: the body's centroid lies in its dark interior,
#: which the canal search from in front takes for a canal, with the click behind it (Dice 0.962)
LUMBAR_KEPT: dict[str, Point] = {"L3 wall -2": (24.9, 175.7, -64.9)}


@pytest.fixture(scope="module")
def lumbar(shared_data: Path) -> Volume:
    from tests.imaging.real_volumes import lumbar_ct

    return lumbar_ct(shared_data)


@pytest.mark.parametrize("name", list(CHEST_BEHIND))
def test_a_chest_click_behind_the_canal_is_refused(chest_ct: Volume, name: str) -> None:
    with pytest.raises(ClickNotInBodyError, match=BEHIND_WORDS):
        find_vertebra(chest_ct, CHEST_BEHIND[name])


@pytest.mark.parametrize("name", list(ABDOMEN_BEHIND))
def test_an_abdomen_click_behind_the_canal_is_refused(abdomen: Volume, name: str) -> None:
    with pytest.raises(ClickNotInBodyError, match="lies behind the spinal canal"):
        find_vertebra(abdomen, ABDOMEN_BEHIND[name])


@pytest.mark.parametrize("name", list(LUMBAR_BEHIND))
def test_a_lumbar_click_behind_the_canal_is_refused(lumbar: Volume, name: str) -> None:
    with pytest.raises(ClickNotInBodyError, match=BEHIND_WORDS):
        find_vertebra(lumbar, LUMBAR_BEHIND[name])


def test_a_click_on_the_lamina_at_the_canals_back_is_not_said_to_be_in_the_canal(abdomen: Volume) -> None:
    # the 3 mm abdomen's L2, 10 mm behind the canal's centroid: 231 HU, the lamina's blurred front, which
    # the canal's mask holds; the old words were "the point lies in the spinal canal"
    with pytest.raises(ClickNotInBodyError, match=r"lies on the vertebral arch \(lamina\) at the back"):
        find_vertebra(abdomen, (2.0, -100.0, 345.7))


@pytest.mark.parametrize("name", list(CHEST_BODY))
def test_chest_body_clicks_stay_accepted(chest_ct: Volume, name: str) -> None:
    found = find_vertebra(chest_ct, CHEST_BODY[name])
    # the canal lies behind the body: 15-20 mm behind its centroid on the chest (session 21 figures)
    assert found.canal_centroid_lps[1] - found.body_centroid_lps[1] > 10.0


@pytest.mark.parametrize("name", list(ABDOMEN_KEPT))
def test_abdomen_l5_body_and_wall_clicks_stay_accepted(abdomen: Volume, name: str) -> None:
    found = find_vertebra(abdomen, ABDOMEN_KEPT[name])
    assert 35.0 <= found.body_volume_ml <= 50.0  # the centroid click's body: 43.6 mL


@pytest.mark.parametrize("name", list(LUMBAR_KEPT))
def test_a_lumbar_wall_click_in_front_of_a_dark_interior_stays_accepted(lumbar: Volume, name: str) -> None:
    found = find_vertebra(lumbar, LUMBAR_KEPT[name])
    assert 30.0 <= found.body_volume_ml <= 45.0  # the centroid click's body: 36.6 mL
