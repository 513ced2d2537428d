"""The views along the needle mark the part of a needle or antenna outside the scanned image as the 2D and 3D
views do (session 31 marked it there, tests/app/test_needle_outside_image_drawn.py): a broken amber band with
a bar across it where the image ends (in-plane), a broken amber circle and 'outside the image' in the label
(probe's eye at a depth outside the image). On 0662c75 the in-plane view drew that part in the needle's own
colour over the black beyond the image, and the probe's eye its usual circle.

Phantom: conftest's marker volume, imaged out to x = +/-35 mm (the outer faces of its first and last
columns); needles in an axial plane; LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planning.commands import AddTrajectory
from planning.model import Approach, Trajectory
from tests.app.test_needle_outside_image_drawn import IMAGE_EDGE_X_MM, _amber
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    _slice_z,
    planning,
    pytestmark,
)
from tests.app.test_view_orientation import grab_grey


def _show(planning: Any, qtbot: Any, traj: Trajectory, window: Any) -> None:  # noqa: F811
    window.case.push(AddTrajectory(traj))
    planning.controller.select(traj.name)
    along = planning.docks["along"]
    along.show()
    along.raise_()
    for view in (planning.in_plane, planning.probe):
        view.resize(320, 320)
    qtbot.waitUntil(lambda: not planning.in_plane.visibleRegion().isEmpty(), timeout=3000)
    for view in (planning.in_plane, planning.probe):
        view.refresh()
    qtbot.wait(20)


def _amber_along(view: Any, start: np.ndarray, end: np.ndarray, x0: float, x1: float) -> tuple[int, int]:
    """(amber pixels, pixels looked at) within 1 px of the segment's projection in ``view`` for
    x0 < x < x1 mm."""
    amber = _amber(grab_grey(view))
    hits, seen = 0, 0
    for t in np.linspace(0.0, 1.0, 400):
        p = start + t * (end - start)
        if not x0 < p[0] < x1:
            continue
        w = view.lps_to_widget(p)
        r, c = round(w.y()), round(w.x())
        seen += 1
        hits += bool(amber[r - 1 : r + 2, c - 1 : c + 2].any())
    return hits, seen


def _probe_amber(planning: Any, qtbot: Any, depth_mm: float) -> int:  # noqa: F811
    """Amber pixels within 12 px of the needle's section in the probe's-eye view at ``depth_mm``."""
    probe = planning.probe
    planning.depth.setValue(round(depth_mm))
    qtbot.waitUntil(lambda: abs(probe.depth_mm - round(depth_mm)) < 1e-9, timeout=3000)
    probe.refresh()
    qtbot.wait(20)
    rgb = grab_grey(probe)
    c = probe.lps_to_widget(probe._frame[0])
    r0, c0 = round(c.y()), round(c.x())
    return int(_amber(rgb[r0 - 12 : r0 + 13, c0 - 12 : c0 + 13]).sum())


def test_in_plane_view_marks_the_needle_outside_the_image(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    entry, tip = np.array([IMAGE_EDGE_X_MM + 14.0, 10.0, z]), np.array([2.0, 2.0, z])
    _show(planning, qtbot, Trajectory("T1 needle 1", "T1", Approach.DIRECT, entry, tip), window)
    view = planning.in_plane
    assert view._frame is not None
    hits, seen = _amber_along(view, entry, tip, IMAGE_EDGE_X_MM + 1.0, IMAGE_EDGE_X_MM + 13.0)
    assert seen > 20 and hits > 0.4 * seen, (hits, seen)
    hits, seen = _amber_along(view, entry, tip, 5.0, IMAGE_EDGE_X_MM - 3.0)  # inside: the needle's colour
    assert seen > 50 and hits == 0, (hits, seen)
    # the band is broken: along the outside part some pixels of the needle's axis are not amber
    amber = _amber(grab_grey(view))
    on_axis = []
    for t in np.linspace(0.0, 1.0, 600):
        p = entry + t * (tip - entry)
        if IMAGE_EDGE_X_MM + 1.0 < p[0] < IMAGE_EDGE_X_MM + 13.0:
            w = view.lps_to_widget(p)
            on_axis.append(bool(amber[round(w.y()), round(w.x())]))
    assert 0 < sum(on_axis) < len(on_axis)
    # the bar across the needle where the image ends (the in-plane view: needle left to right)
    t_edge = (entry[0] - IMAGE_EDGE_X_MM) / (entry[0] - tip[0])
    edge = view.lps_to_widget(entry + t_edge * (tip - entry))
    half_band = 0.5 * 2.41 * view._rect().width() / view.fov_mm  # 13 G: 2.41 mm
    for side in (-1.0, 1.0):
        r = round(edge.y() + side * (half_band + 3.0))
        c = round(edge.x())
        assert amber[r - 1 : r + 2, c - 1 : c + 2].any(), side
    # probe's eye 5 mm under the entry (outside the image): a broken amber circle, said in the caption;
    # 30 mm under it (inside): the needle's cyan circle, no amber
    assert _probe_amber(planning, qtbot, 5.0) >= 4
    assert planning.probe.caption().endswith("(outside the image)")
    assert _probe_amber(planning, qtbot, 30.0) == 0
    assert "outside" not in planning.probe.caption()
    window.case.undo_stack.setClean()


def test_antenna_outside_the_image_in_plane_and_probe(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    # needle inside the image, its antenna 20 mm beyond the tip: about 12 mm of it beyond x = -35
    entry, tip = np.array([20.0, 0.0, z]), np.array([-23.0, 0.0, z])
    traj = Trajectory("T1 needle 1", "T1", Approach.DIRECT, entry, tip, antenna_extension_mm=20.0)
    _show(planning, qtbot, traj, window)
    m = planning.controller.metrics(window.case.case.trajectories[traj.name])
    assert m.outside_image_mm == 0.0 and m.antenna_outside_image_mm > 7.0
    antenna_tip = tip + np.array([-20.0, 0.0, 0.0])
    view = planning.in_plane
    hits, seen = _amber_along(view, tip, antenna_tip, -IMAGE_EDGE_X_MM - 7.0, -IMAGE_EDGE_X_MM - 1.0)
    assert seen > 50 and hits > 0.4 * seen, (hits, seen)
    # within the image the antenna is its own unbroken orange band (over grey the orange and the amber
    # mix alike: told apart by the break): every pixel on its axis is coloured; outside, some are black
    rgb = grab_grey(view).astype(int)

    def coloured_on_axis(x0: float, x1: float) -> list[bool]:
        out = []
        for t in np.linspace(0.0, 1.0, 600):
            p = tip + t * (antenna_tip - tip)
            if x0 < p[0] < x1:
                w = view.lps_to_widget(p)
                r, _g, b = rgb[round(w.y()), round(w.x())]
                out.append(bool(r > 150 and r - b > 100))
        return out

    inside = coloured_on_axis(-IMAGE_EDGE_X_MM + 1.0, tip[0] - 1.0)
    assert len(inside) > 50 and all(inside)
    outside = coloured_on_axis(-IMAGE_EDGE_X_MM - 7.0, -IMAGE_EDGE_X_MM - 1.0)
    assert len(outside) > 50 and 0 < sum(outside) < len(outside)
    hits, seen = _amber_along(view, entry, tip, tip[0] + 1.0, entry[0] - 1.0)  # the needle: none
    assert seen > 100 and hits == 0, (hits, seen)

    # probe's eye: the antenna's section 6 mm beyond the image's edge is a broken amber circle (over the
    # black beyond the image, where orange and amber differ); 5 mm beyond the tip, within the image, not
    # said to be outside
    planning.probe.resize(320, 320)
    assert _probe_amber(planning, qtbot, 43.0 + 14.0) >= 4
    assert planning.probe.caption().endswith("(outside the image)")
    _probe_amber(planning, qtbot, 48.0)
    assert "outside" not in planning.probe.caption()
    window.case.undo_stack.setClean()
