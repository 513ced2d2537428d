"""A lesion that may be larger than its mask is marked in the window; patient settings reset per image.

QA (session 13, items 6 and 13): on bone-lesions case4 both lesions stopped at the 10 mm growth limit
(19 x 19 x 19 mm) and the window showed normal-looking figures, the note only in a tooltip; and a
reference bone HU given for one patient stayed in force for the next image.

The phantom here is the bone cylinder of tests/phantoms/lesion.py (trabecular 200 HU, cortex 1200 HU,
noise 20 HU) holding a lytic lesion (30 HU) that is a ball of radius ``BALL_MM`` with a thin lytic
channel (radius ``TAIL_MM``) running ``TAIL_LENGTH_MM`` up the marrow: the lesion's radius estimated
at the seed is the ball's scale, so the default growth limit (twice that radius, within 10-40 mm)
stops the channel before its end, while a growth limit raised above the channel's reach takes it whole.
Everything goes through the real window: the NIfTI loader, a click with the Lesion tool in its
background job, the Lesions dock, save and reopen of the case file. Positions LPS mm.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QColor

from app.display_geometry import ViewAxis
from app.segmentation.lesion_row import COL_FIRST_FIGURE, COL_LEVEL, COL_NAME
from app.segmentation.lesion_settings import LesionSettings
from app.theme import AMBER
from imaging.image_files import write_image
from imaging.lesion_grow import LesionParameters
from imaging.volume import Volume
from planning.commands import EditMask
from tests.app.test_segmentation_tools import click, lytic, mask_at, wait_job
from tests.phantoms import lesion as ph

__all__ = ["lytic"]  # a fixture used here by name

BALL_MM = 6.0
TAIL_MM = 3.0
TAIL_LENGTH_MM = 21.0  # from z = 0 up; the marrow ends at z = 23 mm
SEED_LPS = (0.0, 0.0, -2.0)
#: a point in the channel near its end, 22 mm from the seed
TAIL_END_LPS = (0.0, 0.0, 20.0)
#: the theme's caution colour ("color: #ffb347;")
AMBER_COLOUR = QColor(AMBER.split(":")[1].strip(" ;"))


def tailed_lesion_volume(seed: int = 3) -> Volume:
    """The bone cylinder with the lytic ball and channel (module docstring), HU, 1 mm grid."""
    cyl = ph.bone_cylinder()
    x, y, z, r_axis, marrow, hu = cyl.x, cyl.y, cyl.z, cyl.r_axis, cyl.marrow, cyl.hu
    ball = x**2 + y**2 + z**2 <= BALL_MM**2
    tail = (r_axis <= TAIL_MM) & (z >= 0.0) & (z <= TAIL_LENGTH_MM)
    hu[marrow & (ball | tail)] = ph.LYTIC_HU
    hu = hu + np.random.default_rng(seed).normal(0.0, ph.NOISE_HU, size=cyl.shape)
    return Volume(hu.astype(np.float32), cyl.affine)


def _open(window: Any, qtbot: Any, path: Path) -> None:
    window.case.undo_stack.setClean()
    window.open_path(path)
    qtbot.waitUntil(lambda: window.state.display is not None and not window.opener.is_busy(), timeout=30000)
    qtbot.wait(20)  # the settings note is said on the next turn of the event loop


def _row(panel: Any, name: str) -> int:
    for r in range(panel.table.rowCount()):
        if panel.table.item(r, COL_NAME).text() == name:
            return r
    raise AssertionError(f"no row for {name}")


def _row_marked(panel: Any, name: str) -> bool:
    """The row's name has an icon and the growth-limit warning as tooltip, every figure is amber (each
    keeps its own tooltip, QA 14 j item 5), and the warning is written out under the table."""
    r = _row(panel, name)
    figures = [panel.table.item(r, c) for c in range(COL_FIRST_FIGURE, COL_LEVEL)]
    return (
        not panel.table.item(r, COL_NAME).icon().isNull()
        and all(item.foreground().color() == AMBER_COLOUR for item in figures)
        and not any("growth limit" in item.toolTip() for item in figures)
        and "growth limit" in panel.table.item(r, COL_NAME).toolTip()
        and "growth limit" in panel.table.cellWidget(r, 2).toolTip()
        and panel.warning.isVisibleTo(panel)
        and "growth limit" in panel.warning.text()
    )


def _click_lesion(window: Any, qtbot: Any, seed_lps: Any) -> None:
    seg = window.segmentation
    seg.activate(seg.lesion_tool)
    window.state.set_crosshair(seed_lps)
    click(window.views[ViewAxis.AXIAL], seed_lps)
    wait_job(window, qtbot)


def test_a_lesion_at_the_growth_limit_is_marked_on_its_row_in_the_status_bar_and_after_reopen(
    window: Any, qtbot: Any, tmp_path: Path, no_dialogs: Any
) -> None:
    volume = tailed_lesion_volume()
    write_image(volume, tmp_path / "tail.nii.gz")
    _open(window, qtbot, tmp_path / "tail.nii.gz")
    seg = window.segmentation
    panel = seg.lesion_panel
    _click_lesion(window, qtbot, SEED_LPS)

    target = window.case.case.targets["Lesion 1"]
    mask = window.case.case.layers["Lesion 1"].mask
    # the growth stopped before the channel's end (22 mm from the seed): the figures are too small
    assert mask_at(mask, window.case.volume, SEED_LPS)
    assert not mask_at(mask, window.case.volume, TAIL_END_LPS)
    assert any("growth limit" in str(v) for v in target.extra.values())  # kept with the lesion

    # the status bar says to check it, in amber, in a short line; the whole text, with what to do, in its
    # tooltip and under the Lesions table, once (QA s22 D9: ~700 characters in the status bar, and the
    # dock's info line repeating the warning line above it)
    status = window.statusBar().currentMessage()
    assert status.startswith("Lesion 1: lytic")
    assert status.endswith("Check the warning under the Lesions table.")
    assert len(status) < 160, status
    detail = window.statusBar().toolTip()
    assert detail.startswith(status.split(" Check")[0]) and "raise the growth limit" in detail
    assert "Lesions dock" in detail
    qtbot.waitUntil(lambda: panel.warning.isVisibleTo(panel))
    dock_text = [panel.details.text(), panel.warning.text(), panel.info.text()]
    assert sum(t.count("raise the growth limit") for t in dock_text) == 1, dock_text
    assert seg.jobs.last_warning
    window.statusBar().ensurePolished()
    assert window.statusBar().palette().windowText().color() == AMBER_COLOUR
    # and the row: icon, amber figures, the warning in the tooltips
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert _row_marked(panel, "Lesion 1")

    # kept with the lesion: saved in the case and marked again on reopen (figures measured again there)
    path = tmp_path / "tail.osteoplan"
    assert window.case.save_to(path)
    _open(window, qtbot, path)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert panel.wait_measured(30000)
    qtbot.wait(20)
    assert _row_marked(panel, "Lesion 1")

    # once the operator edits the mask the warning stays, marked as the segmentation's, before the edits,
    # until dismissed (QA s24 D12; tests/app/test_lesion_dock_after_edit.py)
    reopened = window.case.case.layers["Lesion 1"].mask
    grown = np.pad(reopened.to_full(), 0)
    z0 = np.rint(window.case.volume.lps_to_index_points(TAIL_END_LPS)).astype(int)
    grown[tuple(z0)] = True
    window.case.push(EditMask("Lesion 1", type(reopened).from_full(grown)))
    qtbot.waitUntil(lambda: "before your edits" in panel.warning.text(), timeout=5000)
    assert _row_marked(panel, "Lesion 1")
    assert "before your edits" in panel.table.item(_row(panel, "Lesion 1"), COL_NAME).toolTip()
    window.case.undo_stack.undo()
    qtbot.waitUntil(lambda: "before your edits" not in panel.warning.text(), timeout=5000)
    assert _row_marked(panel, "Lesion 1")

    # what the message says to do works: with the growth limit raised past the channel's reach the
    # lesion is found whole, and nothing is marked
    box = panel.settings_box
    reach_mm = math.dist(SEED_LPS, (0.0, 0.0, TAIL_LENGTH_MM))
    box.limit_spins["extent_min_mm"].setValue(math.ceil(reach_mm) + 5)
    assert seg.lesion_settings.parameters.extent_min_mm == math.ceil(reach_mm) + 5
    assert "growth limit, at least" in seg.jobs.last_message
    # (clicked again inside Lesion 1: the operator is asked, and replaces it rather than adding a copy)
    _click_lesion(window, qtbot, SEED_LPS)
    assert no_dialogs and no_dialogs[-1][0] == "Lesion already segmented"
    assert list(window.case.case.targets) == ["Lesion 1"]
    again = window.case.case.targets["Lesion 1"]
    assert mask_at(window.case.case.layers["Lesion 1"].mask, window.case.volume, TAIL_END_LPS)
    assert not any("growth limit" in str(v) for v in again.extra.values())
    assert not seg.jobs.last_warning and "growth limit" not in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and not _row_marked(panel, "Lesion 1"))
    assert panel.table.item(_row(panel, "Lesion 1"), COL_NAME).icon().isNull()


def test_the_growth_limit_is_shown_and_editable(window: Any) -> None:
    box = window.segmentation.lesion_panel.settings_box
    defaults = LesionParameters()
    assert box.limit_spins["extent_min_mm"].value() == round(defaults.extent_min_mm) == 10
    assert box.limit_spins["max_radius_mm"].value() == round(defaults.max_radius_mm)
    assert box.extent_factor.value() == defaults.extent_factor
    for spin in (*box.limit_spins.values(), box.extent_factor):
        assert "our choice" in spin.toolTip()
    # the region searched holds the largest growth limit
    box.limit_spins["max_radius_mm"].setValue(60)
    assert window.segmentation.lesion_settings.parameters.max_radius_mm == 60.0
    assert window.segmentation.lesion_settings.parameters.roi_size_mm >= 120.0
    box.restore_defaults()
    assert window.segmentation.lesion_settings == LesionSettings()


def test_the_reference_bone_hu_is_reset_when_another_image_is_opened(
    window: Any, qtbot: Any, tmp_path: Path, no_dialogs: Any, lytic: Any
) -> None:
    write_image(lytic.volume, tmp_path / "first.nii.gz")
    write_image(lytic.volume, tmp_path / "second.nii.gz")
    _open(window, qtbot, tmp_path / "first.nii.gz")
    seg = window.segmentation
    box = seg.lesion_panel.settings_box
    # this patient's reference bone, a raised growth limit, and a session preference (HU threshold)
    box.measure_reference.setChecked(False)
    box.reference.setValue(300)
    assert "reference bone 300 HU given" in window.statusBar().currentMessage()
    box.limit_spins["extent_min_mm"].setValue(25)
    box.spins["abnormal_delta_hu"].setValue(80)
    assert seg.lesion_settings.reference_bone_hu == 300.0

    _open(window, qtbot, tmp_path / "second.nii.gz")
    settings = seg.lesion_settings
    assert settings.reference_bone_hu is None and box.measure_reference.isChecked()
    assert not box.reference.isEnabled()
    assert settings.parameters.extent_min_mm == LesionParameters().extent_min_mm
    assert box.limit_spins["extent_min_mm"].value() == round(LesionParameters().extent_min_mm)
    # the operator's way of reading CT stays, and the status bar says both
    assert settings.parameters.abnormal_delta_hu == 80.0
    message = window.statusBar().currentMessage()
    assert "reset to the defaults" in message and "reference bone 300 HU" in message, message
    assert "still in force" in message and "abnormal beyond ± 80 HU (default 88)" in message

    # the lesion is compared with the bone measured around it (200 HU built), not with 300 HU
    _click_lesion(window, qtbot, lytic.seed_lps)
    reference = window.case.case.targets["Lesion 1"].measures["reference_bone_hu"]
    assert reference == pytest.approx(ph.TRABECULAR_HU, abs=25.0)
    assert "given by you" not in window.statusBar().currentMessage()


def test_no_edge_warning_does_not_ask_for_a_higher_growth_limit() -> None:
    # a lesion with no edge within reach (imaging.lesion_extent; case4 of bone-lesions: 2.8 mL at 10 mm,
    # 22 mL at 20 mm) only grows with the limit: the sentence asks for a box or the brush instead
    from app.segmentation.lesion_warnings import operator_text
    from imaging.lesion_model import GROWTH_LIMIT_NOTE, NO_EDGE_NOTE

    no_edge = operator_text(
        f"{GROWTH_LIMIT_NOTE} (12 mm from the seed; estimated lesion radius 6 mm, maximum 40 mm): with the "
        f"limit at 14 mm it is 7.08 mL, not 4.47 mL (+58%): {NO_EDGE_NOTE}, its tissue runs on"
    )
    assert "raise the growth limit" not in no_edge.lower() and "box" in no_edge and "brush" in no_edge
    cut = operator_text(f"{GROWTH_LIMIT_NOTE} (22 mm from the seed): with the limit at 24 mm it is 1.39 mL")
    assert "raise the growth limit" in cut
