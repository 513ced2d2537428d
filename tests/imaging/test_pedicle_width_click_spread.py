"""Abdomen L2 (3 mm voxels): the pedicle width read from clicks within 3 mm of the body's centre, each with
the uncertainty said beside it, names one bone (QA s25 E2).

On the base (a65e556) the eight clicks of tests/benchmarks/pedicle_width_spread.py read L2 left 8.1 ... 12.1
mm and right 7.9 ... 10.3 mm with nothing said about how well the scan shows them: 8.1 and 12.1 cannot both be
"the narrowest width". The widths still move with the click (the waist is not found on this scan's pedicles:
the planes through them are open between the laminae; the widths come from lines across a fitted axis whose
height and run move with the body's mask), so what is tested is that every click's range, width +- its
uncertainty, holds one common value, and that no range is narrower than half the 3 mm voxel. Measured on this
branch: left +-1.5 ... +-3.6 mm (the 8.1-8.8 mm readings, taken where the width changes by 6-7 mm within
1.5 mm along the axis, say +-3.2-3.6), right +-1.5 ... +-3.1 mm.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side
from imaging.volume import Volume

L2_CLICK = (5.9, -133.0, 351.7)
MOVES = [(0, 0, 0), (0, 0, 0.6), (0, 0, -3), (0, 0, 3), (0, -3, 0), (0, 3, 0), (-3, 0, 0), (3, 0, 0)]


@pytest.mark.realdata
@pytest.mark.slow
def test_l2_width_ranges_over_clicks_meet(abdomen: Volume) -> None:
    ranges: dict[Side, list[tuple[float, float]]] = {Side.LEFT: [], Side.RIGHT: []}
    for move in MOVES:
        anatomy = find_vertebra(abdomen, np.add(L2_CLICK, move))
        for side in (Side.LEFT, Side.RIGHT):
            pedicle = anatomy.pedicles[side]
            pm = pedicle.min_width_uncertainty_mm
            assert pm is not None and pm >= 1.5 - 1e-9, (move, side, pm)  # half the 3 mm voxel at least
            ranges[side].append((pedicle.min_width_mm - pm, pedicle.min_width_mm + pm))
    for side, said in ranges.items():
        low = max(lo for lo, _ in said)
        high = min(hi for _, hi in said)
        assert low <= high, (side, [(round(lo, 2), round(hi, 2)) for lo, hi in said])
