"""Needles dock, Direct proposal: with the crosshair in the lesion the window chooses the route itself (as
``osteoplan plan`` does), avoiding gas; with the crosshair on the skin it enters there unless that route
crosses gas; it says what it chose; with a device chosen the zone is centred on the lesion.

Phantom (1 mm grid): a soft-tissue body (40 HU) x -40..40, y -40..40, z -30..30 mm in air; a bone block
(250 HU marrow in a 2 mm 1000 HU cortex) x -12..30, |y|, |z| <= 12 mm holding a lytic sphere (20 HU,
radius 6 mm) at the origin; a gas pocket (-1000 HU, lung-like) in front of it, y -25..-18 mm, so the
nearest way in from the front crosses 7 mm of gas. Positions LPS mm; tolerances in mm.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.commands import AddLayer, AddTarget, UpdateTrajectory
from planning.direct_entry import route_crossings
from planning.model import AblationSpec, LayerKind, MaskLayer, Target, TargetKind
from planning.trajectory_geometry import TrajectoryGeometry

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

LESION_RADIUS_MM = 6.0
#: the skin (the body's faces, voxel faces half a voxel out) found within the outline sampler's step
SKIN_TOLERANCE_MM = 1.5


def _phantom() -> tuple[Volume, Mask]:
    shape = (70, 90, 90)  # z, y, x
    m = affine_from_geometry((-45.0, -45.0, -35.0), (1.0, 1.0, 1.0), np.eye(3))
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1).astype(float)
    pts = idx @ m[:3, :3].T + m[:3, 3]
    x, y, z = pts[..., 0], pts[..., 1], pts[..., 2]
    hu = np.full(shape, -1000, dtype=np.int16)
    hu[(np.abs(x) <= 40) & (np.abs(y) <= 40) & (np.abs(z) <= 30)] = 40
    hu[(x >= -12) & (x <= 30) & (np.abs(y) <= 12) & (np.abs(z) <= 12)] = 1000
    hu[(x >= -10) & (x <= 28) & (np.abs(y) <= 10) & (np.abs(z) <= 10)] = 250
    hu[(np.abs(x) <= 15) & (y >= -25) & (y <= -18) & (np.abs(z) <= 15)] = -1000
    lesion = np.sum(pts**2, axis=-1) <= LESION_RADIUS_MM**2
    hu[lesion] = 20
    return Volume(hu, m), Mask.from_full(lesion)


@pytest.fixture
def planning(window: object, qtbot: object, no_dialogs: object) -> object:
    from app.planning_ui import install

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    vol, lesion = _phantom()
    window.opener.show_volume(vol)  # type: ignore[attr-defined]
    window.case.push(AddLayer(MaskLayer.new("T1 lesion", LayerKind.LESION, lesion)))  # type: ignore[attr-defined]
    target = Target(
        "T1",
        kind=TargetKind.EXTRASPINAL,
        lesion_seed_lps=(0.0, 0.0, 0.0),
        lesion_layer="T1 lesion",
        lesion_type="lytic",
    )
    window.case.push(AddTarget(target))  # type: ignore[attr-defined]
    ui.controller.select_target("T1")  # type: ignore[attr-defined]
    qtbot.wait(10)  # type: ignore[attr-defined]
    return ui


def _propose(window: object, planning: object, crosshair: tuple[float, float, float]) -> tuple[object, str]:
    """Propose direct with the crosshair at ``crosshair``: the needle added, and the status bar text."""
    before = set(window.case.case.trajectories)  # type: ignore[attr-defined]
    window.state.set_crosshair(crosshair)  # type: ignore[attr-defined]
    planning.trajectory_panel.propose("direct")  # type: ignore[attr-defined]
    added = [n for n in window.case.case.trajectories if n not in before]  # type: ignore[attr-defined]
    text = window.statusBar().currentMessage()  # type: ignore[attr-defined]
    assert len(added) == 1, text
    return window.case.case.trajectories[added[0]], text  # type: ignore[attr-defined]


def _on_skin(entry: tuple[float, float, float]) -> bool:
    """True when ``entry`` lies on one of the body's faces."""
    faces = (abs(entry[0]) - 40.5, abs(entry[1]) - 40.5, abs(entry[2]) - 30.5)
    return min(abs(f) for f in faces) <= SKIN_TOLERANCE_MM and max(faces) <= SKIN_TOLERANCE_MM


