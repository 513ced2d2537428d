"""The part of a needle outside the scanned image is marked on the 2D views and in 3D (QA s30 D row 8, s30 G
left).

On ab7d7e8 only the Needles dock said that part of the needle lay outside the image; the views drew it as
the rest of the needle, over the black band beside the image. Now it is a broken amber band on the 2D
views, with a bar across the needle where the image ends, and amber dashes in 3D. Phantom: conftest's
marker volume, imaged out to x = +35 mm (the outer face of its last column); a needle in the axial plane
from an entry 12 mm beyond that face to a tip near the origin; LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.display_geometry import ViewAxis
from planning.commands import AddTrajectory
from planning.model import Approach, Trajectory
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    _slice_z,
    planning,
    pytestmark,
)
from tests.app.test_view3d import image_rgb
from tests.app.test_view_orientation import grab_grey

IMAGE_EDGE_X_MM = 35.0


def _amber(rgb: np.ndarray) -> np.ndarray:
    """Pixels of the outside-image amber (#ffb347, over any background): red high, green about 0.7 of it,
    blue about 0.28 of it (the antenna's orange #ff9f1c has blue at 0.11 of red, the needles none)."""
    r, g, b = (rgb[..., k].astype(float) for k in range(3))
    red = np.maximum(r, 1.0)
    return (r > 120) & (g / red > 0.55) & (g / red < 0.85) & (b / red > 0.18) & (b / red < 0.45)


def _needle(z: float, antenna_mm: float = 15.0) -> Trajectory:
    return Trajectory(
        "T1 needle 1",
        "T1",
        Approach.DIRECT,
        (IMAGE_EDGE_X_MM + 12.0, 10.0, z),
        (2.0, 2.0, z),
        antenna_extension_mm=antenna_mm,
    )


def test_the_part_outside_the_image_is_broken_amber_on_the_axial_view(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    z = _slice_z(window, 0.0)
    window.state.set_crosshair((0.0, -20.0, z))
    axial = window.views[ViewAxis.AXIAL]
    axial.zoom = 0.6  # zoomed out to show the black band beside the image
    axial.update()
    traj = _needle(z)
    window.case.push(AddTrajectory(traj))
    m = planning.controller.metrics(window.case.case.trajectories[traj.name])
    assert m.outside_image_mm > 11.0 and m.antenna_outside_image_mm == 0.0
    qtbot.wait(30)
    rgb = grab_grey(axial)
    amber = _amber(rgb)
    entry, tip = np.asarray(traj.entry_lps), np.asarray(traj.target_lps)

    def amber_along(x0: float, x1: float) -> tuple[int, int]:
        """(amber pixels, pixels looked at) within 1 px of the needle's projection for x0 < x < x1 mm."""
        hits, seen = 0, 0
        for t in np.linspace(0.0, 1.0, 400):
            p = entry + t * (tip - entry)
            if not x0 < p[0] < x1:
                continue
            w = axial.lps_to_widget(p)
            r, c = round(w.y()), round(w.x())
            seen += 1
            hits += bool(amber[r - 1 : r + 2, c - 1 : c + 2].any())
        return hits, seen

    hits, seen = amber_along(IMAGE_EDGE_X_MM + 1.0, IMAGE_EDGE_X_MM + 11.0)  # outside the image
    assert seen > 20 and hits > 0.4 * seen, (hits, seen)
    hits, seen = amber_along(5.0, IMAGE_EDGE_X_MM - 3.0)  # inside: the needle's own colour
    assert seen > 50 and hits == 0, (hits, seen)
    # the bar across the needle where the image ends
    t_edge = (entry[0] - IMAGE_EDGE_X_MM) / (entry[0] - tip[0])
    edge = axial.lps_to_widget(entry + t_edge * (tip - entry))
    d = np.array([tip[1] - entry[1], -(tip[0] - entry[0])])  # across the needle (screen x right, y down)
    d /= np.linalg.norm(d)
    for side in (-5.0, 5.0):
        c, r = round(edge.x() + side * d[0]), round(edge.y() + side * d[1])
        assert amber[r - 1 : r + 2, c - 1 : c + 2].any(), side
    # the needle moved into the image: no amber left on its way
    window.case.undo_stack.undo()
    window.case.push(
        AddTrajectory(Trajectory(traj.name, "T1", Approach.DIRECT, (30.0, 10.0, z), traj.target_lps))
    )
    qtbot.wait(30)
    assert planning.controller.metrics(window.case.case.trajectories[traj.name]).outside_image_mm == 0.0
    amber = _amber(grab_grey(axial))
    entry = np.array([30.0, 10.0, z])
    hits, seen = amber_along(5.0, 29.0)
    assert seen > 50 and hits == 0
    window.case.undo_stack.setClean()


def test_the_part_outside_the_image_is_in_amber_dashes_in_3d(
    window3d: Any, qtbot: Any, no_dialogs: Any
) -> None:
    from app.planning_ui.needle_views import OUTSIDE_IMAGE_RGB
    from planning.commands import AddTarget
    from planning.model import Target, TargetKind
    from tests.app.conftest import marker_volume

    win = window3d
    ui = win.planning_ui
    view = win.view3d
    win.opener.show_volume(marker_volume(np.eye(3)))
    view.wait_for_surface()
    win.case.push(AddTarget(Target("T1", kind=TargetKind.EXTRASPINAL)))
    win.case.push(AddTrajectory(_needle(0.0, antenna_mm=0.0)))
    qtbot.wait(50)
    dashes = [a for a in ui.actors3d.actors if a.GetProperty().GetColor() == OUTSIDE_IMAGE_RGB]
    assert len(dashes) == 3  # 12 mm outside: dashes of 3 mm every 5 mm
    assert all(a.GetBounds()[0] >= IMAGE_EDGE_X_MM - 1.3 for a in dashes)  # beyond the image (radius 1.2)
    win.state.set_crosshair((IMAGE_EDGE_X_MM, 8.0, 0.0))
    view.centre_on_crosshair()
    qtbot.wait(50)
    seen = int(_amber(image_rgb(view.grab_image())).sum())
    assert seen > 30, seen
    win.case.undo_stack.setClean()
