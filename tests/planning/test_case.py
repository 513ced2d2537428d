"""Case aggregate: values, read-only views, and change events only on real changes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from imaging.mask import Mask
from planning.case import Case, CaseItemError, Change, Section
from planning.errors import PlanValidationError
from planning.model import (
    AblationSpec,
    Approach,
    CaseInfo,
    CaseStatus,
    FrozenDict,
    LayerKind,
    MaskLayer,
    PlanSettings,
    ReviewResult,
    Target,
    Trajectory,
)
from tests.planning.test_case_helpers import GRID, full_case, full_state, sphere_mask


class Recorder:
    """Counts emissions of every case signal."""

    def __init__(self, case: Case) -> None:
        self.by_signal: dict[str, list[Change]] = {}
        for name in [s.value for s in Section] + ["changed"]:
            self.by_signal[name] = []
            getattr(case.events, name).connect(self.by_signal[name].append)

    def count(self, name: str) -> int:
        return len(self.by_signal[name])

    def total_specific(self) -> int:
        return sum(len(v) for k, v in self.by_signal.items() if k != "changed")


def _traj(name: str = "T", entry: tuple[float, float, float] = (0.0, 50.0, 0.0)) -> Trajectory:
    return Trajectory(name, "L1", Approach.TRANSPEDICULAR_RIGHT, entry, (0.0, -10.0, 0.0))


def test_add_emits_specific_and_changed_once() -> None:
    case = Case()
    rec = Recorder(case)
    t = _traj()
    case.add(Section.TRAJECTORIES, t)
    assert rec.count("trajectories") == 1
    assert rec.count("changed") == 1
    assert rec.total_specific() == 1
    change = rec.by_signal["changed"][0]
    assert change.section is Section.TRAJECTORIES
    assert change.key == "T"
    assert change.old is None
    assert change.new is t
    assert case.trajectories["T"] is t


def test_equal_values_emit_nothing() -> None:
    case = full_case()
    rec = Recorder(case)
    # Equal but distinct objects, rebuilt from the same numbers.
    state = full_state()
    for traj in state.trajectories:
        assert case.replace(Section.TRAJECTORIES, traj.name, traj) is False
    for layer in state.layers:
        # A mask equal voxel for voxel but stored in a larger box is still equal.
        bigger = Mask.from_full(layer.mask.to_full())
        assert case.replace(Section.LAYERS, layer.name, dataclasses.replace(layer, mask=bigger)) is False
    assert case.set_settings(PlanSettings(margin_mm=3.0, extra={"curative": True})) is False
    assert case.set_info(state.info) is False
    assert case.set_review(state.review) is False
    assert case.put(Section.CEMENT, state.cement[0]) is False
    assert rec.count("changed") == 0
    assert rec.total_specific() == 0


def test_real_change_emits_once_per_change() -> None:
    case = full_case()
    rec = Recorder(case)
    old = case.trajectories["L1 left"]
    moved = dataclasses.replace(old, entry_lps=(31.0, 60.0, 310.0))
    assert case.replace(Section.TRAJECTORIES, "L1 left", moved) is True
    assert case.set_settings(PlanSettings(margin_mm=5.0)) is True
    assert case.set_info(dataclasses.replace(case.info, status=CaseStatus.DONE)) is True
    assert case.set_review(None) is True
    assert rec.count("trajectories") == 1
    assert rec.count("settings") == 1
    assert rec.count("info") == 1
    assert rec.count("review") == 1
    assert rec.count("changed") == 4
    assert rec.count("layers") == 0
    ch = rec.by_signal["trajectories"][0]
    assert ch.old is old
    assert ch.new is moved


def test_one_voxel_mask_change_is_a_change() -> None:
    case = full_case()
    rec = Recorder(case)
    layer = case.layers["lesion L1"]
    full = layer.mask.to_full()
    full[0, 0, 0] = True
    assert case.replace(Section.LAYERS, layer.name, dataclasses.replace(layer, mask=Mask.from_full(full)))
    assert rec.count("layers") == 1


def test_rename_keeps_position_and_emits_once() -> None:
    case = full_case()
    rec = Recorder(case)
    layer = case.layers["body L1"]
    case.replace(Section.LAYERS, "body L1", dataclasses.replace(layer, name="vertebral body"))
    assert list(case.layers) == ["lesion L1", "vertebral body", "canal"]
    assert rec.count("layers") == 1
    assert rec.by_signal["layers"][0].key == "body L1"


def test_duplicate_and_unknown_keys_refused() -> None:
    case = full_case()
    rec = Recorder(case)
    with pytest.raises(CaseItemError, match='trajectories "L1 left": an item with this name already exists'):
        case.add(Section.TRAJECTORIES, case.trajectories["L1 left"])
    with pytest.raises(CaseItemError, match='targets "nope": no such item'):
        case.remove(Section.TARGETS, "nope")
    with pytest.raises(CaseItemError, match="already exists"):
        case.replace(Section.LAYERS, "canal", dataclasses.replace(case.layers["canal"], name="lesion L1"))
    with pytest.raises(CaseItemError, match="must be a Target"):
        case.add(Section.TARGETS, _traj())
    assert rec.count("changed") == 0
    assert case.snapshot() == full_state()


def test_remove_returns_item_and_index_and_add_restores_order() -> None:
    case = full_case()
    before = case.snapshot()
    item, index = case.remove(Section.LAYERS, "body L1")
    assert index == 1
    case.add(Section.LAYERS, item, index)
    assert case.snapshot() == before


def test_views_are_read_only() -> None:
    case = full_case()
    with pytest.raises(TypeError):
        case.layers["x"] = case.layers["canal"]  # type: ignore[index]


def test_layer_mask_is_frozen_copy() -> None:
    arr = np.zeros((3, 3, 3), dtype=bool)
    mask = Mask(arr, (1, 1, 1), GRID)
    layer = MaskLayer.new("x", LayerKind.CUSTOM, mask)
    arr[1, 1, 1] = True  # the caller keeps editing its own array
    assert layer.mask.count() == 0
    with pytest.raises(ValueError, match="read-only"):
        layer.mask.array[0, 0, 0] = True


def test_values_normalise_and_validate() -> None:
    t = Trajectory("a", "L1", "transpedicular-left", np.array([1, 2, 3]), [4, 5, 6])  # type: ignore[arg-type]
    assert t.approach is Approach.TRANSPEDICULAR_LEFT
    assert t.entry_lps == (1.0, 2.0, 3.0)
    assert isinstance(t.entry_lps[0], float)
    assert t.length_mm == pytest.approx(np.sqrt(27.0), abs=1e-12)
    assert t.antenna_extension_mm == 15.0
    with pytest.raises(ValueError, match="approach"):
        Trajectory("a", "L1", "sideways", (0, 0, 0), (1, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(PlanValidationError, match="needle_gauge"):
        dataclasses.replace(t, needle_gauge=12)
    with pytest.raises(PlanValidationError, match="entry_lps"):
        dataclasses.replace(t, target_lps=t.entry_lps)
    with pytest.raises(ValueError, match="finite"):
        dataclasses.replace(t, entry_lps=(0.0, float("nan"), 0.0))
    with pytest.raises(PlanValidationError, match="margin_mm"):
        PlanSettings(margin_mm=-1.0)
    with pytest.raises(ValueError, match="Custom ablation needs all"):
        AblationSpec(width_mm=30.0)
    with pytest.raises(ValueError, match="color_rgb"):
        MaskLayer("x", LayerKind.BONE, sphere_mask((5, 5, 5), 2), (0, 0, 256))
    tgt = Target("L2", measures={"volume_ml": 3})
    assert isinstance(tgt.measures, FrozenDict)
    assert tgt.measures == {"volume_ml": 3.0}
    assert hash(tgt) == hash(Target("L2", measures={"volume_ml": 3.0}))


def test_set_single_type_checked() -> None:
    case = Case()
    with pytest.raises(TypeError, match="settings"):
        case.set_settings(CaseInfo())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="review"):
        case.set_review(PlanSettings())  # type: ignore[arg-type]
    assert case.set_review(ReviewResult("1.2")) is True


def test_snapshot_equality_and_from_state() -> None:
    a = full_case()
    b = full_case()
    assert a == b
    assert a.uid != b.uid
    traj = b.trajectories["L1 left"]
    b.replace(Section.TRAJECTORIES, traj.name, dataclasses.replace(traj, antenna_extension_mm=20.0))
    assert a != b
    state = full_state()
    dup = dataclasses.replace(state, targets=(state.targets[0], state.targets[0]))
    with pytest.raises(CaseItemError, match="duplicate"):
        Case.from_state(dup)


def test_trajectories_of_target() -> None:
    case = full_case()
    assert [t.name for t in case.trajectories_of("L1")] == ["L1 left"]
    assert case.trajectories_of("nothing") == []


def test_views_stay_live_across_add_rename_move() -> None:
    case = full_case()
    layers = case.layers
    case.add(Section.LAYERS, MaskLayer.new("new", LayerKind.CUSTOM, sphere_mask((5, 5, 5), 2)), 0)
    case.replace(Section.LAYERS, "canal", dataclasses.replace(case.layers["canal"], name="spinal canal"))
    rec = Recorder(case)
    assert case.move(Section.LAYERS, "spinal canal", 1) is True
    assert case.move(Section.LAYERS, "spinal canal", 1) is False
    assert list(layers) == ["new", "spinal canal", "lesion L1", "body L1"]
    assert rec.count("layers") == 1
