"""A pedicle axis's craniocaudal angle says how well the scan shows it (imaging.pedicle_tilt).

On the 3 mm abdomen clicks 3 mm apart in one body read L1's axes -5.3 ... +22.5 degrees craniocaudally and
L2's +2.8 ... +23.9 with no uncertainty said. The uncertainty is the angle between the body's axis (the frame
the tilt is read in) and its end plates' mean normal, plus the axis's own tilt out of the body's axial plane;
the dock's line and the JSON carry it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from imaging.pedicle_tilt import craniocaudal_uncertainty_deg
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side
from planning.trajectory_geometry import craniocaudal_deg
from planning.vertebra_figures import figure_lines, tilt_words, vertebra_figures
from tests.phantoms.vertebra import make_vertebra_phantom

UP = np.array([0.0, 0.0, 1.0])


def _tilted(deg: float) -> np.ndarray:
    """A unit vector ``deg`` degrees from +z towards +y (anterior-posterior plane)."""
    r = np.radians(deg)
    return np.array([0.0, np.sin(r), np.cos(r)])


def test_square_axis_in_a_body_square_to_its_plates_is_known() -> None:
    plates = [("superior", UP), ("inferior", -UP)]
    assert craniocaudal_uncertainty_deg([0.0, 1.0, 0.0], UP, plates, voxel_mm=0.0) == pytest.approx(
        0.0, abs=1e-6
    )


def test_body_axis_off_its_plates_is_said() -> None:
    # the body's axis 10 degrees off both plates' normal: the frame the tilt is read in is 10 degrees off
    plates = [("superior", _tilted(10.0)), ("inferior", -_tilted(10.0))]
    assert craniocaudal_uncertainty_deg([0.0, 1.0, 0.0], UP, plates, voxel_mm=0.0) == pytest.approx(
        10.0, abs=1e-6
    )
    # one plate found is enough; its normal points out of the body (down for the inferior one)
    assert craniocaudal_uncertainty_deg(
        [0.0, 1.0, 0.0], UP, [("inferior", -_tilted(6.0))], voxel_mm=0.0
    ) == pytest.approx(6.0, abs=1e-6)


def test_the_sections_tilt_is_said() -> None:
    # an axis tilted 15 degrees out of the body's axial plane (what its sections added), either sense
    plates = [("superior", UP)]
    d = np.array([0.0, np.cos(np.radians(15.0)), np.sin(np.radians(15.0))])
    assert craniocaudal_uncertainty_deg(d, UP, plates, voxel_mm=0.0) == pytest.approx(15.0, abs=1e-6)
    assert craniocaudal_uncertainty_deg(-d, UP, plates, voxel_mm=0.0) == pytest.approx(15.0, abs=1e-6)
    # both parts add
    off = [("superior", _tilted(4.0))]
    assert craniocaudal_uncertainty_deg(d, UP, off, voxel_mm=0.0) == pytest.approx(19.0, abs=1e-6)


def test_voxel_over_the_axis_length() -> None:
    # a 40 mm axis on 3 mm voxels: atan(3 / 40) = 4.29 degrees even where the frame and the plates agree
    plates = [("superior", UP)]
    assert craniocaudal_uncertainty_deg([0.0, 40.0, 0.0], UP, plates, voxel_mm=3.0) == pytest.approx(
        4.289, abs=1e-3
    )


def test_no_plate_no_figure() -> None:
    assert craniocaudal_uncertainty_deg([0.0, 1.0, 0.0], UP, [], voxel_mm=1.0) is None


def test_tilt_words() -> None:
    assert tilt_words(12.04, 4.0) == "+12.0 deg (±4.0 deg on this scan)"
    # rounded up: the range said is never narrower than the one found
    assert tilt_words(-5.3, 19.01) == "-5.3 deg (±19.1 deg on this scan)"
    assert tilt_words(3.0, None) == "+3.0 deg"


@pytest.fixture(scope="module")
def found() -> Any:
    ph = make_vertebra_phantom(pitch_deg=10.0)
    return ph, find_vertebra(ph.volume, ph.center_lps)


def test_phantom_range_holds_the_made_axis(found: Any) -> None:
    ph, anatomy = found
    fig = vertebra_figures(anatomy)
    lines = " ".join(figure_lines(fig))
    for side in (Side.LEFT, Side.RIGHT):
        pm = anatomy.pedicles[side].craniocaudal_uncertainty_deg
        assert pm is not None
        said = fig["pedicles"][side.value]
        assert said["craniocaudal_uncertainty_deg"] == pytest.approx(pm, abs=0.05)
        assert anatomy.to_json()["pedicles"][side.value]["craniocaudal_uncertainty_deg"] == pytest.approx(
            pm, abs=0.05
        )
        made = craniocaudal_deg(ph.pedicles[side].target_lps - ph.pedicles[side].entry_lps)
        assert abs(said["craniocaudal_deg"] - made) <= pm + 0.05  # the range said holds the made axis
        words = tilt_words(said["craniocaudal_deg"], said["craniocaudal_uncertainty_deg"])
        assert f"axis craniocaudal {words}, " in lines
    # an anatomy made before the uncertainty was kept reads as before
    old = dataclasses.replace(
        anatomy,
        pedicles={
            s: dataclasses.replace(p, craniocaudal_uncertainty_deg=None) for s, p in anatomy.pedicles.items()
        },
    )
    old_lines = " ".join(figure_lines(vertebra_figures(old)))
    assert "deg on this scan" not in old_lines
