"""A vertebra click in a body a lesion has destroyed is refused with what to do next (QA s31).

The bundled sample case (resources/sample_case) with T9's body replaced by a 16 mm sphere of 30 HU round
its centre (-10, 125, -68.5): no body is left round the click, which is refused as soft tissue no bone
encloses. On 0662c75 the refusal ended "click inside a vertebral body", where the operator had clicked;
now it says to click in a part of the body that is still bone, and marks the refusal
(``destroyed_body_possible``) so that the window can add the other ways it offers. Only a point that bone
surrounds (in more than half of the directions within 20 mm, the lesion tool's own test of a lytic seed)
is told so: soft tissue beside the spine (the 3 mm abdomen's psoas, aorta, bowel, kidney; real data) is not.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.volume import Volume

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample_case"
T9_CENTRE = np.array([-10.0, 125.0, -68.5])
#: the destroyed body's radius (mm): 12 mm leaves enough of T9 for the body to be found, 16 mm not
DESTROYED_RADIUS_MM = 16.0


def destroyed_t9(radius_mm: float = DESTROYED_RADIUS_MM) -> Volume:
    """The sample case with a sphere of 30 HU (lytic tissue) round T9's body centre."""
    loaded = load_volume(SAMPLE)
    volume: Volume = getattr(loaded, "volume", loaded)
    arr = volume.array.copy()
    idx = np.indices(arr.shape).reshape(3, -1).T.astype(np.float64)
    dist = np.linalg.norm(volume.index_to_lps_points(idx) - T9_CENTRE, axis=1).reshape(arr.shape)
    arr[dist < radius_mm] = 30
    return dataclasses.replace(volume, array=arr)


@pytest.mark.parametrize("offset", [(0.0, 0.0, 0.0), (8.0, 0.0, 0.0)])
def test_a_click_in_a_destroyed_body_says_to_click_where_it_is_still_bone(
    offset: tuple[float, float, float],
) -> None:
    volume = destroyed_t9()
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(volume, T9_CENTRE + np.array(offset))
    assert refused.value.destroyed_body_possible
    assert (
        "destroyed the vertebral body here, click in a part of it that is still bone" in refused.value.reason
    )


def test_a_click_in_bone_is_not_said_to_read_soft() -> None:
    """T9's spinous process (a refusal of a point in bone, on the arch) carries no soft-tissue step."""
    volume = destroyed_t9(0.0)
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(volume, np.array([-5.0, 172.0, -68.5]))  # T9's spinous process
    assert not refused.value.destroyed_body_possible
    assert "still bone" not in refused.value.reason


#: soft tissue beside the 3 mm abdomen's L3 (tests/benchmarks/lamina_soft_click_figures.py), refused as
#: outside the bone: no vertebral body lies there to have been destroyed
BESIDE_L3 = {
    "in front": (4.9, -175.0, 315.7),
    "aorta": (22.0, -172.0, 315.7),
    "left psoas": (45.0, -140.0, 315.7),
    "right psoas": (-40.0, -140.0, 315.7),
    "back muscle": (35.0, -85.0, 315.7),
    "bowel": (-60.0, -205.0, 315.7),
}


@pytest.mark.realdata
@pytest.mark.parametrize("click", BESIDE_L3.values(), ids=BESIDE_L3.keys())
def test_soft_tissue_beside_the_spine_is_not_said_to_be_a_destroyed_body(
    abdomen: Volume, click: tuple[float, float, float]
) -> None:
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(abdomen, click)
    assert "no bone encloses it" in refused.value.reason
    assert not refused.value.destroyed_body_possible
    assert "still bone" not in refused.value.reason
