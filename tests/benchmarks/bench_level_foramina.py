"""Benchmark (not run in CI): the level suggestions' anatomy checks and the neural foramina, timed.

These timings were asserted in unit tests until session 22 (has_ribs / is_sacrum under 0.5 s,
find_foramina under 0.3 s); the brief has performance measured in benchmarks, so they are measured here:

* ``has_ribs`` and ``is_sacrum`` on the rib-spine phantom padded with air to a 512x512 grid (the search
  works in an ROI, so the grid's size should not matter), against the same calls on the phantom's own grid;
* ``find_foramina`` on the foramina phantom (1 mm axial grid) for a vertebra already found;

each the median of 5 runs after a warm-up, wall time and process CPU. Each answer is checked, so a fast
wrong answer cannot pass. Run: ``PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_level_foramina.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from imaging.level_anatomy import has_ribs, is_sacrum
from imaging.vertebra import find_vertebra
from imaging.vertebra_foramina import find_foramina
from imaging.volume import Volume
from tests.phantoms.foramina import make_foramina_phantom
from tests.phantoms.rib_spine import make_rib_spine_phantom

REPEATS = 5


def _timed(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """Median wall and CPU seconds over REPEATS runs after one warm-up, and the last answer."""
    out = call()
    walls, cpus = [], []
    for _ in range(REPEATS):
        w, c = time.perf_counter(), time.process_time()
        out = call()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> int:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians of {REPEATS} runs")
    spine = make_rib_spine_phantom()
    small = spine.volume
    big_array = np.full((small.shape[0], 512, 512), -1000, dtype=np.int16)
    big_array[:, : small.shape[1], : small.shape[2]] = small.array
    big = Volume(big_array, small.index_to_lps)
    ok = True
    for name, vol in (("phantom grid", small), ("512x512 grid", big)):
        wall, cpu, ribs = _timed(lambda v=vol: has_ribs(v, spine.center("T12")))
        ok &= ribs.has_ribs is True
        print(f"has_ribs T12, {name} {vol.shape}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")
        wall, cpu, sacrum = _timed(lambda v=vol: is_sacrum(v, spine.center("S1")))
        ok &= sacrum.is_sacrum is True
        print(f"is_sacrum S1, {name}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")
    ph = make_foramina_phantom()
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    wall, cpu, foramina = _timed(lambda: find_foramina(ph.volume, anatomy))
    ok &= len(foramina.found()) == 4
    print(f"find_foramina, foramina phantom: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")
    print("answers right" if ok else "WRONG ANSWER")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
