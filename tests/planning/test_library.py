"""The SQLite case library: record on save, update, search, status, pruning; a temporary DB per test."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from planning.case import Case, Section
from planning.case_io import save_case
from planning.library import CaseLibrary, LibraryEntry, LibraryError, patient_hash
from planning.model import CaseInfo, CaseStatus, Target
from tests.planning.test_case_helpers import full_case


def _case(name: str, pid: str, levels: list[str], status: CaseStatus = CaseStatus.PLANNED) -> Case:
    case = Case()
    case.set_info(CaseInfo(f"{name} plan", name, pid, "1.2.3", "20260105", status))
    for lv in levels:
        case.add(Section.TARGETS, Target(lv, level=lv))
    return case


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[CaseLibrary]:
    library = CaseLibrary(tmp_path / "db" / "library.sqlite3")
    yield library
    library.close()


def test_record_save_and_get(lib: CaseLibrary, tmp_path: Path) -> None:
    case = full_case()
    path = save_case(case, tmp_path / "a.osteoplan")
    entry = lib.record_save(case, path)
    got = lib.get(path)
    assert got == entry
    assert got is not None
    assert got.patient_name == "Doe^Jane"
    assert got.patient_id == "PID-0001"
    assert got.levels == ("L1",)
    assert got.status is CaseStatus.PLANNED
    assert got.case_uid == case.uid
    assert got.modified_utc == case.modified_utc != ""
    assert got.path == str(path.resolve())
    assert len(lib) == 1


def test_update_on_second_save(lib: CaseLibrary, tmp_path: Path) -> None:
    case = _case("A^B", "1", ["T12"])
    path = save_case(case, tmp_path / "a.osteoplan")
    lib.record_save(case, path)
    first = lib.get(path)
    case.set_info(dataclasses.replace(case.info, status=CaseStatus.DONE))
    case.add(Section.TARGETS, Target("L1", level="L1"))
    save_case(case, path)
    lib.record_save(case, path)
    second = lib.get(path)
    assert len(lib) == 1
    assert first is not None and second is not None
    assert second.status is CaseStatus.DONE
    assert second.levels == ("T12", "L1")
    assert second.created_utc == first.created_utc
    assert second.modified_utc > first.modified_utc


def test_search_filters(lib: CaseLibrary, tmp_path: Path) -> None:
    specs = [
        ("Smith^Ann", "P1", ["L1"], CaseStatus.PLANNED),
        ("Smith^Bob", "P2", ["L1", "L2"], CaseStatus.DONE),
        ("Jones^Cy", "P3", ["T11"], CaseStatus.REVIEWED),
        ("Lee^D_%", "P4", ["L10"], CaseStatus.PLANNED),
    ]
    for i, (name, pid, levels, status) in enumerate(specs):
        lib.upsert(
            dataclasses.replace(
                LibraryEntry.from_case(_case(name, pid, levels, status), tmp_path / f"{i}.osteoplan"),
                modified_utc=f"2026-01-0{i + 1}T00:00:00Z",
            )
        )
    names = lambda es: [e.patient_name for e in es]  # noqa: E731
    assert names(lib.search()) == ["Lee^D_%", "Jones^Cy", "Smith^Bob", "Smith^Ann"]  # newest first
    assert names(lib.search("smith")) == ["Smith^Bob", "Smith^Ann"]
    assert names(lib.search("p3")) == ["Jones^Cy"]
    assert names(lib.search(level="L1")) == ["Smith^Bob", "Smith^Ann"]  # not L10
    assert names(lib.search(level="L10")) == ["Lee^D_%"]
    assert names(lib.search("smith", status=CaseStatus.DONE)) == ["Smith^Bob"]
    assert names(lib.search("_%")) == ["Lee^D_%"]  # wildcards are literal
    assert names(lib.search(limit=1)) == ["Lee^D_%"]
    assert lib.search("nobody") == []


def test_status_remove_prune(lib: CaseLibrary, tmp_path: Path) -> None:
    a = save_case(_case("A", "1", ["L3"]), tmp_path / "a.osteoplan")
    b = save_case(_case("B", "2", ["L4"]), tmp_path / "b.osteoplan")
    lib.record_file(a)
    lib.record_file(b)
    assert lib.set_status(a, "reviewed") is True
    assert lib.get(a).status is CaseStatus.REVIEWED  # type: ignore[union-attr]
    assert lib.set_status(tmp_path / "none.osteoplan", CaseStatus.DONE) is False
    b.unlink()
    assert lib.prune_missing() == [str(b.resolve())]
    assert lib.get(b) is None
    assert lib.remove(a) is True
    assert lib.remove(a) is False
    assert len(lib) == 0


def test_persists_and_refuses_newer_or_foreign_db(tmp_path: Path) -> None:
    db = tmp_path / "lib.sqlite3"
    with CaseLibrary(db) as lib:
        lib.upsert(LibraryEntry(str(tmp_path / "x.osteoplan"), "uid1", "N", "I"))
    with CaseLibrary(db) as lib:
        assert len(lib) == 1
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with pytest.raises(LibraryError, match="newer OsteoPlan, version 5; this one reads up to 1"):
        CaseLibrary(db)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(LibraryError, match="not a usable case library"):
        CaseLibrary(junk)


def test_logs_name_no_patient(lib: CaseLibrary, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    case = _case("Secret^Name", "ID-999", ["L5"])
    with caplog.at_level(logging.DEBUG, logger="planning.library"):
        lib.record_save(case, tmp_path / "s.osteoplan")
    text = caplog.text
    assert caplog.records
    assert "Secret" not in text and "ID-999" not in text
    assert patient_hash("ID-999", "Secret^Name") in text
