"""What the window tells the operator, and where the keys go, around opening and proposing.

- Propose Direct on a scan cropped inside the body (the vertebra phantom of tests/phantoms/vertebra.py
  without its air padding: soft tissue to every edge) says that the scan shows no skin around the
  lesion and to place the needle by hand, rather than blaming gas or bone; and a vertebra search
  ending a moment later ("Vertebra of ... found") does not replace that refusal in the status bar.
- After an image or a saved case opens, the keyboard focus is in the axial view, so keys work at once.

Positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.display_geometry import ViewAxis
from app.loading import wait_until
from imaging.mask import Mask
from planning.commands import AddLayer, AddTarget
from planning.model import LayerKind, MaskLayer, Target, TargetKind
from tests.app.conftest import marker_volume
from tests.phantoms.vertebra import make_vertebra_phantom

dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")


def test_direct_on_a_cropped_scan_says_there_is_no_skin_and_the_refusal_stays(
    window: object, qtbot: object, no_dialogs: list[tuple[str, str]]
) -> None:
    ph = make_vertebra_phantom(lesion=(-6.0, -3.0, 0.0, 6.0), seed=5)
    vol = ph.volume
    hu = vol.array
    assert hu[0].min() > -300 and hu[-1].min() > -300  # no air on the first and last slices: cropped
    window.opener.show_volume(vol)  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    case.push(AddLayer(MaskLayer.new("V lesion", LayerKind.LESION, Mask.from_full(ph.lesion_mask))))
    centre = tuple(float(v) for v in ph.lesion_center_lps)
    case.push(
        AddTarget(
            Target(
                "V",
                kind=TargetKind.SPINE,
                level="L3",
                lesion_seed_lps=centre,  # type: ignore[arg-type]
                vertebra_lps=tuple(float(v) for v in ph.center_lps),  # type: ignore[arg-type]
                lesion_layer="V lesion",
                lesion_type="lytic",
            )
        )
    )
    ui = window.planning_ui  # type: ignore[attr-defined]
    c = ui.controller
    c.select_target("V")
    assert c.request_anatomy("V")  # a vertebra search running while the operator proposes
    window.state.set_crosshair(np.asarray(centre))  # type: ignore[attr-defined]
    ui.trajectory_panel.propose("direct")
    status = window.statusBar()  # type: ignore[attr-defined]
    refusal = status.currentMessage()
    assert not case.case.trajectories
    assert "shows no skin around this lesion" in refusal, refusal
    assert "place the needle by hand" in refusal.lower(), refusal
    assert "gas" not in refusal, refusal
    assert wait_until(lambda: c.anatomy("V") is not None, 60000)
    qtbot.wait(50)  # type: ignore[attr-defined]
    assert status.currentMessage() == refusal


def _focused_view(window: object) -> object:
    return window.focusWidget()  # type: ignore[attr-defined]


def test_keyboard_focus_is_in_the_axial_view_after_opening_an_image_and_a_case(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    no_dialogs: list[tuple[str, str]],
) -> None:
    from app.main_window import MainWindow

    dicom_writer.write_dicom_series(marker_volume(np.eye(3)), tmp_path / "ct")
    window.open_path(tmp_path / "ct")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: _focused_view(window) is axial, timeout=5000)  # type: ignore[attr-defined]
    path = tmp_path / "plan.osteoplan"
    assert window.case.save_to(path)  # type: ignore[attr-defined]

    other = MainWindow(enable_3d=False, settings=settings)  # type: ignore[arg-type]
    qtbot.addWidget(other)  # type: ignore[attr-defined]
    other.resize(1100, 860)
    other.show()
    qtbot.waitExposed(other)  # type: ignore[attr-defined]
    other.open_path(path)
    qtbot.waitUntil(lambda: other.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: _focused_view(other) is other.views[ViewAxis.AXIAL], timeout=5000)  # type: ignore[attr-defined]
    other.case.undo_stack.setClean()
