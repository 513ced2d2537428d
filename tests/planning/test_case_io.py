"""The .osteoplan case file: exact round trip, atomic save, refusals, schema migration, recovery."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import planning.case_io as case_io
from imaging.mask import Mask
from planning.case import Case, Section
from planning.case_io import (
    autosave_path,
    discard_autosave,
    find_recoverable,
    load_case,
    probe_case_file,
    read_case_file,
    recovery_dir,
    save_case,
    write_autosave,
)
from planning.errors import CaseFileError
from planning.model import LayerKind, MaskLayer
from tests.planning.test_case_helpers import full_case, full_state


def _rewrite(path: Path, edit_doc: Any = None, *, stored: bool = False, drop: str | None = None) -> None:
    """Rewrite a case file's members, optionally editing case.json (dict -> dict) or dropping a member."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if edit_doc is not None:
        members["case.json"] = json.dumps(edit_doc(json.loads(members["case.json"]))).encode()
    if drop is not None:
        del members[drop]
    comp = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression=comp) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Case, Path]:
    case = full_case()
    path = tmp_path / "case.osteoplan"
    save_case(case, path)
    return case, path


def test_round_trip_every_field_and_masks_bit_exact(saved: tuple[Case, Path]) -> None:
    case, path = saved
    loaded = load_case(path)
    assert loaded.snapshot() == full_state()
    assert loaded.uid == case.uid
    for name, layer in case.layers.items():
        got = loaded.layers[name].mask
        # Same box, offset and grid, not only the same voxels.
        assert got.offset_index == layer.mask.offset_index
        assert got.grid_shape == layer.mask.grid_shape
        assert got.array.shape == layer.mask.array.shape
        assert np.array_equal(got.array, layer.mask.array)
        assert got.array.dtype == np.bool_
    # Floats survive exactly (not rounded), types are the model's.
    traj = loaded.trajectories["femur direct"]
    assert traj.target_lps == (85.5, 10.0, -499.0)
    assert loaded.targets["L1"].lesion_seed_lps == (1.5, -20.25, 300.125)
    assert loaded.scores["L1"].items == {"location": 3, "pain": "mechanical"}
    assert isinstance(loaded.scores["L1"].items["location"], int)
    assert loaded.settings.extra["curative"] is True
    with zipfile.ZipFile(path) as zf:
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
        doc = json.loads(zf.read("case.json"))
    assert doc["schema_version"] == case_io.SCHEMA_VERSION
    assert doc["format"] == "osteoplan-case"
    assert doc["app_version"]


def test_odd_sized_random_masks_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    case = Case()
    for i, shape in enumerate([(1, 1, 1), (3, 5, 7), (13, 1, 9), (17, 19, 23)]):
        arr = rng.random(shape) < 0.5
        offset = (i, 2 * i, 3 * i)
        case.add(Section.LAYERS, MaskLayer.new(f"m{i}", LayerKind.CUSTOM, Mask(arr, offset, (60, 70, 80))))
    path = save_case(case, tmp_path / "r.osteoplan")
    assert load_case(path) == case


def test_timestamps_created_kept_modified_updated(tmp_path: Path) -> None:
    case = full_case()
    path = tmp_path / "t.osteoplan"
    save_case(case, path)
    first = read_case_file(path).header
    assert first.created_utc == first.modified_utc == case.created_utc
    assert first.created_utc.endswith("Z")
    loaded = load_case(path)
    save_case(loaded, path)
    second = read_case_file(path).header
    assert second.created_utc == first.created_utc
    assert second.modified_utc > first.modified_utc


