"""How a pedicle's cross-sections are split into blobs (imaging.pedicle_section_split), on drawn planes.

Planes are sampled at ``SECTION_STEP_MM`` (0.5 mm): sizes below are in samples. The shapes copy what the
chest CT shows at T9 right (issue 4/5): a narrow pedicle (6 mm wide, 14 mm tall) with a rib neck pressed
against its upper lateral side in the sections behind the body's corners, apart from it in front.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.pedicle_section_split import SECTION_STEP_MM, merge_through, split_pieces, split_plane

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
    labels, _ = split_plane(PEDICLE | RIB_PRESSED, None)
    assert _labels_of(labels, PEDICLE) == _labels_of(labels, RIB_PRESSED)


def test_the_split_seen_in_front_is_carried_to_where_they_touch() -> None:
    front, _ = split_plane(PEDICLE | RIB_APART, None)
    assert len(_labels_of(front, PEDICLE)) == 1 and len(_labels_of(front, RIB_APART)) == 1
    assert _labels_of(front, PEDICLE) != _labels_of(front, RIB_APART)
    behind, present = split_plane(PEDICLE | RIB_PRESSED, front)
    pedicle = _labels_of(behind, PEDICLE)
    # the 2 mm that filled the gap go to one or the other; the rib beyond it keeps its own label
    assert len(pedicle) == 1 and pedicle.isdisjoint(_labels_of(behind, RIB_APART))
    assert len(present) == 2


def test_a_blob_that_falls_apart_is_split_into_its_pieces() -> None:
    both = PEDICLE | RIB_APART
    labels = split_pieces(both.astype(np.int32) * 3, start=4)
    assert _labels_of(labels, PEDICLE) != _labels_of(labels, RIB_APART)
    assert _labels_of(labels, PEDICLE) | _labels_of(labels, RIB_APART) == {3, 4}
    assert _labels_of(labels, RIB_APART) == {3}  # the larger piece keeps the label
    one = split_pieces(PEDICLE.astype(np.int32) * 3, start=4)
    assert np.array_equal(one, PEDICLE.astype(np.int32) * 3)


def test_pieces_cut_apart_by_the_body_mask_are_merged_but_touching_blobs_are_not() -> None:
    upper, lower, cut = _box(5.0, 11.0, 12.0, 19.0), _box(5.0, 11.0, 5.0, 9.0), _box(5.0, 11.0, 9.0, 12.0)
    labels = upper.astype(np.int32) * 1 + lower.astype(np.int32) * 2 + RIB_APART.astype(np.int32) * 5
    merged = merge_through(labels, cut)
    assert _labels_of(merged, upper | lower) == {1}
    assert _labels_of(merged, RIB_APART) == {5}
    # a rib touching the pedicle (no body bone between them) keeps its own label
    touching = PEDICLE.astype(np.int32) * 1 + (RIB_PRESSED & ~PEDICLE).astype(np.int32) * 2
    assert np.array_equal(merge_through(touching, np.zeros(SHAPE, dtype=bool)), touching)


def _disc(u_mm: float, v_mm: float, r_mm: float) -> BoolArray:
    u, v = (np.indices(SHAPE) + 0.5) * SECTION_STEP_MM
    out: BoolArray = (u - u_mm) ** 2 + (v - v_mm) ** 2 <= r_mm**2
    return out


def test_a_pedicle_pinched_at_mid_height_is_one_blob() -> None:
    """case1 right (a lumbar pedicle 9 mm wide, some 18 mm tall): its section pinched at mid-height has two
    maxima of thickness one above the other; the old split traced its lower half only. Two discs 9 mm
    across, their centres 8 mm apart vertically (a waist 4.1 mm wide between them), are one blob."""
    pedicle = _disc(10.0, 8.0, 4.5) | _disc(10.0, 16.0, 4.5)
    labels, present = split_plane(pedicle, None)
    assert len(present) == 1 and _labels_of(labels, pedicle) == {int(present[0])}


def test_a_rib_beside_the_pedicle_is_still_split_at_the_waist() -> None:
    """The same waist side by side (a rib neck 7 mm lateral to the pedicle's centre, the two touching
    through a joint the scan does not resolve) keeps them apart."""
    pedicle, rib = _disc(10.0, 12.0, 4.5), _disc(17.0, 12.0, 4.0)
    labels, present = split_plane(pedicle | rib, None)
    assert len(present) == 2
    centre_labels = labels[round(10.0 / SECTION_STEP_MM), round(12.0 / SECTION_STEP_MM)]
    rib_labels = labels[round(17.0 / SECTION_STEP_MM), round(12.0 / SECTION_STEP_MM)]
    assert centre_labels > 0 and rib_labels > 0 and centre_labels != rib_labels


def test_bone_going_on_past_the_pedicles_band_is_not_merged_into_it() -> None:
    """abdomen L4 right (3 mm voxels): under the pedicle, bone that goes on past the foot of the pedicle's
    band of heights (an articular process or the lamina) is split from it at the waist, though one above
    the other: merged, the pedicle was 22 mm tall and its centre 4 mm low."""
    pedicle, below = _disc(10.0, 16.0, 4.5), _disc(10.0, 8.0, 4.5)
    band_foot_mm = 5.0
    in_band = (np.indices(SHAPE)[1] + 0.5) * SECTION_STEP_MM >= band_foot_mm
    beyond = below & ~in_band
    labels, present = split_plane((pedicle | below) & in_band, None, None, beyond)
    assert len(present) == 2
    top = labels[round(10.0 / SECTION_STEP_MM), round(16.0 / SECTION_STEP_MM)]
    bottom = labels[round(10.0 / SECTION_STEP_MM), round(8.0 / SECTION_STEP_MM)]
    assert top > 0 and bottom > 0 and top != bottom
