"""Level names and labelling by counting along the spine."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from imaging.level_spacing import DISC_TO_BODY_HEIGHT, level_step
from imaging.levels import LEVELS, label_along_spine, label_by_counting, level_index, normalize_level

#: the spine built by construction below: body heights (mm) and the disc between a body and the one below
#: it (mm), thoracolumbar (bodies taller and discs thicker going down, as in adult spines)
BODY_MM = {"T11": 22.0, "T12": 23.0, "L1": 25.0, "L2": 26.0, "L3": 27.0, "L4": 27.0, "L5": 27.0}
DISC_MM = {"T11": 6.0, "T12": 8.0, "L1": 9.0, "L2": 10.0, "L3": 11.0, "L4": 12.0, "L5": 12.0}


def _spine(n: int, step_mm: float = 30.0, top_z: float = 400.0) -> np.ndarray:
    """Centroids of ``n`` vertebrae going down from ``top_z`` with a gentle lordotic curve (LPS mm)."""
    z = top_z - step_mm * np.arange(n)
    y = -60.0 + 8.0 * np.sin(np.linspace(0.0, np.pi, n))
    return np.stack([np.full(n, 2.0), y, z], axis=1)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("L3", "L3"), ("l3", "L3"), (" t12 ", "T12"), ("Th12", "T12"), ("s1", "S1"), ("C7", "C7")],
)
def test_normalize_level(text: str, canonical: str) -> None:
    assert normalize_level(text) == canonical


@pytest.mark.parametrize("text", ["L6", "T13", "S2", "C0", "X3", "", "3"])
def test_normalize_level_refuses_unknown_names(text: str) -> None:
    with pytest.raises(ValueError, match="level"):
        normalize_level(text)


def test_level_order() -> None:
    assert LEVELS[0] == "C1" and LEVELS[-1] == "S1" and len(LEVELS) == 25
    assert level_index("T12") + 1 == level_index("L1")


def test_counting_from_one_named_vertebra_in_any_input_order() -> None:
    pts = _spine(6)  # T12 .. L5 from the top
    truth = ["T12", "L1", "L2", "L3", "L4", "L5"]
    rng = np.random.default_rng(0)
    perm = rng.permutation(6)
    shuffled = pts[perm]
    known = int(np.flatnonzero(perm == 3)[0])  # the input row holding L3
    result = label_by_counting(shuffled, known, "L3")
    assert list(result.labels) == [truth[i] for i in perm]
    assert [int(perm[i]) for i in result.order] == list(range(6))
    assert result.warnings == ()


def test_counting_runs_off_the_named_range() -> None:
    pts = _spine(4)
    result = label_by_counting(pts, 3, "L2")  # the lowest is L2: above it L1, T12, T11
    assert result.labels == ("T11", "T12", "L1", "L2")
    result = label_by_counting(pts, 0, "L5")  # below L5 comes S1, then nothing named
    assert result.labels == ("L5", "S1", None, None)


def test_a_skipped_vertebra_stops_the_counting() -> None:
    pts = np.delete(_spine(6), 2, axis=0)  # L1 missing: a 60 mm gap between the 2nd and 3rd
    result = label_by_counting(pts, 0, "T12")
    assert result.labels == ("T12", "L1", None, None, None)  # never "L2" for the real L2... by counting
    assert len(result.warnings) == 1
    assert "missing" in result.warnings[0] and "about 2 levels" in result.warnings[0]
    assert result.estimates == (None, None, "L3", "L4", "L5")


def test_counting_with_a_feet_first_prone_like_order() -> None:
    # the order comes from positions, not from the list order or the scanner's slice direction
    pts = _spine(5)[::-1]
    result = label_by_counting(pts, 4, "L1")  # the last row is the top one
    assert result.labels == ("L5", "L4", "L3", "L2", "L1")


@pytest.mark.parametrize(
    ("pts", "index", "label", "match"),
    [
        (np.zeros((0, 3)), 0, "L3", "centroids"),
        (np.zeros((3, 2)), 0, "L3", "centroids"),
        (np.array([[0.0, 0.0, np.nan]]), 0, "L3", "centroids"),
        (np.zeros((3, 3)), 3, "L3", "known_index"),
        (np.zeros((3, 3)), 0, "L9", "level"),
    ],
)
def test_counting_refuses_bad_input(pts: np.ndarray, index: int, label: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        label_by_counting(pts, index, label)


def _built(names: list[str], heights: dict[str, float] | None = None) -> tuple[np.ndarray, list[float]]:
    """Body centroids (LPS mm) of the vertebrae ``names`` of a T11-L5 spine stacked by construction (each
    centroid half its body, a disc and half the next body below the one above; a gentle lordosis in y),
    and their body heights."""
    body = {**BODY_MM, **(heights or {})}
    order = list(BODY_MM)
    z = {order[0]: 450.0}
    for upper, lower in itertools.pairwise(order):
        z[lower] = z[upper] - (body[upper] / 2 + DISC_MM[upper] + body[lower] / 2)
    pts = np.array([[3.0, -120.0 - 0.1 * (450.0 - z[n]), z[n]] for n in names])
    return pts, [body[n] for n in names]


def test_t12_l3_l4_only_naming_t12_does_not_count_across_the_gap() -> None:
    """QA s17 item 1: T12, L3 and L4 found, T12 named: L3 was labelled "L1" and L4 "L2"."""
    pts, heights = _built(["T12", "L3", "L4"])
    # without measured heights (a thoracic body's typical 21 mm from the named T12) it is not counted either
    assert label_by_counting(pts, 0, "T12").labels == ("T12", None, None)
    result = label_by_counting(pts, 0, "T12", heights_mm=heights)
    assert result.labels == ("T12", None, None)
    assert result.estimates == (None, "L3", "L4")  # suggested by distance, not applied
    (gap,) = result.gaps
    gap_mm = float(np.linalg.norm(pts[1] - pts[0]))
    assert (gap.index, gap.reference, gap.below, gap.levels_about) == (1, 0, True, 3)
    assert gap.distance_mm == pytest.approx(gap_mm, abs=0.01)
    assert result.runs == ((0,), (1, 2)) and result.contradictions == ()


def test_t12_l3_l4_only_naming_l3_leaves_t12_unnamed() -> None:
    pts, heights = _built(["T12", "L3", "L4"])
    result = label_by_counting(pts, 1, "L3", heights_mm=heights)
    assert result.labels == (None, "L3", "L4")  # the rib-bearing one was called "L2"
    assert result.estimates == ("T12", None, None)
    assert [(g.index, g.reference_level, g.below) for g in result.gaps] == [(0, "L3", False)]


def test_names_on_both_sides_of_a_gap_are_kept_and_checked() -> None:
    pts, heights = _built(["T12", "L3", "L4"])
    both = label_along_spine(pts, {0: "T12", 1: "L3"}, heights_mm=heights)
    assert both.labels == ("T12", "L3", "L4") and both.contradictions == () and both.gaps == ()
    assert both.named == (0, 1)
    for wrong in ("L2", "L5", "T11"):  # 2 levels, 5 levels, the wrong order: the distances say 3
        result = label_along_spine(pts, {0: "T12", 1: wrong}, heights_mm=heights)
        assert result.labels[:2] == ("T12", wrong)  # the operator's names stay
        (text,) = result.contradictions
        assert text.startswith(f"T12 and {wrong} lie") and "about 3 levels" in text and "check both" in text


def test_contiguous_vertebrae_are_still_counted() -> None:
    names = list(BODY_MM)
    pts, heights = _built(names)
    for known in range(len(names)):
        result = label_by_counting(pts, known, names[known], heights_mm=heights)
        assert list(result.labels) == names and result.warnings == () and len(result.runs) == 1
    # a vertebra found later between T12 and L3 (L1, L2): one group again, counted from T12
    result = label_along_spine(pts, {1: "T12"}, heights_mm=heights)
    assert list(result.labels) == names


def test_a_collapsed_body_next_to_normal_ones_is_not_a_gap() -> None:
    """A compression fracture: L1's body is 12 mm tall instead of 25 (its centroid 6.5 mm nearer each
    neighbour); the discs stay the same."""
    pts, heights = _built(["T12", "L1", "L2"], heights={"L1": 12.0})
    result = label_by_counting(pts, 0, "T12", heights_mm=heights)
    assert result.labels == ("T12", "L1", "L2") and result.gaps == ()


def test_two_names_in_one_group_that_contradict_are_reported() -> None:
    pts, heights = _built(["T12", "L1", "L2", "L3"])
    result = label_along_spine(pts, {0: "T12", 2: "L3"}, heights_mm=heights)
    assert result.labels == ("T12", None, "L3", "L4")  # nothing between two names that disagree
    (text,) = result.contradictions
    assert "T12 and L3 are 2 vertebrae apart with no gap" in text


@pytest.mark.parametrize("levels", [1, 2, 3, 5])
@pytest.mark.parametrize("disc_ratio", DISC_TO_BODY_HEIGHT)
def test_level_step_counts_levels_by_construction(levels: int, disc_ratio: float) -> None:
    body_mm = 25.0
    step = level_step(levels * body_mm * (1.0 + disc_ratio), body_mm, body_mm)
    assert step.adjacent is (levels == 1)
    assert levels in step.allowed_levels
    if disc_ratio == DISC_TO_BODY_HEIGHT[1]:
        assert step.levels_about == levels
