"""The Needles dock says a one-sided needle's mediolateral angle as medial or lateral from its entry side (QA
s32 B: a left transpedicular needle read "-15.4° (towards right)", right as a direction of travel, but not
how radiologists describe convergence); a direct needle keeps the signed words. The command line keeps the
signed ``mediolateral_deg`` (docs/cli-json.md) and its text adds medial or lateral after it.

Phantom: conftest's marker volume with a sphere lesion at the origin; needles in an axial plane, LPS mm.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.commands.plan import _text
from planning.commands import AddTrajectory
from planning.model import Approach, Trajectory
from planning.trajectory_geometry import mediolateral_deg
from tests.app.test_needle_angle_words import _bright_pixels
from tests.app.test_planning_ui_needles import (  # noqa: F401  (fixture)
    _add_target,
    planning,
    pytestmark,
)

#: entering 15 mm left of the midline (+x), 55 mm behind the tip, heading for the patient's right
LEFT_ENTRY = (15.0, 60.0, 0.0)
TIP = (0.0, 5.0, 0.0)


@pytest.mark.parametrize(
    ("approach", "entry", "want"),
    [
        (Approach.TRANSPEDICULAR_LEFT, LEFT_ENTRY, "15.3° medial (towards the patient's right)"),
        (Approach.TRANSPEDICULAR_RIGHT, (-15.0, 60.0, 0.0), "15.3° medial (towards the patient's left)"),
        (Approach.TRANSPEDICULAR_RIGHT, LEFT_ENTRY, "15.3° lateral (towards the patient's right)"),
        (Approach.DIRECT, LEFT_ENTRY, "-15.3° (towards right)"),
    ],
)
def test_mediolateral_reads_medial_or_lateral_from_the_entry_side(
    planning: Any,  # noqa: F811
    window: Any,
    qtbot: Any,
    approach: Approach,
    entry: tuple[float, float, float],
    want: str,
) -> None:
    _add_target(window, (0.0, 0.0, 0.0), 5.0)
    window.case.push(AddTrajectory(Trajectory("T1 needle 1", "T1", approach, entry, TIP)))
    planning.controller.select("T1 needle 1")
    planning.docks["needles"].raise_()
    qtbot.wait(20)
    label = planning.trajectory_panel.readouts_box.readouts["ml"]
    assert label.text() == want
    assert _bright_pixels(label) > 10  # drawn
    window.case.undo_stack.setClean()


def test_the_plan_text_adds_medial_to_the_signed_angle_the_json_keeps() -> None:
    ml = round(mediolateral_deg((TIP[0] - LEFT_ENTRY[0], TIP[1] - LEFT_ENTRY[1], 0.0)), 2)
    assert ml == pytest.approx(-15.26)
    needle = {
        "target": "L1",
        "length_mm": 57.0,
        "craniocaudal_deg": 0.0,
        "mediolateral_deg": ml,
        "canal_distance_mm": 3.0,
        "warnings": [],
    }
    payload = {
        "case": "plan.osteoplan",
        "ablation": {"label": "zone"},
        "trajectories": [
            {**needle, "approach": "transpedicular-left"},
            {**needle, "approach": "transpedicular-right"},
            {**needle, "approach": "direct"},
        ],
        "targets": [],
        "warnings": [],
        "import_warnings": [],
    }
    lines = _text(payload, [None, None, None])
    assert "mediolateral -15.26 deg (15.26 deg medial), " in lines[2]
    assert "mediolateral -15.26 deg (15.26 deg lateral), " in lines[3]
    assert "mediolateral -15.26 deg, " in lines[4]
    assert payload["trajectories"][0]["mediolateral_deg"] == ml  # the JSON's figure is not touched
