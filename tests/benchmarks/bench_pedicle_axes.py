"""Cost of drawing the pedicle axes on the slice views (app.planning_ui.pedicle_axes).

Run under a display (not in CI):
``xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" .venv/bin/python tests/benchmarks/bench_pedicle_axes.py``

The vertebra phantom (tests/phantoms/vertebra.py, 1 mm grid) with its anatomy found by the real engine and
added as the Vertebra tool adds it; the window at 1400 x 1000. For each view: the median time of one slice
step plus a synchronous repaint, over slices that pass through the pedicles (so the axes are drawn), with
the axes' painter in the window's overlay painters and without it, alternating step by step so that the
machine's load falls on both alike. Also the painter alone (one call into an off-screen image).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

STEPS = 60


def main() -> None:
    from PySide6.QtGui import QImage, QPainter

    from app.display_geometry import ViewAxis
    from app.gui_app import make_application
    from app.loading import wait_until
    from app.main_window import MainWindow
    from app.planning_ui.pedicle_axes import paint_pedicle_axes, shown_axes
    from app.segmentation.click_segmentation import _add_vertebra
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_model import Side
    from tests.phantoms.vertebra import make_vertebra_phantom

    app = make_application()
    window = MainWindow(enable_3d=False)
    window.resize(1400, 1000)
    window.show()
    wait_until(lambda: False, 200)
    ph = make_vertebra_phantom()
    window.opener.show_volume(ph.volume)
    _add_vertebra(window.segmentation, find_vertebra(ph.volume, ph.center_lps))
    assert len(shown_axes(window.case.case.layers, window.state.layers)) == 2
    isthmus = ph.pedicles[Side.LEFT].isthmus_lps
    window.state.set_crosshair(isthmus)
    wait_until(lambda: False, 200)
    painters = window.state.overlay_painters
    ours = next(p for p in painters if "paint_pedicle_axes" in p.__code__.co_names)
    at = painters.index(ours)
    for axis in (ViewAxis.AXIAL, ViewAxis.SAGITTAL, ViewAxis.CORONAL):
        view = window.views[axis]
        times: dict[bool, list[float]] = {True: [], False: []}
        for i in range(STEPS):
            shown = i % 2 == 0
            if shown and ours not in painters:
                painters.insert(at, ours)
            elif not shown and ours in painters:
                painters.remove(ours)
            t0 = time.perf_counter()
            view.step_slice(1 if (i // 2) % 6 < 3 else -1)  # within 3 slices of the isthmus: on the pedicles
            view.repaint()
            times[shown].append(time.perf_counter() - t0)
        if ours not in painters:
            painters.insert(at, ours)
        window.state.set_crosshair(isthmus)
        image = QImage(view.size(), QImage.Format.Format_ARGB32)
        alone = []
        for _ in range(STEPS):
            painter = QPainter(image)
            t0 = time.perf_counter()
            paint_pedicle_axes(window, view, painter)
            alone.append(time.perf_counter() - t0)
            painter.end()
        with_ms = statistics.median(times[True]) * 1000
        without_ms = statistics.median(times[False]) * 1000
        print(
            f"{axis.value:9s} step+repaint median: with axes {with_ms:6.2f} ms, without {without_ms:6.2f} ms;"
            f" the painter alone median {statistics.median(alone) * 1000:5.2f} ms"
        )
    window.case.undo_stack.setClean()
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
