"""app.loading.Worker: a job in a QThread whose end the GUI thread can wait for (a closing window)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.loading import Worker
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)


@pytest.mark.parametrize("fails", [False, True])
def test_waiting_for_a_worker_returns_when_its_job_ends(qtbot: Any, fails: bool) -> None:
    # the GUI thread blocked in wait() cannot quit the thread's event loop itself: the thread must end
    # with its job (before: wait() lasted its whole timeout)
    def job(progress: Any, cancel: Any) -> int:
        time.sleep(0.2)
        if fails:
            raise ValueError("bad input")
        return 42

    worker = Worker(job)
    finished: list[object] = []
    failed: list[object] = []
    worker.finished.connect(finished.append)
    worker.failed.connect(failed.append)
    start = time.perf_counter()
    worker.start()
    assert worker.wait(20_000)
    assert time.perf_counter() - start < 10.0
    # the result still reaches the GUI thread once its event loop turns
    qtbot.waitUntil(lambda: bool(finished or failed), timeout=5_000)
    if fails:
        assert not finished and isinstance(failed[0], ValueError)
    else:
        assert finished == [42] and not failed
