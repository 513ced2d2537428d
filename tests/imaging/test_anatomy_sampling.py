"""The vertebra search samples shared work once, with the same answers (issue 4: a vertebra in under 2 s).

On the synthetic vertebra of tests/phantoms/vertebra (1 mm isotropic, head first): both pedicles look for
their waists in the same planes through the canal, so each plane is sampled from the bony solid once,
not once per side; the pedicle's walls followed at several heights side by side give each height the
walls it gets followed alone; and the star body's depth over its padded bounding box is its depth over
the whole ROI. Exact equality throughout: these are the same computations, only shared or batched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import ndimage

import imaging.pedicle_midline as pedicle_midline
import imaging.pedicle_waist as pedicle_waist
import imaging.vertebra_pedicles as vertebra_pedicles
from imaging.pedicle_waist import WAIST_REACH_MM, WAIST_STEP_MM, WaistPlanes
from imaging.vertebra import find_vertebra
from imaging.vertebra_roi import LpsRoi
from imaging.vertebra_star import _padded_box
from tests.phantoms.vertebra import make_vertebra_phantom

#: nodes along each side of a waist plane
PLANE_NODES = round(2.0 * WAIST_REACH_MM / WAIST_STEP_MM) + 1


def test_each_waist_plane_is_sampled_once_for_both_pedicles(monkeypatch: pytest.MonkeyPatch) -> None:
    phantom = make_vertebra_phantom()
    heights: list[float] = []
    planes_sampled: list[tuple[int, ...]] = []
    find_waist = pedicle_waist.find_waist
    sample = LpsRoi.sample

    def waist_spy(*args: Any, **kwargs: Any) -> Any:
        heights.append(float(kwargs["height_mm"]))
        return find_waist(*args, **kwargs)

    def sample_spy(self: LpsRoi, data: Any, points_lps: Any, **kwargs: Any) -> Any:
        shape = np.shape(points_lps)[:-1]
        if shape == (PLANE_NODES, PLANE_NODES):
            planes_sampled.append(shape)
        return sample(self, data, points_lps, **kwargs)

    monkeypatch.setattr(pedicle_waist, "find_waist", waist_spy)
    monkeypatch.setattr(LpsRoi, "sample", sample_spy)
    anatomy = find_vertebra(phantom.volume, phantom.center_lps)
    assert len(anatomy.pedicles) == 2
    # both sides looked at some of the same heights, and each height's plane was sampled once
    assert len(set(heights)) < len(heights)
    assert len(planes_sampled) == len(set(heights))


def test_waist_planes_built_on_another_solid_are_refused() -> None:
    phantom = make_vertebra_phantom()
    seen: dict[str, Any] = {}
    original = vertebra_pedicles.pedicle_waist

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.update(args=args, kwargs=kwargs)
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vertebra_pedicles, "pedicle_waist", spy)
        find_vertebra(phantom.volume, phantom.center_lps)
    _, roi, solid = seen["args"]
    kwargs = seen["kwargs"]
    other = WaistPlanes(roi, solid.copy(), kwargs["frame"])
    with pytest.raises(ValueError, match='"planes"'):
        pedicle_waist.find_waist(
            roi,
            solid,
            frame=kwargs["frame"],
            sgn=kwargs["sgn"],
            height_mm=0.0,
            t_range_mm=kwargs["t_range_mm"],
            convergence_range_deg=kwargs["convergence_range_deg"],
            planes=other,
        )


def test_walls_followed_together_are_the_walls_followed_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    phantom = make_vertebra_phantom()
    calls: list[tuple[tuple[Any, ...], dict[str, Any], list[Any]]] = []
    together = pedicle_midline.track_walls_together

    def spy(*args: Any, **kwargs: Any) -> Any:
        found = together(*args, **kwargs)
        calls.append((args, kwargs, found))
        return found

    monkeypatch.setattr(pedicle_midline, "track_walls_together", spy)
    find_vertebra(phantom.volume, phantom.center_lps)
    monkeypatch.undo()  # track_walls follows its one walk through track_walls_together
    assert len(calls) == 2  # one per pedicle
    for args, kwargs, found in calls:
        starts = kwargs.pop("starts_lps")
        assert len(found) == len(starts) >= 2
        for start, walls in zip(starts, found, strict=True):
            alone = pedicle_midline.track_walls(*args, start_lps=start, **kwargs)
            assert len(walls[0]) >= 6  # rows were found: the comparison is not of empty walks
            for a, b in zip(walls, alone, strict=True):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", range(6))
def test_depth_over_the_padded_box_is_the_depth_over_the_whole_array(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = np.zeros((30, 26, 22), dtype=bool)
    centre = rng.uniform(0.0, 1.0, 3) * np.array(mask.shape)
    radius = rng.uniform(4.0, 12.0)
    zz, yy, xx = np.indices(mask.shape)
    mask |= (zz - centre[0]) ** 2 + (yy - centre[1]) ** 2 + (xx - centre[2]) ** 2 <= radius**2
    mask &= rng.random(mask.shape) > 0.05  # pores inside
    box = _padded_box(mask)
    whole = ndimage.distance_transform_edt(mask, sampling=1.0)
    np.testing.assert_array_equal(ndimage.distance_transform_edt(mask[box], sampling=1.0), whole[box])
    outside = np.ones(mask.shape, dtype=bool)
    outside[box] = False
    assert not mask[outside].any()


def test_padded_box_of_an_empty_mask_is_the_whole_array() -> None:
    mask = np.zeros((5, 6, 7), dtype=bool)
    assert mask[_padded_box(mask)].shape == mask.shape
