"""Drag-step cost of the needle planning GUI on a CT-sized case (512 x 512 x 400, int16).

One drag step = one ``MoveTrajectoryTarget`` pushed on the window's undo stack (merged into the
drag's undo step) and everything that follows synchronously: the Needles readouts (length, angles,
skin depth, canal distance), the overlays of the three 2D views repainted (needle band, zones), and
the coverage of the target (lesion + 2 mm margin) by the moved zone. Goal (task): < 50 ms a step.

Also timed, for comparison in the same run: the in-plane and probe's-eye reslices (256 x 256,
scipy map_coordinates), and the first coverage evaluation that builds the lesion's context.

Run: ``xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" .venv/bin/python tests/benchmarks/bench_drag.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SHAPE = (400, 512, 512)
SPACING_MM = (0.75, 0.7, 0.7)
STEPS = 30


def build_volume() -> object:
    """A body cylinder (40 HU) in air with a bone block and a canal cylinder; the grid centred at 0."""
    from imaging.volume import Volume, affine_from_geometry

    origin = -(np.asarray(SHAPE[::-1]) - 1) / 2.0 * np.asarray(SPACING_MM[::-1])
    i2l = affine_from_geometry(tuple(origin), SPACING_MM, np.eye(3))
    arr = np.full(SHAPE, -1000, dtype=np.int16)
    rr, cc = np.mgrid[: SHAPE[1], : SHAPE[2]]
    y = (rr - (SHAPE[1] - 1) / 2) * SPACING_MM[1]
    x = (cc - (SHAPE[2] - 1) / 2) * SPACING_MM[2]
    body = (x / 160.0) ** 2 + (y / 120.0) ** 2 <= 1.0
    bone = (np.abs(x) < 25) & (np.abs(y) < 20)
    canal = (x**2 + (y - 35.0) ** 2) <= 8.0**2
    plane = np.where(body, 40, -1000).astype(np.int16)
    plane[bone] = 300
    plane[canal] = 10
    arr[:] = plane
    return Volume(arr, i2l), canal


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from app.display_geometry import ViewAxis
    from app.main_window import MainWindow
    from app.planning_ui import install
    from imaging.mask import Mask
    from planning.commands import AddLayer, AddTarget, AddTrajectory, MoveTrajectoryTarget
    from planning.model import AblationSpec, Approach, LayerKind, MaskLayer, Target, Trajectory

    app = QApplication.instance() or QApplication(sys.argv)
    t0 = time.perf_counter()
    volume, canal_plane = build_volume()
    print(f"volume {SHAPE} int16 built in {time.perf_counter() - t0:.2f} s")
    win = MainWindow(enable_3d=False, extensions=False)
    ui = install(win)
    win.resize(1400, 900)
    win.show()
    app.processEvents()
    win.opener.show_volume(volume)
    app.processEvents()

    # lesion: sphere r 8 mm at the origin; canal: the cylinder behind the body, as a cropped mask
    idx = np.argwhere(np.ones((24, 24, 24), dtype=bool))
    centre_index = volume.lps_to_index_points((0.0, 0.0, 0.0))
    lo = np.floor(centre_index - 12).astype(int)
    pts = volume.index_to_lps_points((idx + lo).astype(float))
    box = (np.linalg.norm(pts, axis=1) <= 8.0).reshape(24, 24, 24)
    lesion = Mask.from_box(box, tuple(int(v) for v in lo), SHAPE)
    rows = np.nonzero(canal_plane.any(axis=1))[0]
    cols = np.nonzero(canal_plane.any(axis=0))[0]
    canal_box = np.broadcast_to(
        canal_plane[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], (SHAPE[0], len(rows), len(cols))
    ).copy()
    canal = Mask.from_box(canal_box, (0, int(rows[0]), int(cols[0])), SHAPE)
    win.case.push(AddLayer(MaskLayer.new("L1 lesion", LayerKind.LESION, lesion)))
    win.case.push(AddLayer(MaskLayer.new("L1 canal", LayerKind.CANAL, canal)))
    win.case.push(AddTarget(Target("L1", lesion_seed_lps=(0.0, 0.0, 0.0), lesion_layer="L1 lesion")))
    spec = AblationSpec(profile="Emprint 100 W 5 min")
    entry, tip = (60.0, 110.0, 5.0), (5.0, 2.0, 0.0)
    win.case.push(AddTrajectory(Trajectory("L1 needle 1", "L1", Approach.DIRECT, entry, tip, ablation=spec)))
    ui.controller.select("L1 needle 1")
    win.state.set_crosshair(tip)
    app.processEvents()

    t0 = time.perf_counter()
    ui.coverage_panel.recompute()
    first_cov = time.perf_counter() - t0
    print(f"first coverage (builds the lesion context, canal distance field): {1000 * first_cov:.1f} ms")

    step_ms, cover_ms, paint_ms = [], [], []
    drag_id = ui.controller.new_drag_id()
    count = win.case.undo_stack.count()
    for k in range(STEPS):
        p = (5.0 + 0.3 * k, 2.0 - 0.2 * k, 0.0)
        t0 = time.perf_counter()
        win.case.push(MoveTrajectoryTarget("L1 needle 1", p, drag_id=drag_id))
        win.state.set_crosshair(p)
        t1 = time.perf_counter()
        for view in win.views.values():
            view.repaint()
        t2 = time.perf_counter()
        ui.coverage_panel.recompute()
        t3 = time.perf_counter()
        step_ms.append(1000 * (t3 - t0))
        paint_ms.append(1000 * (t2 - t1))
        cover_ms.append(1000 * (t3 - t2))
    assert win.case.undo_stack.count() == count + 1, "the drag was not one undo step"
    print(f"drag steps: {STEPS}, one undo step: yes")
    med_step, med_paint, med_cover = (statistics.median(v) for v in (step_ms, paint_ms, cover_ms))
    print(
        f"drag step total median {med_step:.1f} ms (max {max(step_ms):.1f}); of which 3 views repainted "
        f"{med_paint:.1f} ms, coverage {med_cover:.1f} ms; "
        f"push + readouts {med_step - med_paint - med_cover:.1f} ms"
    )
    res = ui.coverage_panel.result
    if res is not None:
        print(f"coverage at the end: {res.covered_percent:.1f} %, min margin {res.min_margin_mm:.1f} mm")

    from app.planning_ui.needle_views import NeedleResliceView, ResliceMode

    for mode in ResliceMode:
        view = NeedleResliceView(ui.controller, mode)
        view.resize(300, 300)
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            view.refresh()
            times.append(1000 * (time.perf_counter() - t0))
        print(f"reslice {mode.value} 256x256: median {statistics.median(times):.1f} ms")
    axial = win.views[ViewAxis.AXIAL]
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        axial.repaint()
        times.append(1000 * (time.perf_counter() - t0))
    print(f"axial view repaint with needle + zone overlays: median {statistics.median(times):.1f} ms")
    win.case.undo_stack.setClean()
    win.close()


if __name__ == "__main__":
    main()
