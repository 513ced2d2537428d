"""Study (not run in CI): a vertebra click's time with BLAS's default threads and with one (app/__init__.py).

Runs find_vertebra on the bundled sample case at T7, T9, T11 and T12 (body clicks (-10, 125, z) LPS mm) in
fresh interpreters, alternating ``OPENBLAS_NUM_THREADS`` unset and 1, and prints wall and CPU ms per click
and the body volume (the same under both). Usage: ``PYTHONPATH=. .venv/bin/python
tests/benchmarks/vertebra_click_blas_threads.py [rounds]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = """
import numpy  # before app: the thread count is the environment's, not app/__init__.py's
import json, time
from app.resources import sample_case_path
from imaging.load import load_volume
from imaging.vertebra import find_vertebra
loaded = load_volume(sample_case_path())
volume = getattr(loaded, "volume", loaded)
find_vertebra(volume, (-10.0, 125.0, -92.0))  # warm-up (imports, caches)
out = {}
for level, z in {"T7": -21.5, "T9": -68.5, "T11": -116.0, "T12": -140.0}.items():
    c0, w0 = time.process_time(), time.perf_counter()
    found = find_vertebra(volume, (-10.0, 125.0, z))
    out[level] = [round((time.perf_counter() - w0) * 1000), round((time.process_time() - c0) * 1000),
                  round(found.body_volume_ml, 6)]
print(json.dumps(out))
"""


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    for _ in range(rounds):
        for label, extra in (("default", {}), ("one", {"OPENBLAS_NUM_THREADS": "1"})):
            env = {**base, **extra}
            got = subprocess.run(
                [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
            )
            print(label, "[wall ms, CPU ms, body mL]", json.dumps(json.loads(got.stdout)), flush=True)


if __name__ == "__main__":
    main()
