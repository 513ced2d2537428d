"""The Volume type's geometry against SimpleITK's conventions and closed-form values."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.volume import Volume, affine_from_geometry
from tests.phantoms.ct import rotation_lps


def _volume(direction: np.ndarray) -> Volume:
    m = affine_from_geometry((10.0, -20.0, 30.0), (2.5, 0.8, 0.6), direction)
    return Volume(np.zeros((5, 6, 7), dtype=np.int16), m)


def test_index_to_lps_matches_simpleitk() -> None:
    d = rotation_lps((1.0, 2.0, 3.0), 37.0)
    v = _volume(d)
    image = sitk.Image(7, 6, 5, sitk.sitkInt16)
    image.SetOrigin((10.0, -20.0, 30.0))
    image.SetSpacing((0.6, 0.8, 2.5))
    image.SetDirection(tuple(d.reshape(-1)))
    for k, i, j in [(0, 0, 0), (4, 5, 6), (2, 3, 1)]:
        expected = image.TransformContinuousIndexToPhysicalPoint((float(j), float(i), float(k)))
        np.testing.assert_allclose(v.index_to_lps_points([k, i, j]), expected, atol=1e-9)
    np.testing.assert_allclose(v.direction, d, atol=1e-12)
    assert v.spacing_mm == pytest.approx((2.5, 0.8, 0.6))


def test_round_trip_and_crop() -> None:
    v = _volume(rotation_lps((0.0, 1.0, 0.0), 15.0))
    idx = np.array([[1.5, 2.25, 3.0], [0.0, 5.0, 6.0]])
    np.testing.assert_allclose(v.lps_to_index_points(v.index_to_lps_points(idx)), idx, atol=1e-9)
    c = v.crop((1, 2, 3), (4, 5, 7))
    assert c.shape == (3, 3, 4)
    np.testing.assert_allclose(c.index_to_lps_points([0, 0, 0]), v.index_to_lps_points([1, 2, 3]), atol=1e-9)
    assert v.voxel_volume_ml == pytest.approx(2.5 * 0.8 * 0.6 / 1000)


def test_orientation_codes() -> None:
    assert _volume(np.eye(3)).orientation_code() == "LPS"
    assert _volume(np.diag([-1.0, 1.0, -1.0])).orientation_code() == "RPI"
