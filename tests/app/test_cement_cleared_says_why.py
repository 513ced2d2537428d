"""The Cement and risk dock says why its figures went, and how to get them back (QA s30 D row 7).

On bc468dd, after Undo / Redo of a needle change the dock showed "–" and an empty amber risk line until
recomputed, with no word why; a needle moved since the figures were computed left them standing. Now
the figures go whenever what they were computed from changes (undo and redo included), the dock says
so and names the button and its key, and selecting the other needle of the same target keeps them.
Phantom: conftest's marker volume with a lytic ellipsoid lesion in a bone at the origin, an extraspinal
target and two needles from the back (tests/app/test_coverage_suggestions_ui.py); LPS mm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.loading import wait_until
from planning.commands import AddTarget, UpdateTrajectory
from planning.model import Target, TargetKind
from tests.app.test_coverage_suggestions_ui import (  # noqa: F401  (fixture, gui marker)
    _add_case,
    planning,
    pytestmark,
)
from tests.app.test_needle_angle_words import _bright_pixels

CLEARED = (
    "Cement and risk of T1 cleared: the plan changed since they were computed (its needles). "
    "Press Compute cement and risk (Ctrl+Shift+C) to compute them again."
)


def _compute(panel: Any) -> None:
    panel.compute()
    assert wait_until(lambda: panel.analysis is not None or panel.estimate.text().startswith("Not"), 60000)
    assert panel.analysis is not None, panel.estimate.text()
    assert panel.estimate.text().startswith("Cement ")
    assert panel.risk.text().startswith("Leakage risk: ")


def test_undo_and_redo_of_a_needle_change_say_why_the_figures_went(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
) -> None:
    _add_case(window, TargetKind.EXTRASPINAL)
    first, second = "T1 needle 1", "T1 needle 2"
    c = planning.controller
    c.select(first)
    panel = planning.cement_panel
    planning.docks["cement"].raise_()
    _compute(panel)
    # another needle of the same target: nothing the figures depend on changed, they stay
    c.select(second)
    qtbot.wait(20)
    assert panel.analysis is not None and panel.risk.text().startswith("Leakage risk: ")
    # a needle changed (its gauge), then the change undone and redone: each time the dock says why
    t = window.case.case.trajectories[first]
    window.case.push(UpdateTrajectory(first, replace(t, needle_gauge=11)))
    stack = window.case.undo_stack
    for step in ("change", stack.undo, stack.redo):
        if callable(step):
            _compute(panel)
            step()
        qtbot.wait(20)
        assert panel.analysis is None
        assert panel.estimate.text() == CLEARED, step
        assert panel.risk.text() == "" and panel.risk.styleSheet() == ""  # no empty amber line
        assert panel.zone_list.count() == 0 and panel.protocol.text() == ""
    assert panel.estimate.isVisible()
    assert _bright_pixels(panel.estimate) > 50  # the sentence is drawn
    # recomputed, then another target added (T1's figures stay) and selected: its dock is empty
    _compute(panel)
    window.case.push(AddTarget(Target("T2", kind=TargetKind.EXTRASPINAL, lesion_seed_lps=(0.0, -30.0, 0.0))))
    qtbot.wait(20)
    assert panel.analysis is not None
    c.select_target("T2")
    qtbot.wait(20)
    assert panel.analysis is None and panel.estimate.text() == "–" and panel.risk.text() == ""
    stack.setClean()
