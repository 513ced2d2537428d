"""Clicks at and behind a body's posterior wall (QA session 21, F2 and F3).

Real abdomen CT (abdomen-pelvis-ct, 3 mm voxels), L3 (its centroid click (4.9, -141.3, 315.7)). Along
y at x 4.9, z 315.7 the posterior wall's cortex peaks at y -125 (smoothed 140-160 HU on the canal's
sections), the canal runs from about y -123 to -110, the lamina lies at y -107 and behind.

- F2: a click on the wall, y -125 (and -124, its blurred back), lies 6 mm in front of the canal's
  centroid; the canal search wanted a canal at least 8 mm behind the click, passed over the canal and took
  a foramen 26 mm to the side (93 mm^2, one section) instead: the body ran back into the canal (52.3 mL
  against 41.4 from the centroid) and the right pedicle read 3.6 mm (13.5 from the centroid). Silent.
- F3: clicks behind the canal (y -108, -105, -100: the lamina and the soft tissue between the arch's
  parts) found a canal-like pocket behind the lamina and, in front of it, a 28-38 mL "body" centred in
  the canal. Silent; in the window that false vertebra then blocked the right click in L3.

Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume

pytestmark = [pytest.mark.realdata]

L3_CENTRE = (4.9, -141.3, 315.7)
#: on the posterior wall's cortical peak, and on its blurred back (smoothed 105-120 HU)
ON_THE_WALL = ((4.9, -125.0, 315.7), (4.9, -124.0, 315.7))
#: behind the canal: the lamina's front, the lamina, the soft tissue behind it (QA's F3 click is -105)
BEHIND_THE_CANAL = ((4.9, -108.0, 315.7), (4.9, -105.0, 315.7), (4.9, -100.0, 315.7))


@pytest.fixture(scope="module")
def from_centre(abdomen: Volume) -> VertebraAnatomy:
    return find_vertebra(abdomen, L3_CENTRE)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


@pytest.mark.parametrize("click", ON_THE_WALL, ids=["wall peak", "wall back"])
def test_a_click_on_the_posterior_wall_finds_the_body_found_from_its_centre(
    abdomen: Volume, from_centre: VertebraAnatomy, click: tuple[float, float, float]
) -> None:
    found = find_vertebra(abdomen, click)
    # the old code: Dice 0.85 (52.3 mL running into the canal), canal centroid 25 mm to the side
    assert _dice(found.body.to_full(), from_centre.body.to_full()) >= 0.9
    shift = np.linalg.norm(np.subtract(found.canal_centroid_lps, from_centre.canal_centroid_lps))
    assert shift <= 3.0, (found.canal_centroid_lps, from_centre.canal_centroid_lps)
    # the right pedicle read 3.57 mm (wall peak) and 6.29 (wall back) against 13.54 from the centre; clicks
    # 4-12 mm in front of the wall read 14.95-15.24
    for side in (Side.LEFT, Side.RIGHT):
        assert found.pedicles[side].min_width_mm == pytest.approx(
            from_centre.pedicles[side].min_width_mm, abs=2.0
        ), side


@pytest.mark.parametrize("click", BEHIND_THE_CANAL, ids=["y -108", "y -105", "y -100"])
def test_a_click_behind_the_canal_is_refused_as_behind_it(
    abdomen: Volume, click: tuple[float, float, float]
) -> None:
    with pytest.raises(ClickNotInBodyError, match="lies behind the spinal canal"):
        find_vertebra(abdomen, click)
