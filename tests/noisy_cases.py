"""The session-17 QA's noisy real volumes, rebuilt as its script (mkvar.py) made them, for the tests of
how noise is reported (imaging.lesion_noise, imaging.image_noise, the CLI's and the window's words).

The QA drew its Gaussian noise from one ``numpy.random.default_rng(17)`` stream in a fixed order: the
abdomen CT at 30 HU, then at 60 HU, then bone-lesions case1 at 30 HU, then case1 at 60 HU; each noisy
volume is the clean one plus its draw, clipped to the CT range (-1024..3071 HU). HU, float32.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imaging.image_files import read_image
from imaging.volume import Volume

__all__ = ["qa_noisy_abdomen", "qa_noisy_case1", "with_noise"]


def with_noise(volume: Volume, rng: np.random.Generator, sd_hu: float) -> Volume:
    """``volume`` plus a Gaussian draw of ``sd_hu`` from ``rng``, clipped to -1024..3071 HU."""
    noisy = volume.array.astype(np.float64) + rng.normal(0.0, sd_hu, volume.shape)
    return volume.with_array(np.clip(noisy, -1024, 3071).astype(np.float32))


def qa_noisy_abdomen(data: Path) -> Volume:
    """The QA's abd_noise60: the abdomen CT with its 60 HU draw (after its 30 HU one)."""
    abdomen = read_image(data / "abdomen-pelvis-ct" / "ct.nii.gz")
    rng = np.random.default_rng(17)
    rng.normal(0.0, 30.0, abdomen.shape)
    return with_noise(abdomen, rng, 60.0)


def qa_noisy_case1(data: Path) -> Volume:
    """The QA's c1_noise60: bone-lesions case1 with its 60 HU draw (after the abdomen's two draws and
    case1's 30 HU one)."""
    abdomen = read_image(data / "abdomen-pelvis-ct" / "ct.nii.gz")
    case1 = read_image(data / "bone-lesions" / "case1.nii.gz")
    rng = np.random.default_rng(17)
    for sd_hu in (30.0, 60.0):
        rng.normal(0.0, sd_hu, abdomen.shape)
    rng.normal(0.0, 30.0, case1.shape)
    return with_noise(case1, rng, 60.0)
