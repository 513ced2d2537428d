"""A "disc" counts only between end plates as broad as a vertebral body's (imaging.disc_cover).

Phantoms on a 1 mm grid (array [slice, row, col] = LPS z, y, x from the origin): a stack of broad slabs
with a dark gap (bodies and their disc), and a stack of narrow bars with the same gap (spinous processes
and the ligament between them). The disc profile finds a "disc" in both; the end plates' breadth tells
them apart. HU; positions LPS mm.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from imaging.disc_click import disc_at_point
from imaging.disc_cover import MIN_ENDPLATE_ACROSS_MM, endplate_cover_mm, is_between_bodies
from imaging.volume import Volume, affine_from_geometry

SHAPE = (120, 120, 120)
CENTRE = (60.0, 60.0, 60.0)  # LPS x, y, z of the gap's middle
#: bodies 24 mm tall between 8 mm discs, each face a 1.5 mm end plate; soft tissue around
BODY_MM, DISC_MM, ENDPLATE_MM = 24.0, 8.0, 1.5
BODY_HU, DISC_HU, ENDPLATE_HU, SOFT_HU = 150.0, 70.0, 600.0, 40.0


def _stack(half_x_mm: float, half_y_mm: float) -> Volume:
    """Pieces of bone (an end plate on each face) ``2 half_x`` x ``2 half_y`` mm across, stacked along z
    with ``DISC_MM`` gaps of disc HU between them (the gap's middle at CENTRE), in soft tissue."""
    z, y, x = np.indices(SHAPE, dtype=np.float64)
    phase = np.mod(z - CENTRE[2] - 0.5 * DISC_MM, BODY_MM + DISC_MM)  # 0 at a piece's bottom face
    in_piece = phase < BODY_MM
    face = in_piece & ((phase < ENDPLATE_MM) | (phase > BODY_MM - ENDPLATE_MM))
    across = (np.abs(x - CENTRE[0]) <= half_x_mm) & (np.abs(y - CENTRE[1]) <= half_y_mm)
    hu = np.full(SHAPE, SOFT_HU)
    hu[across] = np.where(face, ENDPLATE_HU, np.where(in_piece, BODY_HU, DISC_HU))[across]
    hu = ndimage.gaussian_filter(hu, 0.7).astype(np.float32)
    return Volume(hu, affine_from_geometry((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), np.eye(3)))


def test_broad_end_plates_are_a_disc() -> None:
    """Bodies 40 x 30 mm across: the disc between them spans them, 40 and 30 mm (to within the blur)."""
    volume = _stack(20.0, 15.0)
    disc = disc_at_point(volume, CENTRE)
    assert disc is not None
    side, front_back = endplate_cover_mm(volume, CENTRE, disc)
    assert side == pytest.approx(41.0, abs=2.0)
    assert front_back == pytest.approx(31.0, abs=2.0)
    assert is_between_bodies(volume, CENTRE, disc)


@pytest.mark.parametrize(
    ("half_x_mm", "half_y_mm"),
    [(3.0, 12.0), (12.0, 5.0)],
    ids=["spinous process, 6 mm wide", "transverse process, 10 mm thick"],
)
def test_narrow_pieces_of_bone_are_no_disc(half_x_mm: float, half_y_mm: float) -> None:
    """Bars narrower than a body's end plate one way: the profile still reads a "disc" between them (what
    the refusal said before, session 22), but its end plates are narrower than MIN_ENDPLATE_ACROSS_MM."""
    volume = _stack(half_x_mm, half_y_mm)
    disc = disc_at_point(volume, CENTRE)
    assert disc is not None
    cover = endplate_cover_mm(volume, CENTRE, disc)
    assert min(cover) < MIN_ENDPLATE_ACROSS_MM
    assert min(cover) == pytest.approx(2.0 * min(half_x_mm, half_y_mm) + 1.0, abs=2.0)
    assert not is_between_bodies(volume, CENTRE, disc)
