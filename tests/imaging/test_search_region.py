"""The vertebra search's region and its bony masks are built once per click (imaging.search_region).

Session 29's last read: a click reading soft tissue had its region resampled and its bony masks built by
the refusal asked before the search (imaging.click_soft.soft_outside_section_hull), again by the search,
and a third time by the refusal after it. Now one :class:`~imaging.search_region.SearchRegion` is read by
all of them; its arrays are read-only, so a step that wrote to them would fail instead of changing what the
next step reads. The metal in the region is found once too (session 30's last read: a soft click let
through to the search because of metal had it looked for again by the refusal after the search). Positions
LPS mm.
"""

from __future__ import annotations

import numpy as np
import pytest

import imaging.search_region as search_region
from imaging.bony_masks import BonyMasks, bony_solid
from imaging.click_tissue import Tissue, click_tissue
from imaging.vertebra import ROI_HIGH_MM, ROI_LOW_MM, ROI_SPACING_MM, find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError
from imaging.vertebra_metal import MetalFinding, find_metal
from imaging.vertebra_roi import LpsRoi, resample_roi
from imaging.volume import Volume, affine_from_geometry
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


def test_metal_is_looked_for_once_when_a_soft_click_is_let_through_and_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Muscle with a 3000 HU rod 15 mm to the right of the click and no bone (as
    tests/imaging/test_vertebra_metal_refusal.py): the refusal before the search lets the soft click by
    because of the metal, the search is refused, and its refusal names the metal: one look for it."""
    shape = (60, 100, 100)
    origin = (-50.0, -50.0, -30.0)
    hu = np.full(shape, 40.0, dtype=np.float32)
    _k, j, i = np.indices(shape)
    hu[(origin[0] + i + 15.0) ** 2 + (origin[1] + j) ** 2 <= 9.0] = 3000.0
    volume = Volume(hu, affine_from_geometry(origin, (1.0, 1.0, 1.0), np.eye(3)))
    looks: list[MetalFinding | None] = []

    def counted(*args: object, **kwargs: object) -> MetalFinding | None:
        found = find_metal(*args, **kwargs)  # type: ignore[arg-type]
        looks.append(found)
        return found

    monkeypatch.setattr(search_region, "find_metal", counted)
    with pytest.raises(VertebraNotFoundError, match="metal"):
        find_vertebra(volume, (0.0, 0.0, 0.0))
    assert len(looks) == 1 and looks[0] is not None
