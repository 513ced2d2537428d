"""The trunk's middle and the point off the spine (imaging.spine_middle), on made-up trunks.

A body-shaped ellipse of soft tissue (40 HU) in air, with a round "lung" (-800 HU) on one side: its middle
is the ellipse's centre, not pulled by the lung (holes are filled) nor by a smaller piece beside it (an
arm, not joined). A trunk the scan's side cuts has no middle. Positions LPS mm.
"""

from __future__ import annotations

import numpy as np

from imaging.spine_middle import OFF_SPINE_ASIDE_MM, off_the_spine, trunk_middle_x
from imaging.volume import Volume


def _trunk(centre_x_mm: float, *, half_width_mm: float = 150.0) -> Volume:
    """A 1 mm grid, 400 mm side to side (x -200..199), 300 front to back, 5 slices (z 0..4)."""
    _, y, x = np.mgrid[0:5, 0:300, 0:400].astype(np.float64)
    x_lps, y_lps = x - 200.0, y - 150.0
    hu = np.full(x.shape, -1000, dtype=np.int16)
    body = ((x_lps - centre_x_mm) / half_width_mm) ** 2 + (y_lps / 100.0) ** 2 <= 1.0
    hu[body] = 40
    lung = (x_lps - centre_x_mm - 60.0) ** 2 + y_lps**2 <= 40.0**2
    hu[lung] = -800
    arm = (x_lps - 190.0) ** 2 + y_lps**2 <= 6.0**2  # a small piece apart from the trunk
    hu[arm] = 40
    # index (slice, row, column) -> LPS (x = column, y = row, z = slice), 1 mm
    affine = np.array([[0, 0, 1, -200.0], [0, 1, 0, -150.0], [1, 0, 0, 0.0], [0, 0, 0, 1]])
    return Volume(hu, affine)


def test_the_middle_is_the_trunks_centre() -> None:
    middle = trunk_middle_x(_trunk(-10.0), 2.0)
    assert middle is not None
    assert abs(middle - -10.0) < 2.0


def test_a_trunk_cut_by_the_scans_side_has_no_middle() -> None:
    assert trunk_middle_x(_trunk(0.0, half_width_mm=210.0), 2.0) is None


def test_a_point_far_to_the_side_is_off_the_spine() -> None:
    volume = _trunk(-10.0)
    near = off_the_spine(volume, (-10.0 - OFF_SPINE_ASIDE_MM + 5.0, 20.0, 2.0))
    assert near is None
    far = off_the_spine(volume, (-10.0 - OFF_SPINE_ASIDE_MM - 20.0, 20.0, 2.0))
    assert far is not None
    assert abs(far.left_mm - -(OFF_SPINE_ASIDE_MM + 20.0)) < 2.0
    assert f"{OFF_SPINE_ASIDE_MM + 20.0:.0f} mm to the right of the trunk's middle" in far.words()
