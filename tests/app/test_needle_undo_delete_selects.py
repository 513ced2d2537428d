"""A needle that Undo brings back (its deletion taken back) or Redo places again is the selected needle (QA
s32 B): on bfba0dd it came back unselected, the Needles readouts read "–", both views along the needle said
"Select a needle", and a following Propose copied nothing from it (default gauge, antenna and no device).

Phantom: test_planning_ui_direct's soft-tissue body with a bone block holding a lytic sphere at the origin;
needles proposed Direct with the crosshair in the lesion. Positions LPS mm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from planning.commands import UpdateTrajectory
from planning.model import AblationSpec
from tests.app.test_planning_ui_direct import _propose, planning, pytestmark  # noqa: F401  (fixture)
from tests.app.test_view_orientation import grab_grey

#: the needle's cyan (#00e5ff) in the in-plane view: red low, green and blue high
CYAN_MIN_PIXELS = 20


def _cyan_pixels(view: Any) -> int:
    rgb = grab_grey(view).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(np.count_nonzero((r < 90) & (g > 150) & (b > 180)))


def _show_along(planning: Any, qtbot: Any) -> None:  # noqa: F811
    along = planning.docks["along"]
    along.show()
    along.raise_()
    qtbot.waitUntil(lambda: not planning.in_plane.visibleRegion().isEmpty(), timeout=3000)
    planning.in_plane.refresh()
    qtbot.wait(20)


def test_undo_of_a_delete_selects_the_needle_and_the_next_proposal_copies_it(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    c = planning.controller
    traj, _ = _propose(window, planning, (1.0, 0.0, 0.0))
    profile = next(iter(c.profiles()))
    chosen = replace(traj, needle_gauge=11, antenna_extension_mm=20.0, ablation=AblationSpec(profile=profile))
    window.case.push(UpdateTrajectory(traj.name, chosen, previous=traj))
    assert c.selected == traj.name
    planning.plan_actions.delete_selected()
    assert c.selected is None and traj.name not in window.case.case.trajectories
    _show_along(planning, qtbot)
    assert _cyan_pixels(planning.in_plane) == 0  # "Select a needle": no needle drawn

    window.case.undo_stack.undo()
    qtbot.wait(20)
    assert c.selected == traj.name
    panel = planning.trajectory_panel
    assert panel.list.currentItem() is not None and panel.list.currentItem().text() == traj.name
    assert panel.readouts["length"].text().endswith(" mm")
    assert panel.gauge.currentData() == 11
    _show_along(planning, qtbot)
    assert _cyan_pixels(planning.in_plane) >= CYAN_MIN_PIXELS  # the needle drawn along itself

    # the next proposal takes the restored needle's choices (the proposer copies the selected needle)
    second, _ = _propose(window, planning, (1.0, 0.0, 0.0))
    assert second.name != traj.name
    assert (second.needle_gauge, second.antenna_extension_mm, second.ablation.profile) == (11, 20.0, profile)

    # Redo of a placing brings the needle back selected too; Undo of it leaves nothing selected
    window.case.undo_stack.undo()
    assert second.name not in window.case.case.trajectories and c.selected is None
    c.select(None)
    window.case.undo_stack.redo()
    assert c.selected == second.name
    window.case.undo_stack.setClean()


def test_a_step_that_only_changes_a_needle_leaves_the_selection_alone(
    planning: Any,  # noqa: F811
    window: Any,
) -> None:
    """Only a needle brought back is taken in hand: undoing a change of another needle keeps the selection."""
    c = planning.controller
    first, _ = _propose(window, planning, (1.0, 0.0, 0.0))
    second, _ = _propose(window, planning, (1.0, 0.0, 0.0))
    window.case.push(UpdateTrajectory(first.name, replace(first, needle_gauge=11), previous=first))
    c.select(second.name)
    window.case.undo_stack.undo()
    assert window.case.case.trajectories[first.name].needle_gauge == first.needle_gauge
    assert c.selected == second.name
    window.case.undo_stack.setClean()
