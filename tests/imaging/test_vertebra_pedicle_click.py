"""The narrowest pedicle width does not depend on where in the body the vertebra was clicked (issue 5).

Real chest CT (chest-ct-dicom: 0.977 mm pixels, 2 mm slices), T8-T10, each found from six clicks in
its body 3-6 mm apart (x -10 / -7 mm, y 122 / 125 / 128 mm at the body centre's z; the bodies are
nearly click-independent there, Dice 0.96-0.99 between these clicks). The width feeds the "narrow
pedicle" decision and the pedicle clearance readout (planning/proposals.py): a click-dependent width
would be a click-dependent plan.

For each side: traced from every click, every width within the thoracic range of
test_vertebra_pedicles_chest.WIDTH_RANGE_MM (CLINICAL.md), and the spread over the clicks (max - min)
at most ``MAX_SPREAD_MM``.

The same from clicks above and below the body centre (z offsets of ``CLICKS_DZ_MM``, at x -10, y 122
mm, the clicks of tests/planning/test_proposals.py): T8, T9 left and T10 right hold; T9 right and T10
left still move with the click's height (strict xfails, figures in their reasons).

Why, measured (session 6; ``PYTHONPATH=. .venv/bin/python tests/benchmarks/pedicle_click_study.py
[--hold-convergence 0]``): the axis's convergence is fitted to 3-6 section centroids over 1-2.5 mm along
the pedicle, and from clicks 0.5-2 mm apart it ranges over 21-29 degrees (T9 right -14.9 to +10.0, T10
right -20.9 to +8.1; both sides' errors independent, so pooling the two sides does not steady it). Across
the axis the widths follow that direction: with the convergence held at 0 degrees, T8, T9 left and T10
read within 0.3 mm from all seven heights and six in-plane clicks (T10 left 6.64-6.66 mm); T9 right still
reads 7.7 mm from two heights, where two wall faults show (the wall search skips the axis's own sample, so
a pedicle that is cortex through loses its lateral wall; in front of the traced sections the run is not
bounded by the sections split and carried, so it takes in the rib head); with both mended as well,
4.74-5.97 mm. Mended alone, without a steady direction, they spread T10 left's in-plane widths from 0.39
to 1.95 mm: not adopted. The data do not fix the direction better (with both faults mended, T9-T10 from
five heights): through the pedicle's middle, the lines that keep within 0.25 mm of the best clearance from
the walls span 15-57 degrees of convergence at 17 of the 20 pedicle-clicks (5-7.5 degrees at three of T9
right's, placed where the click puts them), and the direction across which the pedicle is narrowest finds
grazing lines (2.1 mm) outside them. Shrinking the fitted convergence towards 0 as the span shortens (as
the tilt is; faults mended) holds every T8-T10 width within 1.4 mm, but moves the phantoms' 17-20 degree
axes (fitted exactly over 2.5-5 mm) by 2 mm: a span cannot tell a clean short pedicle from a noisy one,
and the fit's own residuals underestimate the scatter between clicks (standard errors of 1.5-5.7 degrees,
against ranges of 21-29 over seven clicks). Not adopted.
"""

from __future__ import annotations

import pytest

from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from tests.imaging.test_vertebra_pedicles_chest import BODY_Z_MM, WIDTH_RANGE_MM, find_or_reason

pytestmark = pytest.mark.realdata

