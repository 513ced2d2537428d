"""QA s16 #9, #12, #14 and s17 #8, #10 in a real window: the lesion's HU percentiles in the Lesions dock, an
HU range typed with one bound past the other, the smallest brush, and what a stroke says it did.

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


def test_a_bound_typed_past_the_other_moves_the_other_with_it(loaded: Any, qtbot: Any, lytic: Any) -> None:
    # QA s16 #12: with 500 in the lower box and 200 in the upper one, the boxes kept 500 / 200 while the
    # brush painted 200-500 without a word. QA s17 #8: the s16 fix swapped the two, so 100 / 400, then a
    # lower 2000 (-> 400 / 2000), then an upper 2500 painted 400 - 2500 HU, not the 2000 - 2500 typed. Now
    # the bound typed pushes the other along, the boxes show what the brush uses, and the status says so.
    win = loaded
    seg = win.segmentation
    panel = seg.edit_panel
    panel.hu_limit.setChecked(True)
    panel.hu_low.setValue(100.0)
    panel.hu_high.setValue(400.0)
    assert seg.brush.hu_range == (100.0, 400.0)
    # typed in the usual order, lower then upper, as a person types them, each confirmed with Return
    for spin, text in ((panel.hu_low, "2000"), (panel.hu_high, "2500")):
        line = spin.lineEdit()
        line.selectAll()
        qtbot.keyClicks(line, text)
        qtbot.keyClick(line, Qt.Key.Key_Return)
        if spin is panel.hu_low:
            # the upper bound followed the lower one up, and the status bar says which bound moved
            assert (panel.hu_low.value(), panel.hu_high.value()) == (2000.0, 2000.0)
            assert seg.brush.hu_range == (2000.0, 2000.0)
            message = win.statusBar().currentMessage()
            assert "upper bound was moved to 2000 HU" in message, message
    assert (panel.hu_low.value(), panel.hu_high.value()) == (2000.0, 2500.0)
    assert seg.brush.hu_range == (2000.0, 2500.0)  # the range typed, not 400 - 2500
    # the other way round: an upper bound typed below the lower one takes the lower one down
    panel.hu_high.setValue(150.0)
    assert (panel.hu_low.value(), panel.hu_high.value()) == (150.0, 150.0)
    assert "lower bound was moved to 150 HU" in win.statusBar().currentMessage()
    # ticked off, the range is not used, and the boxes still keep their order
    panel.hu_limit.setChecked(False)
    assert seg.brush.hu_range is None
    panel.hu_low.setValue(500.0)
    assert (panel.hu_low.value(), panel.hu_high.value()) == (500.0, 500.0) and seg.brush.hu_range is None


def test_a_stroke_says_what_it_painted_or_why_it_painted_nothing(loaded: Any, qtbot: Any, lytic: Any) -> None:
    # QA s17 #8 and #10: a stroke that painted nothing because of the HU range said nothing, and after a
    # stroke the status bar still showed the operation before it ("Shrank Mask 1 by 3.0 mm")
    win = loaded
    seg = win.segmentation
    vol = lytic.volume
    axial = win.views[ViewAxis.AXIAL]
    panel = seg.edit_panel
    panel.new_layer()
    panel.radius.setValue(2.0)
    seg.activate(seg.brush_tool)
    seg.jobs.say("Shrank Mask 1 by 3.0 mm.")  # an earlier operation's text
    # the lesion is 30 HU +- 20 HU noise: a range of 2000 - 2500 HU holds none of its voxels
    panel.hu_limit.setChecked(True)
    panel.hu_low.setValue(2000.0)
    panel.hu_high.setValue(2500.0)
    steps = win.case.undo_stack.count()
    send_mouse(axial, QEvent.Type.MouseButtonPress, lytic.seed_lps)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, lytic.seed_lps)
    assert win.case.case.layers["Mask 1"].mask.count() == 0 and win.case.undo_stack.count() == steps
    message = win.statusBar().currentMessage()
    assert message.startswith("Nothing painted") and "2000 - 2500 HU" in message, message
    # the range off: the stroke paints, and the status gives what it painted, checked against the mask
    panel.hu_limit.setChecked(False)
    send_mouse(axial, QEvent.Type.MouseButtonPress, lytic.seed_lps)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, lytic.seed_lps)
    count = win.case.case.layers["Mask 1"].mask.count()
    assert count > 0 and win.case.undo_stack.count() == steps + 1
    message = win.statusBar().currentMessage()
    found = re.search(r"Painted ([\d.]+) mL \((\d+) voxels\) into Mask 1, now ([\d.]+) mL", message)
    assert found is not None, message
    assert int(found.group(2)) == count
    assert float(found.group(3)) == pytest.approx(count * vol.voxel_volume_ml, abs=0.005)
    # the same dab again changes nothing, and says so
    send_mouse(axial, QEvent.Type.MouseButtonPress, lytic.seed_lps)
    send_mouse(axial, QEvent.Type.MouseButtonRelease, lytic.seed_lps)
    assert win.statusBar().currentMessage().startswith("Nothing painted: every voxel under the brush was")


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
