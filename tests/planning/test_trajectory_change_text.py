"""UpdateTrajectory with the trajectory it replaces is named after what changed (planning.commands
.trajectory_change_text); without it, the old generic name. Positions LPS mm."""

from __future__ import annotations

from dataclasses import replace

from planning.commands import UpdateTrajectory, trajectory_change_text
from planning.model import AblationSpec, Approach, Trajectory

OLD = Trajectory("T9 needle 1", "T9", Approach.TRANSPEDICULAR_LEFT, (20.0, 200.0, -68.0), (0.0, 130.0, -63.0))


def test_one_change_names_it_with_its_value() -> None:
    assert (
        trajectory_change_text(OLD, replace(OLD, needle_gauge=11))
        == "Set needle gauge of T9 needle 1 to 11 G"
    )
    assert (
        trajectory_change_text(OLD, replace(OLD, antenna_extension_mm=17.5))
        == "Set antenna extension of T9 needle 1 to 17.5 mm"
    )
    assert (
        trajectory_change_text(OLD, replace(OLD, ablation_positions_mm=(0.0, 25.0)))
        == "Set antenna positions of T9 needle 1 to 0, 25 mm"
    )
    assert (
        trajectory_change_text(
            OLD, replace(OLD, ablation=AblationSpec(width_mm=30.0, length_mm=35.0, center_behind_tip_mm=10.0))
        )
        == "Set ablation zone of T9 needle 1"
    )
    assert (
        trajectory_change_text(OLD, replace(OLD, target_lps=(1.0, 130.0, -63.0))) == "Move tip of T9 needle 1"
    )


def test_several_changes_are_listed_and_the_default_is_kept() -> None:
    new = replace(OLD, needle_gauge=11, antenna_extension_mm=20.0)
    assert trajectory_change_text(OLD, new) == "Change T9 needle 1: needle gauge, antenna extension"
    assert UpdateTrajectory(OLD.name, new, previous=OLD).text == trajectory_change_text(OLD, new)
    assert UpdateTrajectory(OLD.name, new).text == "Change trajectory T9 needle 1"
