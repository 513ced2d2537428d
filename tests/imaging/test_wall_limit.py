"""What "posterior wall: intact" means: no gap of the scan's smallest sure gap or more (QA s25 E3).

The wall code reports a gap of at least ``MIN_DEFECT_MM2`` of rays (a round gap 3.6 mm across), but a hole
that size can fall short of it on the 1 mm ray grid and by partial volume at its edges
(:func:`imaging.wall_gaps.smallest_sure_gap_mm`: 6 mm on a 1 mm scan, 8 mm on 3 mm slices). QA found
4 mm holes (the vertebra phantom's spherical plug, whose channel through a 1.5 mm cortex is only 2.6 mm
wide) read "intact" with no limit said anywhere. Here straight-sided holes through the whole cortex
(``wall_defect_straight``) of the stated size are found wherever they lie off the midline, on the 1 mm
and the 0.8 x 0.8 x 3 mm grid, and a smaller hole that reads "intact" says what "intact" means in the
dock's line, the command line's text and JSON.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.commands.anatomy import _wall_word
from imaging.vertebra import find_vertebra
from imaging.wall_gaps import smallest_sure_gap_mm
from planning.vertebra_figures import figure_lines, vertebra_figures
from tests.phantoms.vertebra import make_vertebra_phantom

DEFECT_MM = 3.0  # as tests/imaging/test_vertebra.py for a made defect
#: places of the hole off the midline (local x left, z superior, mm): on and between the rays of the 1 mm
#: grid (the QA's 4 mm hole lay at (4, 0)), right and left, above and below mid-height
PLACES = [(4.0, 0.0), (4.5, 0.5), (-3.7, 2.3), (-6.0, -3.5)]
GRIDS = {"1mm": (1.0, 1.0, 1.0), "0.8x0.8x3mm": (3.0, 0.8, 0.8)}


def test_smallest_sure_gap_follows_the_scans_voxel() -> None:
    # 3.57 mm (the area rule) + 1.41 mm (1 mm ray grid) + one voxel, up to 0.5 mm
    assert smallest_sure_gap_mm(1.0) == 6.0
    assert smallest_sure_gap_mm(2.0) == 7.0
    assert smallest_sure_gap_mm(3.0) == 8.0
    with pytest.raises(ValueError, match="source voxel size"):
        smallest_sure_gap_mm(0.0)


@pytest.mark.parametrize("grid", list(GRIDS), ids=list(GRIDS))
@pytest.mark.parametrize("place", PLACES, ids=[f"x{x:+g}z{z:+g}" for x, z in PLACES])
def test_hole_of_the_stated_size_is_found(grid: str, place: tuple[float, float]) -> None:
    spacing = GRIDS[grid]
    size = smallest_sure_gap_mm(max(spacing))
    ph = make_vertebra_phantom(
        seed=3, spacing_mm=spacing, wall_defect=(*place, size), wall_defect_straight=True
    )
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    assert anatomy.posterior_wall_smallest_gap_mm == size
    assert not anatomy.posterior_wall_intact
    assert ph.wall_defect_center_lps is not None
    made = ph.wall_defect_center_lps
    nearest = min(np.linalg.norm(np.asarray(d.center_lps) - made) for d in anatomy.posterior_wall_defects)
    assert nearest <= DEFECT_MM, [d.description for d in anatomy.posterior_wall_defects]


@pytest.mark.parametrize(
    ("grid", "size_mm", "straight"),
    [("1mm", 3.0, True), ("0.8x0.8x3mm", 3.0, True), ("1mm", 4.0, False)],
    ids=["1mm-3mm-straight", "3mm-slices-3mm-straight", "1mm-4mm-sphere-QA"],
)
def test_intact_says_the_smallest_gap_it_would_show(grid: str, size_mm: float, straight: bool) -> None:
    # below the area rule (a 3 mm hole; the QA's 4 mm sphere, 2.6 mm wide at the cortex's inner face),
    # 4 mm left of the midline at mid-height: "intact", and the line says what that means on this scan
    spacing = GRIDS[grid]
    ph = make_vertebra_phantom(
        seed=3, spacing_mm=spacing, wall_defect=(4.0, 0.0, size_mm), wall_defect_straight=straight
    )
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    assert anatomy.posterior_wall_intact and not anatomy.posterior_wall_defects
    n = smallest_sure_gap_mm(max(spacing))
    said = f"intact (no gap of {n:g} mm or more found on this scan; a smaller one can be missed)"
    assert f"posterior wall: {said}" in figure_lines(vertebra_figures(anatomy))  # the dock's line
    assert _wall_word(anatomy) == said  # the command line's text
    assert anatomy.to_json()["posterior_wall"]["smallest_gap_mm"] == n
