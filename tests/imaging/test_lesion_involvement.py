"""A lesion's reach to its vertebra's posterior wall, canal and pedicles, and where a breach lies.

Boxes on a grid of known spacing (slices 2 mm apart, rows and columns 1 mm): distances between voxel
centres are known in closed form. Identity direction: columns +x (patient left), rows +y (posterior),
slices +z (superior).
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.breach_place import VertebraParts, breach_place
from imaging.lesion_involvement import involvement, nearest_distance_mm
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry

SHAPE = (20, 40, 40)
SPACING = (2.0, 1.0, 1.0)  # slice, row, col (mm)


def _volume() -> Volume:
    return Volume(np.zeros(SHAPE, dtype=np.int16), affine_from_geometry((0.0, 0.0, 0.0), SPACING, np.eye(3)))


def _box(lo: tuple[int, int, int], hi: tuple[int, int, int]) -> Mask:
    full = np.zeros(SHAPE, dtype=bool)
    full[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return Mask.from_full(full)


def test_distances_between_voxel_centres_and_touching() -> None:
    vol = _volume()
    lesion = _box((5, 10, 10), (10, 20, 20))
    # a wall band behind it (larger row = posterior), separated by `gap` empty rows (1 mm each)
    for gap, involved in ((0, True), (1, False), (3, False)):
        wall = _box((5, 20 + gap, 10), (10, 23 + gap, 20))
        inv = involvement(vol, lesion, posterior_wall=wall)
        assert inv.wall_distance_mm == pytest.approx(1.0 + gap)
        assert inv.wall_involved is involved
    # along the slices (2 mm apart, the grid's largest spacing): next slice touches, one slice between
    # does not
    above = _box((10, 10, 10), (12, 20, 20))
    apart = _box((11, 10, 10), (13, 20, 20))
    assert involvement(vol, lesion, posterior_wall=above).wall_distance_mm == pytest.approx(2.0)
    assert involvement(vol, lesion, posterior_wall=above).wall_involved is True
    assert involvement(vol, lesion, posterior_wall=apart).wall_distance_mm == pytest.approx(4.0)
    assert involvement(vol, lesion, posterior_wall=apart).wall_involved is False
    # overlapping: 0; unknown: None
    assert nearest_distance_mm(vol, lesion, _box((8, 15, 15), (9, 25, 25))) == 0.0
    none = involvement(vol, lesion, posterior_wall=None, canal=None)
    assert none.wall_distance_mm is None and none.wall_involved is None and none.canal_distance_mm is None


def test_canal_distance_and_pedicle_overlap() -> None:
    vol = _volume()
    lesion = _box((5, 10, 10), (10, 20, 20))
    canal = _box((5, 25, 12), (10, 30, 18))  # 5 empty rows behind the lesion: 6 mm between centres
    left = _box((5, 15, 18), (10, 25, 24))  # shares 5 slices x 5 rows x 2 cols = 50 voxels of 2 uL
    right = _box((5, 15, 0), (10, 25, 6))  # none
    inv = involvement(vol, lesion, posterior_wall=None, canal=canal, pedicles={"left": left, "right": right})
    assert inv.canal_distance_mm == pytest.approx(6.0)
    assert inv.pedicle_overlap_ml["left"] == pytest.approx(50 * 2.0 / 1000.0)
    assert inv.pedicle_overlap_ml["right"] == 0.0
    assert inv.pedicles_involved(0.02) == ("left",)
    assert inv.pedicles_involved(0.2) == ()  # more than the overlap: not involved
    with pytest.raises(ValueError, match="empty"):
        involvement(vol, Mask.empty(SHAPE), posterior_wall=canal)


def test_breach_place_in_words() -> None:
    vol = _volume()
    body_c = (20.0, 15.0, 18.0)  # x (left), y (posterior), z (superior) in mm
    canal_c = (20.0, 35.0, 18.0)  # behind the body
    wall = _box((6, 28, 12), (12, 30, 28))  # rows 28-29 -> y 28-29 mm; cols 12-27 -> x 12-27 mm
    pedicle = _box((6, 28, 30), (12, 38, 34))  # x 30-33 mm: the patient's left
    parts = VertebraParts(body_c, canal_c, {"posterior wall": wall, "left pedicle": pedicle})

    def place(p: tuple[float, float, float]) -> str:
        return breach_place(vol, p, lesion_centroid_lps=body_c, vertebra=parts)

    assert place((25.0, 30.0, 18.0)) == "posterior wall, left"  # 5 mm left of the midline
    assert place((14.0, 30.0, 18.0)) == "posterior wall, right"
    assert place((20.0, 30.0, 18.0)) == "posterior wall"  # at the midline
    assert place((32.0, 37.0, 18.0)) == "left pedicle"
    assert place((20.0, 2.0, 18.0)) == "anterior cortex"
    assert place((13.0, 2.0, 18.0)) == "anterior cortex, right"
    assert place((2.0, 15.0, 18.0)) == "right lateral cortex"
    assert place((20.0, 15.0, 36.0)) == "superior endplate"
    # outside a vertebra: the side of the bone, from the lesion's centre in the patient's frame (front-back,
    # then up-down, then the patient's side)
    assert (
        breach_place(vol, (30.0, 5.0, 18.0), lesion_centroid_lps=body_c) == "anterior-left side of the bone"
    )
    assert breach_place(vol, (20.0, 15.0, 5.0), lesion_centroid_lps=body_c) == "inferior side of the bone"
    assert breach_place(vol, (21.0, 16.0, 18.0), lesion_centroid_lps=body_c) == (
        "bone surface beside the lesion's centre"
    )
