"""The case library: a small SQLite index of saved case files on this computer.

It stores, per case file (its absolute path): case uid, patient name and ID (this is the user's own
local database), study UID and date, treated levels, status (planned / done / reviewed), title and the
created / modified timestamps (ISO 8601 UTC) of the file. Logs name patients only by
``patient_hash``. No positions or units here.

API summary
-----------
``CaseLibrary(db_path=None)`` (default ``data_dir() / "library.sqlite3"``; ``":memory:"`` works) as a
context manager or with ``close()``; ``record_save(case, path) -> LibraryEntry`` after a save (add or
update), ``record_file(path)`` to index an existing case file, ``upsert(entry)``, ``get(path)``,
``remove(path)``, ``set_status(path, status)``, ``search(text="", status=None, level=None,
limit=200)`` (newest first; text matches patient name / ID, title, study date, levels),
``prune_missing()`` (drop entries whose file is gone). ``patient_hash(patient_id, patient_name)``.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from planning.case import Case
from planning.case_io import data_dir, read_case_file
from planning.errors import PlanningError
from planning.model import CaseStatus

__all__ = ["DB_VERSION", "CaseLibrary", "LibraryEntry", "LibraryError", "patient_hash"]

_log = logging.getLogger(__name__)

DB_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    path TEXT PRIMARY KEY,
    case_uid TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    study_date TEXT NOT NULL,
    levels TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    created_utc TEXT NOT NULL,
    modified_utc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_modified ON cases (modified_utc);
CREATE INDEX IF NOT EXISTS cases_patient ON cases (patient_id);
"""

_COLUMNS = (
    "path, case_uid, patient_name, patient_id, study_uid, study_date, levels, status, title, "
    "created_utc, modified_utc"
)


class LibraryError(PlanningError):
    """The case library database cannot be used (unreadable, or made by a newer OsteoPlan)."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


def patient_hash(patient_id: str, patient_name: str = "") -> str:
    """A short stable pseudonym of a patient, for logs (never the name or ID themselves)."""
    return hashlib.sha256(f"{patient_id}\x1f{patient_name}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class LibraryEntry:
    """One indexed case file."""

    path: str
    case_uid: str
    patient_name: str = ""
    patient_id: str = ""
    study_uid: str = ""
    study_date: str = ""
    levels: tuple[str, ...] = ()
    status: CaseStatus = CaseStatus.PLANNED
    title: str = ""
    created_utc: str = ""
    modified_utc: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", CaseStatus(self.status))
        object.__setattr__(self, "levels", tuple(str(v) for v in self.levels))

    @property
    def patient_hash(self) -> str:
        """The patient's pseudonym for logs."""
        return patient_hash(self.patient_id, self.patient_name)

    @classmethod
    def from_case(cls, case: Case, path: Path | str) -> LibraryEntry:
        """The entry describing ``case`` saved at ``path`` (levels in target order, each once)."""
        levels: list[str] = []
        for target in case.targets.values():
            if target.level and target.level not in levels:
                levels.append(target.level)
        info = case.info
        return cls(
            path=str(Path(path).expanduser().resolve()),
            case_uid=case.uid,
            patient_name=info.patient_name,
            patient_id=info.patient_id,
            study_uid=info.study_uid,
            study_date=info.study_date,
            levels=tuple(levels),
            status=info.status,
            title=info.title,
            created_utc=case.created_utc,
            modified_utc=case.modified_utc,
        )


