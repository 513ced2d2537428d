"""Fixtures shared by the imaging tests: real volumes several test files read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.volume import Volume, affine_from_geometry


@pytest.fixture(scope="module")
def case1(shared_data: Path) -> Volume:
    """bone-lesions/case1.nii.gz (a lumbar vertebra with a small sclerotic lesion, 1 mm voxels) as the
    program's Volume (HU, LPS geometry from the file)."""
    import SimpleITK as sitk

    image = sitk.ReadImage(str(shared_data / "bone-lesions" / "case1.nii.gz"))
    matrix = affine_from_geometry(
        image.GetOrigin(), image.GetSpacing()[::-1], np.array(image.GetDirection()).reshape(3, 3)
    )
    return Volume(sitk.GetArrayFromImage(image), matrix)


@pytest.fixture(scope="module")
def abdomen(shared_data: Path) -> Volume:
    """abdomen-pelvis-ct/ct.nii.gz (3 mm slices, T12 to the sacrum) as the program's Volume, read once per run
    (tests/imaging/real_volumes.py)."""
    from tests.imaging.real_volumes import abdomen_ct

    return abdomen_ct(shared_data)
