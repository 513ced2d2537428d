"""The vertebra search's region and its bony masks are built once per click (imaging.search_region).

Session 29's last read: a click reading soft tissue had its region resampled and its bony masks built by
the refusal asked before the search (imaging.click_soft.soft_outside_section_hull), again by the search,
and a third time by the refusal after it. Now one :class:`~imaging.search_region.SearchRegion` is read by
all of them; its arrays are read-only, so a step that wrote to them would fail instead of changing what the
next step reads. Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import pytest

import imaging.search_region as search_region
from imaging.bony_masks import BonyMasks, bony_solid
from imaging.click_tissue import Tissue, click_tissue
from imaging.vertebra import ROI_HIGH_MM, ROI_LOW_MM, ROI_SPACING_MM, find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.vertebra_roi import LpsRoi, resample_roi
from tests.phantoms.vertebra import make_vertebra_phantom


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[LpsRoi]:
    """The regions whose bony masks were built, in order."""
    built: list[LpsRoi] = []

    def counted(roi: LpsRoi) -> BonyMasks:
        built.append(roi)
        return bony_solid(roi)

    monkeypatch.setattr(search_region, "bony_solid", counted)
    return built


def test_a_soft_click_let_through_to_the_search_builds_its_masks_once(builds: list[LpsRoi]) -> None:
    """A click in a lytic lesion reads soft tissue: it is asked about before the search (the hull test
    reads the masks) and then searched, from the same masks."""
    phantom = make_vertebra_phantom(lesion=(0.0, -4.0, 0.0, 7.0), seed=3)
    click = np.asarray(phantom.lesion_center_lps, dtype=np.float64)
    assert click_tissue(phantom.volume, click).tissue is Tissue.SOFT
    anatomy = find_vertebra(phantom.volume, click)
    assert np.linalg.norm(np.subtract(anatomy.body_centroid_lps, phantom.center_lps)) < 3.0
    assert len(builds) == 1


def test_a_soft_click_refused_before_the_search_builds_its_masks_once(builds: list[LpsRoi]) -> None:
    """Soft tissue 8 mm in front of the body's cortex, outside the hull of its section's bone."""
    phantom = make_vertebra_phantom(seed=3)
    front = phantom.center_lps - phantom.local_to_lps_rotation[:, 1] * (phantom.body_semi_axes_mm[1] + 8.0)
    assert click_tissue(phantom.volume, front).tissue is Tissue.SOFT
    with pytest.raises(ClickNotInBodyError, match="no bone encloses it"):
        find_vertebra(phantom.volume, front)
    assert len(builds) == 1


def test_the_region_is_the_search_region_and_read_only() -> None:
    phantom = make_vertebra_phantom(seed=3)
    point = np.asarray(phantom.center_lps, dtype=np.float64)
    half = np.array([ROI_LOW_MM, ROI_HIGH_MM])
    region = search_region.SearchRegion(phantom.volume, point, half_mm=half, spacing_mm=ROI_SPACING_MM)
    roi = resample_roi(phantom.volume, point, half, ROI_SPACING_MM)
    masks = bony_solid(roi)
    assert region.roi is region.roi and region.masks is region.masks
    np.testing.assert_array_equal(region.roi.array, roi.array)
    np.testing.assert_array_equal(region.masks.solid, masks.solid)
    for array in (region.roi.array, region.masks.bone, region.masks.smoothed, region.masks.solid):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0, 0] = 1