def test_direct_with_the_crosshair_in_the_lesion_chooses_a_clear_route_and_says_so(
    planning: object, window: object
) -> None:
    """The old window took the crosshair as the skin point and refused with an internal name."""
    vol, lesion = _phantom()
    traj, text = _propose(window, planning, (1.0, 0.0, 0.0))
    assert _on_skin(traj.entry_lps), traj.entry_lps  # type: ignore[attr-defined]
    geometry = TrajectoryGeometry(traj.entry_lps, traj.target_lps)  # type: ignore[attr-defined]
    gas_mm, _ = route_crossings(vol, lesion, geometry)
    assert gas_mm == 0.0
    assert traj.entry_lps[1] > -18.0  # type: ignore[attr-defined]  # not in from the front, through the gas
    assert "route chosen by the program" in text
    assert "crosses no gas" in text
    assert f"{geometry.length_mm:.0f} mm from the entry to the needle tip" in text
    assert "skin_lps" not in text and "_lps" not in text


def test_direct_from_the_skin_crosshair_enters_there_unless_through_gas(
    planning: object, window: object
) -> None:
    # on the left side's skin (x = -40), in line with the lesion: entered there
    traj, text = _propose(window, planning, (-40.0, 0.0, 0.0))
    assert traj.entry_lps[0] == pytest.approx(-40.5, abs=SKIN_TOLERANCE_MM)  # type: ignore[attr-defined]
    assert abs(traj.entry_lps[1]) < 1.0 and abs(traj.entry_lps[2]) < 1.0  # type: ignore[attr-defined]
    assert "entry on the skin in line with the crosshair" in text
    # in front, where the way in crosses the gas pocket: the program's clear route instead, and why
    traj, text = _propose(window, planning, (0.0, -40.0, 0.0))
    assert traj.entry_lps[1] > -18.0  # type: ignore[attr-defined]
    crossed = re.search(r"the route through the crosshair crosses (\d+) mm of gas", text)
    assert crossed is not None, text
    assert int(crossed.group(1)) == pytest.approx(7, abs=1)  # the pocket's 7 mm, within a voxel
    assert "route chosen by the program" in text


def test_direct_centres_the_selected_devices_zone_on_the_lesion(planning: object, window: object) -> None:
    """A needle with a device is selected: the next direct needle's zone centre lies on the lesion's centre
    within 1 mm (half a voxel and the sampling step along the needle), its antenna tip in the block."""
    first, _ = _propose(window, planning, (-40.0, 0.0, 0.0))
    spec = AblationSpec(width_mm=32.0, length_mm=35.0, center_behind_tip_mm=11.5)
    window.case.push(UpdateTrajectory(first.name, _with(first, spec)))  # type: ignore[attr-defined]
    planning.controller.select(first.name)  # type: ignore[attr-defined]
    second, text = _propose(window, planning, (-40.0, 0.0, 0.0))
    zones = planning.controller.zones(second)  # type: ignore[attr-defined]
    assert len(zones) == 1
    assert np.linalg.norm(np.asarray(zones[0].center_lps)) <= 1.0, text
    antenna_tip = TrajectoryGeometry(second.entry_lps, second.target_lps).antenna_tip_lps(15.0)  # type: ignore[attr-defined]
    assert -12.0 < antenna_tip[0] < 30.0


def _with(traj: object, spec: AblationSpec) -> object:
    from dataclasses import replace

    return replace(traj, ablation=spec)  # type: ignore[type-var]
