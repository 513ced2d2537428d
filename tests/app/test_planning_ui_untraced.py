"""Needle proposals in the GUI on a vertebra whose left pedicle was not traced (issue 5).

The vertebra phantom (tests/phantoms/vertebra.py, 1 mm grid, surrounded by air so it has a skin) with
its truth as the anatomy, the left pedicle removed: Propose left / bilateral must add the route built
from the body and canal (transcostovertebral at the thoracic level given), flagged, with its warnings in
the status bar and the panel, all needles of one proposal in one undo step; a narrow right pedicle keeps
its transpedicular needle plus the alternative. Positions LPS mm; tolerance one voxel (1 mm).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.vertebra_model import Side, VertebraAnatomy
from planning.commands import AddLayer, AddTarget
from planning.model import LayerKind, MaskLayer, Target, TargetKind
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom
from tests.planning.test_proposals import PAD, anatomy_from_truth, padded

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

LEVEL = "T9"  # thoracic: the untraced side's route is transcostovertebral (planning.proposals)


@pytest.fixture(scope="module")
def phantom() -> VertebraPhantom:
    return make_vertebra_phantom(lesion=(0.0, -4.0, 0.0, 6.0), seed=3)


def _left_untraced(phantom: VertebraPhantom) -> VertebraAnatomy:
    full = anatomy_from_truth(phantom, LEVEL)
    return dataclasses.replace(full, pedicles={Side.RIGHT: full.pedicles[Side.RIGHT]})


def _padded_mask(full: np.ndarray) -> Mask:
    return Mask.from_full(np.pad(full, PAD))


def _open(window: object, phantom: VertebraPhantom, anatomy: VertebraAnatomy) -> object:
    """The padded phantom open, lesion and canal layers, a spinal target at LEVEL with ``anatomy``."""
    ui = getattr(window, "planning_ui", None)
    if ui is None:
        from app.planning_ui import install

        ui = install(window)  # type: ignore[arg-type]
    window.opener.show_volume(padded(phantom))  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    case.push(AddLayer(MaskLayer.new("V lesion", LayerKind.LESION, _padded_mask(phantom.lesion_mask))))
    case.push(AddLayer(MaskLayer.new("V canal", LayerKind.CANAL, _padded_mask(phantom.canal_mask))))
    case.push(
        AddTarget(
            Target(
                "V",
                kind=TargetKind.SPINE,
                level=LEVEL,
                lesion_seed_lps=tuple(float(v) for v in phantom.lesion_center_lps),  # type: ignore[arg-type]
                vertebra_lps=tuple(float(v) for v in phantom.center_lps),  # type: ignore[arg-type]
                lesion_layer="V lesion",
                lesion_type="lytic",
            )
        )
    )
    ui.controller.select_target("V")  # type: ignore[attr-defined]
    ui.controller.set_anatomy("V", anatomy)  # type: ignore[attr-defined]
    assert ui.controller.anatomy("V") is anatomy  # type: ignore[attr-defined]
    return ui


def test_bilateral_adds_the_untraced_route_flagged_in_one_undo_step(
    window: object, qtbot: object, no_dialogs: object, phantom: VertebraPhantom
) -> None:
    ui = _open(window, phantom, _left_untraced(phantom))
    case = window.case  # type: ignore[attr-defined]
    stack = case.undo_stack
    before = stack.count()
    ui.trajectory_panel.propose("bilateral")  # type: ignore[attr-defined]
    trajs = {t.approach.value: t for t in case.case.trajectories.values()}
    assert sorted(trajs) == ["transcostovertebral-left", "transpedicular-right"]
    assert stack.count() == before + 1  # one macro
    left, right = trajs["transcostovertebral-left"], trajs["transpedicular-right"]
    assert left.extra.get("pedicle_traced") is False and "pedicle_traced" not in right.extra
    # the untraced route: tip on the body's midline at the anterior-middle third, entry on the left
    _, b = phantom.body_semi_axes_mm
    np.testing.assert_allclose(left.target_lps, phantom.to_lps(np.array([0.0, -b / 3.0, 0.0])), atol=1.0)
    assert left.entry_lps[0] > phantom.center_lps[0]
    # its warnings in the status bar, naming the needle
    message = window.statusBar().currentMessage()  # type: ignore[attr-defined]
    assert f"{left.name}: transcostovertebral-left proposed, its pedicle not traced" in message
    assert "left pedicle not traced" in message and "must check" in message
    # and in the panel while that needle is selected (not for the traced one)
    panel = ui.trajectory_panel  # type: ignore[attr-defined]
    ui.controller.select(left.name)  # type: ignore[attr-defined]
    assert "Left pedicle not traced" in panel.warnings.text()
    assert panel.readouts["pedicle"].text().startswith("not traced")
    ui.controller.select(right.name)  # type: ignore[attr-defined]
    assert "not traced" not in panel.warnings.text()
    assert panel.readouts["pedicle"].text().startswith("8.0 mm")  # the phantom's isthmus width
    # undo removes both needles in one step; redo brings both back
    stack.undo()
    assert not case.case.trajectories
    stack.redo()
    assert sorted(t.approach.value for t in case.case.trajectories.values()) == sorted(trajs)


def test_left_alone_and_a_narrow_right_pedicle(
    window: object, qtbot: object, no_dialogs: object, phantom: VertebraPhantom
) -> None:
    anatomy = _left_untraced(phantom)
    narrow = dataclasses.replace(anatomy.pedicles[Side.RIGHT], min_width_mm=2.0)  # under 2.41 + 1 mm
    ui = _open(window, phantom, dataclasses.replace(anatomy, pedicles={Side.RIGHT: narrow}))
    case = window.case  # type: ignore[attr-defined]
    ui.trajectory_panel.propose("left")  # type: ignore[attr-defined]
    assert [t.approach.value for t in case.case.trajectories.values()] == ["transcostovertebral-left"]
    assert "No left proposal" not in window.statusBar().currentMessage()  # type: ignore[attr-defined]
    stack = case.undo_stack
    before = stack.count()
    ui.trajectory_panel.propose("bilateral")  # type: ignore[attr-defined]
    added = [t.approach.value for t in case.case.trajectories.values()][1:]
    # left: the untraced route; right: today's narrow-pedicle behaviour (flagged + the alternative)
    assert added == ["transcostovertebral-left", "transpedicular-right", "transcostovertebral-right"]
    assert "narrow pedicle (2.0 mm)" in window.statusBar().currentMessage()  # type: ignore[attr-defined]
    assert stack.count() == before + 1
    stack.undo()
    assert len(case.case.trajectories) == 1
