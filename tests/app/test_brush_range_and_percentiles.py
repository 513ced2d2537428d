"""QA s16 #9, #12, #14 in a real window: the lesion's HU percentiles in the Lesions dock, an HU range typed
upside down, and the smallest brush.

Phantom: tests/phantoms/lesion.py, the lytic sphere (radius 8 mm, 30 HU with 20 HU Gaussian noise) in
trabecular bone on a 1 mm grid, so a lesion's HU spread and the voxel under a click are known. Run
under Xvfb: ``xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" .venv/bin/python -m pytest -p no:xvfb
tests/app/test_brush_range_and_percentiles.py -q``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt

from app.display_geometry import ViewAxis
from tests.app.test_segmentation_tools import JOB_TIMEOUT_MS, click, send_mouse
from tests.phantoms.lesion import PhantomLesion, lesion_phantom

#: the percentiles Lesion.percentiles_hu holds (imaging.lesion_measure.PERCENTILES)
RANKS = (5, 25, 50, 75, 95)


@pytest.fixture(scope="module")
def lytic() -> Any:
    return lesion_phantom(PhantomLesion.LYTIC_SPHERE)


@pytest.fixture
def loaded(window: Any, qtbot: Any, lytic: Any, no_dialogs: Any) -> Any:
    window.opener.show_volume(lytic.volume)
    window.state.set_crosshair(lytic.seed_lps)
    qtbot.wait(10)
    yield window
    window.case.undo_stack.setClean()


def test_the_details_line_gives_the_lesions_hu_percentiles(loaded: Any, qtbot: Any, lytic: Any) -> None:
    # issue #4 asks for the lesion's "mean and percentile HU": the details line under the table gives the
    # 5/25/50/75/95th percentiles of the lesion's voxels (QA s16 #9: only the mean was shown)
    win = loaded
    seg = win.segmentation
    seg.activate(seg.lesion_tool)
    click(win.views[ViewAxis.AXIAL], lytic.seed_lps)
    qtbot.waitUntil(lambda: not seg.jobs.busy, timeout=JOB_TIMEOUT_MS)
    panel = seg.lesion_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    panel.measure_now()
    assert panel.wait_measured()
    panel.select("Lesion 1")
    volume, case = win.case.volume, win.case.case
    figures = panel.figures.cached(volume, case, case.targets["Lesion 1"])
    lesion = figures.lesion
    # the measure itself, checked against the lesion mask's own HU
    hu = volume.array[case.layers["Lesion 1"].mask.to_full()]
    assert [lesion.percentiles_hu[k] for k in RANKS] == pytest.approx(np.percentile(hu, RANKS), abs=1e-6)
    assert lesion.percentiles_hu[95] - lesion.percentiles_hu[5] > 30.0  # noise 20 HU: a real spread
    qtbot.waitUntil(lambda: "percentiles" in panel.details.text(), timeout=5_000)
    text = panel.details.text()
    found = re.search(r"percentiles ([\d/]+): ([-\d/]+) HU", text)
    assert found is not None, text
    assert tuple(int(k) for k in found.group(1).split("/")) == RANKS
    shown = [float(v) for v in found.group(2).split("/")]
    assert shown == pytest.approx([lesion.percentiles_hu[k] for k in RANKS], abs=0.5)  # whole HU
    assert "percentiles" in panel.details.toolTip() and "median" in panel.details.toolTip()
    # the mean and the reference bone are still there, as before
    assert f"mean {lesion.mean_hu:.0f} HU" in text
    assert f"reference bone {lesion.reference_bone_hu:.0f} HU" in text


def test_an_hu_range_typed_upside_down_is_swapped_in_the_boxes(loaded: Any, qtbot: Any, lytic: Any) -> None:
    # QA s16 #12: with 500 in the lower box and 200 in the upper one, the boxes kept 500 / 200 while the
    # brush painted 200-500 without a word; now the boxes are swapped and the status bar says so
    win = loaded
    seg = win.segmentation
    panel = seg.edit_panel
    panel.hu_limit.setChecked(True)
    panel.hu_high.setValue(200.0)  # 130 / 200: a valid range
    assert seg.brush.hu_range == (130.0, 200.0)
    panel.hu_low.setValue(500.0)  # above the upper bound
    assert (panel.hu_low.value(), panel.hu_high.value()) == (200.0, 500.0)
    assert seg.brush.hu_range == (200.0, 500.0)  # what the boxes show is what the brush uses
    message = win.statusBar().currentMessage()
    assert "swapped" in message and "200 - 500 HU" in message, message
    # typed digit by digit, "600" is read once entered (not swapped at "6" on the way), then swapped
    line = panel.hu_low.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, "600")
    assert (panel.hu_high.value(), seg.brush.hu_range) == (500.0, (200.0, 500.0))
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert (panel.hu_low.value(), panel.hu_high.value()) == (500.0, 600.0)
    assert seg.brush.hu_range == (500.0, 600.0)
    # ticked off, the range is not used; a range typed upside down is still shown as it would be used
    panel.hu_limit.setChecked(False)
    assert seg.brush.hu_range is None
    panel.hu_high.setValue(100.0)
    assert (panel.hu_low.value(), panel.hu_high.value()) == (100.0, 500.0) and seg.brush.hu_range is None


def test_the_smallest_brush_paints_the_voxel_under_the_cursor(loaded: Any, qtbot: Any, lytic: Any) -> None:
    # QA s16 #14: at the smallest radius (0.5 mm) a click 0.4 voxel off a voxel centre in both in-plane
    # directions (0.57 mm from it on this 1 mm grid) held no voxel centre and painted nothing, silently
    win = loaded
    seg = win.segmentation
    vol = lytic.volume
    axial = win.views[ViewAxis.AXIAL]
    seg.edit_panel.new_layer()
    seg.edit_panel.radius.setValue(seg.edit_panel.radius.minimum())
    assert seg.brush.radius_mm == 0.5
    seg.activate(seg.brush_tool)
    z = win.state.display.pixel_to_lps(ViewAxis.AXIAL, axial.slice_index(), 0, 0)[2]
    voxel = np.rint(vol.lps_to_index_points(np.array([lytic.seed_lps[0], lytic.seed_lps[1], z]))).astype(int)
    centre = vol.index_to_lps_points(voxel.astype(float))
    point = centre + np.array([0.4, 0.4, 0.0])  # 0.4 voxel on the 1 mm grid
    assert np.linalg.norm(point - centre) > 0.5  # no voxel centre within the brush
    steps = win.case.undo_stack.count()
    send_mouse(axial, QEvent.Type.MouseButtonPress, point)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, point)
    mask = win.case.case.layers["Mask 1"].mask
    assert np.argwhere(mask.to_full()).tolist() == [voxel.tolist()]
    assert "always painted" in seg.edit_panel.radius.toolTip()  # the rule is stated where the radius is set
    assert win.case.undo_stack.count() == steps + 1
    win.case.undo_stack.undo()
    assert win.case.case.layers["Mask 1"].mask.count() == 0
