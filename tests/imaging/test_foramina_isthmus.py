"""The stretch of a pedicle's axis its isthmus may lie on (imaging.foramina_isthmus), and the foramina's
borders over it (imaging.foramina_frame.pedicle_bounds).

Profiles with answers in closed form: an hourglass ``w0 + k s^2`` equals its narrowest within ``tol``
for ``|s| <= sqrt(tol / k)``; the stretch ends at the last place of the 0.5 mm grid inside that.

The three-vertebra phantom (tests.phantoms.foramina): its pedicle is an hourglass ``8 mm + 0.015/mm *
s^2`` about its constructed isthmus, within half a voxel (0.5 mm) of its narrowest over 5.8 mm either
side, so the constructed isthmus must lie on the stretch found (read 2.2 mm in front of it). The
constructed foramen's borders are the pedicle's walls at that isthmus; the borders found must hold them
(the safe side: a foramen found narrower than it is makes heat beside it read further than it is), to a
quarter of a voxel (the frame's origin is the found body's centroid, not the phantom's).
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.foramina_frame import foramina_frame, pedicle_bounds
from imaging.foramina_isthmus import REACH_MM, STEP_MM, isthmus_stretch, stretch_of_widths
from imaging.pedicle_midline import PROPER_WIDTH_FACTOR
from imaging.vertebra_model import Side
from tests.imaging.test_vertebra_foramina import GRIDS, _phantom_case

S_MM = np.arange(-REACH_MM, REACH_MM + 1e-9, STEP_MM)
#: a quarter of a voxel of the phantom's finest grid (see the module docstring)
SAFE_TOL_MM = 0.25


def test_hourglass_stretch_is_where_it_is_within_the_tolerance_of_its_waist() -> None:
    w0, k, tol = 8.0, 0.05, 0.5
    out = stretch_of_widths(S_MM, w0 + k * S_MM**2, tolerance_mm=tol)
    assert out is not None
    half = np.sqrt(tol / k)  # 3.16 mm
    expected = np.floor(half / STEP_MM) * STEP_MM
    assert out.front_mm == pytest.approx(-expected) and out.back_mm == pytest.approx(expected)
    assert out.narrowest_mm == pytest.approx(w0 + k * STEP_MM**2)  # median of three at the waist
    # the waist off the anatomy's isthmus: the stretch holds both
    shifted = stretch_of_widths(S_MM, w0 + k * (S_MM - 2.0) ** 2, tolerance_mm=tol)
    assert shifted is not None
    assert shifted.front_mm == pytest.approx(2.0 - expected) and shifted.back_mm == pytest.approx(
        2.0 + expected
    )


def test_flat_profile_is_capped_to_the_pedicle_proper() -> None:
    flat = np.full(len(S_MM), 8.0)
    out = stretch_of_widths(S_MM, flat, tolerance_mm=0.5)
    assert out is not None and out.front_mm == -REACH_MM and out.back_mm == REACH_MM
    # beyond a place wider than the pedicle proper (the body's corner, the lamina), a narrow width is
    # other bone's, and a place with no width ends the pedicle too
    walled = flat.copy()
    walled[S_MM <= -3.0] = PROPER_WIDTH_FACTOR * 8.0 + 1.0
    walled[S_MM <= -4.0] = 7.0
    walled[S_MM >= 2.0] = np.nan
    out = stretch_of_widths(S_MM, walled, tolerance_mm=0.5)
    assert out is not None
    assert out.front_mm == pytest.approx(-2.5) and out.back_mm == pytest.approx(1.5)


def test_one_slipped_line_does_not_move_the_stretch() -> None:
    w = 8.0 + 0.05 * S_MM**2
    w[S_MM == 4.0] = 6.0  # one line through a vascular foramen
    out = stretch_of_widths(S_MM, w, tolerance_mm=0.5)
    # without it the stretch ends at 3.0 mm; its neighbour's median may take the place beyond it
    assert out is not None and out.front_mm == pytest.approx(-3.0) and out.back_mm < 4.0


def test_no_width_at_the_isthmus_and_bad_arguments() -> None:
    w = np.full(len(S_MM), 8.0)
    w[np.abs(S_MM) <= STEP_MM] = np.nan
    assert stretch_of_widths(S_MM, w, tolerance_mm=0.5) is None
    with pytest.raises(ValueError, match='"tolerance_mm"'):
        stretch_of_widths(S_MM, np.full(len(S_MM), 8.0), tolerance_mm=-0.1)
    with pytest.raises(ValueError, match='"widths_mm"'):
        stretch_of_widths(S_MM, np.full(3, 8.0), tolerance_mm=0.5)


@pytest.mark.parametrize("grid", list(GRIDS))
@pytest.mark.parametrize("side", list(Side))
def test_phantom_stretch_holds_the_constructed_isthmus_and_borders(grid: str, side: Side) -> None:
    ph, anatomy, _ = _phantom_case(grid)
    frame = foramina_frame(ph.volume, anatomy)
    assert frame is not None
    axis = anatomy.pedicles[side]
    assert axis.mask is not None
    d = np.asarray(axis.axis_entry_lps) - np.asarray(axis.axis_target_lps)
    d /= np.linalg.norm(d)
    out = isthmus_stretch(
        ph.volume,
        isthmus_lps=axis.isthmus_lps,
        direction_lps=d,
        left_lps=frame.left,
        width_mm=axis.min_width_mm,
    )
    assert out is not None
    assert -REACH_MM <= out.front_mm <= 0.0 <= out.back_mm <= REACH_MM
    s_true = float((ph.pedicles[side].isthmus_lps - np.asarray(axis.isthmus_lps)) @ d)
    assert out.front_mm <= s_true <= out.back_mm, (out, s_true)
    # the borders hold the constructed foramen's (compared in the phantom's frame)
    bounds = pedicle_bounds(ph.volume, frame, anatomy, side=side, axis=axis, mask=axis.mask)
    assert bounds is not None
    sign = 1.0 if side is Side.LEFT else -1.0
    origin_lat = sign * float(ph.to_local(frame.origin)[0])
    med_true, lat_true = ph.foramen_bounds(side, "upper")["lat"]
    assert bounds.u_med + origin_lat <= med_true + SAFE_TOL_MM, (bounds.u_med + origin_lat, med_true)
    assert bounds.u_lat + origin_lat >= lat_true - SAFE_TOL_MM, (bounds.u_lat + origin_lat, lat_true)


def test_no_stretch_in_soft_tissue_and_bad_width() -> None:
    ph, anatomy, _ = _phantom_case("axial-1mm")
    frame = foramina_frame(ph.volume, anatomy)
    assert frame is not None
    soft = ph.to_lps(np.array([34.0, 10.0, 0.0]))  # paravertebral, lateral of the left pedicle
    kwargs = {"direction_lps": frame.posterior, "left_lps": frame.left}
    assert isthmus_stretch(ph.volume, isthmus_lps=soft, width_mm=8.0, **kwargs) is None
    with pytest.raises(ValueError, match='"width_mm"'):
        isthmus_stretch(ph.volume, isthmus_lps=soft, width_mm=0.0, **kwargs)
