"""Benchmark (not run in CI): vertebral anatomy from a click on a CT-sized volume.

Builds the phantom vertebra of tests/phantoms/vertebra.py (0.8 x 0.8 mm pixels, 1 mm slices, with
the vertebrae above and below) and embeds it in a 512x512x400 int16 volume, then times, in the same
run:

* ``find_vertebra`` from a click in the body (the whole pipeline: ROI resampling, bony solid, canal,
  body by rays, wall, pedicles, masks mapped back to the source grid) - the goal is < 2 s;
* its stages: the ROI resampling alone and the bony solid alone;
* a baseline on the same ROI: SimpleITK ``ConnectedThreshold`` from the click at the bone threshold
  (region growing only: it finds neither the body's cortex, the canal nor the pedicles);
* peak Python memory (tracemalloc) of one ``find_vertebra``;

and checks the answer (body Dice, canal centroid and pedicle width errors) so a fast wrong answer
cannot pass. Run: ``.venv/bin/python tests/benchmarks/bench_anatomy.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from imaging.vertebra import ROI_HIGH_MM, ROI_LOW_MM, ROI_SPACING_MM, find_vertebra
from imaging.vertebra_body import BONE_THRESHOLD_HU, bony_solid
from imaging.vertebra_model import Side
from imaging.vertebra_roi import resample_roi
from tests.phantoms.vertebra import make_vertebra_phantom
from tests.phantoms.vertebra_grid import embed_in_large_volume

SHAPE = (400, 512, 512)
REPEATS = 5


def _median_time(fn: object, repeats: int = REPEATS) -> float:
    return _median_times(fn, repeats)[0]


def _median_times(fn: object, repeats: int = REPEATS) -> tuple[float, float]:
    """Median wall-clock and median CPU time (this process) of ``repeats`` calls, s: on a machine shared
    with other work the CPU time moves less than the wall clock."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def _load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    phantom = make_vertebra_phantom(spacing_mm=(1.0, 0.8, 0.8), adjacent=True, yaw_deg=5.0, seed=11)
    big, offset = embed_in_large_volume(phantom, SHAPE)
    click = phantom.center_lps
    print(f"volume {big}")
    print(f"before: {_load()}")

    anatomy = find_vertebra(big, click)
    sl = tuple(slice(o, o + n) for o, n in zip(offset, phantom.volume.shape, strict=True))
    body = anatomy.body.to_full()[sl]
    dice = 2.0 * (body & phantom.body_mask).sum() / (body.sum() + phantom.body_mask.sum())
    canal_err = float(np.linalg.norm(np.array(anatomy.canal_centroid_lps) - phantom.canal_centroid_lps))
    width_err = max(
        abs(anatomy.pedicles[s].min_width_mm - phantom.pedicles[s].min_width_mm)
        for s in (Side.LEFT, Side.RIGHT)
    )
    print(f"answer: body Dice {dice:.3f}, canal centroid error {canal_err:.2f} mm, ", end="")
    print(f"width error {width_err:.2f} mm")
    if dice < 0.9 or canal_err > 2.0 or width_err > 1.0:
        raise SystemExit("wrong answer: the timing below would mean nothing")

    t_full, cpu_full = _median_times(lambda: find_vertebra(big, click))
    bounds = np.array([ROI_LOW_MM, ROI_HIGH_MM])
    t_roi = _median_time(lambda: resample_roi(big, click, bounds, ROI_SPACING_MM))
    roi = resample_roi(big, click, bounds, ROI_SPACING_MM)
    t_solid = _median_time(lambda: bony_solid(roi))

    image = sitk.GetImageFromArray(roi.array)
    seed_zyx = np.rint(roi.lps_to_index(click)).astype(int)
    seed_xyz = [int(seed_zyx[2]), int(seed_zyx[1]), int(seed_zyx[0])]

    def grow() -> None:
        sitk.ConnectedThreshold(image, seedList=[seed_xyz], lower=BONE_THRESHOLD_HU, upper=3000.0)

    t_sitk = _median_time(grow)

    tracemalloc.start()
    find_vertebra(big, click)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"find_vertebra (whole pipeline)      median {t_full * 1000:7.0f} ms  (goal < 2000 ms)", end="")
    print(f", CPU {cpu_full * 1000:.0f} ms; {_load()}")
    print(f"  ROI resampling to 1 mm LPS        median {t_roi * 1000:7.0f} ms")
    print(f"  bony solid on the ROI             median {t_solid * 1000:7.0f} ms")
    print(f"SimpleITK ConnectedThreshold (ROI)  median {t_sitk * 1000:7.0f} ms  (growing only)")
    print(f"ratio find_vertebra / ConnectedThreshold: {t_full / t_sitk:.1f}")
    print(f"peak Python memory of find_vertebra: {peak / 1e6:.0f} MB ", end="")
    print(f"(the volume itself {big.array.nbytes / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