class CaseLibrary:
    """The SQLite index of saved cases.

    Parameters
    ----------
    db_path
        The database file (created with its folder when absent); default
        ``planning.case_io.data_dir() / "library.sqlite3"``; ``":memory:"`` for a throwaway one.

    Raises
    ------
    LibraryError
        When the file is not a usable database or was made by a newer OsteoPlan.
    """

    def __init__(self, db_path: Path | str | None = None) -> None:
        if db_path is None:
            db_path = data_dir() / "library.sqlite3"
        self.db_path = str(db_path)
        if self.db_path != ":memory:":
            Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.db_path)
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if version > DB_VERSION:
                self._conn.close()
                raise LibraryError(
                    f"made by a newer OsteoPlan, version {version}; this one reads up to {DB_VERSION}",
                    self.db_path,
                )
            with self._conn:
                self._conn.executescript(_SCHEMA)
                self._conn.execute(f"PRAGMA user_version = {DB_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"not a usable case library ({exc})", self.db_path) from exc

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> CaseLibrary:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------------ writing
    def upsert(self, entry: LibraryEntry) -> None:
        """Add an entry, or update the one with the same path."""
        row = (
            entry.path,
            entry.case_uid,
            entry.patient_name,
            entry.patient_id,
            entry.study_uid,
            entry.study_date,
            _levels_to_db(entry.levels),
            entry.status.value,
            entry.title,
            entry.created_utc,
            entry.modified_utc,
        )
        with self._conn:
            self._conn.execute(
                f"INSERT OR REPLACE INTO cases ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", row
            )
        _log.info("case library: recorded a case of patient %s (%s)", entry.patient_hash, entry.status.value)

    def record_save(self, case: Case, path: Path | str) -> LibraryEntry:
        """Index ``case`` just saved at ``path`` (call after ``case_io.save_case``)."""
        entry = LibraryEntry.from_case(case, path)
        self.upsert(entry)
        return entry

    def record_file(self, path: Path | str) -> LibraryEntry:
        """Index an existing case file (raises ``CaseFileError`` when it cannot be read)."""
        loaded = read_case_file(path)
        return self.record_save(loaded.case, path)

    def remove(self, path: Path | str) -> bool:
        """Forget a case file (the file itself is untouched); True when it was indexed."""
        with self._conn:
            cur = self._conn.execute("DELETE FROM cases WHERE path = ?", (_abs(path),))
        return cur.rowcount > 0

    def set_status(self, path: Path | str, status: CaseStatus | str) -> bool:
        """Change the indexed status of a case file; True when it was indexed."""
        with self._conn:
            cur = self._conn.execute(
                "UPDATE cases SET status = ? WHERE path = ?", (CaseStatus(status).value, _abs(path))
            )
        return cur.rowcount > 0

    def prune_missing(self) -> list[str]:
        """Forget entries whose file no longer exists; returns their paths."""
        gone = [p for (p,) in self._conn.execute("SELECT path FROM cases") if not Path(p).is_file()]
        with self._conn:
            self._conn.executemany("DELETE FROM cases WHERE path = ?", [(p,) for p in gone])
        return gone

    # ------------------------------------------------------------------------------ reading
    def get(self, path: Path | str) -> LibraryEntry | None:
        """The entry of a case file, or None."""
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM cases WHERE path = ?", (_abs(path),)).fetchone()
        return None if row is None else _entry(row)

    def search(
        self,
        text: str = "",
        *,
        status: CaseStatus | str | None = None,
        level: str | None = None,
        limit: int = 200,
    ) -> list[LibraryEntry]:
        """Entries matching every given criterion, most recently modified first.

        Parameters
        ----------
        text
            Case-insensitive substring of patient name, patient ID, title, study date or levels.
        status
            Only this status.
        level
            Only cases treating this level (exact, e.g. "L1").
        limit
            Most entries returned.
        """
        where, args = [], []
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            fields = ("patient_name", "patient_id", "title", "study_date", "levels")
            where.append("(" + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields) + ")")
            args.extend([pattern] * len(fields))
        if status is not None:
            where.append("status = ?")
            args.append(CaseStatus(status).value)
        if level:
            where.append("instr(levels, ?) > 0")
            args.append(f"|{level}|")
        sql = f"SELECT {_COLUMNS} FROM cases"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY modified_utc DESC, path LIMIT ?"
        rows = self._conn.execute(sql, (*args, int(limit))).fetchall()
        return [_entry(r) for r in rows]

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0])


def _abs(path: Path | str) -> str:
    return str(Path(path).expanduser().resolve())


def _levels_to_db(levels: tuple[str, ...]) -> str:
    # "|L1|L2|": exact level match with instr(), and readable by a LIKE text search.
    return "|" + "|".join(levels) + "|" if levels else ""


def _entry(row: tuple[str, ...]) -> LibraryEntry:
    levels = tuple(v for v in row[6].split("|") if v)
    return LibraryEntry(
        path=row[0],
        case_uid=row[1],
        patient_name=row[2],
        patient_id=row[3],
        study_uid=row[4],
        study_date=row[5],
        levels=levels,
        status=CaseStatus(row[7]),
        title=row[8],
        created_utc=row[9],
        modified_utc=row[10],
    )
