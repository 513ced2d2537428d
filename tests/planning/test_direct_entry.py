"""What a marked point (the window's crosshair) means for a direct route, and what a route crosses.

Phantom: tests/planning/test_direct_tip.py's body, bone block and lytic sphere (radius 8 mm at the origin);
the body's left face (x = -40 mm) is the skin in line with points on the -x axis. Positions LPS mm.
"""

from __future__ import annotations

import pytest

from planning.direct_entry import NEAR_LESION_MM, describe_crossings, entry_from_marked_point, route_crossings
from planning.trajectory_geometry import TrajectoryGeometry
from tests.planning.test_direct_tip import LESION_RADIUS_MM, _phantom


def test_a_point_near_the_lesion_marks_nothing_and_one_away_from_it_the_skin_in_line() -> None:
    vol, lesion, _ = _phantom(block_far_x_mm=30.0)
    assert entry_from_marked_point(vol, lesion, (0.0, 0.0, 0.0)) is None
    # just inside the NEAR_LESION_MM band around the lesion's box: still the lesion
    assert entry_from_marked_point(vol, lesion, (-LESION_RADIUS_MM - NEAR_LESION_MM + 1.0, 0.0, 0.0)) is None
    # 25 mm in front of the lesion's centre marks the way in: the entry is the skin on that line, at the
    # body's face (x = -40.5, a voxel face) within the outline sampler's step and half a voxel
    marked = entry_from_marked_point(vol, lesion, (-25.0, 0.0, 0.0))
    assert marked is not None and marked.on_skin
    assert marked.entry_lps[0] == pytest.approx(-40.5, abs=1.0)
    assert abs(marked.entry_lps[1]) < 0.5 and abs(marked.entry_lps[2]) < 0.5


def test_route_crossings_count_other_bone_not_the_lesions_own_cortex() -> None:
    vol, lesion, _ = _phantom(block_far_x_mm=30.0)
    # in from the left: the block's cortex at x -20..-18 lies 10-12 mm before the lesion's edge (x = -8),
    # beyond the 8 mm counted as the lesion's own cortex: 2 mm of other bone, within a voxel
    gas_mm, bone_mm = route_crossings(vol, lesion, TrajectoryGeometry((-40.0, 0.0, 0.0), (-5.0, 0.0, 0.0)))
    assert gas_mm == 0.0
    assert bone_mm == pytest.approx(2.0, abs=1.0)
    assert describe_crossings(0.0, 0.0) == "crosses no gas and no other bone"
    assert describe_crossings(7.0, 2.0).startswith("crosses 7 mm of gas")
