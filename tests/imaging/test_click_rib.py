"""A click on a rib is refused as most likely a rib (imaging.click_rib), on phantoms with known shapes.

The rib-spine phantom (tests/phantoms/rib_spine.py) carries a 4 mm-radius rib on each side of T11 and
T12 running 115 mm out; its spinous processes are 26 mm long and its transverse processes 18 mm. Simple
bars and a plate check the tracing itself: a bar is followed until it ends, a plate is no bar. Every
rib refusal test fails on the old code (the search's own reason: "no spinal canal enclosed by bone
behind the point"). Positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from imaging.click_rib import MAX_THICKNESS_MM, MIN_BAR_MM, bar_at_point
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError
from imaging.volume import Volume, affine_from_geometry
from tests.phantoms.rib_spine import RibSpinePhantom, make_rib_spine_phantom

RIB_WORDS = "most likely a rib, not in a vertebral body"


@pytest.fixture(scope="module")
def spine() -> RibSpinePhantom:
    return make_rib_spine_phantom(seed=3)  # T11-L5: the sacrum and ilia lie far below the ribs


def _shape_volume(inside: npt.NDArray[np.bool_], spacing_mm: float = 1.0) -> Volume:
    """Bone (cortex 900 HU over marrow 250 HU) where ``inside`` on 40 HU soft tissue, origin at 0."""
    from scipy import ndimage

    depth = ndimage.distance_transform_edt(inside, sampling=spacing_mm)
    hu = np.where(inside, np.where(depth <= 1.5, 900, 250), 40).astype(np.int16)
    return Volume(hu, affine_from_geometry((0.0, 0.0, 0.0), (spacing_mm,) * 3, np.eye(3)))


def _bar_volume(length_mm: float, radius_mm: float = 4.5) -> Volume:
    """A straight bar along x, ``length_mm`` long, centred at (80, 40, 40) in a 160 x 80 x 80 mm box."""
    z, y, x = np.mgrid[0:80, 0:80, 0:160].astype(np.float64)
    inside = (np.hypot(y - 40, z - 40) <= radius_mm) & (np.abs(x - 80) <= length_mm / 2)
    return _shape_volume(inside)


@pytest.mark.parametrize(
    "click", [(70.0, 30.0, -15.0), (-70.0, 30.0, -15.0), (100.0, 10.0, -30.0), (-85.0, 20.0, -54.0)]
)
def test_a_click_on_a_phantom_rib_is_refused_as_a_rib(
    spine: RibSpinePhantom, click: tuple[float, float, float]
) -> None:
    with pytest.raises(ClickNotInBodyError) as refused:
        find_vertebra(spine.volume, click)
    assert RIB_WORDS in refused.value.reason


def test_the_phantoms_spinous_process_is_refused_but_not_as_a_rib(spine: RibSpinePhantom) -> None:
    click = (0.0, 47.0, 0.0)  # T11's spinous process, 26 mm long
    bar = bar_at_point(spine.volume, click)
    assert bar is not None and bar.length_mm < MIN_BAR_MM
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(spine.volume, click)
    assert "rib" not in refused.value.reason


def test_a_phantom_body_is_no_bar(spine: RibSpinePhantom) -> None:
    assert bar_at_point(spine.volume, spine.center("T11")) is None


def test_a_long_bar_is_followed_as_far_as_a_rib_runs() -> None:
    bar = bar_at_point(_bar_volume(120.0), (80.0, 40.0, 40.0))
    assert bar is not None
    assert bar.length_mm == MIN_BAR_MM
    # 9 mm across, blurred by the 1 mm smoothing: about pi * 4.5^2 = 64 mm^2
    assert 9.0 <= bar.thickness_mm <= MAX_THICKNESS_MM
    assert 50.0 <= bar.section_mm2 <= 110.0


def test_a_short_bar_is_followed_to_its_ends() -> None:
    # 40 mm long, clicked at its middle: 20 mm to each end, followed 4 mm at a time
    bar = bar_at_point(_bar_volume(40.0), (80.0, 40.0, 40.0))
    assert bar is not None
    assert 32.0 <= bar.length_mm <= 40.0


def test_a_plate_is_no_bar() -> None:
    z, y, x = np.mgrid[0:80, 0:80, 0:80].astype(np.float64)
    plate = _shape_volume((np.abs(y - 40) <= 3) & (np.abs(x - 40) <= 35) & (np.abs(z - 40) <= 35))
    assert bar_at_point(plate, (40.0, 40.0, 40.0)) is None


def test_a_point_beside_the_bone_has_no_bar() -> None:
    # 4 mm outside a 4.5 mm-radius bar's surface: soft tissue
    assert bar_at_point(_bar_volume(120.0), (80.0, 48.5, 40.0)) is None
