"""Benchmark of measuring an edited lesion mask again (imaging.lesion_remeasure) on the real lesions.

Run (not in CI; needs ../shared/data):
``PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_lesion_remeasure.py``

For each bone-lesions lesion a seed at its box centre segments: the time of
:func:`imaging.lesion.segment_lesion` and of :func:`imaging.lesion_remeasure.measure_lesion_mask` on its
mask (median of 3), their ratio, and whether the figures are the same. Then the seventh lesion, which a
click at its box centre does not find: a ball drawn by hand on its lucent core (slice 2, row 55, col 72
of the patch) of radius 2, 2.5 and 3 mm, measured with no type and no reference given.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "bone-lesions"


def _median_s(fn: object, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    from imaging.lesion import segment_lesion
    from imaging.lesion_errors import NoLesionAtSeedError
    from imaging.lesion_remeasure import measure_lesion_mask
    from imaging.mask import Mask
    from tests.imaging.test_lesion_realdata import _load, _rows

    rows = _rows(DATA)
    print(f"{'lesion':18s} {'mL':>7s} {'segment ms':>11s} {'measure ms':>11s} {'ratio':>6s}  same figures")
    for i, r in enumerate(rows):
        vol = _load(str(DATA / r["image_path"]))
        seed = (float(r["x"]), float(r["y"]), float(r["z"]))
        try:
            seg_s, les = _median_s(lambda v=vol, s=seed: segment_lesion(v, s))
        except NoLesionAtSeedError as exc:
            print(f"{i}: {r['image_path']:14s} refused: {exc}"[:110])
            continue
        meas_s, again = _median_s(
            lambda v=vol, le=les: measure_lesion_mask(
                v, le.mask, lesion_type=le.type, reference_bone_hu=le.reference_bone_hu, seed_lps=le.seed_lps
            )
        )
        same = (again.volume_ml, again.max_diameter_mm, again.mean_hu, again.cortical_breach_lps) == (
            les.volume_ml,
            les.max_diameter_mm,
            les.mean_hu,
            les.cortical_breach_lps,
        )
        print(
            f"{i}: {r['image_path']:14s} {les.volume_ml:7.2f} {1000 * seg_s:11.0f} {1000 * meas_s:11.0f} "
            f"{meas_s / seg_s:6.2f}  {same}"
        )
    r = rows[6]
    vol = _load(str(DATA / r["image_path"]))
    centre = np.array([float(r["x"]), float(r["y"]), float(r["z"])])
    size = np.array([float(r["width"]), float(r["height"]), float(r["depth"])])
    core = vol.index_to_lps_points(np.array([2.0, 55.0, 72.0]))
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in vol.shape], indexing="ij"), -1).reshape(-1, 3)
    pts = vol.index_to_lps_points(idx.astype(np.float64))
    print("seventh lesion, a ball drawn on its lucent core:")
    for radius in (2.0, 2.5, 3.0):
        drawn = Mask.from_full((np.linalg.norm(pts - core, axis=1) <= radius).reshape(vol.shape))
        t, les = _median_s(
            lambda m=drawn: measure_lesion_mask(vol, m, lesion_type=None, reference_bone_hu=None)
        )
        inside = bool(np.all(np.abs(np.asarray(les.centroid_lps) - centre) <= size / 2.0))
        print(
            f"  r {radius:g} mm: {les.type.value}, {les.volume_ml:.3f} mL, mean {les.mean_hu:.0f} HU, "
            f"reference {les.reference_bone_hu:.0f} HU, centroid in box {inside}, {1000 * t:.0f} ms; "
            + "; ".join(les.notes)
        )


if __name__ == "__main__":
    main()
