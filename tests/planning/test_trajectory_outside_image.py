"""A needle partly outside the scanned image (QA s30 D row 8): the length outside is measured and said.

Where the field of view cuts the body off, the skin depth and the structures crossed can only count what
the image shows; the metrics, their warnings and the ``osteoplan plan`` JSON say how much of the needle lies
outside. Tolerances: 1e-6 mm for the clipped length (exact arithmetic on a straight line); one voxel
(1 mm) for the skin depth.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.plan_runner import run_plan
from planning.trajectory import (
    DistanceField,
    TrajectoryGeometry,
    TrajectoryMetrics,
    length_outside_image_mm,
    measure_trajectory,
)
from tests.phantoms.vertebra import VertebraPhantom
from tests.planning.test_plan_runner import _spec
from tests.planning.test_proposals import anatomy_from_truth
from tests.planning.test_trajectory import cylinder_mask, grid_volume


def _measure(
    vol: Volume, g: TrajectoryGeometry, forbidden: dict[str, DistanceField] | None = None
) -> TrajectoryMetrics:
    """A 13 G needle of 150 mm with a 15 mm antenna."""
    return measure_trajectory(
        vol,
        g,
        outer_diameter_mm=2.41,
        needle_length_mm=150.0,
        antenna_extension_mm=15.0,
        antenna_outer_diameter_mm=1.6,
        forbidden=forbidden,
    )


def _cut_body() -> Volume:
    """A 55 mm cylinder of soft tissue about the z axis, imaged only out to y = +39 mm (the last row's
    centre; its outer face at +39.5): the body goes on 15.5 mm beyond the field of view at the back."""
    vol = grid_volume((30, 110, 140), origin_lps=(-70.0, -70.0, -15.0))
    body = cylinder_mask(vol, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), 55.0)
    vol.array[body.slices][body.array] = 40
    return vol


def test_the_length_outside_the_image_is_exact() -> None:
    vol = grid_volume((20, 30, 40), spacing_mm=(2.0, 0.5, 0.8), origin_lps=(0.0, 0.0, 0.0))
    # the image spans x -0.4..31.6, y -0.25..14.75, z -1..39 (outer faces of the voxels)
    assert length_outside_image_mm(vol, (5.0, 5.0, 5.0), (20.0, 10.0, 30.0)) == 0.0
    assert length_outside_image_mm(vol, (5.0, 5.0, 5.0), (5.0, 24.75, 5.0)) == pytest.approx(10.0, abs=1e-6)
    assert length_outside_image_mm(vol, (-10.4, 5.0, 5.0), (41.6, 5.0, 5.0)) == pytest.approx(20.0, abs=1e-6)
    # oblique: leaves through the top face (z 39) a quarter of the way along ... and through no other
    outside = length_outside_image_mm(vol, (10.0, 5.0, 29.0), (10.0, 9.0, 69.0))
    assert outside == pytest.approx(0.75 * float(np.hypot(4.0, 40.0)), abs=1e-6)
    # wholly outside, also when parallel to a face
    assert length_outside_image_mm(vol, (5.0, 20.0, 5.0), (15.0, 20.0, 5.0)) == pytest.approx(10.0)
    assert length_outside_image_mm(vol, (50.0, 5.0, 5.0), (60.0, 15.0, 5.0)) == pytest.approx(
        np.hypot(10, 10)
    )


def test_a_needle_whose_entry_lies_beyond_the_field_of_view_says_so() -> None:
    vol = _cut_body()
    forbidden = {
        "nerve": DistanceField(
            cylinder_mask(vol, np.array([0.0, 30.0, 0.0]), np.eye(3)[0], 3.0), vol.index_to_lps
        )
    }
    g = TrajectoryGeometry((0.0, 68.0, 0.0), (0.0, 0.0, 0.0))  # entry 13 mm behind the real skin
    m = _measure(vol, g, forbidden)
    assert m.outside_image_mm == pytest.approx(68.0 - 39.5, abs=1e-6)
    said = [w for w in m.warnings if "outside the scanned image" in w]
    assert said == [
        "28.5 mm of the needle lies outside the scanned image: "
        "skin to tip and what it crosses are not known there"
    ]
    # the image ends in tissue: the depth is a lower bound, and says so too
    assert not m.skin_found
    assert m.skin_depth_mm == pytest.approx(39.0, abs=1.0)
    assert m.crossed == ("nerve",)  # what the image shows is still reported

    inside = _measure(vol, TrajectoryGeometry((0.0, 35.0, 0.0), (0.0, 0.0, 0.0)))
    assert inside.outside_image_mm == 0.0
    assert not any("outside the scanned image" in w for w in inside.warnings)


def test_the_plan_json_carries_the_length_outside_the_image(
    phantom: VertebraPhantom, volume: Volume, use_anatomy: Callable[[VertebraAnatomy], None]
) -> None:
    use_anatomy(anatomy_from_truth(phantom, "L3"))
    c = phantom.lesion_center_lps
    d = np.array([0.0, -1.0, 0.0])  # from the back, anteriorly
    tip = c - 3.5 * d
    lo, hi = volume.bounds_lps()
    far_y = float(max(lo[1], hi[1])) + 0.5 * volume.spacing_mm[1]  # the outer face of the last row
    entry = tip.copy()
    entry[1] = far_y + 12.0  # 12 mm beyond the image
    spec = _spec(phantom, [{"target": "L3", "entry_lps": entry.tolist(), "target_lps": tip.tolist()}])
    t = run_plan(volume, spec).to_json()["trajectories"][0]
    assert t["outside_image_mm"] == pytest.approx(12.0, abs=0.05)
    assert any(w.startswith("12.0 mm of the needle lies outside the scanned image") for w in t["warnings"])
