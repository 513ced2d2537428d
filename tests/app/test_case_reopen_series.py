"""A saved case reopens on exactly the series it was planned on, or says why not (session 27).

Until session 27 a case opened on a DICOM series without a Series Instance UID stored its image as
"volume", and reopening asked the loader for a series "volume" (refused: the case could not be opened);
a case opened on a further stack of a series (``uid#2``) stored the bare UID, so reopening loaded the
main stack: another volume under the plan, with no word said. Reopening on images that are not those
planned on (files replaced, other grid) laid the plan on them silently. Phantoms: marker volumes
written as DICOM by tests/phantoms/dicom_writer.py; a lesion layer around the left marker.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.app.conftest import marker_volume

pytest.importorskip("imaging.load")
dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")
commands = pytest.importorskip("planning.commands")
case_io = pytest.importorskip("planning.case_io")
from planning.case import Case, Section  # noqa: E402
from planning.model import ImageRef, LayerKind, MaskLayer  # noqa: E402

#: the bare views: nothing here looks at the tools' overlays
WINDOW_EXTENSIONS = False
UID = "1.2.826.0.1.3680043.8.498.27271"


def _write_without_uid(volume: object, folder: Path) -> object:
    written = dicom_writer.write_dicom_series(volume, folder, description="scan")
    for path in written.paths:
        ds = pydicom.dcmread(path)
        del ds.SeriesInstanceUID
        ds.save_as(path)
    return written


def _open(window: object, qtbot: object, monkeypatch: pytest.MonkeyPatch, path: Path, choose: str) -> None:
    """Open ``path`` in ``window``, choosing the series whose id is ``choose`` in the picker."""
    from PySide6.QtWidgets import QDialog

    from app.series_picker import SeriesPickerDialog

    monkeypatch.setattr(SeriesPickerDialog, "exec", lambda _d: int(QDialog.DialogCode.Accepted.value))
    monkeypatch.setattr(SeriesPickerDialog, "selected_uid", lambda _d: choose)
    window.open_path(path)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not window.opener.is_busy(), timeout=30000)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=30000)  # type: ignore[attr-defined]


def _add_layer_and_save(window: object, path: Path) -> None:
    volume = window.case.volume  # type: ignore[attr-defined]
    mask_array = np.zeros(volume.shape, dtype=bool)
    mask_array[4:7, 20:30, 20:30] = True
    from imaging.mask import Mask

    mask = Mask(mask_array, (0, 0, 0), volume.shape)
    layer = MaskLayer("lesion", LayerKind.LESION, mask, (255, 0, 0), volume.metadata.series_uid)
    window.case.push(commands.AddLayer(layer))  # type: ignore[attr-defined]
    assert window.case.save_to(path)  # type: ignore[attr-defined]


def _planned_on_uid_series(
    window: object, qtbot: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[object, Path]:
    """A 12 x 72 x 80 series with UID in tmp_path/ct, opened, given a layer and saved: (volume, case path)."""
    volume = marker_volume(np.eye(3), shape=(12, 72, 80))
    dicom_writer.write_dicom_series(volume, tmp_path / "ct", series_uid=UID)
    _open(window, qtbot, monkeypatch, tmp_path / "ct", UID)
    case_path = tmp_path / "plan.osteoplan"
    _add_layer_and_save(window, case_path)
    return volume, case_path


def _reopen(settings: object, qtbot: object, path: Path) -> object:
    """Open the case at ``path`` in a second window; wait until its image is shown or the opening ended."""
    from app.main_window import MainWindow

    other = MainWindow(enable_3d=False, settings=settings, extensions=False)  # type: ignore[arg-type]
    qtbot.addWidget(other)  # type: ignore[attr-defined]
    other.open_path(path)
    qtbot.waitUntil(lambda: not other.opener.is_busy(), timeout=30000)  # type: ignore[attr-defined]
    return other


def test_a_case_on_a_series_without_uid_reopens_on_that_series(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[tuple[str, str]],
) -> None:
    volume = marker_volume(np.eye(3), shape=(12, 72, 80))
    _write_without_uid(volume, tmp_path / "scans" / "bright")
    dim = type(volume)(volume.array // 2, volume.index_to_lps)  # same grid, other content
    chosen = _write_without_uid(dim, tmp_path / "scans" / "dim")
    _open(window, qtbot, monkeypatch, tmp_path / "scans", "#2")
    shown = window.state.display.source  # type: ignore[attr-defined]
    assert np.array_equal(shown.array, chosen.volume.array)  # type: ignore[attr-defined]
    case_path = tmp_path / "plan.osteoplan"
    _add_layer_and_save(window, case_path)
    saved = window.case.case.snapshot()  # type: ignore[attr-defined]

    other = _reopen(settings, qtbot, case_path)
    assert no_dialogs == []  # s26 base: "no series volume under ...scans"
    assert other.state.display is not None  # type: ignore[attr-defined]
    assert np.array_equal(other.state.display.source.array, chosen.volume.array)  # type: ignore[attr-defined]
    assert other.case.case.snapshot() == saved  # type: ignore[attr-defined]
    assert "lesion" in other.state.layers  # type: ignore[attr-defined]
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def test_a_case_on_a_further_stack_reopens_on_that_stack(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[tuple[str, str]],
) -> None:
    # one series UID, two stacks (other image sizes): the larger is UID, the other UID#2
    main = marker_volume(np.eye(3), shape=(14, 72, 80))
    dicom_writer.write_dicom_series(main, tmp_path / "scan" / "a", series_uid=UID, file_prefix="A")
    second = marker_volume(np.eye(3), shape=(12, 64, 72))
    chosen = dicom_writer.write_dicom_series(second, tmp_path / "scan" / "b", series_uid=UID, file_prefix="B")
    _open(window, qtbot, monkeypatch, tmp_path / "scan", f"{UID}#2")
    assert window.state.display.source.shape == (12, 64, 72)  # type: ignore[attr-defined]
    case_path = tmp_path / "plan.osteoplan"
    _add_layer_and_save(window, case_path)
    saved = window.case.case.snapshot()  # type: ignore[attr-defined]

    other = _reopen(settings, qtbot, case_path)
    assert no_dialogs == []
    # s26 base: the main stack (14 x 72 x 80) was loaded under the plan and its layer silently hidden
    assert np.array_equal(other.state.display.source.array, chosen.volume.array)  # type: ignore[attr-defined]
    assert other.case.case.snapshot() == saved  # type: ignore[attr-defined]
    assert "lesion" in other.state.layers  # type: ignore[attr-defined]
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


@pytest.mark.parametrize("change", ["content", "grid"])
def test_a_case_whose_images_changed_is_refused_with_the_difference(
    change: str,
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[tuple[str, str]],
) -> None:
    volume, case_path = _planned_on_uid_series(window, qtbot, monkeypatch, tmp_path)
    # the folder now holds other images under the same series UID (an export replaced, files moved)
    for f in (tmp_path / "ct").iterdir():
        f.unlink()
    if change == "content":
        other_volume = type(volume)(volume.array // 2, volume.index_to_lps)
        expected = "voxels are not the same"
    else:
        other_volume = marker_volume(np.eye(3), shape=(12, 72, 80), spacing_mm=(2.0, 1.5, 1.0))
        expected = "their voxels are 2 x 1.5 x 1 mm, not 2 x 1.5 x 1.25 mm"
    dicom_writer.write_dicom_series(other_volume, tmp_path / "ct", series_uid=UID)

    other = _reopen(settings, qtbot, case_path)
    # s26 base: opened without a word, the plan laid on the other images
    assert len(no_dialogs) == 1, no_dialogs
    title, text = no_dialogs[0]
    assert title == "Cannot open the case"
    assert expected in text and "The plan was not laid on them" in text, text
    assert other.state.display is None  # type: ignore[attr-defined]
    assert list(other.case.case.layers) == []  # type: ignore[attr-defined]
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def test_a_case_saved_before_session_27_still_opens(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    no_dialogs: list[tuple[str, str]],
) -> None:
    """Old format: the image keyed "volume" (a series without UID), no series id, grid or digest."""
    volume = marker_volume(np.eye(3), shape=(12, 72, 80))
    written = _write_without_uid(volume, tmp_path / "ct")
    old = Case()
    old.add(Section.IMAGES, ImageRef("volume", str(tmp_path / "ct"), description="scan"))
    case_path = tmp_path / "old.osteoplan"
    case_io.save_case(old, case_path)
    with zipfile.ZipFile(case_path) as archive:
        assert "series_id" not in archive.read("case.json").decode("utf-8")

    other = _reopen(settings, qtbot, case_path)
    assert no_dialogs == []  # s26 base: "no series volume under ...ct"
    assert np.array_equal(other.state.display.source.array, written.volume.array)  # type: ignore[attr-defined]
    assert list(other.case.case.images) == ["volume"]  # type: ignore[attr-defined]


def test_an_image_opened_after_a_failed_case_starts_a_new_case(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[tuple[str, str]],
) -> None:
    """A case whose images cannot be loaded must not hand its plan to the next image opened."""
    volume, case_path = _planned_on_uid_series(window, qtbot, monkeypatch, tmp_path)
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]
    dicom_writer.write_dicom_series(volume, tmp_path / "elsewhere", series_uid=UID)
    for f in (tmp_path / "ct").iterdir():
        f.unlink()

    other = _reopen(settings, qtbot, case_path)
    assert len(no_dialogs) == 1 and other.state.display is None  # type: ignore[attr-defined]
    other.open_path(tmp_path / "elsewhere")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: other.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    assert list(other.case.case.layers) == []  # type: ignore[attr-defined]
    assert other.case.path is None  # type: ignore[attr-defined]


def test_a_plan_from_the_command_line_on_a_second_series_without_uid_reopens_on_it(
    window: object,
    qtbot: object,
    settings: object,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_dialogs: list[tuple[str, str]],
) -> None:
    """``osteoplan plan DIR --series "#2"`` then ``gui --case`` (the same open as File > Open case)."""
    from app.cli import main
    from tests.phantoms.lesion import PhantomLesion, lesion_phantom

    lytic = lesion_phantom(PhantomLesion.LYTIC_SPHERE)
    n = lytic.volume.shape[0]
    bigger = marker_volume(np.eye(3), shape=(n + 4, 48, 48))  # the larger stack is "", the lesion's "#2"
    _write_without_uid(bigger, tmp_path / "scans" / "other")
    written = _write_without_uid(lytic.volume, tmp_path / "scans" / "lesion")
    spec = {
        "targets": [{"name": "Lesion 1", "lesion_seed_lps": [float(v) for v in lytic.seed_lps]}],
        "ablation": {"profile": "Emprint 75 W 5 min"},
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    case_path = tmp_path / "plan.osteoplan"
    args = ["plan", str(tmp_path / "scans"), "--series", "#2", "--spec", str(tmp_path / "spec.json")]
    code = main([*args, "--out", str(case_path), "--json"])
    assert code == 0, capsys.readouterr().err
    ref = next(iter(case_io.load_case(case_path).images.values()))
    assert ref.extra["series_id"] == "#2"  # s26 base: the image keyed "planning-volume", no series id

    other = _reopen(settings, qtbot, case_path)
    assert no_dialogs == []  # s26 base: "no series planning-volume under ...scans"
    assert np.array_equal(other.state.display.source.array, written.volume.array)  # type: ignore[attr-defined]
    assert list(other.case.case.targets) == ["Lesion 1"]  # type: ignore[attr-defined]
    assert "Lesion 1 lesion" in other.state.layers  # type: ignore[attr-defined]
    other.case.undo_stack.setClean()  # type: ignore[attr-defined]
