"""A "body" found centred in the spinal canal is refused though one section reads little bone in front of
the canal (imaging.click_place.refuse_body_in_canal, session 25, task A).

lumbar-ct-labels L2 is cut by the scan's top: only its lowest 10.5 mm (z -44.7 to -34.2) is in the crop,
and its pedicles are above it. tests/benchmarks/wall_click_figures.py's "wall" clicks of L2 (-2, -1 and
+0 mm from the back of the centroid click's body) lie 3-5 mm behind the labelled L2 back wall, in the
spinal canal (0-28 HU near them). The old code accepted each with a 34-37 mL "body" centred about
(25, 183, -53), behind L3's labelled body in the top of its canal (Dice 0.20-0.21 against L3's labels,
0.05-0.06 against L2's), cut in front of a pocket in the arch 25 mm behind the click, and said nothing.
The canal found from in front of that centroid holds it, but on its section nearest the centroid (at
L3's mid-height, where the basivertebral foramen opens the posterior wall) only 6 mm of bone read in
front of it: L3's fatty interior reads 1-60 HU there. Two of the canal's other sections read 29 mm.

Positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError
from tests.imaging import test_vertebra_realdata as realdata

#: wall_click_figures.py's lumbar L2 "wall -2", "wall -1" and "wall +0" points
WALL_CLICKS = {
    "wall -2": (23.6, 184.5, -37.8),
    "wall -1": (23.6, 185.5, -37.8),
    "wall +0": (23.6, 186.5, -37.8),
}


def _labelled_back_y(shared_data: Path, click: tuple[float, float, float]) -> float:
    """The hindmost LPS y (mm) of lumbar L2's labelled body (49, 50) on the click's slice and column."""
    ct, sub, vert = realdata._lumbar(str(shared_data))
    truth = (vert == realdata.LUMBAR["L2"]) & np.isin(sub, [49, 50])
    points = ct.index_to_lps_points(np.argwhere(truth))
    near = (np.abs(points[:, 0] - click[0]) < 1.0) & (np.abs(points[:, 2] - click[2]) < 1.0)
    return float(points[near, 1].max())


@pytest.mark.realdata
@pytest.mark.parametrize("name", list(WALL_CLICKS))
def test_a_click_in_the_canal_behind_the_cut_l2_is_refused_as_in_the_canal(
    shared_data: Path, name: str
) -> None:
    click = WALL_CLICKS[name]
    # the point lies behind the labelled body's back wall (measured 3-5 mm), in the canal
    assert click[1] > _labelled_back_y(shared_data, click) + 2.0
    ct, _, _ = realdata._lumbar(str(shared_data))
    with pytest.raises(ClickNotInBodyError, match=r"the point lies in the spinal canal \(-?\d+ HU near it\)"):
        find_vertebra(ct, click)


@pytest.mark.realdata
def test_the_cut_l2_centroid_click_is_still_accepted(shared_data: Path) -> None:
    anatomy, truth = realdata._lumbar_result(str(shared_data), "L2")
    assert anatomy.body_cut_by_view == ("superior",)
    dice = float(2.0 * (anatomy.body.to_full() & truth).sum() / (anatomy.body.to_full().sum() + truth.sum()))
    assert dice >= 0.85  # 0.857 before and after the change
