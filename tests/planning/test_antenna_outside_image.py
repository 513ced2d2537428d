"""The antenna beyond the needle tip partly outside the scanned image: measured and said (s31 B).

The needle's own length outside the image is measured since session 30 (``outside_image_mm``); the
antenna that goes on beyond the tip can leave the image too (a lesion at the edge of the field of view),
where what it and its zone reach is not seen. Grid of tests/planning/test_trajectory_outside_image.py:
the image spans z -1..39 mm (outer faces of the voxels). Tolerance 1e-6 mm (exact clipping).
"""

from __future__ import annotations

import pytest

from planning.grid_sampling import inside_image_fractions
from planning.trajectory import TrajectoryGeometry
from tests.planning.test_trajectory import grid_volume
from tests.planning.test_trajectory_outside_image import _measure


def test_antenna_outside_the_image_is_measured_and_said() -> None:
    vol = grid_volume((20, 30, 40), spacing_mm=(2.0, 0.5, 0.8), origin_lps=(0.0, 0.0, 0.0))
    # needle tip at z 20: the 15 mm antenna ends at z 35, in the image
    inside = _measure(vol, TrajectoryGeometry((5.0, 5.0, 5.0), (5.0, 5.0, 20.0)))
    assert inside.antenna_outside_image_mm == 0.0 and inside.outside_image_mm == 0.0
    assert not any("antenna beyond the needle tip" in w for w in inside.warnings)
    # needle tip at z 30: the antenna ends at z 45, 6 mm beyond the image's face at z 39
    m = _measure(vol, TrajectoryGeometry((5.0, 5.0, 5.0), (5.0, 5.0, 30.0)))
    assert m.outside_image_mm == 0.0
    assert m.antenna_outside_image_mm == pytest.approx(6.0, abs=1e-6)
    assert (
        "6.0 mm of the antenna beyond the needle tip lies outside the scanned image: what it and its zone "
        "reach there is not seen"
    ) in m.warnings
    assert not any("of the needle lies outside" in w for w in m.warnings)


def test_inside_fractions_of_a_segment() -> None:
    vol = grid_volume((20, 30, 40), spacing_mm=(2.0, 0.5, 0.8), origin_lps=(0.0, 0.0, 0.0))
    assert inside_image_fractions(vol, (5.0, 5.0, 5.0), (5.0, 5.0, 20.0)) == (0.0, 1.0)
    t_in, t_out = inside_image_fractions(vol, (5.0, 5.0, 30.0), (5.0, 5.0, 45.0))  # type: ignore[misc]
    assert t_in == 0.0 and t_out == pytest.approx(0.6, abs=1e-9)  # (39 - 30) / 15
    # entering from outside on both ends: z -11 .. 49 crosses the faces at z -1 and 39
    t_in, t_out = inside_image_fractions(vol, (5.0, 5.0, -11.0), (5.0, 5.0, 49.0))  # type: ignore[misc]
    assert (t_in, t_out) == (pytest.approx(10.0 / 60.0), pytest.approx(50.0 / 60.0))
    assert inside_image_fractions(vol, (5.0, 20.0, 5.0), (5.0, 20.0, 30.0)) is None  # beyond y 14.75
