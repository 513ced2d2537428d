"""The window near metal and on noisy images (QA session 17 items 3 and 5, verified in session 17 V).

- Near metal the Vertebrae dock and ``osteoplan anatomy`` answer alike for the same point (since session 19
  both refuse it: the rod's streaks hide too much of the body, imaging.metal_unknown). The QA
  saw the left pedicle at 6.0 mm in the window and 9.27 mm from the command line "for the same click":
  the window's click on the axial view lies on the slice shown, z -546.54 (slice 49), while the command
  line was given z -547.0, half a voxel away, and near the rod the search gives another vertebra from
  there (body 21.43 mL, height 15.8 mm, pedicles 9.27 / 4.45 mm against 23.06 mL, 24.5 mm, 5.96 / 5.57
  mm). Given the window's own point the command line now gives the window's figures, the body's volume
  included (before, 23.164 mL, the search's 1 mm figure, against the dock's 23.06 mL, its layer's).
- A lesion refused, or found, on a noisy image says so in the status bar (imaging.lesion_noise).

bone-lesions case1 with the QA's rod: 6 mm across at 3071 HU along the line its script traced through
the right pedicle (its entry and target below, the rod running on 30 % past each end), and +-500 HU
streaks (cos 6 theta, fading over 35 mm) within 6 mm of the rod along the spine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.cli import main
from app.display_geometry import ViewAxis
from imaging.image_files import read_image
from imaging.lesion_model import NOISE_NOTE
from imaging.load import save_volume
from imaging.volume import Volume
from tests.app.test_segmentation_tools import (
    click,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.noisy_cases import qa_noisy_case1, with_noise

#: the rod's line, LPS mm: the right pedicle's axis the QA's script traced (its c1_anat.json)
ROD_ENTRY_LPS = (-5.84, 178.94, -558.57)
ROD_TARGET_LPS = (4.57, 153.16, -549.13)
ROD_RADIUS_MM = 3.0
#: the QA's vertebra click and case1's lesion seed (lesion-boxes.csv box centre), LPS mm
CLICK_LPS = (20.0, 165.0, -547.0)
CASE1_SEED_LPS = (24.45474, 169.87754, -547.53988)


def _with_rod(case1: Volume) -> Volume:
    """case1 with the QA's rod and streaks (its mkvar.py)."""
    idx = np.stack(np.indices(case1.shape), axis=-1).reshape(-1, 3).astype(np.float64)
    pts = case1.index_to_lps_points(idx).reshape((*case1.shape, 3))
    a, b = np.asarray(ROD_ENTRY_LPS), np.asarray(ROD_TARGET_LPS)
    d = b - a
    t = np.clip(((pts - a) @ d) / (d @ d), -0.3, 1.3)
    closest = a + t[..., None] * d
    dist = np.linalg.norm(pts - closest, axis=-1)
    theta = np.arctan2(pts[..., 1] - closest[..., 1], pts[..., 0] - closest[..., 0])
    r = np.hypot(pts[..., 1] - closest[..., 1], pts[..., 0] - closest[..., 0])
    band = np.abs(pts[..., 2] - closest[..., 2]) <= 6.0
    streak = 500.0 * np.cos(6.0 * theta) * np.exp(-np.maximum(r - 3.0, 0.0) / 35.0) * band
    hu = np.where(dist <= ROD_RADIUS_MM, 3071.0, case1.array.astype(np.float64) + streak)
    return case1.with_array(np.clip(hu, -1024, 3071).astype(np.float32))


