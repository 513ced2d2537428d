"""Two DICOM series without a Series Instance UID, in two folders under the one opened: the series picker
offers both, each row saying its folder, and opens the one chosen (session 27: the loader merged them
into one volume, so no picker was shown and a mix of the two was opened)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.app.conftest import marker_volume

pytest.importorskip("imaging.load")
dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")

#: the bare views: nothing here looks at the tools' overlays
WINDOW_EXTENSIONS = False


def _write_without_uid(volume: object, folder: Path, description: str) -> object:
    written = dicom_writer.write_dicom_series(volume, folder, description=description)
    for path in written.paths:
        ds = pydicom.dcmread(path)
        del ds.SeriesInstanceUID
        ds.save_as(path)
    return written


def test_two_uidless_series_in_two_folders_are_offered_apart(
    window: object,
    qtbot: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_dialogs: list[tuple[str, str]],
) -> None:
    from PySide6.QtWidgets import QDialog

    from app.series_picker import SeriesPickerDialog

    volume = marker_volume(np.eye(3), shape=(12, 72, 80))
    _write_without_uid(volume, tmp_path / "scans" / "bright", "scan")
    dim = type(volume)(volume.array // 2, volume.index_to_lps)  # same grid, other content
    chosen = _write_without_uid(dim, tmp_path / "scans" / "dim", "scan")
    offered: list[list[str]] = []

    def fake_exec(dialog: SeriesPickerDialog) -> int:
        offered.append([dialog.list.item(i).text() for i in range(dialog.list.count())])
        for i in range(dialog.list.count()):
            if str(tmp_path / "scans" / "dim") in dialog.list.item(i).text():
                dialog.list.setCurrentRow(i)
        return int(QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(SeriesPickerDialog, "exec", fake_exec)
    window.open_path(tmp_path / "scans")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not window.opener.is_busy(), timeout=30000)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    assert len(offered) == 1 and len(offered[0]) == 2, offered
    for name in ("bright", "dim"):
        assert sum(f"No series UID; files in {tmp_path / 'scans' / name}" in t for t in offered[0]) == 1
    shown = window.state.display.source  # type: ignore[attr-defined]
    assert np.array_equal(shown.array, chosen.volume.array)  # type: ignore[attr-defined]
    assert no_dialogs == []
