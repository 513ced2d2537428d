"""Needle readouts that survive a reopen, and the antenna-beyond-the-body warning in the Readouts box.

The vertebra phantom (tests/phantoms/vertebra.py, 1 mm grid, padded with air so it has a skin). For the
reopen, it is written as a DICOM series and opened through the real loader; the vertebra is found by
the real anatomy engine (no anatomy injected), the Propose bilateral button adds the needles, the case
is saved and opened in a second window: the readouts of each needle must read the same text there,
without proposing again. For the antenna, the phantom's body is a layer and a needle is moved so that
its antenna tip leaves the body's anterior surface (an ellipse, known in closed form). Positions LPS
mm; tolerance one voxel (1 mm).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from app.loading import wait_until
from imaging.mask import Mask
from planning.antenna_body import is_antenna_beyond_body_warning
from planning.commands import (
    AddLayer,
    AddTarget,
    AddTrajectory,
    MoveTrajectoryEntry,
    MoveTrajectoryTarget,
    UpdateTrajectory,
)
from planning.model import Approach, LayerKind, MaskLayer, Target, TargetKind, Trajectory
from planning.proposals import approach_side
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom
from tests.planning.test_proposals import PAD, padded

dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")

LEVEL = "L3"


@pytest.fixture(scope="module")
def phantom() -> VertebraPhantom:
    return make_vertebra_phantom(lesion=(-6.0, -3.0, 0.0, 6.0), seed=5)


def _padded_mask(full: np.ndarray) -> Mask:
    return Mask.from_full(np.pad(full, PAD))


def _target(phantom: VertebraPhantom) -> Target:
    return Target(
        "V",
        kind=TargetKind.SPINE,
        level=LEVEL,
        lesion_seed_lps=tuple(float(v) for v in phantom.lesion_center_lps),  # type: ignore[arg-type]
        vertebra_lps=tuple(float(v) for v in phantom.center_lps),  # type: ignore[arg-type]
        lesion_layer="V lesion",
        lesion_type="lytic",
    )


def _texts(ui: object, name: str) -> dict[str, str]:
    """Every readout of needle ``name`` as shown, and its warnings."""
    ui.controller.select(name)  # type: ignore[attr-defined]
    panel = ui.trajectory_panel  # type: ignore[attr-defined]
    panel.refresh()
    out = {key: label.text() for key, label in panel.readouts.items()}
    out["warnings"] = panel.warnings.text()
    return out


def _save_and_reopen(
    window: object, qtbot: object, settings: object, tmp_path: Path, target: str
) -> dict[str, dict[str, str]]:
    """Save the window's case, open it in a second window, wait for the target's vertebra there (found
    again in the background, the readout saying so meanwhile); the readouts of every needle there."""
    from app.main_window import MainWindow

    names = list(window.case.case.trajectories)  # type: ignore[attr-defined]
    path = tmp_path / "plan.osteoplan"
    assert window.case.save_to(path)  # type: ignore[attr-defined]
    other = MainWindow(enable_3d=False, settings=settings)  # type: ignore[arg-type]
    qtbot.addWidget(other)  # type: ignore[attr-defined]
    other.open_path(path)
    qtbot.waitUntil(lambda: other.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    c = other.planning_ui.controller  # type: ignore[attr-defined]
    assert list(other.case.case.trajectories) == names
    assert c.anatomy(target) is not None or c.anatomy_pending(target)
    if c.anatomy(target) is None:
        assert _texts(other.planning_ui, names[0])["pedicle"] == "finding the vertebra…"  # type: ignore[attr-defined]
    assert wait_until(lambda: c.anatomy(target) is not None, 60000)
    after = {name: _texts(other.planning_ui, name) for name in names}  # type: ignore[attr-defined]
    assert not other.case.is_modified()  # finding the anatomy changed nothing in the case
    other.case.undo_stack.setClean()
    return after


def _assert_pedicle_figures(shown: dict[str, str]) -> None:
    """The figures the reopen must bring back are there to compare."""
    assert re.match(r"[\d.]+ mm \(±[\d.]+ mm on this scan\) vs needle 2\.41 mm", shown["pedicle"]), shown
    assert re.match(r"-?[\d.]+ mm", shown["clearance"]), shown
    assert re.match(r"-?[\d.]+ mm", shown["canal"]), shown


def test_reopened_case_shows_the_same_pedicle_readouts(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    no_dialogs: list[tuple[str, str]],
    phantom: VertebraPhantom,
) -> None:
    dicom_writer.write_dicom_series(padded(phantom), tmp_path / "ct")
    window.open_path(tmp_path / "ct")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    ui = window.planning_ui  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    case.push(AddLayer(MaskLayer.new("V lesion", LayerKind.LESION, _padded_mask(phantom.lesion_mask))))
    case.push(AddLayer(MaskLayer.new("V canal", LayerKind.CANAL, _padded_mask(phantom.canal_mask))))
    case.push(AddTarget(_target(phantom)))
    ui.controller.select_target("V")
    ui.trajectory_panel.propose("bilateral")
    assert wait_until(lambda: len(case.case.trajectories) == 2, 60000), no_dialogs
    names = list(case.case.trajectories)
    # the first needle moved sideways towards the midline by its room in the pedicle plus 1.5 mm (entry
    # and tip together, so the move at the isthmus is that much whatever the tip's depth): a breach
    first = case.case.trajectories[names[0]]
    towards_mid = float(np.sign(phantom.center_lps[0] - first.entry_lps[0]))
    room_mm = (phantom.pedicles[approach_side(first.approach)].min_width_mm - 2.41) / 2.0
    shift = np.array([(room_mm + 1.5) * towards_mid, 0.0, 0.0])
    case.push(MoveTrajectoryEntry(names[0], tuple(float(v) for v in np.asarray(first.entry_lps) + shift)))
    case.push(MoveTrajectoryTarget(names[0], tuple(float(v) for v in np.asarray(first.target_lps) + shift)))
    before = {name: _texts(ui, name) for name in names}
    assert before[names[0]]["clearance"].endswith("wall)")  # a breach, its side shown
    for shown in before.values():
        _assert_pedicle_figures(shown)
    assert _save_and_reopen(window, qtbot, settings, tmp_path, "V") == before


#: a thoracic body click in chest-ct-dicom (tests/planning/test_proposals.py CHEST_BODIES: T9)
CHEST_T9_LPS = (-10.0, 122.0, -68.0)


@pytest.mark.realdata
def test_reopened_real_chest_case_shows_the_same_readouts(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    no_dialogs: list[tuple[str, str]],
    shared_data: Path,
) -> None:
    window.open_path(shared_data / "chest-ct-dicom")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=60000)  # type: ignore[attr-defined]
    ui = window.planning_ui  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    case.push(AddTarget(Target("T9", kind=TargetKind.SPINE, level="T9", vertebra_lps=CHEST_T9_LPS)))
    ui.controller.select_target("T9")
    ui.trajectory_panel.propose("bilateral")
    assert wait_until(lambda: len(case.case.trajectories) >= 2, 60000), no_dialogs
    names = list(case.case.trajectories)
    before = {name: _texts(ui, name) for name in names}
    traced = [shown for shown in before.values() if "not traced" not in shown["pedicle"]]
    assert traced, before  # at least one pedicle traced, so there are figures to bring back
    for shown in traced:
        assert re.match(r"[\d.]+ mm \(±[\d.]+ mm on this scan\) vs needle 2\.41 mm", shown["pedicle"]), shown
        assert re.match(r"-?[\d.]+ mm", shown["clearance"]), shown
    assert _save_and_reopen(window, qtbot, settings, tmp_path, "T9") == before


def test_readouts_warn_once_the_moved_needle_carries_its_antenna_out_of_the_body(
    window: object, qtbot: object, no_dialogs: list[tuple[str, str]], phantom: VertebraPhantom
) -> None:
    ui = window.planning_ui  # type: ignore[attr-defined]
    window.opener.show_volume(padded(phantom))  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    case.push(AddLayer(MaskLayer.new("V lesion", LayerKind.LESION, _padded_mask(phantom.lesion_mask))))
    case.push(AddLayer(MaskLayer.new("V body", LayerKind.BODY, _padded_mask(phantom.body_mask))))
    case.push(AddTarget(_target(phantom)))
    # a needle straight anterior (body frame), tip 4 mm in front of the body centre, 8 mm left of it
    a, b = phantom.body_semi_axes_mm
    x_local = 8.0
    d = phantom.to_lps([0.0, -1.0, 0.0]) - phantom.to_lps([0.0, 0.0, 0.0])
    tip = phantom.to_lps([x_local, -4.0, 0.0])
    ext_mm = 10.0
    name = "V needle 1"
    case.push(
        AddTrajectory(
            Trajectory(
                name,
                "V",
                Approach.DIRECT,
                tuple(float(v) for v in tip - 55.0 * d),  # type: ignore[arg-type]
                tuple(float(v) for v in tip),  # type: ignore[arg-type]
                antenna_extension_mm=ext_mm,
            )
        )
    )
    ui.controller.select(name)
    panel = ui.trajectory_panel
    y_exit = -b * math.sqrt(1.0 - (x_local / a) ** 2)  # the body's anterior surface at this x (local)

    def beyond_shown() -> float | None:
        panel.refresh()
        said = [
            w for w in panel.warnings.text().split("\n") if is_antenna_beyond_body_warning(w.lstrip("⚠ "))
        ]
        if not said:
            return None
        assert len(said) == 1
        return float(re.search(r"lies ([\d.]+) mm beyond", said[0]).group(1))  # type: ignore[union-attr]

    # antenna tip at local y = -14 mm: inside the body (its surface is at y = -14.9 mm here)
    assert beyond_shown() is None
    # move the tip 6 mm further anterior, as a drag does: the antenna tip now lies at y = -20 mm
    new_tip = phantom.to_lps([x_local, -10.0, 0.0])
    case.push(
        MoveTrajectoryTarget(name, tuple(float(v) for v in new_tip), drag_id=ui.controller.new_drag_id())
    )
    got = beyond_shown()
    assert got is not None
    assert got == pytest.approx(y_exit - (-10.0 - ext_mm), abs=1.0)
    assert "shorter antenna extension or a more posterior target" in panel.warnings.text()
    # a shorter antenna (3 mm: its tip at y = -13 mm) clears it; undo brings the warning back
    traj = case.case.trajectories[name]
    case.push(UpdateTrajectory(name, _with_extension(traj, 3.0)))
    assert beyond_shown() is None
    case.undo_stack.undo()
    assert beyond_shown() == pytest.approx(got, abs=1e-9)
    case.undo_stack.undo()  # the move
    assert beyond_shown() is None


def _with_extension(traj: Trajectory, ext_mm: float) -> Trajectory:
    from dataclasses import replace

    return replace(traj, antenna_extension_mm=ext_mm)
