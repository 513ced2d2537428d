"""A refused click on the vertebral arch says where it lies and where to click, and nothing about a disc.

QA s29 (task F, rows F4 and F5), in the real window:

- F4: the 3 mm abdomen's L3 lamina (16.0, -107.3, 322.3) and spinous process (1.0, -80.3, 322.3) were told
  "... on the vertebral arch ...: the bone above and below it is 17 x 14 mm across (side to side x front to
  back), narrower than a vertebral body's end plates, so it is no disc; click in the body in front of the
  canal": a disc argument the operator did not raise (the disc finder read a dip between two processes
  stacked along the spine, imaging.disc_cover judged it no disc, imaging.spine_place said where).
- F5: the bundled chest case's T9 spinous process (-5, 172, -68.5), 321 HU near it, was told only "no
  spinal canal enclosed by bone behind the point": no "disc" is found there, so the refusal never asked
  where the point lies (imaging.spine_place: on the arch, behind the canal centred at (-6, 149, -68.5)),
  while a lamina beside it, (-15, 162, -68.5), got the arch words by another path
  (imaging.vertebra_refusal.placed_refusal).

On cc688f6 the place words, the spinous process of L3 and the sample case's T9 fail; the L3 lamina at these
exact coordinates was refused there by another path without the disc clause (the window's click, a fraction
of a pixel away, got it) and stays as a guard. Positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.spine_place import Place, SpinePlace, place_words
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError
from imaging.volume import Volume

ARCH = "on the vertebral arch"
WHAT_TO_DO = "click in the body in front of the canal"
SAMPLE_CASE = Path(__file__).resolve().parents[2] / "resources" / "sample_case"


def _arch_refusal(volume: Volume, click: tuple[float, float, float]) -> str:
    with pytest.raises(ClickNotInBodyError) as refused:
        find_vertebra(volume, click)
    reason = refused.value.reason
    assert ARCH in reason and WHAT_TO_DO in reason, reason
    assert "disc" not in reason and "end plates" not in reason, reason
    return reason


def test_place_words_on_the_spine_argue_no_disc() -> None:
    for place in (
        SpinePlace(Place.ARCH),
        SpinePlace(Place.ARCH, beside_mm=4.0),
        SpinePlace(Place.TRANSVERSE, beside_mm=25.0),
    ):
        words = place_words(place, (17.0, 14.0))
        assert words is not None and WHAT_TO_DO in words and "disc" not in words, words
    # off the spine, the narrow bone is part of why: said
    off = place_words(SpinePlace(Place.NO_CANAL), (9.0, 4.0))
    assert off is not None and "9 x 4 mm across" in off and "so it is no disc" in off


@pytest.mark.realdata
@pytest.mark.parametrize(
    "click", [(16.0, -107.3, 322.3), (1.0, -80.3, 322.3)], ids=["L3 lamina", "L3 spinous process"]
)
def test_abdomen_arch_clicks_say_no_disc(abdomen: Volume, click: tuple[float, float, float]) -> None:
    _arch_refusal(abdomen, click)


def test_sample_case_spinous_process_is_said_to_be_on_the_arch() -> None:
    from imaging.load import load_volume

    volume = load_volume(SAMPLE_CASE).volume
    reason = _arch_refusal(volume, (-5.0, 172.0, -68.5))
    assert "spinous process" in reason and "HU near it" in reason, reason


#: bone points off the spine where no "disc" is found: a hole in the scapula (chest) and in the pelvis beside
#: metal (abdomen) was taken for the spinal canal, and with F5's words the points were told they lay "on the
#: vertebral arch" (session 29, the rib figures); the hole must lie down the trunk's middle
#: (imaging.spine_middle.canal_on_the_middle: 139 mm and 57 mm from it here)
OFF_SPINE_BONE = {
    "chest right scapula": (-127.0, 138.0, 90.0),
    "abdomen left acetabulum": (55.0, -91.0, 130.0),
}


@pytest.mark.realdata
@pytest.mark.parametrize("name", OFF_SPINE_BONE)
def test_bone_off_the_spine_is_not_said_to_be_on_the_arch(
    chest_ct: Volume, abdomen: Volume, name: str
) -> None:
    volume = chest_ct if name.startswith("chest") else abdomen
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(volume, OFF_SPINE_BONE[name])
    assert ARCH not in refused.value.reason, refused.value.reason
