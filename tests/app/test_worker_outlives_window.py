"""A job's thread outlives its Worker: deleting the Worker (its window closed) while the job runs must
not abort the process (Qt's fatal "QThread: Destroyed while thread is still running").

Run in a child process: on the old code the abort would take the test run down with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import gc, threading, time
import shiboken6
from PySide6.QtCore import QCoreApplication, QObject
from app.loading import Worker

app = QCoreApplication([])
release, started, ended = threading.Event(), threading.Event(), threading.Event()

def job(progress, cancel):
    started.set()
    release.wait(10)
    ended.set()
    return 1

owner = QObject()  # the window: the Worker is its child and goes with it
worker = Worker(job, owner)
worker.start()
assert started.wait(10)
del worker
shiboken6.delete(owner)  # the window deleted now, its children with it
del owner
gc.collect()
release.set()
assert ended.wait(10)
time.sleep(0.2)
app.processEvents()
print("survived")
"""


def test_deleting_a_worker_while_its_job_runs_does_not_abort_the_process() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0 and "survived" in done.stdout, (done.returncode, done.stderr[-500:])
