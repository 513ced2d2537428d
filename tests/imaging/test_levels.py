"""Level names and labelling by counting along the spine."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.levels import LEVELS, label_by_counting, level_index, normalize_level


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


def test_a_skipped_vertebra_is_flagged() -> None:
    pts = np.delete(_spine(6), 2, axis=0)  # L2 missing: a 60 mm gap
    result = label_by_counting(pts, 0, "T12")
    assert len(result.warnings) == 1
    assert "missing" in result.warnings[0]


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
