"""Benchmark of the 3D close-up surface (app.view3d_closeup): extraction, triangles, frame time, stalls.

Run under a display (not in CI):
``xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" .venv/bin/python tests/benchmarks/bench_closeup.py``

Two volumes: the real chest CT (``../shared/data/chest-ct-dicom``, 512x512x141, centred on the T9
body at LPS (-10, 125, -68.5)) and a synthetic 512x512x400 int16 CT (0.75 mm slices, 0.78 mm pixels)
with a column of vertebrae whose trabecular bone (220 HU with correlated noise) straddles the 200 HU
threshold, as real spongy bone does. For each, in a MainWindow with the 3D view (1400x1000 window):

1. the coarse bone surface's triangles, and the close-up's box, stride, extraction time (flying edges),
   coarse-cut time and triangles (``build_closeup`` run directly, median of 3);
2. frame time orbiting (camera azimuth 10 degrees a frame, synchronous render, median of 12): the
   whole volume (reset camera), centred on the target with the coarse surface only (before), and
   centred with the close-up (after); and while dragging to rotate with the close-up in use (on
   software GL the whole coarse surface is drawn while the camera moves);
3. the longest gap of a 10 ms GUI timer from Centre on the crosshair until the close-up is drawn (the
   GUI thread's longest freeze: the centred coarse frame, the close-up's first frame).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SHAPE = (400, 512, 512)
SPACING_MM = (0.75, 0.78, 0.78)
CHEST_TARGET_LPS = (-10.0, 125.0, -68.5)
ORBIT_FRAMES = 12


def synthetic_spine_ct() -> tuple[Any, tuple[float, float, float]]:
    """A 512x512x400 CT with vertebrae (cortex, noisy trabecular bone, pedicles, discs); and a body centre."""
    from scipy.ndimage import gaussian_filter

    from imaging.volume import Volume, affine_from_geometry

    rng = np.random.default_rng(0)
    origin = (-200.0, -200.0, -150.0)
    nz, ny, nx = SHAPE
    dz, dy, dx = SPACING_MM
    y = origin[1] + dy * np.arange(ny)[:, None]
    x = origin[0] + dx * np.arange(nx)[None, :]
    array = np.full(SHAPE, -1000, dtype=np.int16)
    body = (y / 160.0) ** 2 + (x / 190.0) ** 2 <= 1.0
    body_y, radius = 60.0, 20.0
    r = np.hypot(x, y - body_y)
    vb = r <= radius
    cortex = vb & (r > radius - 1.5)
    pedicles = (np.abs(np.abs(x) - 13.0) <= 4.0) & (y > body_y + 15.0) & (y < body_y + 40.0)
    lamina = (np.abs(np.hypot(x, y - body_y - 38.0) - 14.0) <= 2.0) & (y > body_y + 38.0)
    # trabecular texture correlated over about 1.5 mm, drawn once in the column's box
    ys, xs = np.nonzero(vb)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    texture = gaussian_filter(rng.normal(0.0, 1.0, (nz, y1 - y0, x1 - x0)), 2.0)
    texture *= 50.0 / texture.std()
    for k in range(nz):
        z = origin[2] + dz * k
        slab = np.where(body, 40, -1000).astype(np.int16)
        slab += rng.integers(-15, 16, size=slab.shape, dtype=np.int16) * body
        level_z = (z + 150.0) % 30.0  # a level every 30 mm: 24 mm of vertebra, 6 mm of disc
        if level_z < 24.0:
            patch = slab[y0:y1, x0:x1]
            trab = (220.0 + texture[k]).astype(np.int16)
            inside = vb[y0:y1, x0:x1]
            patch[inside] = trab[inside]
            slab[cortex] = 900
            if 6.0 < level_z < 18.0:
                slab[pedicles | lamina] = 850
        else:
            slab[vb] = 80
        array[k] = slab
    # a body centre: level 5, 12 mm above its lower endplate (z = -150 + 5 x 30 + 12)
    return Volume(array, affine_from_geometry(origin, SPACING_MM, np.eye(3))), (0.0, body_y, 12.0)


def chest_ct() -> Any:
    from imaging.load import load_volume

    return load_volume(ROOT.parent / "shared" / "data" / "chest-ct-dicom").volume


def orbit_ms(view: Any) -> float:
    camera = view.renderer.GetActiveCamera()
    times = []
    for _ in range(ORBIT_FRAMES):
        camera.Azimuth(10.0)
        view.renderer.ResetCameraClippingRange()
        t0 = time.perf_counter()
        view.render_window.Render()
        times.append(time.perf_counter() - t0)
    camera.Azimuth(-10.0 * ORBIT_FRAMES)
    return statistics.median(times) * 1000.0


def drag_ms(view: Any) -> float:
    """Median frame while the operator drags to rotate (interactor events: what the mouse sends)."""
    iren = view.interactor
    w, h = view.vtk_widget.width(), view.vtk_widget.height()
    iren.SetEventPosition(w // 2, h // 2)
    iren.LeftButtonPressEvent()
    times = []
    for k in range(1, ORBIT_FRAMES + 1):
        iren.SetEventPosition(w // 2 + 8 * k, h // 2)
        t0 = time.perf_counter()
        iren.MouseMoveEvent()
        times.append(time.perf_counter() - t0)
    iren.LeftButtonReleaseEvent()
    return statistics.median(times) * 1000.0


def run(name: str, volume: Any, target_lps: tuple[float, float, float]) -> dict[str, float | str]:
    from PySide6.QtCore import QTimer

    from app.loading import wait_until
    from app.main_window import MainWindow
    from app.view3d_aids import centre_camera_on
    from app.view3d_closeup import build_closeup

    window = MainWindow(enable_3d=True)
    window.resize(1400, 1000)
    window.show()
    wait_until(lambda: False, 300)
    view = window.view3d
    window.opener.show_volume(volume)
    wait_until(lambda: view._worker is None, 120000)  # type: ignore[attr-defined]
    wait_until(lambda: False, 300)
    coarse = view.bone_actor.GetMapper().GetInput()  # type: ignore[attr-defined]
    out: dict[str, float | str] = {"volume": name, "coarse_triangles": float(coarse.GetNumberOfPolys())}
    runs = [build_closeup(window.state.display, coarse, target_lps, view.bone_threshold_hu) for _ in range(3)]
    result = runs[-1]
    assert result is not None
    out["closeup_box_voxels"] = "x".join(str(n) for n in result.box.shape)
    out["closeup_step"] = float(result.box.step)
    out["closeup_extract_ms"] = statistics.median(r.extract_s for r in runs if r) * 1000.0
    out["coarse_cut_ms"] = statistics.median(r.cut_s for r in runs if r) * 1000.0
    out["closeup_triangles"] = float(result.fine.GetNumberOfPolys())
    out["coarse_outside_triangles"] = float(result.coarse_outside.GetNumberOfPolys())
    out["renderer"] = view.renderer_name  # type: ignore[attr-defined]

    view.reset_camera()  # type: ignore[attr-defined]
    out["frame_whole_ms"] = orbit_ms(view)
    window.state.set_crosshair(target_lps)
    centre_camera_on(view.renderer, target_lps)  # type: ignore[attr-defined]  # no close-up asked
    out["frame_centred_coarse_ms"] = orbit_ms(view)

    view.reset_camera()  # type: ignore[attr-defined]
    view.render_now()  # type: ignore[attr-defined]
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    renders: list[float] = []
    started: list[float] = []
    rw = view.render_window  # type: ignore[attr-defined]
    tags = (
        rw.AddObserver("StartEvent", lambda *_a: started.append(time.perf_counter())),
        rw.AddObserver("EndEvent", lambda *_a: renders.append(time.perf_counter() - started[-1])),
    )
    wait_until(lambda: False, 100)
    t0 = time.perf_counter()
    ticks.append(t0)
    view.centre_on_crosshair()  # type: ignore[attr-defined]
    wait_until(lambda: view.closeup.shown, 60000)  # type: ignore[attr-defined]
    shown_at = time.perf_counter()
    wait_until(lambda: False, 400)  # its (debounced) first frame drawn
    timer.stop()
    for tag in tags:
        rw.RemoveObserver(tag)
    result_shown = view.closeup.result  # type: ignore[attr-defined]
    out["shown_box_mm"] = result_shown.box_mm
    out["shown_closeup_triangles"] = float(result_shown.fine.GetNumberOfPolys())
    out["centre_to_closeup_applied_ms"] = (shown_at - t0) * 1000.0
    out["gui_longest_gap_ms"] = max(np.diff(ticks)) * 1000.0
    out["frames_during_centring_ms"] = " ".join(f"{r * 1000:.0f}" for r in renders)
    out["frame_centred_closeup_ms"] = orbit_ms(view)
    out["drag_frame_centred_closeup_ms"] = drag_ms(view)  # software GL: the coarse surface while moving
    t0 = time.perf_counter()
    view.render_now()  # type: ignore[attr-defined]
    out["still_frame_after_drag_ms"] = (time.perf_counter() - t0) * 1000.0
    window.case.undo_stack.setClean()
    view.shutdown()  # type: ignore[attr-defined]
    window.close()
    return out


def main() -> None:
    from app.gui_app import make_application

    app = make_application()
    results = []
    if (ROOT.parent / "shared" / "data" / "chest-ct-dicom").is_dir():
        results.append(run("chest CT 512x512x141", chest_ct(), CHEST_TARGET_LPS))
    else:
        print("chest CT skipped: ../shared/data is absent")
    volume, target = synthetic_spine_ct()
    results.append(run("synthetic 512x512x400", volume, target))
    for res in results:
        print(f"-- {res['volume']}")
        for key, value in res.items():
            if key != "volume":
                print(f"  {key:30s} {value if isinstance(value, str) else f'{value:10.1f}'}")
    del app


if __name__ == "__main__":
    main()
