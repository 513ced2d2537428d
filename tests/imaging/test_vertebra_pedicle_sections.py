"""How a pedicle's cross-sections are split into blobs (imaging.vertebra_pedicle_sections), on drawn planes.

Planes are sampled at ``SECTION_STEP_MM`` (0.5 mm): sizes below are in samples. The shapes copy what the
chest CT shows at T9 right (issue 4/5): a narrow pedicle (6 mm wide, 14 mm tall) with a rib neck pressed
against its upper lateral side in the sections behind the body's corners, apart from it in front.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.vertebra_pedicle_sections import SECTION_STEP_MM, _merge_through, _split_pieces, _split_plane

BoolArray = npt.NDArray[np.bool_]
SHAPE = (80, 60)  # (u, v) samples: 40 x 30 mm


def _box(u0_mm: float, u1_mm: float, v0_mm: float, v1_mm: float) -> BoolArray:
    out = np.zeros(SHAPE, dtype=bool)
    s = SECTION_STEP_MM
    out[round(u0_mm / s) : round(u1_mm / s), round(v0_mm / s) : round(v1_mm / s)] = True
    return out


PEDICLE = _box(5.0, 11.0, 5.0, 19.0)  # 6 mm wide, 14 mm tall
RIB_APART = _box(13.0, 25.0, 10.0, 19.0)  # 2 mm lateral to it
RIB_PRESSED = _box(11.0, 25.0, 10.0, 19.0)  # touching along 9 mm of its side: no waist


def _labels_of(labels: npt.NDArray[np.int32], mask: BoolArray) -> set[int]:
    return {int(v) for v in np.unique(labels[mask])}


def test_a_rib_pressed_against_a_narrow_pedicle_has_no_waist() -> None:
    # the premise of the carry: a section alone cannot split them
    labels, _ = _split_plane(PEDICLE | RIB_PRESSED, None)
    assert _labels_of(labels, PEDICLE) == _labels_of(labels, RIB_PRESSED)


def test_the_split_seen_in_front_is_carried_to_where_they_touch() -> None:
    front, _ = _split_plane(PEDICLE | RIB_APART, None)
    assert len(_labels_of(front, PEDICLE)) == 1 and len(_labels_of(front, RIB_APART)) == 1
    assert _labels_of(front, PEDICLE) != _labels_of(front, RIB_APART)
    behind, present = _split_plane(PEDICLE | RIB_PRESSED, front)
    pedicle = _labels_of(behind, PEDICLE)
    # the 2 mm that filled the gap go to one or the other; the rib beyond it keeps its own label
    assert len(pedicle) == 1 and pedicle.isdisjoint(_labels_of(behind, RIB_APART))
    assert len(present) == 2


def test_a_blob_that_falls_apart_is_split_into_its_pieces() -> None:
    both = PEDICLE | RIB_APART
    labels = _split_pieces(both.astype(np.int32) * 3, start=4)
    assert _labels_of(labels, PEDICLE) != _labels_of(labels, RIB_APART)
    assert _labels_of(labels, PEDICLE) | _labels_of(labels, RIB_APART) == {3, 4}
    assert _labels_of(labels, RIB_APART) == {3}  # the larger piece keeps the label
    one = _split_pieces(PEDICLE.astype(np.int32) * 3, start=4)
    assert np.array_equal(one, PEDICLE.astype(np.int32) * 3)


def test_pieces_cut_apart_by_the_body_mask_are_merged_but_touching_blobs_are_not() -> None:
    upper, lower, cut = _box(5.0, 11.0, 12.0, 19.0), _box(5.0, 11.0, 5.0, 9.0), _box(5.0, 11.0, 9.0, 12.0)
    labels = upper.astype(np.int32) * 1 + lower.astype(np.int32) * 2 + RIB_APART.astype(np.int32) * 5
    merged = _merge_through(labels, cut)
    assert _labels_of(merged, upper | lower) == {1}
    assert _labels_of(merged, RIB_APART) == {5}
    # a rib touching the pedicle (no body bone between them) keeps its own label
    touching = PEDICLE.astype(np.int32) * 1 + (RIB_PRESSED & ~PEDICLE).astype(np.int32) * 2
    assert np.array_equal(_merge_through(touching, np.zeros(SHAPE, dtype=bool)), touching)
