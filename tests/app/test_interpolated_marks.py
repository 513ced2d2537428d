"""Interpolated slices in the real window: a DICOM series with a missing slice, opened through the loader.

The axial view showing the made-up slice says so in amber; on its measured neighbours it says nothing;
the sagittal and coronal views mark its rows with amber ticks at the image's edges. Checked on the
label (text, visibility) and on the pixels grabbed from the views, so a black screen fails.
The slice's position is known by construction (the LPS position the writer gave the dropped slice).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.display_geometry import ViewAxis
from tests.app.conftest import marker_volume
from tests.app.test_view_orientation import grab_grey

pytest.importorskip("imaging.load")
dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")

#: the bare views: the tool packages' overlays would cover the pixels probed here
WINDOW_EXTENSIONS = False
#: the amber of the marks (app.interpolated_marks.COLOUR, #ffb347); the tolerance admits the text's
#: fully covered pixels, not its anti-aliased edges
AMBER_RGB = np.array([255, 179, 71])
AMBER_TOLERANCE = 14
#: written slice left out of the 32-slice series (inner, away from the markers at z 0 and 30 mm)
DROPPED = 9


def amber(rgb: np.ndarray) -> np.ndarray:
    """Pixels of the marks' amber (the crosshair yellow #e6c229 and letter yellow #ffd24d are not)."""
    return np.all(np.abs(rgb.astype(int) - AMBER_RGB) <= AMBER_TOLERANCE, axis=-1)


def amber_in_label(view: object) -> int:
    """Amber pixels where the view's interpolated-slice label sits."""
    g = view.interpolated.label.geometry()  # type: ignore[attr-defined]
    rgb = grab_grey(view)
    return int(amber(rgb[g.top() : g.bottom() + 1, g.left() : g.right() + 1]).sum())


def test_missing_slice_is_marked_in_the_views(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    from app.interpolated_marks import SLICE_TEXT, TICKS_TEXT

    volume = marker_volume(np.eye(3), shape=(32, 64, 56))
    written = dicom_writer.write_dicom_series(volume, tmp_path / "gap", drop_slices=[DROPPED])
    window.open_path(tmp_path / "gap")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not window.opener.is_busy(), timeout=30000)  # type: ignore[attr-defined]
    state = window.state  # type: ignore[attr-defined]
    assert no_dialogs == [] and state.display is not None
    source = state.display.source
    made_up_lps = written.volume.index_to_lps_points(np.array([float(DROPPED), 0.0, 0.0]))
    k = round(float(source.lps_to_index_points(made_up_lps)[0]))
    assert source.interpolated_slices == (k,)

    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    state.set_crosshair(made_up_lps)
    qtbot.wait(50)
    # the display counts axial slices from the top (superior) down: the reverse of this head-first volume
    assert axial.slice_index() == source.shape[0] - 1 - k
    assert axial.interpolated.label.isVisible()
    assert axial.interpolated.label.text() == SLICE_TEXT
    assert amber_in_label(axial) >= 20

    for step in (-1, 1):  # the measured neighbours, one slice up and one down
        state.set_crosshair(made_up_lps)
        axial.step_slice(step)
        qtbot.wait(50)
        assert axial.slice_index() == source.shape[0] - 1 - k + step
        assert not axial.interpolated.label.isVisible()
        assert amber(grab_grey(axial)).sum() == 0

    # sagittal and coronal: amber ticks at the image's left and right edges on the made-up slice's row,
    # none on a measured row (the crosshair sits 5 measured slices away, out of the band)
    measured_lps = source.index_to_lps_points(np.array([float(k + 5), 31.5, 27.5]))
    state.set_crosshair(measured_lps)
    qtbot.wait(50)
    assert not axial.interpolated.label.isVisible()
    for name in (ViewAxis.SAGITTAL, ViewAxis.CORONAL):
        view = window.views[name]  # type: ignore[attr-defined]
        assert view.interpolated.label.isVisible()
        assert view.interpolated.label.text() == TICKS_TEXT
        rgb = grab_grey(view)
        rect = view.image_rect().intersected(view.rect().toRectF())
        band_y = round(view.lps_to_widget(made_up_lps).y())
        measured_y = round(view.lps_to_widget(measured_lps).y()) + 2  # off the crosshair's own line
        for x in (int(rect.left()) + 3, int(rect.right()) - 3):
            assert amber(rgb[band_y, x]), f"{name}: no tick at the made-up slice's row (x {x})"
            assert not amber(rgb[measured_y, x]), f"{name}: a tick on a measured row (x {x})"
        # ticks only: the band is not painted over the anatomy in the middle of the image
        assert not amber(rgb[band_y, int(rect.center().x()) + 10])