@pytest.mark.realdata
def test_dock_and_command_line_agree_near_metal(
    window: Any,
    qtbot: Any,
    no_dialogs: Any,
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import imaging.vertebra

    path = tmp_path / "c1_metal.nii.gz"
    save_volume(_with_rod(read_image(shared_data / "bone-lesions" / "case1.nii.gz")), path)
    clicks: list[tuple[float, ...]] = []
    search = imaging.vertebra.find_vertebra

    def recorded(volume: Volume, click_lps: Any, **kw: Any) -> Any:
        clicks.append(tuple(float(v) for v in click_lps))
        return search(volume, click_lps, **kw)

    monkeypatch.setattr(imaging.vertebra, "find_vertebra", recorded)
    win = window
    seg = win.segmentation
    win.opener.open_image(path)
    qtbot.waitUntil(lambda: seg.volume() is not None, timeout=60_000)
    volume = seg.volume()
    seg.activate(seg.vertebra_tool)
    win.state.set_crosshair(np.asarray(CLICK_LPS))
    click(win.views[ViewAxis.AXIAL], np.asarray(CLICK_LPS))
    wait_job(win, qtbot)
    assert len(clicks) == 1
    point = clicks[0]
    # the click lies on the slice shown: its z is that slice's centre, not the typed -547.0
    index = volume.lps_to_index_points(np.asarray(point))
    assert index[0] == pytest.approx(round(float(index[0])), abs=1e-3)
    assert abs(point[2] - CLICK_LPS[2]) > 0.25
    # the metal and its streaks hide more of the body than a figure may be given for (session 19,
    # imaging.metal_unknown; before, the dock showed a 23.06 mL body against 37.1 mL without the rod): the
    # dock refuses, naming the metal, and the command line refuses the same point in the same words
    message = seg.jobs.last_message
    assert "no vertebra" in message and "metal" in message and "lies on the right side" in message, message
    assert "V1 body" not in win.case.case.layers

    monkeypatch.setattr(imaging.vertebra, "find_vertebra", search)
    code = main(["anatomy", str(path), "--vertebra", ",".join(repr(v) for v in point), "--json"])
    assert code != 0
    said = capsys.readouterr().err
    reason = message.split(" mm: ", 1)[1]
    assert reason in said, (reason, said)


@pytest.mark.realdata
def test_lesion_on_noisy_case1_says_so_in_the_status_bar(
    window: Any, qtbot: Any, no_dialogs: Any, shared_data: Path
) -> None:
    case1 = read_image(shared_data / "bone-lesions" / "case1.nii.gz")
    noisy = with_noise(case1, np.random.default_rng(17), 60.0)
    win = window
    seg = win.segmentation
    win.opener.show_volume(noisy)
    seg.activate(seg.lesion_tool)
    win.state.set_crosshair(np.asarray(CASE1_SEED_LPS))
    click(win.views[ViewAxis.AXIAL], np.asarray(CASE1_SEED_LPS))
    wait_job(win, qtbot)
    # this draw of the noise grows a lesion several times the clean one: amber, with the noise's words
    # a short line in the status bar; the whole text in its tooltip (and under the Lesions table, QA s22 D9)
    line, message = seg.jobs.last_message, seg.jobs.last_detail
    assert line.startswith("Lesion 1: blastic") and line.endswith("under the Lesions table.")
    assert message.startswith(line.split(" Check")[0]) and win.statusBar().toolTip() == message
    assert seg.jobs.last_warning
    assert f"{NOISE_NOTE[:1].upper()}{NOISE_NOTE[1:]} (noise about 6" in message
    assert "its outline and volume are uncertain" in message
    # the noise's note says what to do itself: not followed by the extent's hint
    assert "reconstruction of the scan." in message
    assert "reconstruction of the scan. It may go on beyond it" not in message


@pytest.mark.realdata
def test_lesion_refused_on_noisy_case1_says_the_noise_can_decide_it(
    window: Any, qtbot: Any, no_dialogs: Any, shared_data: Path
) -> None:
    win = window
    seg = win.segmentation
    win.opener.show_volume(qa_noisy_case1(shared_data))
    seg.activate(seg.lesion_tool)
    win.state.set_crosshair(np.asarray(CASE1_SEED_LPS))
    click(win.views[ViewAxis.AXIAL], np.asarray(CASE1_SEED_LPS))
    wait_job(win, qtbot)
    message = seg.jobs.last_message
    assert message.startswith("Lesion segmentation: the seed (316 HU) is within 88 HU")
    assert f"{NOISE_NOTE} (noise about 6" in message and "the noise can decide this refusal" in message
    assert "Lesion settings" in message  # the window's own hint follows
    assert not [n for n in win.case.case.layers if n.startswith("Lesion")]
