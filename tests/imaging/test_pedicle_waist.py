"""The pedicle's waist (imaging.pedicle_waist): the shortest way from the canal out through the pedicle.

On the synthetic vertebrae of tests/phantoms/vertebra (elliptic hourglass pedicles whose narrowest
width, axis and height are known by construction): the waist is found on both sides, its width is the
constructed narrowest width within 0.5 mm (an elliptic section's widest read at two of three heights 1 mm
apart is 99% of it; the scanner blur and the 1 mm grid add a few tenths), it runs across the constructed
axis (within 15 degrees of perpendicular: along the flat walls of a waist, chords a few degrees oblique
are within the 0.25 mm grid's step of the shortest, 2% longer at 11.5 degrees, measured on the rotated
phantom), and it does not depend on the height the search starts from
(the fitted axis's height, which moves with the click). The rule that combines the heights is checked on
profiles built by hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import imaging.vertebra_pedicles as vertebra_pedicles
from imaging.pedicle_waist import (
    FUSED_WIDTH_FACTOR,
    WAIST_RUN_GAP,
    PedicleWaist,
    pedicle_waist,
    walk_heights,
    widest_width,
)
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side
from tests.imaging.test_vertebra import CASES
from tests.phantoms.vertebra import make_vertebra_phantom

#: the phantom cases: one on a 1 mm isotropic grid, one anisotropic, rotated and feet first
PHANTOMS = ("iso1mm-HFS", "aniso-FFS-rotated-defect-lesion")


def _traced_waists(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, dict[Side, tuple[PedicleWaist, dict[str, Any]]]]:
    """The phantom, and each side's waist as find_vertebra measured it, with the arguments it was given."""
    phantom = make_vertebra_phantom(**CASES[name])  # type: ignore[arg-type]
    seen: dict[Side, tuple[PedicleWaist, dict[str, Any]]] = {}

    def spy(*args: Any, **kwargs: Any) -> PedicleWaist | None:
        found = pedicle_waist(*args, **kwargs)
        if found is not None:
            seen[Side.LEFT if kwargs["sgn"] > 0 else Side.RIGHT] = (found, {"args": args, **kwargs})
        return found

    monkeypatch.setattr(vertebra_pedicles, "pedicle_waist", spy)
    anatomy = find_vertebra(phantom.volume, phantom.center_lps)
    for side, (waist, _) in seen.items():
        assert anatomy.pedicles[side].min_width_mm == pytest.approx(waist.width_mm)
    return phantom, seen


