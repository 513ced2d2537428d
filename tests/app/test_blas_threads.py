"""The program limits BLAS to one thread before numpy loads, unless the operator chose otherwise
(app/__init__.py).

Checked in a fresh interpreter (this test process imported numpy long ago): importing ``app`` first, as the
``osteoplan`` entry point does, then numpy, whose BLAS must report one thread; a value the operator set is
kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: imports app then numpy, and prints the thread count numpy's own OpenBLAS reports (the wheel bundles it
#: as numpy.libs/libscipy_openblas*; a numpy built otherwise prints "unknown" and the test is skipped)
PROBE = """
import app, ctypes, glob, os, numpy
libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), "..", "numpy.libs", "libscipy_openblas*"))
get = None
for name in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads"):
    get = get or (getattr(ctypes.CDLL(libs[0]), name, None) if libs else None)
print(get() if get else "unknown")
"""


def _run(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    env.update(env_extra)
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    got = out.stdout.strip()
    if got == "unknown":
        pytest.skip("numpy's BLAS is not the bundled OpenBLAS: its thread count cannot be read here")
    return got


def test_blas_is_limited_to_one_thread_when_the_operator_chose_nothing() -> None:
    assert _run({}) == "1"


@pytest.mark.parametrize("name", ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"])
def test_a_thread_count_the_operator_set_is_kept(name: str) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: OpenBLAS caps every count at 1")
    # 2 threads: OpenBLAS caps the count at the machine's cores (2 here), so 2 tells a kept choice from 1
    assert _run({name: "2"}) == "2"
