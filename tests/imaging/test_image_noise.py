"""The image's noise, measured in uniform fat and soft tissue, and what the vertebra search says on a noisy
image (session 17 QA item 5: Gaussian noise of 60 HU on the abdomen CT gave a body of 29.75 mL for
41.41 and two "destroyed" posterior-wall gaps with no lesion, without a word about the noise).

Noise is added in the tests with a fixed seed; added to an image that has its own, the two add in
quadrature (independent Gaussian noise).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from imaging.image_files import read_image
from imaging.image_noise import (
    HIGH_NOISE_SD_HU,
    _window_min_max,
    noise_at_reference_volume,
    noise_note,
    noise_sd_hu,
    noise_sd_near,
)
from imaging.vertebra import find_vertebra
from imaging.volume import Volume
from planning.vertebra_figures import anatomy_warnings

#: abdomen-pelvis-ct: a click in L3's body (LPS mm), as the QA's
ABDOMEN_L3_LPS = (4.9, -141.3, 315.7)


@cache
def _abdomen(root: str) -> Volume:
    return read_image(Path(root) / "abdomen-pelvis-ct" / "ct.nii.gz")


def _noisy(volume: Volume, sd_hu: float, seed: int) -> Volume:
    rng = np.random.default_rng(seed)
    return volume.with_array(volume.array + rng.normal(0.0, sd_hu, volume.shape).astype(np.float32))


@pytest.mark.parametrize("sd_hu", [5.0, 20.0, 60.0])
def test_noise_of_a_phantom_is_measured(sd_hu: float) -> None:
    # fat, muscle and a bright bone block (which must not count), each with the same Gaussian noise
    rng = np.random.default_rng(int(sd_hu))
    a = np.full((20, 80, 80), 40.0)
    a[:, :, :30] = -100.0
    a[:, 30:50, 55:75] = 700.0
    a += rng.normal(0.0, sd_hu, a.shape)
    got = noise_sd_hu(a)
    assert got is not None
    assert abs(got - sd_hu) <= 0.1 * sd_hu


def test_noise_needs_uniform_tissue() -> None:
    assert noise_sd_hu(np.full((4, 30, 30), 900.0)) is None
    assert noise_sd_hu(np.zeros((4, 30, 30))) is None  # a constant fill has no noise to measure
    with pytest.raises(ValueError, match='"hu"'):
        noise_sd_hu(np.zeros(5))
    with pytest.raises(ValueError, match='"region"'):
        noise_sd_hu(np.zeros((3, 9, 9)), region=np.ones((3, 9, 8), dtype=bool))


@pytest.mark.realdata
@pytest.mark.parametrize("added_hu", [30.0, 60.0])
def test_noise_added_to_real_ct_is_measured(shared_data: Path, added_hu: float) -> None:
    ct = _abdomen(str(shared_data))
    own = noise_sd_near(ct, ABDOMEN_L3_LPS)
    got = noise_sd_near(_noisy(ct, added_hu, seed=17), ABDOMEN_L3_LPS)
    assert own is not None and got is not None
    expected = float(np.hypot(own, added_hu))
    assert abs(got - expected) <= 0.1 * expected, f"{got:.1f} HU for {expected:.1f}"
    # the image as scanned is not called noisy; with noise added it is when, over 27 mm^3, the noise
    # exceeds the stated level (60 HU added on 3 mm voxels: yes, 30 HU: no)
    assert noise_note(own, ct.spacing_mm) is None
    noisy = noise_at_reference_volume(got, ct.spacing_mm) > HIGH_NOISE_SD_HU
    assert (noise_note(got, ct.spacing_mm) is not None) == noisy
    assert noisy == (added_hu == 60.0)


@pytest.mark.realdata
def test_vertebra_on_the_scanned_image_says_nothing_of_noise(shared_data: Path) -> None:
    plain = find_vertebra(_abdomen(str(shared_data)), ABDOMEN_L3_LPS)
    assert not any("noisy" in n for n in plain.notes) and plain.noise_warning is None
    assert not any("noisy" in w for w in anatomy_warnings(plain))
    assert not any(d.description.startswith("uncertain") for d in plain.posterior_wall_defects)


def test_small_voxels_carry_more_noise_before_it_is_called_uncertain() -> None:
    # lumbar-ct-labels reads about 70 HU on 1.5 mm voxels and its bodies come out right (Dice 0.86-0.91):
    # 25 HU over 27 mm^3; the abdomen with 60 HU added on 3 mm voxels is 60 HU over 27 mm^3
    assert noise_note(70.0, (1.5, 1.5, 1.5)) is None
    note = noise_note(66.0, (3.0, 3.0, 3.0))
    assert note is not None and "66 HU" in note and "3 x 3 x 3 mm" in note


#: seeds of the added noise with which gaps appear in L3's wall (seeds 1-5 measured: 2, 4 and 5 give one
#: each, 1 and 3 none), so that their wording is checked
@pytest.mark.realdata
@pytest.mark.parametrize("seed", [2, 4])
def test_vertebra_on_a_noisy_image_says_so(shared_data: Path, seed: int) -> None:
    noisy = find_vertebra(_noisy(_abdomen(str(shared_data)), 60.0, seed=seed), ABDOMEN_L3_LPS)
    # before: no word about the noise, and gaps called "posterior wall destroyed" as certain
    # said as a warning: the status bar and the Vertebrae dock lead with it, the CLI's JSON lists it
    warning = noisy.noise_warning
    assert warning is not None and "noisy" in warning and "uncertain" in warning
    assert warning in anatomy_warnings(noisy)
    assert all(d.description.startswith("uncertain (noisy image)") for d in noisy.posterior_wall_defects)


@pytest.mark.parametrize("shape", [(3, 40, 37), (1, 3, 3), (2, 4, 7), (1, 1, 9), (2, 6, 1)])
def test_window_min_max_is_scipys_nearest_filter(shape: tuple[int, int, int]) -> None:
    a = np.random.default_rng(2).normal(0.0, 100.0, shape).astype(np.float32)
    lo, hi = _window_min_max(a, 2)
    assert np.array_equal(lo, ndimage.minimum_filter(a, size=(1, 5, 5), mode="nearest"))
    assert np.array_equal(hi, ndimage.maximum_filter(a, size=(1, 5, 5), mode="nearest"))
