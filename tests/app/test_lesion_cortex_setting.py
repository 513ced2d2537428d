"""The cortex rule is shown in the Lesions dock's settings, and switching it changes what a click segments.

The rule (:mod:`imaging.lesion_cortex`, ``LesionParameters.cortex_check``) keeps the normal cortex out of a
sclerotic lesion. Phantom: tests/imaging/test_lesion_cortex.py's block of 200 HU trabecular bone in a
900 HU cortical shell with a 900 HU cortical plate across it (y 4..7 mm) and a 450 HU blastic focus of
radius 4 mm at the origin touching the plate; 1 mm voxels. The real window is driven: the settings box is
opened with its button, the check box is clicked, the lesion is clicked in the axial view and segmented
by the window's background job. With the rule on the lesion stays off the plate; with it off (the
behaviour before session 15) it runs along the plate. Run under Xvfb like tests/app/test_lesion_settings.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.display_geometry import ViewAxis
from app.segmentation.lesion_settings import LesionSettings
from imaging.lesion_grow import LesionParameters
from planning.model import LesionType
from tests.app.test_segmentation_tools import click, wait_job
from tests.imaging.test_lesion_cortex import _plate_phantom

#: a seed 1 mm in front of the focus's centre (as the imaging test clicks), LPS mm
SEED_LPS = (0.0, -1.0, 0.0)


@pytest.fixture
def plate_window(window: Any, qtbot: Any, no_dialogs: Any) -> Any:
    volume, plate, focus = _plate_phantom()
    window.opener.show_volume(volume)
    window.state.set_crosshair(SEED_LPS)
    qtbot.wait(10)
    return window, plate, focus


def _segment(win: Any, qtbot: Any) -> tuple[np.ndarray, Any]:
    """Click the seed with the lesion tool; (the lesion's full mask, its target)."""
    seg = win.segmentation
    seg.activate(seg.lesion_tool)
    click(win.views[ViewAxis.AXIAL], SEED_LPS)
    wait_job(win, qtbot)
    case = win.case.case
    assert list(case.targets) == ["Lesion 1"], seg.jobs.last_message
    return case.layers["Lesion 1"].mask.to_full(), case.targets["Lesion 1"]


def test_cortex_rule_is_shown_on_by_default_with_its_source(plate_window: Any) -> None:
    win, _plate, _focus = plate_window
    panel = win.segmentation.lesion_panel
    panel.settings_button.click()
    box = panel.settings_box
    assert box.isVisible() and box.cortex_check.isVisible()
    assert box.cortex_check.isChecked() and LesionParameters().cortex_check
    tip = box.cortex_check.toolTip()
    assert "CLINICAL.md" in tip and "1000-2000" in tip and "654 ± 176" in tip and "default" in tip.lower()
    assert "cortex rule" in panel.settings_button.toolTip()


def test_cortex_rule_off_and_on_segment_two_different_lesions(plate_window: Any, qtbot: Any) -> None:
    win, plate, focus = plate_window
    seg = win.segmentation
    panel = seg.lesion_panel
    panel.settings_button.click()
    box = panel.settings_box

    # on (the default): the focus, and none of the plate beyond its partial-volume layer
    on_mask, target = _segment(win, qtbot)
    assert target.lesion_type == LesionType.BLASTIC
    assert np.count_nonzero(on_mask & focus) >= 0.7 * np.count_nonzero(focus)
    assert np.count_nonzero(on_mask & plate) <= 0.1 * np.count_nonzero(on_mask)
    win.case.undo_stack.undo()
    assert not win.case.case.targets

    # the operator unticks it (a real click on the box): the settings in force say so
    qtbot.mouseClick(box.cortex_check, Qt.MouseButton.LeftButton)
    assert not box.cortex_check.isChecked()
    assert seg.lesion_settings.parameters.cortex_check is False
    assert "cortex rule off" in win.statusBar().currentMessage()
    off_mask, target = _segment(win, qtbot)
    assert target.lesion_type == LesionType.BLASTIC
    # off: the lesion runs along the plate, far beyond the focus (the imaging test's figure: > 100 voxels)
    assert np.count_nonzero(off_mask & plate) > 100
    assert np.count_nonzero(off_mask) >= 2 * np.count_nonzero(on_mask)
    win.case.undo_stack.undo()

    # on again: the first lesion again
    qtbot.mouseClick(box.cortex_check, Qt.MouseButton.LeftButton)
    assert seg.lesion_settings.parameters.cortex_check is True
    again_mask, _ = _segment(win, qtbot)
    assert np.array_equal(again_mask, on_mask)


def test_cortex_rule_returns_with_defaults_and_for_another_image(plate_window: Any, qtbot: Any) -> None:
    win, _plate, _focus = plate_window
    seg = win.segmentation
    box = seg.lesion_panel.settings_box
    box.cortex_check.setChecked(False)
    assert seg.lesion_settings.parameters.cortex_check is False
    box.restore_defaults()
    assert box.cortex_check.isChecked() and seg.lesion_settings == LesionSettings()

    # switched off for one patient's lesion, it does not carry over to the next image, and the status
    # bar says it was reset
    box.cortex_check.setChecked(False)
    volume, _, _ = _plate_phantom(seed=1)
    win.opener.show_volume(volume)
    qtbot.waitUntil(lambda: "reset to the defaults" in win.statusBar().currentMessage())
    assert "cortex rule off" in win.statusBar().currentMessage()
    assert box.cortex_check.isChecked() and seg.lesion_settings.parameters.cortex_check is True