@pytest.mark.parametrize("name", PHANTOMS)
def test_waist_on_phantom_is_the_constructed_width_across_the_axis(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    phantom, seen = _traced_waists(name, monkeypatch)
    assert set(seen) == {Side.LEFT, Side.RIGHT}
    for side, (waist, call) in seen.items():
        truth = phantom.pedicles[side]
        assert abs(waist.width_mm - truth.min_width_mm) <= 0.5, (
            f"{name} {side}: {waist.width_mm:.2f} mm against {truth.min_width_mm:.2f}"
        )
        cos = abs(float(waist.chord.direction_lps @ truth.direction_lps))
        assert cos <= np.sin(np.radians(15.0)), (
            f"{name} {side}: waist {np.degrees(np.arcsin(cos)):.1f} deg off"
        )
        # started 2 mm above or below the axis's height, the same heights are read
        args = call.pop("args")
        for shift in (-2.0, 2.0):
            again = pedicle_waist(*args, **{**call, "axis_height_mm": call["axis_height_mm"] + shift})
            assert again is not None
            assert again.width_mm == pytest.approx(waist.width_mm, abs=0.05)


def _ellipse_widths(width: float, height: float, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    h = np.arange(-0.5 * height - 2.0, 0.5 * height + 2.0 + 1e-9, step)
    inside = np.abs(h) < 0.5 * height
    w = np.where(inside, width * np.sqrt(np.clip(1.0 - (2.0 * h / height) ** 2, 0.0, 1.0)), np.nan)
    return h, w


def test_widest_width_of_an_elliptic_section() -> None:
    h, w = _ellipse_widths(6.0, 14.0)
    found = widest_width(h, w)
    assert found is not None
    width, k = found
    # the second largest of three heights 1 mm apart about the middle: 6 * sqrt(1 - (2/14)^2)
    assert width == pytest.approx(6.0 * np.sqrt(1.0 - (2.0 / 14.0) ** 2))
    assert w[k] == pytest.approx(width)


def test_widest_width_drops_a_fused_neighbour_and_outvotes_one_height() -> None:
    h, w = _ellipse_widths(5.0, 14.0)
    middle = int(np.nanargmax(w))
    fused = w.copy()
    fused[middle + 1 : middle + 5] = 2.0 * 5.0  # a rib head fused over four heights
    one_off = w.copy()
    one_off[middle] = 1.3 * 5.0  # one profile reading wide, under the fused factor
    assert 1.3 < FUSED_WIDTH_FACTOR < 2.0
    clean = widest_width(h, w)
    assert clean is not None
    for profile in (fused, one_off):
        found = widest_width(h, profile)
        assert found is not None
        assert found[0] == pytest.approx(clean[0], abs=0.05)


def test_widest_width_needs_three_heights() -> None:
    h = np.arange(0.0, 6.0)
    w = np.array([np.nan, 4.0, np.nan, 5.0, np.nan, np.nan])
    assert widest_width(h, w) is None


def _walk(waists: set[float], start: float) -> tuple[list[float], list[float]]:
    """The heights walked from ``start`` (1 mm steps, 14 mm either way) where ``waists`` have a waist, and
    the heights the walk asked about, in the order asked."""
    asked: list[float] = []

    def has_waist(h: float) -> bool:
        asked.append(h)
        return h in waists

    return walk_heights(has_waist, start_mm=start, step_mm=1.0, reach_mm=14.0), asked


def test_walk_needs_a_waist_at_the_pedicles_middle() -> None:
    """case1 right (1 mm voxels): the ring round the canal open at the pedicle's centre (3 mm) and at the
    heights either side of it, closed 2-8 mm below, where the waists read 2.1-6.8 mm (its lower part,
    the marrow reading as soft tissue) for the 8.6 mm the images show: no waist, and no walk beyond the
    centre's neighbourhood."""
    assert WAIST_RUN_GAP == 2  # the premise: one missing height is bridged, two end the pedicle
    below = {1.0, -1.0, -2.0, -4.0, -5.0}
    heights, asked = _walk(below, start=3.0)
    assert heights == []
    assert sorted(asked) == [2.0, 3.0, 4.0]


def test_walk_bridges_a_missing_centre_beside_a_waist() -> None:
    """chest T7 left: no waist at the centre (6 mm) and the height below, but one at the height above:
    the walk goes on both ways, over the two missing heights, to the pedicle's ends."""
    waists = {0.0, 1.0, 2.0, 3.0, 4.0, 7.0, 8.0, 9.0, 10.0}
    heights, asked = _walk(waists, start=6.0)
    assert heights == [float(h) for h in range(-2, 13)]
    assert len(asked) == len(set(asked))  # each height measured once


def test_walk_needs_waists_on_both_sides_of_a_centre_without_one() -> None:
    """abdomen L3 left (3 mm voxels): no waist at the centre nor above it, waists 1-7 mm below it, which
    ran into the pedicle's own marrow (2.9-6.4 mm for the 11-13 mm the images show): no waist. The
    mirror image (waists above only) gives none either; a centre with a waist of its own, with waists on
    one side, is walked as before."""
    below = {-1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0}
    assert _walk(below, start=0.0)[0] == []
    assert _walk({-h for h in below}, start=0.0)[0] == []
    heights, _ = _walk(below | {0.0}, start=0.0)
    assert heights == [float(h) for h in range(-9, 3)]
