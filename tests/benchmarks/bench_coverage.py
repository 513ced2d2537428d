"""Benchmark: coverage and distances recomputed per needle-drag step on a 512x512x400 case.

Target (task brief): < 50 ms per drag step, by working in regions of interest with cached distance
maps. Per step (``TargetEvaluator.evaluate``): two antenna positions on the moved needle, coverage of
lesion + 2 mm (percent, uncovered mask, smallest margin), zone-to-canal and zone-to-posterior-wall
distances, and the needle's length, angles, skin depth, canal distance and pedicle clearance.
Compared in the same run with recomputing the cached parts every step (distance map of the canal,
the lesion's target set) and with SimpleITK's SignedMaurerDistanceMap of the zone union for the
margin (the usual tool). Wall time suffers on a loaded machine; CPU time is printed too.

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
from imaging.vertebra_model import PedicleAxis, VertebraAnatomy
from planning.ablation import voxelise_zones, zones_along_trajectory
from planning.coverage import NeedlePlacement, TargetEvaluator, ZoneModel
from planning.needles import Needle
from planning.trajectory import TrajectoryGeometry
from tests.phantoms.vertebra import make_vertebra_phantom
from tests.phantoms.vertebra_grid import embed_in_large_volume

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

    pedicle_axis = PedicleAxis(
        left.side,
        tuple(left.entry_lps),  # type: ignore[arg-type]
        tuple(left.target_lps),  # type: ignore[arg-type]
        left.min_width_mm,
        tuple(left.isthmus_lps),  # type: ignore[arg-type]
        pedicle,
    )
    anatomy = VertebraAnatomy(
        body=big(ph.body_mask),
        canal=canal,
        posterior_wall=wall,
        body_volume_ml=ph.body_volume_ml,
        body_centroid_lps=tuple(ph.center_lps),  # type: ignore[arg-type]
        body_height_mm=ph.body_height_mm,
        canal_centroid_lps=tuple(ph.canal_centroid_lps),  # type: ignore[arg-type]
        canal_area_mm2=ph.canal_area_mm2,
        posterior_wall_points_lps=(),
        posterior_wall_intact=True,
        posterior_wall_defects=(),
        pedicles={left.side: pedicle_axis},
    )
    needle = Needle.from_gauge(13)
    model = ZoneModel(ZONE["width_mm"], ZONE["length_mm"], ZONE["center_behind_tip_mm"], "bench", False)

    t = time.perf_counter()
    ev = TargetEvaluator(volume, lesion, anatomy, margin_mm=2.0)
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
        e = ev if cached else TargetEvaluator(volume, lesion, anatomy, margin_mm=2.0)
        out = e.evaluate([NeedlePlacement(g, needle, (0.0, 10.0), pedicle_axis)], model)
        dt = time.perf_counter() - t
        cpu_times.append(time.process_time() - cpu)
        res, mt = out.coverage, out.metrics[0]
        if k == 0 and res is not None:
            print(
                f"  step 0: covered {res.covered_percent:.1f} %, margin {res.min_margin_mm:.1f} mm, "
                f"zone to canal {res.zone_to_canal_mm:.1f} mm, "
                f"needle to canal {mt.canal_distance_mm:.1f} mm, "
                f"pedicle clearance {mt.pedicle_clearance_mm:.1f} mm, depth {mt.skin_depth_mm:.0f} mm"
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
        edge = ev.context.lesion_edge_lps
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
