"""The Lesions dock's settings reach the lesion segmentation (app.segmentation.lesion_settings).

On the lytic sphere phantom (tests/phantoms/lesion.py: 30 HU sphere of radius 8 mm in 200 HU trabecular
bone, noise 20 HU), clicks go through the real window and its background job: a wider abnormal
difference refuses the lesion with a message naming it, the defaults find it against a measured
reference, and a reference typed by the operator is the one the lesion is compared with. Run under
Xvfb like tests/app/test_segmentation_tools.py.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from app.display_geometry import ViewAxis
from app.segmentation.lesion_settings import LesionSettings
from imaging.lesion_grow import LesionParameters
from planning.model import LesionType
from tests.app.test_segmentation_tools import click, loaded, lytic, wait_job

__all__ = ["loaded", "lytic"]  # fixtures used here by name

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]


def test_defaults_are_shown_with_their_sources(loaded: Any) -> None:
    panel = loaded.segmentation.lesion_panel
    box = panel.settings_box
    assert box.isHidden()  # until the operator asks: the table keeps the dock's height
    panel.settings_button.click()
    assert box.isVisible()
    defaults = LesionParameters()
    assert loaded.segmentation.lesion_settings == LesionSettings()
    assert box.measure_reference.isChecked() and not box.reference.isEnabled()
    assert box.spins["abnormal_delta_hu"].value() == round(defaults.abnormal_delta_hu) == 88
    assert box.spins["blastic_typical_hu"].value() == round(defaults.blastic_typical_hu) == 654
    assert box.spins["lytic_typical_hu"].value() == round(defaults.lytic_typical_hu)
    assert box.spins["bone_threshold_hu"].value() == round(defaults.bone_threshold_hu)
    assert box.deep_bone_check.isChecked()
    for spin in box.spins.values():
        assert "CLINICAL.md" in spin.toolTip()
    assert "unverified" in box.spins["lytic_typical_hu"].toolTip()
    # the osteoporosis guard goes through to the parameters
    box.deep_bone_check.setChecked(False)
    assert loaded.segmentation.lesion_settings.parameters.deep_bone_check is False
    box.restore_defaults()
    assert loaded.segmentation.lesion_settings == LesionSettings()


def test_settings_change_what_a_click_segments(loaded: Any, qtbot: Any, lytic: Any) -> None:
    win = loaded
    seg = win.segmentation
    box = seg.lesion_panel.settings_box
    axial = win.views[ViewAxis.AXIAL]
    seg.activate(seg.lesion_tool)

    # the sphere lies 170 HU below the bone: with 500 HU asked it is normal bone, and the message says so
    box.spins["abnormal_delta_hu"].setValue(500)
    assert seg.lesion_settings.parameters.abnormal_delta_hu == 500.0
    click(axial, lytic.seed_lps)
    wait_job(win, qtbot)
    assert not win.case.case.targets
    assert "500 HU" in seg.jobs.last_message

    # the defaults again: found, compared with the bone measured around it (200 HU built)
    box.defaults_button.click()
    assert box.spins["abnormal_delta_hu"].value() == 88
    click(axial, lytic.seed_lps)
    wait_job(win, qtbot)
    target = win.case.case.targets["Lesion 1"]
    assert target.lesion_type == LesionType.LYTIC
    assert target.measures["reference_bone_hu"] == pytest.approx(200.0, abs=25.0)
    assert target.measures["volume_ml"] == pytest.approx(lytic.truth_volume_ml, rel=0.05)
    win.case.undo_stack.undo()
    assert not win.case.case.targets

    # the operator's reference: the lesion is compared with it, and the table shows it
    box.measure_reference.setChecked(False)
    assert box.reference.isEnabled()
    box.reference.setValue(250)
    assert seg.lesion_settings.reference_bone_hu == 250.0
    click(axial, lytic.seed_lps)
    wait_job(win, qtbot)
    target = win.case.case.targets["Lesion 1"]
    assert target.measures["reference_bone_hu"] == 250.0
    assert target.lesion_type == LesionType.LYTIC
    assert target.measures["volume_ml"] == pytest.approx(lytic.truth_volume_ml, rel=0.05)
    panel = seg.lesion_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert "reference bone 250 HU" in panel.details.text()  # the details line under the table
