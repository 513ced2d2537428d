"""A seed on the bone's cortex is not a sclerotic lesion (imaging.lesion_cortex.refuse_seed_on_cortex).

Session 20 study (tests/benchmarks/study_normal_bone_accepted.py): random seeds in normal bone were
accepted as blastic lesions on the inner layer of cortex thicker than 2 mm (ribs, laminae, end plates).
Rule A refuses a seed judged sclerotic whose 2 mm ball holds cortex (smoothed bone above
``blastic_typical_hu + abnormal_delta_hu`` = 742 HU running out to the bone's surface), unless the whole
ball reads as a dense lesion's interior (654-1000 HU), so that a dense blastic lesion abutting the cortex
is still found when clicked inside it.

Phantoms, 1 mm voxels, LPS = index - 30 mm, arrays [z, y, x]: a block of trabecular bone (200 HU,
CLINICAL.md: 226 +- 44 HU at L1) in soft tissue (40 HU) with a cortical shell, noise 20 HU.

* Juxtacortical lesion: cortex 3 mm of 1200 HU (CLINICAL.md: cortical bone 1000-2000 HU) and a blastic
  ball of 800 HU (CLINICAL.md: 654 +- 176 HU), radius 8 mm, touching the cortex's inner face at y = -17.
* No lesion: cortex 4 mm of 900 HU (partial-volumed cortex as it reads on CT, as test_lesion_cortex), the
  seed on its inner layer, where the study's normal seeds were accepted.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters
from imaging.lesion_model import LesionType
from imaging.volume import Volume, affine_from_geometry

BoolArray = npt.NDArray[np.bool_]

TRABECULAR_HU = 200.0
SOFT_TISSUE_HU = 40.0
BLASTIC_HU = 800.0
NOISE_HU = 20.0
HALF_MM = 30  # the grid spans -30..29 mm along each axis
BLOCK_MM = (24.0, 20.0, 20.0)  # half sizes z, y, x of the bone block
LESION_RADIUS_MM = 8.0
LESION_Y_MM = -9.0  # with a 3 mm cortex (inner face at y = -17) the ball touches it
ON_CORTEX = "lies on the bone's cortex"


def _phantom(cortex_hu: float, cortex_mm: float, lesion: bool, seed: int = 0) -> tuple[Volume, BoolArray]:
    """(volume, lesion truth) on the grid described in the module docstring."""
    axis = np.arange(-HALF_MM, HALF_MM, dtype=np.float64)
    z, y, x = np.meshgrid(axis, axis, axis, indexing="ij")
    inside = (np.abs(z) < BLOCK_MM[0]) & (np.abs(y) < BLOCK_MM[1]) & (np.abs(x) < BLOCK_MM[2])
    marrow = (
        (np.abs(z) < BLOCK_MM[0] - cortex_mm)
        & (np.abs(y) < BLOCK_MM[1] - cortex_mm)
        & (np.abs(x) < BLOCK_MM[2] - cortex_mm)
    )
    truth = marrow & (z**2 + (y - LESION_Y_MM) ** 2 + x**2 <= LESION_RADIUS_MM**2) & lesion
    hu = np.full(z.shape, SOFT_TISSUE_HU)
    hu[inside] = cortex_hu
    hu[marrow] = TRABECULAR_HU
    hu[truth] = BLASTIC_HU
    hu += np.random.default_rng(seed).normal(0.0, NOISE_HU, hu.shape)
    affine = affine_from_geometry((-HALF_MM, -HALF_MM, -HALF_MM), (1.0, 1.0, 1.0), np.eye(3))
    return Volume(hu.astype(np.float32), affine), truth


def _dice(a: BoolArray, b: BoolArray) -> float:
    return 2.0 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


@pytest.mark.parametrize(
    "seed_y_mm",
    [
        LESION_Y_MM,  # the centre: 8 mm inside the lesion
        LESION_Y_MM - 4.0,  # 4 mm inside it on the cortex's side: its ball reaches 2 mm from the cortex
        LESION_Y_MM + 4.0,
    ],
)
def test_dense_lesion_abutting_the_cortex_is_found_from_inside(seed_y_mm: float) -> None:
    volume, truth = _phantom(1200.0, 3.0, lesion=True)
    lesion = segment_lesion(volume, (0.0, seed_y_mm, 0.0))
    assert lesion.type is LesionType.BLASTIC
    dice = _dice(lesion.mask.to_full(), truth)
    assert dice >= 0.9, dice


def test_click_on_the_cortex_next_to_the_lesion_is_refused() -> None:
    volume, _ = _phantom(1200.0, 3.0, lesion=True)
    # the middle of the cortex's 3 mm, where the lesion abuts it
    with pytest.raises(NoLesionAtSeedError, match=ON_CORTEX) as info:
        segment_lesion(volume, (0.0, -18.0, 0.0))
    assert "click inside the lesion, away from the cortex" in str(info.value)
    assert info.value.at_bone


@pytest.mark.parametrize("noise_seed", [0, 1, 2])
def test_seed_on_the_inner_layer_of_cortex_without_a_lesion_is_refused(noise_seed: int) -> None:
    # before the rule this grew a "blastic lesion" along the cortex's inner layer
    volume, _ = _phantom(900.0, 4.0, lesion=False, seed=noise_seed)
    with pytest.raises(NoLesionAtSeedError, match=ON_CORTEX):
        segment_lesion(volume, (0.0, -16.0, 0.0))


def test_operator_reference_or_cortex_check_off_lets_the_seed_through() -> None:
    # the refusal says an operator's reference HU can still give a lesion there (at_bone), so it must
    volume, _ = _phantom(900.0, 4.0, lesion=False)
    assert segment_lesion(volume, (0.0, -16.0, 0.0), reference_bone_hu=TRABECULAR_HU).mask.to_full().any()
    off = LesionParameters(cortex_check=False)
    assert segment_lesion(volume, (0.0, -16.0, 0.0), parameters=off).mask.to_full().any()
