"""GUI benchmark: time to the first drawn slice, 2D redraw per scroll step, memory with a big volume.

Run under a display (not in CI):
``xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" .venv/bin/python tests/benchmarks/bench_gui.py``

1. ``osteoplan demo --screenshot``: seconds from launching the command to the first axial slice
   drawn (the sample case: a 141-slice DICOM series), and to the saved window picture (3D included).
2. A synthetic 512x512x400 int16 CT: median time of one scroll step (move the crosshair one slice
   and repaint synchronously) in the axial, coronal and sagittal views; goal < 30 ms.
3. RSS of the process with that volume shown (2D and 3D views, bone surface built) against the
   volume's own size; goal < 2.5x.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SHAPE = (400, 512, 512)
STEPS = 40


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def bench_first_slice() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo.png"
        t0 = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "demo", "--screenshot", str(out), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - t0
    summary = json.loads(result.stdout)
    startup = wall - summary["total_s"]  # interpreter start and imports before the command ran
    return {
        "launch_to_first_slice_s": startup + summary["first_slice_s"],
        "launch_to_screenshot_s": wall,
        "python_and_imports_s": startup,
    }


def synthetic_ct() -> object:
    from imaging.volume import Volume, affine_from_geometry

    rng = np.random.default_rng(0)
    y, x = np.ogrid[: SHAPE[1], : SHAPE[2]]
    array = np.full(SHAPE, -1000, dtype=np.int16)
    body = ((y - 256) ** 2 / 200.0**2 + (x - 256) ** 2 / 230.0**2) <= 1.0
    array[:, body] = 40
    spine = ((y - 330) ** 2 + (x - 256) ** 2) <= 25**2
    array[:, spine] = 400
    array += rng.integers(-20, 20, size=SHAPE, dtype=np.int16)
    return Volume(array, affine_from_geometry((-200.0, -200.0, -300.0), (0.75, 0.78, 0.78), np.eye(3)))


def bench_scroll_and_memory() -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from app.display_geometry import ViewAxis
    from app.gui_app import make_application
    from app.loading import wait_until
    from app.main_window import MainWindow

    app = make_application()
    window = MainWindow()
    window.resize(1400, 1000)
    window.show()
    wait_until(lambda: False, 200)
    base_rss = rss_mb()
    volume = synthetic_ct()
    volume_mb = volume.array.nbytes / 2**20  # type: ignore[attr-defined]
    window.opener.show_volume(volume)  # type: ignore[arg-type]
    wait_until(lambda: window.view3d._worker is None, 60000)  # type: ignore[attr-defined]
    wait_until(lambda: False, 200)
    loaded_rss = rss_mb()
    out: dict[str, float] = {
        "volume_mb": volume_mb,
        "rss_before_volume_mb": base_rss,
        "rss_with_volume_mb": loaded_rss,
        "rss_over_volume": loaded_rss / volume_mb,
        "added_rss_over_volume": (loaded_rss - base_rss) / volume_mb,
    }
    views = list(window.views.values())
    for axis in (ViewAxis.AXIAL, ViewAxis.CORONAL, ViewAxis.SAGITTAL):
        view = window.views[axis]
        own, every = [], []
        for i in range(STEPS):
            t0 = time.perf_counter()
            view.step_slice(1 if i % 20 < 10 else -1)
            view.repaint()
            t1 = time.perf_counter()
            for other in views:  # the crosshair moved in the other two as well
                if other is not view:
                    other.repaint()
            every.append(time.perf_counter() - t0)
            own.append(t1 - t0)
        out[f"scroll_{axis.value}_median_ms"] = statistics.median(own) * 1000
        out[f"scroll_{axis.value}_all_2d_median_ms"] = statistics.median(every) * 1000
        out[f"scroll_{axis.value}_all_2d_max_ms"] = max(every) * 1000
    window.case.undo_stack.setClean()
    window.close()
    QApplication.processEvents()
    del app
    return out


def main() -> None:
    results = bench_first_slice()
    results.update(bench_scroll_and_memory())
    for key, value in results.items():
        print(f"{key:32s} {value:10.3f}")
    print(
        f"goal: scroll < 30 ms -> {'met' if results['scroll_axial_median_ms'] < 30 else 'NOT met'};"
        f" RSS < 2.5x volume -> {'met' if results['rss_over_volume'] < 2.5 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
