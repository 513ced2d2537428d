"""The antenna tip against the vertebral body (planning.antenna_body, measure_trajectory, osteoplan plan).

Phantoms with the exit point known in closed form: a ball "body" on an oblique, anisotropic grid (a
needle through its centre leaves it one radius further on), a box body crossed through its anterior
face, and the vertebra phantom's elliptic body (tests/phantoms/vertebra.py). Membership is read at the
nearest voxel, so the mask's surface lies within half a voxel diagonal of the analytic surface.
Tolerance: one voxel, stated per test in mm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume, affine_from_geometry
from planning.antenna_body import (
    AntennaBodyCheck,
    antenna_beyond_body,
    antenna_beyond_body_warning,
    is_antenna_beyond_body_warning,
)
from planning.body_target import MIN_TIP_DEPTH_MM
from planning.plan_runner import run_plan
from planning.trajectory import TrajectoryGeometry, measure_trajectory
from tests.phantoms.vertebra import VertebraPhantom
from tests.planning.test_proposals import anatomy_from_truth

SPACING_MM = (1.0, 0.8, 0.7)  # slice, row, col
#: one voxel: the largest spacing, above the half voxel diagonal (0.74 mm) plus half a sampling step
TOL_MM = 1.0


def _grid(shape: tuple[int, int, int], yaw_deg: float) -> tuple[Volume, np.ndarray]:
    """An oblique grid (rotated about z by ``yaw_deg``) centred on the LPS origin, and its voxel centres."""
    a = math.radians(yaw_deg)
    direction = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    centre_index = (np.asarray(shape, dtype=np.float64) - 1) / 2.0
    m = affine_from_geometry((0.0, 0.0, 0.0), SPACING_MM, direction)
    i2l = affine_from_geometry(-(m[:3, :3] @ centre_index), SPACING_MM, direction)
    idx = np.indices(shape).reshape(3, -1).T
    volume = Volume(np.zeros(shape, dtype=np.int16), i2l)
    return volume, volume.index_to_lps_points(idx).reshape(*shape, 3)


def test_a_needle_through_a_ball_leaves_it_one_radius_past_the_centre() -> None:
    volume, pts = _grid((60, 70, 80), yaw_deg=23.0)
    centre = np.array([3.0, -2.0, 1.5])
    radius_mm = 14.0
    body = Mask.from_full(np.linalg.norm(pts - centre, axis=-1) <= radius_mm)
    rng = np.random.default_rng(7)
    for _ in range(6):
        d = rng.normal(size=3)
        d /= np.linalg.norm(d)
        tip = centre + 4.0 * d  # the access needle's tip inside the ball, 4 mm past its centre
        entry = tip - 45.0 * d
        geometry = TrajectoryGeometry(tuple(entry), tuple(tip))
        # antenna 20 mm on: its tip is 24 mm from the centre, 10 mm beyond the surface
        got = antenna_beyond_body(volume, body, geometry, 20.0)
        assert got.reaches_body and got.tip_outside
        assert got.beyond_mm == pytest.approx(24.0 - radius_mm, abs=TOL_MM)
        # a short antenna stays inside: nothing to say
        inside = antenna_beyond_body(volume, body, geometry, 5.0)
        assert inside == AntennaBodyCheck(True, None)


def test_anterior_face_of_a_box_oblique_needles() -> None:
    volume, pts = _grid((50, 80, 70), yaw_deg=0.0)
    # body: |x| <= 15, -20 <= y <= 10, |z| <= 12 (LPS mm); anterior face y = -20
    box = (np.abs(pts[..., 0]) <= 15.0) & (pts[..., 1] >= -20.0) & (pts[..., 1] <= 10.0)
    box &= np.abs(pts[..., 2]) <= 12.0
    body = Mask.from_full(box)
    for angle_deg in (0.0, 12.0, 25.0):  # from straight anterior (-y), towards the patient's left
        a = math.radians(angle_deg)
        d = np.array([math.sin(a), -math.cos(a), 0.0])
        tip = np.array([0.0, -12.0, 2.0])
        entry = tip - 50.0 * d
        ext_mm = 18.0
        geometry = TrajectoryGeometry(tuple(entry), tuple(tip))
        # the line meets the plane y = -20 this far past the tip
        to_face_mm = (-20.0 - tip[1]) / d[1]
        expected = ext_mm - to_face_mm
        got = antenna_beyond_body(volume, body, geometry, ext_mm)
        assert got.beyond_mm == pytest.approx(expected, abs=TOL_MM), angle_deg
        m = measure_trajectory(
            volume,
            geometry,
            outer_diameter_mm=2.41,
            needle_length_mm=150.0,
            antenna_extension_mm=ext_mm,
            antenna_outer_diameter_mm=1.6,
            body=body,
        )
        assert m.antenna_beyond_body_mm == pytest.approx(got.beyond_mm)
        said = [w for w in m.warnings if is_antenna_beyond_body_warning(w)]
        assert said == [antenna_beyond_body_warning(got.beyond_mm)]  # type: ignore[arg-type]
        assert f"{got.beyond_mm:.1f} mm beyond the body cortex" in said[0]
        assert "shorter antenna extension or a more posterior target" in said[0]
        # the same needle with an antenna short of the face: no such warning
        short = measure_trajectory(
            volume,
            geometry,
            outer_diameter_mm=2.41,
            needle_length_mm=150.0,
            antenna_extension_mm=to_face_mm - 2.0,
            antenna_outer_diameter_mm=1.6,
            body=body,
        )
        assert short.antenna_beyond_body_mm is None
        assert not any(is_antenna_beyond_body_warning(w) for w in short.warnings)


def test_a_needle_that_never_meets_the_body_says_nothing_and_bad_arguments_are_refused() -> None:
    volume, pts = _grid((40, 50, 50), yaw_deg=0.0)
    body = Mask.from_full(np.linalg.norm(pts, axis=-1) <= 8.0)
    geometry = TrajectoryGeometry((-15.0, 15.0, 0.0), (-15.0, 5.0, 0.0))  # passes 15 mm lateral of it
    assert antenna_beyond_body(volume, body, geometry, 15.0) == AntennaBodyCheck(False, None)
    with pytest.raises(ValueError, match="antenna_extension_mm"):
        antenna_beyond_body(volume, body, geometry, -1.0)
    other = Mask.from_full(np.ones((3, 3, 3), dtype=bool))
    with pytest.raises(ValueError, match='"body"'):
        antenna_beyond_body(volume, other, geometry, 15.0)


def _exit_along(phantom: VertebraPhantom, traj: dict[str, Any]) -> float:
    """Distance (mm) from a planned needle's tip to where its line leaves the elliptic body (side wall)."""
    a, b = phantom.body_semi_axes_mm
    t = np.asarray(traj["target_lps"]) - phantom.center_lps  # body frame (no yaw, no pitch)
    u = np.asarray(traj["target_lps"]) - np.asarray(traj["entry_lps"])
    u /= np.linalg.norm(u)
    qa = (u[0] / a) ** 2 + (u[1] / b) ** 2
    qb = 2.0 * (t[0] * u[0] / a**2 + t[1] * u[1] / b**2)
    qc = (t[0] / a) ** 2 + (t[1] / b) ** 2 - 1.0
    s_exit = (-qb + math.sqrt(qb * qb - 4.0 * qa * qc)) / (2.0 * qa)
    assert abs(t[2] + s_exit * u[2]) < phantom.body_height_mm / 2.0  # it leaves through the side wall
    return float(s_exit)