LEVELS = ("T8", "T9", "T10")
#: clicks in the body (x, y LPS mm) at the body centre's z, as in the task notes' click study
CLICKS_XY_MM = tuple((x, y) for y in (122.0, 125.0, 128.0) for x in (-10.0, -7.0))
#: largest spread of the narrowest width over the clicks (mm): about one and a half pixels of 0.977 mm.
#: Each wall's edge is placed to a fraction of a pixel on a clean edge (phantom widths within 0.35 mm),
#: but a click moves the axis a few degrees and the isthmus along it, so each profile crosses the
#: pedicle through other voxels; a width on this grid cannot be steadier than about a pixel.
MAX_SPREAD_MM = 1.5
#: click heights relative to the body centre (mm): within a slice (2 mm) of it, inside every body here
CLICKS_DZ_MM = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)
MOVES_WITH_HEIGHT = {
    ("T9", Side.RIGHT): "narrowest width from z offsets -2, -1, -0.5, +0.5, +1, +2 mm: 6.13, 5.47, 7.96, "
    "8.11, 6.17, 4.71 mm (spread 3.4 mm; 5.7-5.8 mm from the centre slice)",
    ("T10", Side.LEFT): "narrowest width from z offsets -2, -1, -0.5, +0.5, +1, +2 mm: 6.61, 6.63, 6.92, "
    "13.90, 7.17, 7.15 mm: from 0.5 mm above the centre over the 9.3 mm thoracic maximum",
}


@pytest.fixture(scope="module")
def found(chest_ct: Volume) -> dict[tuple[str, tuple[float, float]], VertebraAnatomy | str]:
    """Anatomy per (level, click), or why the vertebra was refused (about 1 s each)."""
    return {
        (level, (x, y)): find_or_reason(chest_ct, (x, y, BODY_Z_MM[level]), level)
        for level in LEVELS
        for x, y in CLICKS_XY_MM
    }


@pytest.fixture(scope="module")
def found_by_height(chest_ct: Volume) -> dict[tuple[str, float], VertebraAnatomy | str]:
    """Anatomy per (level, z offset) from x -10, y 122 mm, or why it was refused."""
    return {
        (level, dz): find_or_reason(chest_ct, (-10.0, 122.0, BODY_Z_MM[level] + dz), level)
        for level in LEVELS
        for dz in CLICKS_DZ_MM
    }


def _check_widths(level: str, side: Side, found: dict[object, VertebraAnatomy | str]) -> None:
    """Traced from every click, within the thoracic range, spread at most MAX_SPREAD_MM."""
    lo, hi = WIDTH_RANGE_MM["upper"]
    widths: dict[object, float] = {}
    for click, anatomy in found.items():
        assert not isinstance(anatomy, str), f"{level} click {click}: vertebra refused: {anatomy}"
        assert side in anatomy.pedicles, f"{level} {side} click {click}: not traced; notes {anatomy.notes}"
        widths[click] = anatomy.pedicles[side].min_width_mm
    said = ", ".join(f"{c}: {w:.2f}" for c, w in widths.items())
    for click, width in widths.items():
        assert lo <= width <= hi, (
            f"{level} {side} click {click}: {width:.2f} mm outside {lo}-{hi} mm ({said})"
        )
    spread = max(widths.values()) - min(widths.values())
    assert spread <= MAX_SPREAD_MM, f"{level} {side}: spread {spread:.2f} mm over the clicks ({said})"


@pytest.mark.parametrize("side", [Side.LEFT, Side.RIGHT])
@pytest.mark.parametrize("level", LEVELS)
def test_narrowest_width_is_the_same_from_every_click(
    found: dict[tuple[str, tuple[float, float]], VertebraAnatomy | str], level: str, side: Side
) -> None:
    _check_widths(level, side, {click: found[(level, click)] for click in CLICKS_XY_MM})


@pytest.mark.parametrize(
    ("level", "side"),
    [
        pytest.param(
            level,
            side,
            marks=[pytest.mark.xfail(strict=True, reason=MOVES_WITH_HEIGHT[(level, side)])]
            if (level, side) in MOVES_WITH_HEIGHT
            else [],
        )
        for level in LEVELS
        for side in (Side.LEFT, Side.RIGHT)
    ],
)
def test_narrowest_width_is_the_same_from_every_click_height(
    found_by_height: dict[tuple[str, float], VertebraAnatomy | str], level: str, side: Side
) -> None:
    _check_widths(level, side, {f"dz {dz:+g}": found_by_height[(level, dz)] for dz in CLICKS_DZ_MM})
