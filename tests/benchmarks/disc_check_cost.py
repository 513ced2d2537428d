"""Study (not run in CI): what the found body's disc checks cost per vertebra (imaging.vertebra_refusal).

Run from a checkout::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/disc_check_cost.py body|lytic

For each click of ``tests/benchmarks/click_place_figures.py body`` (or ``lytic``) the search runs as
usual, and for each body found the checks :func:`imaging.vertebra_refusal.body_across_disc` and
:func:`imaging.vertebra_refusal.body_is_disc` are timed (process CPU) and the calls they make to
:func:`imaging.disc_click.disc_at_point` counted. Prints one line per click (the outcome, the calls, the
CPU of the checks, s), then the median and largest CPU and the calls in all. Positions LPS mm.

Measured in session 22 (``body``, load average 10-13): 8905c1a, 105 bodies, CPU median 0.222 s, max
0.773 s, total 27.9 s, bodies by profiles {1: 93, 2: 11, 3: 1}; with body_is_disc's shortcuts and
LpsRoi.in_scan's, median 0.143 s, max 0.410 s, total 14.9 s, {0: 31, 1: 72, 2: 2}, every outcome the same.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from typing import Any

import imaging.vertebra as vertebra
import imaging.vertebra_refusal as refusal
from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError
from tests.benchmarks.click_place_figures import _body_clicks, _lytic_clicks

_calls: list[int] = [0]
_cpu: list[float] = [0.0]


def _counted(fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _calls[0] += 1
        return fn(*args, **kwargs)

    return wrapper


def _timed(fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _cpu[0] += time.process_time() - start

    return wrapper


def main(which: str) -> None:
    refusal.disc_at_point = _counted(refusal.disc_at_point)  # type: ignore[attr-defined]
    vertebra.body_across_disc = _timed(vertebra.body_across_disc)  # type: ignore[attr-defined]
    vertebra.body_is_disc = _timed(vertebra.body_is_disc)  # type: ignore[attr-defined]
    clicks = {"body": _body_clicks, "lytic": _lytic_clicks}[which]()
    cpu: list[float] = []
    calls: Counter[int] = Counter()
    for name, volume, click in clicks:
        _calls[0], _cpu[0] = 0, 0.0
        try:
            anatomy = vertebra.find_vertebra(volume, click)
            outcome = f"OK body {anatomy.body_volume_ml:.1f} mL"
        except ClickNotInBodyError:
            outcome = "NOT-IN-BODY"
        except VertebraNotFoundError:
            outcome = "REFUSED"
        if _cpu[0] > 0.0:  # a body was found and checked
            cpu.append(_cpu[0])
            calls[_calls[0]] += 1
        print(f"{name}: {outcome}; disc_at_point calls {_calls[0]}, checks CPU {_cpu[0]:.3f} s", flush=True)
    print(
        f"bodies checked {len(cpu)}: CPU median {statistics.median(cpu):.3f} s, max {max(cpu):.3f} s, "
        f"total {sum(cpu):.1f} s; bodies by disc_at_point calls {dict(sorted(calls.items()))}"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "body")
