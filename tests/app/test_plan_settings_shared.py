"""What the window and ``osteoplan plan`` share: a case saved by the plan command, opened in the window,
shows the plan's least needle depth of a chosen direct route (Needles dock, editable, one undo step)
and the bone the spec stated (Scores dock); the window's Direct proposal then chooses the plan's route
for the same setting; and the Coverage dock, like the plan's warnings, says why it suggests nothing
for an uncovered rim below what the zone model resolves.

Phantom: the rib-like bar of tests/planning/test_direct_route_choice.py (1 mm grid: a lytic sphere of
radius 4 mm at the LPS origin in a bar under the front skin), written as NIfTI and planned through the
command line. Positions LPS mm; the same route means the same skin point and needle tip within 0.5 mm
(half a voxel).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from imaging.image_files import write_image
from tests.planning.test_direct_route_choice import _rib_phantom

#: the same route: skin point and needle tip within half a voxel (mm)
SAME_ROUTE_MM = 0.5
#: a least depth that rules out the default route here (its needle tip lies 10.5 mm deep; the planning
#: test tests/planning/test_plan_settings_spec.py checks that the two differ)
DEEPER_MM = 20.0


def _plan(tmp_path: Path, name: str, spec: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """``osteoplan plan`` on the phantom: its JSON and the case it saved."""
    from app.cli import main

    image = tmp_path / "rib.nii.gz"
    if not image.exists():
        write_image(_rib_phantom()[0], image)
    (tmp_path / f"{name}.json").write_text(json.dumps(spec), encoding="utf-8")
    case = tmp_path / f"{name}.osteoplan"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["plan", str(image), "--spec", str(tmp_path / f"{name}.json"), "--out", str(case), "--json"]
        )
    assert code == 0
    return json.loads(out.getvalue()), case


def _spec(trajectory: dict[str, Any], ablation: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "targets": [{"name": "rib", "lesion_seed_lps": [0.0, 0.0, 0.0], "bone": "rib or other bone"}],
        "trajectories": [trajectory],
        "needle": {"gauge": 11, "antenna_extension_mm": 15},
        "ablation": ablation,
        **top,
    }


def _open(window: Any, qtbot: Any, case: Path) -> Any:
    window.open_path(case)
    qtbot.waitUntil(lambda: window.state.display is not None and not window.opener.is_busy(), timeout=30000)
    qtbot.waitUntil(lambda: "rib" in window.case.case.targets, timeout=30000)
    return window.planning_ui


def _propose_direct_in_the_lesion(window: Any, ui: Any, template: str) -> Any:
    """Direct with the plan's needle (its device) selected and the crosshair in the lesion: the window
    chooses the route itself. The needle it added."""
    before = set(window.case.case.trajectories)
    ui.controller.select(template)
    window.state.set_crosshair((0.0, 0.0, 0.0))
    ui.trajectory_panel.propose("direct")
    added = [n for n in window.case.case.trajectories if n not in before]
    assert len(added) == 1, window.statusBar().currentMessage()
    return window.case.case.trajectories[added[0]]


def _same_route(entry_lps: Any, tip_lps: Any, planned: dict[str, Any]) -> bool:
    """The same skin point and needle tip as the plan's trajectory, within ``SAME_ROUTE_MM``."""
    return bool(
        np.linalg.norm(np.subtract(entry_lps, planned["entry_lps"])) <= SAME_ROUTE_MM
        and np.linalg.norm(np.subtract(tip_lps, planned["target_lps"])) <= SAME_ROUTE_MM
    )


def test_the_window_and_the_plan_choose_the_same_direct_route_for_the_same_least_depth(
    window: Any, qtbot: Any, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    """The old window always kept the needle tip 10 mm deep, showed no setting, and the plan command
    ignored the spec's key; the case kept no bone from the spec."""
    direct = {"target": "rib", "approach": "direct"}
    device = {"profile": "Emprint 75 W 5 min"}
    default_out, _ = _plan(tmp_path, "default", _spec(direct, device))
    deeper_out, case = _plan(tmp_path, "deeper", _spec(direct, device, min_needle_depth_mm=DEEPER_MM))
    default_route, deeper_route = default_out["trajectories"][0], deeper_out["trajectories"][0]
    # the setting changes the route here
    assert not _same_route(default_route["entry_lps"], default_route["target_lps"], deeper_route)

    ui = _open(window, qtbot, case)
    panel = ui.trajectory_panel
    assert window.case.case.settings.min_needle_depth_mm == DEEPER_MM
    assert panel.min_depth.value() == DEEPER_MM
    assert "tissue holds the needle" in panel.min_depth.toolTip()
    # the Scores dock shows the bone the spec stated, and scores by it
    ui.controller.select_target("rib")
    scores = ui.scores_panel
    scores.refresh()
    assert scores.bone.isVisibleTo(scores) and scores.bone.currentData() == "rib or other bone"
    assert scores.title.text() == "rib: no score"

    planned_needle = next(iter(window.case.case.trajectories))
    first = _propose_direct_in_the_lesion(window, ui, planned_needle)
    assert _same_route(first.entry_lps, first.target_lps, deeper_route), (first.entry_lps, deeper_route)

    # the operator lowers it to the default: one undo step, and the window takes the plan's default route
    undo_before = window.case.undo_stack.index()
    panel.min_depth.setValue(10.0)
    assert window.case.case.settings.min_needle_depth_mm == 10.0
    assert window.case.undo_stack.index() == undo_before + 1
    second = _propose_direct_in_the_lesion(window, ui, planned_needle)
    assert _same_route(second.entry_lps, second.target_lps, default_route), (second.entry_lps, default_route)
    window.case.undo_stack.undo()  # the proposal
    window.case.undo_stack.undo()  # the setting
    assert window.case.case.settings.min_needle_depth_mm == DEEPER_MM
    assert panel.min_depth.value() == DEEPER_MM


def test_the_coverage_dock_says_why_it_suggests_nothing_for_a_rim_as_the_plan_does(
    window: Any, qtbot: Any, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    """A 16 x 35 mm zone 2.75 mm off the lesion leaves a rim under one voxel deep (the planning test
    tests/planning/test_coverage_remainder.py measures it): the old dock offered a further needle."""
    tip_y = 11.5 - 15.0  # the zone's centre at y = 0: the needle travels +y
    points = {"target": "rib", "entry_lps": [0.0, tip_y - 40.0, 2.75], "target_lps": [0.0, tip_y, 2.75]}
    custom = {"width_mm": 16, "length_mm": 35, "center_behind_tip_mm": 11.5}
    out, case = _plan(tmp_path, "rim", _spec(points, custom))
    said = [w for w in out["targets"][0]["warnings"] if "below what the zone model resolves" in w]
    assert len(said) == 1 and out["targets"][0]["suggestions"] == []

    ui = _open(window, qtbot, case)
    ui.controller.select(next(iter(window.case.case.trajectories)))
    panel = ui.coverage_panel
    panel.recompute()
    assert panel.result is not None and panel.result.covered_percent < 99.0
    assert panel.suggestions == []
    items = [panel.suggestion_list.item(i) for i in range(panel.suggestion_list.count())]
    assert [i.text() for i in items] == [said[0][0].upper() + said[0][1:]]
    assert items[0].flags() == Qt.ItemFlag.NoItemFlags  # a reason, not a suggestion to apply
    assert not panel.apply_button.isEnabled()
