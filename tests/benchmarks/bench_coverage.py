"""Benchmark: coverage and distances recomputed per needle-drag step on a 512x512x400 case.

Target (task brief): < 50 ms per drag step, by working in regions of interest with cached distance
maps. Per step: two antenna positions on the moved needle, coverage of lesion + 2 mm (percent,
uncovered mask, smallest margin), zone-to-canal and zone-to-posterior-wall distances, the needle's
canal distance and its pedicle clearance. Compared in the same run with recomputing the cached parts
every step (distance map of the canal, the lesion's target set) and with SimpleITK's
SignedMaurerDistanceMap of the zone union for the margin (the usual tool).

Run: ``.venv/bin/python tests/benchmarks/bench_coverage.py`` (prints medians and ratios).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from imaging.mask import Mask
from planning.ablation import voxelise_zones, zones_along_trajectory
from planning.coverage import CoverageContext
from planning.trajectory import DistanceField, TrajectoryGeometry, needle_distance, pedicle_clearance
from tests.phantoms.vertebra import embed_in_large_volume, make_vertebra_phantom

SHAPE = (400, 512, 512)
STEPS = 40
ZONE = {"antenna_extension_mm": 15.0, "width_mm": 35.0, "length_mm": 37.0, "center_behind_tip_mm": 11.5}


def main() -> None:
    t0 = time.perf_counter()
    ph = make_vertebra_phantom(spacing_mm=(0.8, 0.7, 0.7), lesion=(7.0, -7.0, 0.0, 10.0), noise_hu=0.0)
    volume, off = embed_in_large_volume(ph, SHAPE)
    print(f"case: {volume!r}; built in {time.perf_counter() - t0:.1f} s")

    def big(full: np.ndarray) -> Mask:
        m = Mask.from_full(full)
        return Mask(m.array, tuple(a + b for a, b in zip(m.offset_index, off, strict=True)), SHAPE)  # type: ignore[arg-type]

    assert ph.lesion_mask is not None
    lesion, canal, wall = big(ph.lesion_mask), big(ph.canal_mask), big(ph.posterior_wall_mask)
    left = ph.pedicles[next(iter(ph.pedicles))]  # the patient's left
    pedicle = big(left.mask)
    m = volume.index_to_lps

    t = time.perf_counter()
    ctx = CoverageContext(lesion, m, margin_mm=2.0, structures={"canal": canal, "posterior_wall": wall})
    canal_field = DistanceField(canal, m)
    setup_s = time.perf_counter() - t

    rng = np.random.default_rng(0)
    entry0 = left.entry_lps + 60.0 * left.direction_lps
    tip0 = left.target_lps.copy()  # the pedicle axis into the body

    cpu_times: list[float] = []

    def step(k: int, *, cached: bool) -> float:
        jitter = rng.normal(0.0, 1.5, size=3)
        g = TrajectoryGeometry(tuple(entry0 + jitter), tuple(tip0 + 0.3 * jitter))
        t = time.perf_counter()
        cpu = time.process_time()
        c = (
            ctx
            if cached
            else CoverageContext(
                lesion, m, margin_mm=2.0, structures={"canal": canal, "posterior_wall": wall}
            )
        )
        f = canal_field if cached else DistanceField(canal, m)
        zones = zones_along_trajectory(g, pullback_mm=(0.0, 10.0), **ZONE)
        res = c.evaluate(zones)
        nd = needle_distance(f, g, 2.41 / 2)
        pc = pedicle_clearance(pedicle, m, g, 2.41 / 2, tuple(left.isthmus_lps))
        dt = time.perf_counter() - t
        cpu_times.append(time.process_time() - cpu)
        if k == 0:
            print(
                f"  step 0: covered {res.covered_percent:.1f} %, margin {res.min_margin_mm:.1f} mm, "
                f"zone to canal {res.zone_to_canal_mm:.1f} mm, needle to canal {nd.distance_mm:.1f} mm, "
                "pedicle clearance "
                f"{pc.clearance_mm if pc.clearance_mm is None else round(pc.clearance_mm, 1)} mm"
            )
        return dt

    tracemalloc.start()
    cached = [step(k, cached=True) for k in range(STEPS)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    uncached = [step(k + 1, cached=False) for k in range(STEPS // 4)]

    # the usual tool for a margin: SimpleITK signed distance of the voxelised zone union in the ROI
    import SimpleITK as sitk

    sitk_times = []
    for _ in range(STEPS // 4):
        g = TrajectoryGeometry(tuple(entry0), tuple(tip0))
        t = time.perf_counter()
        zones = zones_along_trajectory(g, pullback_mm=(0.0, 10.0), **ZONE)
        union = voxelise_zones(zones, m, SHAPE)
        img = sitk.GetImageFromArray(union.array.astype(np.uint8))
        img.SetSpacing(tuple(reversed(volume.spacing_mm)))
        sd = sitk.GetArrayFromImage(
            sitk.SignedMaurerDistanceMap(img, insideIsPositive=True, useImageSpacing=True)
        )
        edge = ctx.lesion_edge_lps
        idx = np.rint(volume.lps_to_index_points(edge)).astype(int) - np.asarray(union.offset_index)
        ok = np.all((idx >= 0) & (idx < np.asarray(sd.shape)), axis=1)
        _ = float(sd[tuple(idx[ok].T)].min())
        sitk_times.append(time.perf_counter() - t)

    med = statistics.median(cached) * 1000
    cpu_med = statistics.median(cpu_times[:STEPS]) * 1000
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"machine load average {load} on {os.cpu_count()} cores (wall times suffer when it is high)")
    print(f"setup (once per lesion / anatomy): {setup_s * 1000:.0f} ms")
    print(
        f"per drag step, cached ROI work:    median {med:.1f} ms, max {max(cached) * 1000:.1f} ms "
        f"(target < 50 ms) {'OK' if med < 50 else 'TOO SLOW'}; CPU time median {cpu_med:.1f} ms; "
        f"peak traced memory {peak / 1e6:.1f} MB"
    )
    mu = statistics.median(uncached) * 1000
    print(f"per drag step, recomputing maps:   median {mu:.1f} ms  (ratio {mu / med:.1f}x)")
    ms = statistics.median(sitk_times) * 1000
    print(
        f"margin only, SimpleITK Maurer map: median {ms:.1f} ms  "
        f"(ratio to a whole cached step {ms / med:.1f}x)"
    )


if __name__ == "__main__":
    main()