def _beyond_said(traj: dict[str, Any]) -> list[float]:
    said = [w for w in traj["warnings"] if is_antenna_beyond_body_warning(w)]
    return [float(w.split("the antenna tip lies ")[1].split(" mm")[0]) for w in said]


def test_osteoplan_plan_reports_it_once_for_the_needle_as_placed(
    phantom: VertebraPhantom, volume: Volume, use_anatomy: Callable[[VertebraAnatomy], None]
) -> None:
    use_anatomy(anatomy_from_truth(phantom, "L3"))
    a, b = phantom.body_semi_axes_mm
    x_local = 8.0
    tip_local = np.array([x_local, -8.0, 0.0])
    d_local = np.array([0.0, -1.0, 0.0])  # straight anterior in the body frame
    tip = phantom.to_lps(tip_local)
    d = phantom.to_lps(d_local) - phantom.to_lps(np.zeros(3))
    target = {
        "name": "L3",
        "lesion_seed_lps": phantom.lesion_center_lps.tolist(),
        "vertebra_lps": phantom.center_lps.tolist(),
    }
    base = {
        "targets": [target],
        "ablation": {"width_mm": 35, "length_mm": 37, "center_behind_tip_mm": 11.5},
        "margin_mm": 2,
    }
    manual = {"target": "L3", "entry_lps": (tip - 60.0 * d).tolist(), "target_lps": tip.tolist()}
    proposed = {"target": "L3", "approach": "transpedicular-left"}
    # a 15 mm antenna: the manual needle's tip leaves the body, said once; the proposal draws its needle
    # back so the antenna tip stays MIN_TIP_DEPTH_MM inside the body along its axis (and says so)
    out = run_plan(
        volume,
        {**base, "trajectories": [manual, proposed], "needle": {"gauge": 13, "antenna_extension_mm": 15.0}},
    ).to_json()
    y_exit = -b * math.sqrt(1.0 - (x_local / a) ** 2)  # the elliptic body's anterior surface at this x
    man, prop = out["trajectories"]
    assert _beyond_said(man) == [pytest.approx(y_exit - (tip_local[1] - 15.0), abs=1.0)]  # one voxel
    assert _beyond_said(prop) == []
    assert any("short of the anterior-middle third" in w for w in prop["warnings"])
    assert _exit_along(phantom, prop) - 15.0 == pytest.approx(MIN_TIP_DEPTH_MM, abs=1.0)
    # a 40 mm antenna cannot stay inside this body: the proposal and the needle as placed both see it,
    # the plan says it once, for the needle as placed
    out = run_plan(
        volume, {**base, "trajectories": [proposed], "needle": {"gauge": 13, "antenna_extension_mm": 40.0}}
    ).to_json()
    (prop,) = out["trajectories"]
    said = _beyond_said(prop)
    assert len(said) == 1, prop["warnings"]
    assert said[0] == pytest.approx(40.0 - _exit_along(phantom, prop), abs=1.0)
    assert not any("would lie" in w for w in prop["warnings"])
