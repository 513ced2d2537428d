"""imaging.bone_outline: the outline of bone, cavities filled in 3-D or in planes (session 29)."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.bone_outline import bone_outline

SPACING = (1.0, 1.0, 1.0)


def _tube(gap_vox: int = 0) -> np.ndarray:
    """A cortex 2 voxels thick round a marrow 12 voxels across, along the whole of axis 0 (open at both
    ends, as a vertebral body's ring round a canal open along the spine), with a slit ``gap_vox`` wide."""
    _, y, x = np.indices((20, 30, 30))
    r = np.hypot(y - 14.5, x - 14.5)
    tube = (r >= 6.0) & (r <= 8.0)
    if gap_vox:
        tube &= ~((np.abs(x - 14.5) < gap_vox / 2.0) & (y > 14.5))
    return tube


def test_a_ring_open_along_the_spine_holds_its_marrow_in_axial_planes_only() -> None:
    tube = _tube()
    middle = (10, 15, 15)
    assert not bone_outline(tube, 3.0, SPACING)[middle]  # in 3-D the marrow reaches both ends
    assert bone_outline(tube, 3.0, SPACING, planes_normal_to=0)[middle]
    assert not bone_outline(tube, 3.0, SPACING, planes_normal_to=1)[middle]  # cut along its length


@pytest.mark.parametrize(("gap_vox", "held"), [(4, True), (10, False)])
def test_a_gap_in_the_ring_is_bridged_up_to_twice_the_gap_distance(gap_vox: int, held: bool) -> None:
    outline = bone_outline(_tube(gap_vox), 3.0, SPACING, planes_normal_to=0)
    assert bool(outline[10, 15, 15]) is held


def test_a_plane_axis_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match='"planes_normal_to" must be None, 0, 1 or 2'):
        bone_outline(_tube(), 3.0, SPACING, planes_normal_to=3)
