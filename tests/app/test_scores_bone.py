"""Scores dock: the score follows the bone the operator states for an extraspinal target (Harrington
for the acetabulum, Mirels for a long bone, none for a rib), one undo step; a vertebra keeps SINS.

Phantom: conftest's marker volume with a spherical lytic lesion layer (radius 5 mm at the origin).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox

from imaging.mask import Mask
from planning.commands import AddLayer, AddTarget
from planning.model import LayerKind, MaskLayer, ScoreSystem, Target, TargetKind
from tests.app.conftest import marker_volume

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]


@pytest.fixture
def planning(window: object, qtbot: object, no_dialogs: object) -> object:
    """The window with the planning tools on the marker phantom."""
    from app.planning_ui import install

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    window.opener.show_volume(marker_volume(np.eye(3)))  # type: ignore[attr-defined]
    qtbot.wait(10)  # type: ignore[attr-defined]
    return ui


def _add_target(window: object, kind: TargetKind) -> None:
    vol = window.case.volume  # type: ignore[attr-defined]
    p = vol.index_to_lps_points(np.indices(vol.shape).reshape(3, -1).T.astype(float))
    mask = Mask.from_full((np.linalg.norm(p, axis=1) <= 5.0).reshape(vol.shape))
    window.case.push(AddLayer(MaskLayer.new("T1 lesion", LayerKind.LESION, mask)))  # type: ignore[attr-defined]
    level = "L3" if kind == TargetKind.SPINE else ""
    target = Target("T1", kind=kind, level=level, lesion_layer="T1 lesion", lesion_type="lytic")
    window.case.push(AddTarget(target))  # type: ignore[attr-defined]


def _combo_offering(panel: object, words: str) -> tuple[QComboBox, int]:
    """The dock's combo with an item containing ``words``, and that item's index."""
    for combo in panel.findChildren(QComboBox):  # type: ignore[attr-defined]
        if not combo.isVisibleTo(panel):
            continue
        for i in range(combo.count()):
            if words in combo.itemText(i):
                return combo, i
    raise AssertionError(f"no combo offers {words!r}")


def test_an_acetabular_lesion_is_offered_harrington(planning: object, window: object) -> None:
    _add_target(window, TargetKind.EXTRASPINAL)
    planning.controller.select_target("T1")  # type: ignore[attr-defined]
    panel = planning.scores_panel  # type: ignore[attr-defined]
    panel.refresh()
    assert "Mirels" in panel.title.text()  # the bone not stated: Mirels, saying the other choices
    combo, row = _combo_offering(panel, "Harrington")
    assert "acetabulum" in panel.bone_note.text() and "Harrington" in panel.bone_note.text()
    steps = window.case.undo_stack.index()  # type: ignore[attr-defined]
    combo.setCurrentIndex(row)
    assert window.case.undo_stack.index() == steps + 1  # type: ignore[attr-defined]
    assert window.case.case.targets["T1"].extra["bone"] == "acetabulum"  # type: ignore[attr-defined]
    assert panel.title.text() == "T1: Harrington"
    assert set(panel.combos) == {
        "medial_wall",
        "lateral_cortex",
        "superior_wall",
        "solitary_resectable_for_cure",
    }
    assert "choose the medial wall, lateral cortex, superior wall" in panel.total.text()
    # medial wall deficient, lateral cortex and superior wall intact: class II (CLINICAL.md)
    for name, value in (
        ("medial_wall", "deficient"),
        ("lateral_cortex", "intact"),
        ("superior_wall", "intact"),
    ):
        panel.combos[name].setCurrentIndex(panel.combos[name].findData(value))
    items = window.case.case.scores["T1"]  # type: ignore[attr-defined]
    assert items.system == ScoreSystem.HARRINGTON and items.items["medial_wall"] == "deficient"
    assert panel.total.text().startswith("Harrington class II")
    assert "percutaneous" in panel.meaning.text()
    resectable = panel.combos["solitary_resectable_for_cure"]
    resectable.setCurrentIndex(resectable.findData("yes"))
    assert panel.total.text() == "Harrington class IV" and "surgery" in panel.meaning.text()

    # a rib: no score, said; undo brings Harrington and its choices back
    combo, row = _combo_offering(panel, "rib")
    combo.setCurrentIndex(row)
    assert panel.title.text() == "T1: no score" and not panel.combos
    assert "gives none for a rib" in panel.bone_note.text()
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert panel.title.text() == "T1: Harrington" and panel.total.text() == "Harrington class IV"
    # a long bone: Mirels, its nature pre-filled from the lesion type
    combo, row = _combo_offering(panel, "long bone")
    combo.setCurrentIndex(row)
    assert panel.title.text() == "T1: Mirels"
    assert panel.combos["nature"].currentData() == "lytic"


def test_a_vertebra_keeps_sins_and_no_bone_choice(planning: object, window: object) -> None:
    _add_target(window, TargetKind.SPINE)
    planning.controller.select_target("T1")  # type: ignore[attr-defined]
    panel = planning.scores_panel  # type: ignore[attr-defined]
    panel.refresh()
    assert panel.title.text() == "T1: SINS"
    assert not panel.bone.isVisibleTo(panel)
