"""Opening images through the real loader: series picker, refusals as dialogs, cancel, end to end.

DICOM series are written with tests/phantoms/dicom_writer.py from the marker phantoms of conftest,
so the marker's LPS position is known whatever the series' orientation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.display_geometry import ViewAxis
from tests.app.conftest import MARKERS, marker_volume
from tests.app.test_view_orientation import find_marker, grab_grey

pytest.importorskip("imaging.load")
dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")

#: the bare views: the tool packages' overlays would cover the pixels probed here
WINDOW_EXTENSIONS = False


def wait_idle(window: object, qtbot: object) -> None:
    qtbot.waitUntil(lambda: not window.opener.is_busy(), timeout=30000)  # type: ignore[attr-defined]


def test_feet_first_dicom_folder_opens_with_markers_in_place(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    volume = marker_volume(np.eye(3), shape=(32, 64, 56))
    dicom_writer.write_dicom_series(volume, tmp_path / "ffs", feet_first=True, shuffle=True)
    window.open_path(tmp_path / "ffs")  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    assert no_dialogs == []
    shown = window.state.display  # type: ignore[attr-defined]
    assert shown is not None
    assert shown.source.orientation_code()[2] == "I"  # stored feet first: slices run towards the feet
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    window.state.set_window(3000, 1000)  # type: ignore[attr-defined]
    for name in ("left", "right"):
        centre, hu = MARKERS[name]
        window.state.set_crosshair(centre)  # type: ignore[attr-defined]
        found = find_marker(grab_grey(axial), hu)
        assert found is not None
        side = found[0] > axial.width() / 2
        assert side == (name == "left"), f"{name} marker on the wrong side"
    assert str(tmp_path / "ffs") in window.recent_paths()  # type: ignore[attr-defined]


def test_two_series_show_the_picker(
    window: object,
    qtbot: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[tuple[str, str]],
) -> None:
    from PySide6.QtWidgets import QDialog

    from app.series_picker import SeriesPickerDialog

    folder = tmp_path / "two"
    a = dicom_writer.write_dicom_series(
        marker_volume(np.eye(3), shape=(20, 72, 80)), folder, description="thin bone", file_prefix="A"
    )
    b = dicom_writer.write_dicom_series(
        marker_volume(np.eye(3), shape=(12, 72, 80)), folder, description="soft", file_prefix="B"
    )
    offered: list[list[str]] = []
    thumbnails: list[tuple[int, int]] = []  # (corner grey, centre grey) of each row's icon

    def fake_exec(dialog: SeriesPickerDialog) -> int:
        offered.append([dialog.list.item(i).text() for i in range(dialog.list.count())])
        for i in range(dialog.list.count()):
            image = dialog.list.item(i).icon().pixmap(64, 64).toImage()
            if not image.isNull():
                w, h = image.width(), image.height()
                thumbnails.append((image.pixelColor(1, 1).value(), image.pixelColor(w // 2, h // 2).value()))
        for i in range(dialog.list.count()):
            if "soft" in dialog.list.item(i).text():
                dialog.list.setCurrentRow(i)
        return int(QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(SeriesPickerDialog, "exec", fake_exec)
    window.open_path(folder)  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    assert len(offered) == 1 and len(offered[0]) == 2
    assert any("20 slices" in text for text in offered[0]) and any("12 slices" in text for text in offered[0])
    # each row shows its series' middle slice: air at the corner, the body block brighter in the centre
    assert len(thumbnails) == 2 and all(corner + 40 < centre for corner, centre in thumbnails), thumbnails
    assert window.state.display.source.shape == (12, 72, 80)  # type: ignore[attr-defined]
    assert window.case.case.images[b.series_uid].series_uid == b.series_uid  # type: ignore[attr-defined]
    assert a.series_uid not in window.case.case.images  # type: ignore[attr-defined]
    assert no_dialogs == []


def test_refused_folder_shows_a_dialog_not_a_traceback(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    folder = tmp_path / "mr"
    dicom_writer.write_dicom_series(marker_volume(np.eye(3), shape=(8, 32, 32)), folder, modality="MR")
    window.open_path(folder)  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    assert window.state.display is None  # type: ignore[attr-defined]
    assert len(no_dialogs) == 1
    title, text = no_dialogs[0]
    assert title == "Cannot open"
    assert ("Traceback" not in text and "MR" in text) or "CT" in text


def test_a_label_file_opened_as_the_ct_is_refused_saying_so(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    """QA session 21 F9: a label map opened as the CT had its labels read as HU."""
    from imaging.load import save_volume
    from imaging.volume import Volume

    ct = marker_volume(np.eye(3))
    labels = tmp_path / "labels.nii.gz"
    tissue = np.where(ct.array > 100, 29, np.where(ct.array > -500, 1, 0))  # markers 29, body 1, air 0
    save_volume(Volume(tissue.astype(np.int16), ct.index_to_lps), labels)
    window.open_path(labels)  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    assert window.state.display is None  # type: ignore[attr-defined]
    assert len(no_dialogs) == 1
    title, text = no_dialogs[0]
    assert title == "Cannot open" and "looks like a label map" in text and "Traceback" not in text


def test_damaged_files_named_in_the_window(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    """QA: a cut-short deflated file said "could not be opened (error)" and a cut slice refused its series."""
    import pydicom
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    volume = marker_volume(np.eye(3), shape=(8, 32, 32))
    w = dicom_writer.write_dicom_series(volume, tmp_path / "ct")
    data = w.paths[3].read_bytes()
    w.paths[3].write_bytes(data[: len(data) // 2])
    window.open_path(tmp_path / "ct")  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    assert no_dialogs == []
    assert window.state.display is not None  # type: ignore[attr-defined]
    notes = window.import_warnings  # type: ignore[attr-defined]
    assert any(str(w.paths[3]) in n and "truncated" in n for n in notes), notes
    one = tmp_path / "deflated.dcm"
    ds = pydicom.dcmread(w.paths[0])
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.save_as(one, enforce_file_format=True)
    one.write_bytes(one.read_bytes()[: one.stat().st_size // 2])
    window.open_path(one)  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    assert len(no_dialogs) == 1
    title, text = no_dialogs[0]
    assert title == "Cannot open" and "deflated.dcm: truncated or corrupt" in text and "(error)" not in text


def test_empty_folder_is_refused(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    window.open_path(tmp_path)  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    assert window.state.display is None  # type: ignore[attr-defined]
    assert len(no_dialogs) == 1 and no_dialogs[0][0] == "Cannot open"


def test_cancel_stops_the_import_quietly(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]]
) -> None:
    dicom_writer.write_dicom_series(marker_volume(np.eye(3), shape=(20, 40, 40)), tmp_path / "s")
    window.open_path(tmp_path / "s")  # type: ignore[attr-defined]
    window.opener.worker.cancel()  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    assert window.state.display is None  # type: ignore[attr-defined]
    assert no_dialogs == []
    assert "cancelled" in window.statusBar().currentMessage()  # type: ignore[attr-defined]


def test_a_clean_image_clears_the_last_images_import_note(window: object) -> None:
    """The status bar's "N import note(s)" belongs to the image that had them: opening one without notes
    within the message's 8 s clears it (it stayed while the Import panel was empty), and the empty panel
    is put away (it took 140 px from the docks at 1280x800)."""
    window.show_import_warnings(["Gantry tilt of 15.0° detected"])  # type: ignore[attr-defined]
    assert window.statusBar().currentMessage() == "1 import note(s): see the Import panel"  # type: ignore[attr-defined]
    assert not window.warnings_dock.isHidden()  # type: ignore[attr-defined]
    window.show_import_warnings([])  # type: ignore[attr-defined]
    assert window.statusBar().currentMessage() == ""  # type: ignore[attr-defined]
    assert window.warnings_list.count() == 0 and window.warnings_dock.isHidden()  # type: ignore[attr-defined]
    window.statusBar().showMessage("Saved case.osteoplan", 5000)  # type: ignore[attr-defined]
    window.show_import_warnings([])  # another message is left alone  # type: ignore[attr-defined]
    assert window.statusBar().currentMessage() == "Saved case.osteoplan"  # type: ignore[attr-defined]


def test_a_description_with_a_line_break_shows_on_one_line_in_the_picker_and_title(
    window: object,
    qtbot: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[tuple[str, str]],
) -> None:
    # base: the picker's row began with a line "AX BONE" and a second "Series 2" under it, read as another
    # line of the row; the window title held the line break (QA s32 D)
    from PySide6.QtWidgets import QDialog

    from app.series_picker import SeriesPickerDialog

    folder = tmp_path / "two"
    odd = "AX BONE\nSeries 2\x1b[31m"
    dicom_writer.write_dicom_series(
        marker_volume(np.eye(3), shape=(12, 72, 80)), folder, description=odd, file_prefix="A"
    )
    dicom_writer.write_dicom_series(
        marker_volume(np.eye(3), shape=(10, 72, 80)), folder, description="soft", file_prefix="B"
    )
    rows: list[str] = []

    def fake_exec(dialog: SeriesPickerDialog) -> int:
        rows.extend(dialog.list.item(i).text() for i in range(dialog.list.count()))
        dialog.list.setCurrentRow(next(i for i, text in enumerate(rows) if text.startswith("AX BONE")))
        return int(QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(SeriesPickerDialog, "exec", fake_exec)
    window.open_path(folder)  # type: ignore[attr-defined]
    wait_idle(window, qtbot)
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    first_lines = [text.split("\n")[0] for text in rows]
    assert "AX BONE\\nSeries 2\\x1b[31m  —  CT" in first_lines, rows
    title = window.windowTitle()  # type: ignore[attr-defined]
    assert "AX BONE\\nSeries 2\\x1b[31m 12 slices" in title and title.isprintable(), title
    assert no_dialogs == []
