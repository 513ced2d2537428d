"""What a found body's disc checks know without a disc profile (imaging.vertebra_refusal, session 22).

:func:`imaging.vertebra_refusal.body_is_disc` asks :func:`imaging.disc_click.disc_at_point` (0.1-0.35 s
each) only when its other conditions can still hold: not for a body that reaches the scan's edge
(:func:`body_across_disc` judges those on the click, the condition both share), nor for a body no axial
section of which reads mostly below bone. These tests count the profiles asked for, and check that the
section bound is the largest of the shares the full check compares. Positions LPS mm, HU.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import imaging.vertebra_refusal as refusal
from imaging.bone import BONE_THRESHOLD_HU
from imaging.disc_click import DiscAtPoint
from imaging.mask import Mask
from imaging.volume import Volume

GRID = (40, 50, 50)


def _volume(hu: np.ndarray, *, axial_axis: int = 0) -> Volume:
    """A volume of 1 mm voxels whose index axis ``axial_axis`` runs along the patient's long axis."""
    m = np.zeros((4, 4))
    m[3, 3] = 1.0
    others = [a for a in range(3) if a != axial_axis]
    m[2, axial_axis] = 1.0
    m[0, others[1]] = 1.0
    m[1, others[0]] = 1.0
    return Volume(hu, m)


def _anatomy(mask_full: np.ndarray, *, cut: tuple[str, ...] = ()) -> Any:
    """What the checks read of a found vertebra: its body mask, centroid and the view's cut."""
    body = Mask.from_box(mask_full, (0, 0, 0), mask_full.shape)
    centroid = np.argwhere(mask_full).mean(axis=0)
    return SimpleNamespace(body=body, body_cut_by_view=cut, body_centroid_lps=tuple(centroid[::-1]))


def _box_body() -> np.ndarray:
    body = np.zeros(GRID, dtype=bool)
    body[10:30, 15:35, 15:35] = True
    return body


@pytest.fixture
def profiles(monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    """The points disc_at_point is asked about; each answers "on a disc" (so nothing else stops a check)."""
    asked: list[np.ndarray] = []

    def on_disc(volume: Volume, point: Any) -> DiscAtPoint:
        p = np.asarray(point, dtype=np.float64)
        asked.append(p)
        return DiscAtPoint((p[0], p[1], p[2] - 3.0), (p[0], p[1], p[2] + 3.0))

    monkeypatch.setattr(refusal, "disc_at_point", on_disc)
    return asked


def test_a_body_at_the_scans_edge_is_judged_once_on_the_click(profiles: list[np.ndarray]) -> None:
    """Before: body_across_disc profiled the click, then body_is_disc the centroid and the click again."""
    hu = np.full(GRID, 60, dtype=np.int16)  # marrow and disc alike below bone: only the cut decides
    body = _box_body()
    volume = _volume(hu)
    click = np.array([25.0, 25.0, 20.0])
    anatomy = _anatomy(body, cut=("superior",))
    across = refusal.body_across_disc(volume, click, anatomy)
    assert across is not None and len(profiles) == 1
    assert refusal.body_is_disc(volume, click, anatomy) is None
    assert len(profiles) == 1
    # a body reaching the grid's face is such a body too, cut or not
    touching = np.zeros(GRID, dtype=bool)
    touching[0:20, 15:35, 15:35] = True
    assert refusal.body_is_disc(volume, click, _anatomy(touching)) is None
    assert len(profiles) == 1


def test_a_body_of_dense_bone_is_not_profiled(profiles: list[np.ndarray]) -> None:
    """No section mostly below bone: no disc's middle can lie in it. Before, its centroid was profiled."""
    rng = np.random.default_rng(5)
    hu = np.full(GRID, 250, dtype=np.int16)
    body = _box_body()
    # about 35 % of each section's voxels below bone: under the half the check asks
    soft = body & (rng.random(GRID) < 0.35)
    hu[soft] = 60
    anatomy = _anatomy(body)
    click = np.array([25.0, 25.0, 20.0])
    assert refusal._most_soft_section_share(_volume(hu), anatomy) < refusal.MIN_DISC_SECTION_SOFT
    assert refusal.body_is_disc(_volume(hu), click, anatomy) is None
    assert profiles == []
    # one section through the middle mostly soft: the check goes on to profile (and, every answer here
    # being "on a disc" with that middle in the body, refuses)
    hu[19:22][body[19:22]] = 60  # the centroid lies at slice 19.5
    assert refusal.body_is_disc(_volume(hu), click, anatomy) is not None
    assert len(profiles) == 2


@pytest.mark.parametrize("axial_axis", [0, 2])
def test_the_section_bound_is_the_largest_share_the_check_compares(axial_axis: int) -> None:
    rng = np.random.default_rng(axial_axis)
    hu = rng.normal(BONE_THRESHOLD_HU, 80.0, GRID).astype(np.int16)
    body = np.zeros(GRID, dtype=bool)
    body[5:33, 8:41, 12:37] = rng.random((28, 33, 25)) < 0.8
    volume = _volume(hu, axial_axis=axial_axis)
    anatomy = _anatomy(body)
    offset = np.asarray(anatomy.body.offset_index)
    shares = []
    for k in range(anatomy.body.array.shape[axial_axis]):
        index = np.zeros(3, dtype=int)
        index[axial_axis] = k
        shares.append(refusal._soft_share_of_section(volume, anatomy, index))
    assert offset.tolist() == [5, 8, 12]
    assert refusal._most_soft_section_share(volume, anatomy) == max(shares)
    assert 0.0 < max(shares) < 1.0