def test_crash_mid_write_leaves_old_file(saved: tuple[Case, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _case, path = saved
    old_bytes = path.read_bytes()
    changed = full_case()
    changed.remove(Section.TRAJECTORIES, "L1 left")
    real_writestr = zipfile.ZipFile.writestr
    calls = {"n": 0}

    def failing_writestr(self: zipfile.ZipFile, name: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # case.json already written: a partial archive exists on disk
            raise OSError(28, "No space left on device")
        real_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(CaseFileError, match="No space left on device"):
        save_case(changed, path)
    monkeypatch.undo()
    assert calls["n"] == 2
    assert path.read_bytes() == old_bytes
    assert load_case(path).snapshot() == full_state()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_failed_rename_leaves_old_file(saved: tuple[Case, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _case, path = saved
    old_bytes = path.read_bytes()

    def failing_replace(self: Path, target: Any) -> Path:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(CaseFileError, match="Input/output error"):
        save_case(Case(), path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def _refused_and_kept(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(CaseFileError, match=match):
        load_case(path)
    with pytest.raises(CaseFileError, match=match):
        probe_case_file(path)
    with pytest.raises(CaseFileError, match="refusing to overwrite"):
        save_case(full_case(), path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -1])
def test_truncated_file_refused_and_never_overwritten(saved: tuple[Case, Path], keep: float) -> None:
    _case, path = saved
    data = path.read_bytes()
    n = len(data) - 1 if keep == -1 else int(len(data) * keep)
    path.write_bytes(data[:n])
    _refused_and_kept(path, "truncated or corrupt")


def test_not_a_zip_refused_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "notes.osteoplan"
    path.write_text("my notes, not a case\n")
    _refused_and_kept(path, r"not a zip archive")
    empty = tmp_path / "empty.osteoplan"
    empty.write_bytes(b"")
    _refused_and_kept(empty, r"not a zip archive")


def test_crc_corruption_refused(saved: tuple[Case, Path]) -> None:
    _case, path = saved
    _rewrite(path, stored=True)
    data = bytearray(path.read_bytes())
    # Flip one bit inside the stored data of the first mask (after its local header and .npy header).
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("masks/000.npy")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 140
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CaseFileError, match="CRC"):
        load_case(path)
    with pytest.raises(CaseFileError, match="CRC"):
        probe_case_file(path)
    with pytest.raises(CaseFileError, match="refusing to overwrite"):
        save_case(full_case(), path)


def test_missing_case_json_refused(saved: tuple[Case, Path]) -> None:
    _case, path = saved
    _rewrite(path, drop="case.json")
    _refused_and_kept(path, "no case.json inside")


def test_newer_schema_refused_with_versions(saved: tuple[Case, Path]) -> None:
    _case, path = saved

    def newer(doc: dict[str, Any]) -> dict[str, Any]:
        doc["schema_version"] = 7
        doc["app_version"] = "9.0.0"
        return doc

    _rewrite(path, newer)
    msg = r"made by a newer OsteoPlan, version 7; this one reads up to 1 \(file written by OsteoPlan 9.0.0"
    _refused_and_kept(path, msg)
    save_case(full_case(), path, overwrite_unreadable=True)  # only when explicitly told
    assert load_case(path).snapshot() == full_state()


def test_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match="no such file"):
        load_case(tmp_path / "absent.osteoplan")
    with pytest.raises(CaseFileError, match="cannot write in the folder"):
        save_case(Case(), tmp_path / "no" / "such" / "folder.osteoplan")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d["case"]["trajectories"][0].update(approach="sideways"), r"trajectories\[0\]\.approach"),
        (lambda d: d["case"]["trajectories"][0].update(entry_lps=[1, 2]), r"entry_lps: expected 3 values"),
        (lambda d: d["case"]["settings"].update(margin_mm=-4), r"settings.*margin_mm"),
        (lambda d: d["case"]["targets"][0].pop("name"), r'required field "name" is missing'),
        (lambda d: d["case"]["layers"][0]["mask"].update(voxels=1), r"voxels, expected 1"),
        (lambda d: d["case"]["layers"][0]["mask"].update(offset_index=[39, 0, 0]), r"does not fit grid"),
        (lambda d: d["case"]["layers"][1]["mask"].update(npy="masks/999.npy"), r"masks/999.npy is missing"),
        (lambda d: d["case"].update(targets=[d["case"]["targets"][0]] * 2), r"duplicate"),
        (lambda d: d.update(schema_version="1"), r"schema_version '1' is not a positive integer"),
        (lambda d: d.update(format="something"), r'lacks "format"'),
    ],
)
def test_invalid_values_refused(saved: tuple[Case, Path], edit: Any, match: str) -> None:
    _case, path = saved

    def apply(doc: dict[str, Any]) -> dict[str, Any]:
        edit(doc)
        return doc

    _rewrite(path, apply)
    with pytest.raises(CaseFileError, match=match):
        load_case(path)


def test_missing_optional_fields_take_defaults_and_unknown_fields_warn(saved: tuple[Case, Path]) -> None:
    _case, path = saved

    def older_and_newer(doc: dict[str, Any]) -> dict[str, Any]:
        traj = doc["case"]["trajectories"][0]
        del traj["antenna_extension_mm"]  # a file written before the field existed
        traj["future_field_mm"] = 4.0  # a field a later minor version added
        return doc

    _rewrite(path, older_and_newer)
    loaded = read_case_file(path)
    assert loaded.case.trajectories["L1 left"].antenna_extension_mm == 15.0
    assert any('unknown field "future_field_mm"' in w for w in loaded.warnings)


def test_migration_hook_upgrades_older_schema(
    saved: tuple[Case, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _case, path = saved

    def as_old(doc: dict[str, Any]) -> dict[str, Any]:
        # Pretend schema 1 called the margin "margin" and this program reads schema 2.
        settings = doc["case"]["settings"]
        settings["margin"] = settings.pop("margin_mm")
        return doc

    _rewrite(path, as_old)
    monkeypatch.setattr(case_io, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(case_io, "_MIGRATIONS", {})
    with pytest.raises(CaseFileError, match="no migration from 1"):
        load_case(path)

    @case_io.register_migration(1)
    def rename_margin(doc: dict[str, Any]) -> dict[str, Any]:
        settings = doc["case"]["settings"]
        settings["margin_mm"] = settings.pop("margin")
        return doc

    loaded = read_case_file(path)
    assert loaded.case.settings.margin_mm == 3.0
    assert loaded.warnings == ("upgraded from schema version 1 to 2",)
    assert loaded.header.schema_version == 1


def test_recovery_paths_and_autosave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSTEOPLAN_DATA_DIR", str(tmp_path / "data"))
    assert recovery_dir() == tmp_path / "data" / "recovery"
    assert find_recoverable() == []
    case_path = tmp_path / "Doe Jane L1.osteoplan"
    a = autosave_path(case_path)
    assert a.parent == recovery_dir()
    assert a == autosave_path(str(case_path))  # stable
    assert a != autosave_path(tmp_path / "other.osteoplan")
    assert "Doe" not in a.name  # no patient name in recovery file names
    case = full_case()
    written = write_autosave(case, case_path)
    assert written == a
    assert case.created_utc == ""  # an autosave is not a save
    untitled = Case()
    u = write_autosave(untitled, None)
    assert u == autosave_path(None, case_uid=untitled.uid)
    assert set(find_recoverable()) == {a, u}
    info = read_case_file(a)
    assert info.header.autosave_of == str(case_path.resolve())
    assert info.case.snapshot() == full_state()
    assert discard_autosave(case_path) is True
    assert discard_autosave(case_path) is False
    assert find_recoverable() == [u]


def test_data_dir_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OSTEOPLAN_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert case_io.data_dir() == tmp_path / "xdg" / "osteoplan"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert case_io.data_dir() == tmp_path / "home" / ".local" / "share" / "osteoplan"
