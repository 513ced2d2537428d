"""Commands (do / undo / redo restore the model exactly; merging) and the pure-Python History."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from imaging.mask import Mask
from planning.case import Case, CaseItemError, Section
from planning.commands import (
    AddForbidden,
    AddImage,
    AddLayer,
    AddTarget,
    AddTrajectory,
    Command,
    EditMask,
    MoveItem,
    MoveTrajectoryEntry,
    MoveTrajectoryTarget,
    RecolorLayer,
    RemoveForbidden,
    RemoveImage,
    RemoveLayer,
    RemoveTarget,
    RemoveTrajectory,
    RenameLayer,
    SetCementChoice,
    SetInfo,
    SetReview,
    SetScoreItems,
    SetSettings,
    StrokeEnd,
    UpdateTarget,
    UpdateTrajectory,
    apply_box,
    apply_boxes,
    read_box,
)
from planning.errors import PlanValidationError
from planning.history import History
from planning.model import (
    Approach,
    CaseStatus,
    CementChoice,
    ForbiddenStructure,
    ImageRef,
    ImageRole,
    LayerKind,
    MaskLayer,
    PlanSettings,
    ReviewResult,
    ScoreItems,
    ScoreSystem,
    Target,
    Trajectory,
    Viscosity,
    masks_equal,
)
from tests.planning.test_case_helpers import GRID, full_case, random_mask, sphere_mask


def _new_traj(case: Case) -> Trajectory:
    return Trajectory(
        "L1 right", "L1", Approach.TRANSPEDICULAR_RIGHT, (-30.0, 60.0, 310.0), (-5.0, -25.0, 302.0)
    )


def _grown_lesion(case: Case) -> Mask:
    return sphere_mask((20, 30, 30), 8)


COMMANDS: dict[str, Callable[[Case], Command]] = {
    "add layer": lambda c: AddLayer(MaskLayer.new("cement", LayerKind.CEMENT, sphere_mask((10, 10, 10), 3))),
    "add layer at 0": lambda c: AddLayer(
        MaskLayer.new("first", LayerKind.CUSTOM, sphere_mask((9, 9, 9), 2)), 0
    ),
    "remove layer": lambda c: RemoveLayer("body L1"),
    "rename layer": lambda c: RenameLayer("lesion L1", "lesion"),
    "rename referenced layer": lambda c: RenameLayer("canal", "spinal canal"),
    "recolour layer": lambda c: RecolorLayer("canal", (1, 2, 3)),
    "replace mask": lambda c: EditMask("lesion L1", _grown_lesion(c)),
    "replace mask by empty": lambda c: EditMask("body L1", Mask.empty(GRID)),
    "fill empty mask": lambda c: EditMask("canal", random_mask(3)),
    "brush dab": lambda c: EditMask.patch("body L1", (30, 50, 50), np.ones((4, 5, 6), dtype=bool)),
    "erase dab": lambda c: EditMask.patch("lesion L1", (18, 28, 28), np.zeros((5, 5, 5), dtype=bool)),
    "move layer to top": lambda c: MoveItem(Section.LAYERS, "canal", 0),
    "move layer past the end": lambda c: MoveItem(Section.LAYERS, "lesion L1", 99),
    "add target": lambda c: AddTarget(Target("T12", level="T12", lesion_seed_lps=(1.0, 2.0, 3.0))),
    "remove target with dependants": lambda c: RemoveTarget("L1"),
    "remove bare target": lambda c: RemoveTarget("femur"),
    "update target": lambda c: UpdateTarget("L1", dataclasses.replace(c.targets["L1"], level="L2")),
    "rename target": lambda c: UpdateTarget("L1", dataclasses.replace(c.targets["L1"], name="L1 lesion")),
    "add trajectory": lambda c: AddTrajectory(_new_traj(c)),
    "remove trajectory": lambda c: RemoveTrajectory("L1 left"),
    "update trajectory": lambda c: UpdateTrajectory(
        "L1 left", dataclasses.replace(c.trajectories["L1 left"], ablation_positions_mm=(0.0, 8.0, 16.0))
    ),
    "rename trajectory": lambda c: UpdateTrajectory(
        "L1 left", dataclasses.replace(c.trajectories["L1 left"], name="left")
    ),
    "move entry": lambda c: MoveTrajectoryEntry("L1 left", (33.0, 61.0, 309.5)),
    "move tip": lambda c: MoveTrajectoryTarget("femur direct", (86.0, 11.0, -498.0)),
    "add image": lambda c: AddImage(ImageRef("9.9", "/x", ImageRole.POST)),
    "remove image": lambda c: RemoveImage("1.2.3.4"),
    "add forbidden": lambda c: AddForbidden(ForbiddenStructure("aorta", "body L1", 5.0)),
    "remove forbidden": lambda c: RemoveForbidden("canal"),
    "set cement": lambda c: SetCementChoice("L1", CementChoice("L1", 0.5, Viscosity.LOW)),
    "add cement": lambda c: SetCementChoice("femur", CementChoice("femur", 0.9)),
    "clear cement": lambda c: SetCementChoice("L1", None),
    "set scores": lambda c: SetScoreItems("femur", ScoreItems("femur", ScoreSystem.MIRELS, {"site": 2})),
    "clear scores": lambda c: SetScoreItems("L1", None),
    "set info": lambda c: SetInfo(dataclasses.replace(c.info, status=CaseStatus.REVIEWED)),
    "set settings": lambda c: SetSettings(PlanSettings(margin_mm=5.0)),
    "set review": lambda c: SetReview(ReviewResult("1.2.3.9", values={"cement_ml": 5.5})),
    "clear review": lambda c: SetReview(None),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_do_undo_redo_restores_exactly(name: str) -> None:
    case = full_case()
    before = case.snapshot()
    history = History(case)
    changes: list[object] = []
    case.events.changed.connect(changes.append)
    history.push(COMMANDS[name](case))
    after = case.snapshot()
    assert after != before, "the command must change something"
    assert history.count == 1
    n_do = len(changes)
    assert n_do >= 1
    assert history.undo()
    assert case.snapshot() == before
    assert len(changes) == 2 * n_do  # undo emits as many real changes as do
    assert history.redo()
    assert case.snapshot() == after
    assert history.undo()
    assert case.snapshot() == before


def test_rename_layer_follows_references() -> None:
    case = full_case()
    History(case).push(RenameLayer("canal", "spinal canal"))
    assert case.forbidden["canal"].layer == "spinal canal"
    History(case).push(RenameLayer("lesion L1", "lesion"))
    assert case.targets["L1"].lesion_layer == "lesion"


def test_rename_target_follows_references() -> None:
    case = full_case()
    History(case).push(UpdateTarget("L1", dataclasses.replace(case.targets["L1"], name="L1b")))
    assert case.trajectories["L1 left"].target == "L1b"
    assert case.cement["L1b"].target == "L1b"
    assert case.scores["L1b"].target == "L1b"
    assert "L1" not in case.cement


def test_remove_target_removes_dependants_and_undo_restores_order() -> None:
    case = full_case()
    order = list(case.trajectories)
    h = History(case)
    h.push(RemoveTarget("L1"))
    assert list(case.trajectories) == ["femur direct"]
    assert "L1" not in case.cement
    assert "L1" not in case.scores
    h.undo()
    assert list(case.trajectories) == order


def test_drag_merges_into_one_undo_step() -> None:
    case = full_case()
    start = case.trajectories["L1 left"]
    h = History(case)
    path = [(30.0 + i * 0.5, 60.0 - i * 0.25, 310.0) for i in range(1, 21)]
    for p in path:
        h.push(MoveTrajectoryEntry("L1 left", p, drag_id=1))
    assert h.count == 1
    assert case.trajectories["L1 left"].entry_lps == path[-1]
    h.undo()
    assert case.trajectories["L1 left"] == start
    assert not h.can_undo
    h.redo()
    assert case.trajectories["L1 left"].entry_lps == path[-1]


def test_separate_drags_do_not_merge() -> None:
    case = full_case()
    h = History(case)
    h.push(MoveTrajectoryEntry("L1 left", (31.0, 60.0, 310.0), drag_id=1))
    h.push(MoveTrajectoryEntry("L1 left", (32.0, 60.0, 310.0), drag_id=2))
    h.push(MoveTrajectoryTarget("L1 left", (6.0, -25.0, 302.0), drag_id=2))  # other endpoint: own step
    h.push(MoveTrajectoryEntry("L1 left", (33.0, 60.0, 310.0)))  # no drag id: never merges
    h.push(MoveTrajectoryEntry("L1 left", (34.0, 60.0, 310.0)))
    assert h.count == 5


def test_drag_back_to_start_is_dropped() -> None:
    case = full_case()
    start = case.trajectories["L1 left"]
    h = History(case)
    h.push(MoveTrajectoryEntry("L1 left", (40.0, 60.0, 310.0), drag_id=7))
    h.push(MoveTrajectoryEntry("L1 left", start.entry_lps, drag_id=7))
    assert h.count == 0
    assert case.trajectories["L1 left"] == start


def test_equal_value_command_is_not_recorded() -> None:
    case = full_case()
    h = History(case)
    h.push(SetSettings(case.settings))
    h.push(RecolorLayer("canal", case.layers["canal"].color_rgb))
    h.push(EditMask("lesion L1", Mask.from_full(case.layers["lesion L1"].mask.to_full())))
    h.push(SetCementChoice("L1", case.cement["L1"]))
    assert h.count == 0
    assert h.is_clean


def test_slider_drag_of_settings_merges() -> None:
    case = full_case()
    h = History(case)
    for m in (3.5, 4.0, 4.5, 5.0):
        h.push(SetSettings(PlanSettings(margin_mm=m), merge_id="margin"))
    assert h.count == 1
    h.undo()
    assert case.settings.margin_mm == 3.0


def test_brush_stroke_is_one_step_and_holds_only_boxes() -> None:
    big_grid = (200, 512, 512)
    full = np.zeros(big_grid, dtype=bool)
    full[20:180, 100:400, 100:400] = True  # a big bone mask: 14.4 MB box
    case = Case()
    case.add(Section.LAYERS, MaskLayer.new("bone", LayerKind.BONE, Mask.from_full(full)))
    before = case.snapshot()
    h = History(case)
    dab = np.zeros((5, 5, 5), dtype=bool)  # erase dabs along a line, partly outside the mask
    for i in range(12):
        h.push(EditMask.patch("bone", (100, 95 + i * 3, 200), dab, stroke_id="s1"))
    assert h.count == 1
    cmd = h.commands()[0]
    assert isinstance(cmd, EditMask)
    # Each dab that changed something keeps its 5x5x5 box before and after (2 * 125 bytes), nothing of
    # the 14.4 MB mask; the first dab (rows 95-99) lies wholly outside the mask and is not kept.
    assert len(cmd.patches) == 11
    assert cmd.nbytes == 11 * 2 * 125
    expected = full.copy()
    for i in range(12):
        expected[100:105, 95 + i * 3 : 100 + i * 3, 200:205] = False
    assert np.array_equal(case.layers["bone"].mask.to_full(), expected)
    h.undo()
    assert case.snapshot() == before
    h.redo()
    assert np.array_equal(case.layers["bone"].mask.to_full(), expected)


def test_a_stroke_end_is_undone_and_redone_with_its_stroke() -> None:
    """StrokeEnd (the target a drawn lesion becomes at the stroke's end) merges into the stroke's EditMask:
    one step, undone before the dabs and redone after them; no dab merges after it; another stroke's or
    layer's end is a step of its own."""
    case = Case()
    case.add(Section.LAYERS, MaskLayer.new("Lesion 1", LayerKind.LESION, Mask.empty((20, 20, 20))))
    case.add(Section.TARGETS, Target("Lesion 1", lesion_layer="Lesion 1"))
    before = case.snapshot()
    h = History(case)
    dab = np.ones((3, 3, 3), dtype=bool)
    h.push(EditMask.patch("Lesion 1", (5, 5, 5), dab, stroke_id=7))
    h.push(EditMask.patch("Lesion 1", (5, 6, 5), dab, stroke_id=7))
    spinal = dataclasses.replace(case.targets["Lesion 1"], level="T9")
    h.push(StrokeEnd("Lesion 1", 7, [UpdateTarget("Lesion 1", spinal)]))
    assert h.count == 1
    done = case.snapshot()
    assert case.targets["Lesion 1"].level == "T9" and case.layers["Lesion 1"].mask.count() == 36
    h.push(EditMask.patch("Lesion 1", (10, 10, 10), dab, stroke_id=7))  # after the end: its own step
    assert h.count == 2
    h.undo()
    assert case.snapshot() == done
    h.undo()
    assert case.snapshot() == before
    h.redo()
    assert case.snapshot() == done
    h.push(StrokeEnd("Lesion 1", 8, [UpdateTarget("Lesion 1", dataclasses.replace(spinal, level="T10"))]))
    assert h.count == 2  # no stroke 8 on top: a step of its own
    h.undo()
    assert case.snapshot() == done


def test_replace_mask_holds_only_the_changed_box() -> None:
    case = Case()
    grid = (100, 256, 256)
    full = np.zeros(grid, dtype=bool)
    full[10:90, 50:200, 50:200] = True
    case.add(Section.LAYERS, MaskLayer.new("body", LayerKind.BODY, Mask.from_full(full)))
    edited = full.copy()
    edited[40:43, 60:64, 70:75] = False  # a 3x4x5 hole
    cmd = EditMask("body", Mask.from_full(edited))
    h = History(case)
    h.push(cmd)
    assert [p.offset_index for p in cmd.patches] == [(40, 60, 70)]
    assert cmd.nbytes == 2 * 3 * 4 * 5
    assert np.array_equal(case.layers["body"].mask.to_full(), edited)
    h.undo()
    assert np.array_equal(case.layers["body"].mask.to_full(), full)


def test_mask_grid_mismatch_refused() -> None:
    case = full_case()
    h = History(case)
    with pytest.raises(CaseItemError, match="grid"):
        h.push(EditMask("lesion L1", Mask.empty((1, 2, 3))))
    with pytest.raises(ValueError, match="does not fit"):
        h.push(EditMask.patch("lesion L1", (38, 0, 0), np.ones((4, 1, 1), dtype=bool)))
    assert h.count == 0


def test_box_helpers_known_values() -> None:
    m = Mask(np.ones((2, 2, 2), dtype=bool), (3, 3, 3), (10, 10, 10))
    box = read_box(m, (2, 2, 2), (3, 3, 3))
    assert box.sum() == 8
    assert not box[0].any()
    out = apply_box(m, (0, 0, 0), np.ones((1, 1, 1), dtype=bool))
    assert out.count() == 9
    assert out.offset_index == (0, 0, 0)
    cleared = apply_box(m, (3, 3, 3), np.zeros((2, 2, 2), dtype=bool))
    assert cleared.count() == 0


def test_failed_compound_leaves_case_unchanged() -> None:
    case = full_case()
    before = case.snapshot()
    h = History(case)
    with pytest.raises(CaseItemError, match="already exists"):
        h.push(RenameLayer("canal", "body L1"))
    with pytest.raises(CaseItemError, match="already exists"):
        h.push(UpdateTarget("L1", dataclasses.replace(case.targets["L1"], name="femur")))
    with pytest.raises(CaseItemError, match="no such item"):
        h.push(RemoveTarget("T9"))
    assert case.snapshot() == before
    assert h.count == 0


def test_history_clean_state_and_redo_branch() -> None:
    case = full_case()
    h = History(case)
    cleans: list[bool] = []
    h.events.clean_changed.connect(cleans.append)
    assert h.is_clean and not h.can_undo and not h.can_redo
    h.push(SetSettings(PlanSettings(margin_mm=4.0)))
    h.push(SetSettings(PlanSettings(margin_mm=5.0)))
    assert not h.is_clean
    h.set_clean()
    assert h.is_clean
    h.undo()
    assert not h.is_clean
    assert h.can_redo
    assert h.redo_text == "Set plan settings"
    h.redo()
    assert h.is_clean
    h.undo()
    h.push(SetSettings(PlanSettings(margin_mm=6.0)))  # drops the redo branch that held the clean state
    assert not h.can_redo
    assert h.count == 2
    assert not h.is_clean
    h.undo()
    h.undo()
    assert not h.is_clean  # the saved state is gone for good
    assert case.settings.margin_mm == 3.0
    assert cleans == [False, True, False, True, False]


def test_history_limit_drops_oldest() -> None:
    case = full_case()
    h = History(case, limit=3)
    for m in (4.0, 5.0, 6.0, 7.0, 8.0):
        h.push(SetSettings(PlanSettings(margin_mm=m)))
    assert h.count == 3
    while h.undo():
        pass
    assert case.settings.margin_mm == 5.0


def test_macro_is_one_step_and_aborts_on_error() -> None:
    case = full_case()
    before = case.snapshot()
    h = History(case)
    with h.macro("Plan L1 right"):
        h.push(AddTrajectory(_new_traj(case)))
        for i in range(5):
            h.push(MoveTrajectoryEntry("L1 right", (-30.0 - i, 60.0, 310.0), drag_id="d"))
        assert h.in_macro and not h.can_undo
    assert h.count == 1
    assert h.undo_text == "Plan L1 right"
    assert case.trajectories["L1 right"].entry_lps == (-34.0, 60.0, 310.0)
    h.undo()
    assert case.snapshot() == before
    h.redo()
    assert "L1 right" in case.trajectories
    h.undo()
    with pytest.raises(CaseItemError), h.macro("broken"):
        h.push(AddTrajectory(_new_traj(case)))
        h.push(RemoveTarget("no such"))
    assert case.snapshot() == before
    assert h.count == 1
    assert not h.in_macro


def test_nested_and_empty_macros() -> None:
    case = full_case()
    h = History(case)
    with h.macro("empty"):
        pass
    assert h.count == 0
    with h.macro("outer"):
        h.push(SetSettings(PlanSettings(margin_mm=4.0)))
        with h.macro("inner"):
            h.push(RecolorLayer("canal", (9, 9, 9)))
    assert h.count == 1
    h.undo()
    assert case.settings.margin_mm == 3.0
    assert case.layers["canal"].color_rgb != (9, 9, 9)
    with pytest.raises(RuntimeError):
        h.end_macro()


def test_apply_boxes_matches_full_grid_truth() -> None:
    """Random patches, inside, across and outside the mask's box, against full-grid painting."""
    rng = np.random.default_rng(5)
    grid = (20, 24, 28)
    for trial in range(60):
        full = np.zeros(grid, dtype=bool)
        lo = rng.integers(0, 10, 3)
        full[lo[0] : lo[0] + 8, lo[1] : lo[1] + 9, lo[2] : lo[2] + 10] = rng.random((8, 9, 10)) < 0.6
        mask = Mask.from_full(full)
        truth = full.copy()
        patches = []
        for _ in range(int(rng.integers(1, 4))):
            shape = rng.integers(1, 6, 3)
            off = [int(rng.integers(0, g - s + 1)) for g, s in zip(grid, shape, strict=True)]
            kind = trial % 3
            box = (
                np.ones(shape, bool)
                if kind == 0
                else np.zeros(shape, bool)
                if kind == 1
                else rng.random(shape) < 0.5
            )
            patches.append((off, box))
            truth[off[0] : off[0] + shape[0], off[1] : off[1] + shape[1], off[2] : off[2] + shape[2]] = box
        out = apply_boxes(mask, patches)
        assert np.array_equal(out.to_full(), truth), f"trial {trial}"
        assert not out.array.flags.writeable
        if truth.any():
            # The box stays tight: every face holds a voxel (as Mask.from_full would give).
            tight = Mask.from_full(truth)
            assert out.offset_index == tight.offset_index
            assert out.array.shape == tight.array.shape


def test_masks_equal_agrees_with_mask_eq() -> None:
    rng = np.random.default_rng(9)
    grid = (12, 13, 14)
    for _ in range(100):
        a_full = rng.random(grid) < 0.02
        b_full = a_full.copy()
        if rng.random() < 0.5:
            idx = tuple(int(rng.integers(0, g)) for g in grid)
            b_full[idx] = not b_full[idx]
        a = Mask.from_full(a_full)
        # b in a larger box than needed, so the boxes differ
        b = Mask(b_full[1:, :, :], (1, 0, 0), grid) if not b_full[0].any() else Mask(b_full, (0, 0, 0), grid)
        assert masks_equal(a, b) == (a == b) == bool(np.array_equal(a_full, b_full))
    assert not masks_equal(Mask.empty((1, 2, 3)), Mask.empty((1, 2, 4)))


def test_move_to_same_place_is_not_recorded() -> None:
    case = full_case()
    h = History(case)
    h.push(MoveItem(Section.LAYERS, "canal", 2))
    h.push(MoveItem(Section.LAYERS, "canal", 50))
    assert h.count == 0
    h.push(MoveItem(Section.LAYERS, "canal", -3))
    assert list(case.layers) == ["canal", "lesion L1", "body L1"]


def test_refused_move_changes_nothing_and_is_not_recorded() -> None:
    case = full_case()
    before = case.snapshot()
    h = History(case)
    tip = case.trajectories["L1 left"].target_lps
    with pytest.raises(PlanValidationError, match="entry_lps"):
        h.push(MoveTrajectoryEntry("L1 left", tip, drag_id=3))  # entry onto the tip: zero length
    with pytest.raises(CaseItemError, match="no such item"):
        h.push(MoveTrajectoryEntry("nope", (0.0, 0.0, 0.0)))
    assert case.snapshot() == before
    assert h.count == 0


def test_edit_history_memory_measured_is_boxes_not_masks() -> None:
    """Traced memory after a 12-dab stroke grows by the boxes only, not by copies of the 14 MB mask."""
    import gc
    import tracemalloc

    full = np.zeros((200, 512, 512), dtype=bool)
    full[20:180, 100:400, 100:400] = True
    case = Case()
    case.add(Section.LAYERS, MaskLayer.new("bone", LayerKind.BONE, Mask.from_full(full)))
    del full
    h = History(case)
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for i in range(12):
            h.push(EditMask.patch("bone", (100, 110 + i * 3, 200), np.zeros((5, 5, 5), bool), stroke_id=1))
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert h.count == 1
    mask_bytes = case.layers["bone"].mask.array.nbytes
    assert mask_bytes == 160 * 300 * 300
    # Alive now among allocations made since start: the case's current mask (a new 14.4 MB array, the
    # old one was freed) plus the command. 12 dabs x 250 bytes of boxes plus Python object overhead;
    # one more mask copy held by the history would add 14.4 MB.
    assert held - start - mask_bytes < 100_000, held - start - mask_bytes


def test_equal_value_commands_emit_nothing() -> None:
    case = full_case()
    changes: list[object] = []
    case.events.changed.connect(changes.append)
    h = History(case)
    h.push(SetSettings(case.settings))
    h.push(UpdateTrajectory("L1 left", case.trajectories["L1 left"]))
    h.push(EditMask.patch("canal", (0, 0, 0), np.zeros((2, 2, 2), bool)))
    assert changes == []
