"""Saving and loading ``.osteoplan`` case files: the zip container, atomic writes, version checks.

A case file is a zip (ZIP_DEFLATED) holding ``case.json`` (format marker, ``schema_version``, app
version, created / modified timestamps in ISO 8601 UTC, case uid, every value of the case: positions
LPS mm, lengths mm) and one ``masks/NNN.npy`` per mask layer (the mask's box as packed bits, uint8),
referenced from the JSON with its box shape, ``offset_index`` ([slice, row, col]), grid shape and
voxel count. Volumes are not stored: the case refers to them by series UID and path.

This module holds the container, the atomic write, the header and the schema versions. The values
<-> JSON encoding lives in ``planning.case_codec``; the suffix, the data folder and the recovery
folder's file names in ``planning.case_paths``. Their public names are re-exported here, so
``planning.case_io`` stays the one place to import saving and loading from.

API summary
-----------
``save_case(case, path, *, overwrite_unreadable=False) -> Path``: write atomically (temporary file in
the same folder, flush + fsync, ``os.replace``); refuses to replace an existing file that is not a
readable case (or is from a newer OsteoPlan) unless ``overwrite_unreadable=True``.
``load_case(path) -> Case``; ``read_case_file(path) -> CaseFile`` (the case plus schema version, app
version, timestamps, ``autosave_of`` and warnings, e.g. unknown fields from a newer minor version);
``probe_case_file(path) -> CaseHeader`` (header and CRC check, no decoding).
Every refusal is a ``planning.errors.CaseFileError`` with a specific reason.
Schema: ``SCHEMA_VERSION``; a missing field takes its dataclass default (adding a field with a default
needs no new version); ``register_migration(from_version)`` decorates a ``dict -> dict`` function
that upgrades an older ``case.json`` document by one version.
Recovery: ``write_autosave(case, case_path)`` here; re-exported from ``planning.case_paths``:
``CASE_SUFFIX``, ``data_dir()`` ($OSTEOPLAN_DATA_DIR, else $XDG_DATA_HOME/osteoplan, else
~/.local/share/osteoplan), ``recovery_dir()``, ``autosave_path(case_path or None, case_uid=None)``,
``find_recoverable()`` (newest first), ``discard_autosave(...)``.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from planning.case import Case, CaseItemError, CaseState
from planning.case_codec import ValueDecoder, encode_value
from planning.case_paths import (
    CASE_SUFFIX,
    autosave_path,
    data_dir,
    discard_autosave,
    find_recoverable,
    recovery_dir,
)
from planning.errors import CaseFileError

__all__ = [
    "CASE_SUFFIX",
    "FORMAT_NAME",
    "SCHEMA_VERSION",
    "CaseFile",
    "CaseHeader",
    "autosave_path",
    "data_dir",
    "discard_autosave",
    "find_recoverable",
    "load_case",
    "probe_case_file",
    "read_case_file",
    "recovery_dir",
    "register_migration",
    "save_case",
    "write_autosave",
]

SCHEMA_VERSION = 1
FORMAT_NAME = "osteoplan-case"
_CASE_JSON = "case.json"
_ZIP_MAGIC = b"PK\x03\x04"

Migration = Callable[[dict[str, Any]], dict[str, Any]]
_MIGRATIONS: dict[int, Migration] = {}


@dataclass(frozen=True)
class CaseHeader:
    """What a case file says about itself (read without decoding the values)."""

    schema_version: int
    app_version: str
    created_utc: str
    modified_utc: str
    case_uid: str
    autosave_of: str | None


@dataclass(frozen=True, eq=False)
class CaseFile:
    """A loaded case file: the case and its header; ``warnings`` lists what was skipped or upgraded."""

    case: Case
    header: CaseHeader
    warnings: tuple[str, ...]


def register_migration(from_version: int) -> Callable[[Migration], Migration]:
    """Register a function upgrading a ``case.json`` document from ``from_version`` to the next.

    The function receives the parsed document (a dict) and returns the upgraded one; the loader sets
    ``schema_version`` afterwards.
    """

    def deco(fn: Migration) -> Migration:
        _MIGRATIONS[from_version] = fn
        return fn

    return deco


def save_case(case: Case, path: Path | str, *, overwrite_unreadable: bool = False) -> Path:
    """Write ``case`` to ``path`` atomically; the previous file survives any failure.

    Parameters
    ----------
    case
        The case to save; its ``created_utc`` / ``modified_utc`` are updated on success.
    path
        The ``.osteoplan`` file.
    overwrite_unreadable
        Allow replacing an existing file that is not a readable case of this version.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    CaseFileError
        When ``path`` exists and is not a readable case (and ``overwrite_unreadable`` is False), when
        a value cannot be written, or when writing fails (disk full, permissions): the old file is
        left as it was.
    """
    return _save(case, Path(path), overwrite_unreadable=overwrite_unreadable, autosave_of=None)


def write_autosave(case: Case, case_path: Path | str | None) -> Path:
    """Save ``case`` to its autosave file (atomically), recording which case file it belongs to.

    The case's own timestamps are left as they were (an autosave is not a save).
    """
    target = autosave_path(case_path, case_uid=case.uid)
    target.parent.mkdir(parents=True, exist_ok=True)
    created, modified = case.created_utc, case.modified_utc
    try:
        of = None if case_path is None else str(Path(case_path).expanduser().resolve())
        return _save(case, target, overwrite_unreadable=True, autosave_of=of)
    finally:
        case.created_utc, case.modified_utc = created, modified


def load_case(path: Path | str) -> Case:
    """Read a case file.

    Raises
    ------
    CaseFileError
        Not a zip / unreadable, truncated or corrupt (CRC), no ``case.json``, made by a newer
        OsteoPlan, or invalid values; the message says which.
    """
    return read_case_file(path).case


def read_case_file(path: Path | str) -> CaseFile:
    """Read a case file with its header and load warnings (see ``load_case`` for the errors)."""
    p = Path(path)
    with _open_zip(p) as zf:
        doc = _read_doc(zf, p)
        header = _header(doc, p)
        warnings: list[str] = []
        doc = _migrate(doc, header.schema_version, p, warnings)
        ctx = ValueDecoder(partial(_read_member, zf, p=p), p, warnings)
        raw = doc.get("case")
        if not isinstance(raw, dict):
            raise CaseFileError('invalid case file: "case" is missing or not an object', str(p))
        state = ctx.decode(CaseState, raw, "case")
    try:
        case = Case.from_state(state, uid=header.case_uid or None)
    except CaseItemError as exc:
        raise CaseFileError(f"invalid values: {exc}", str(p)) from exc
    case.created_utc = header.created_utc
    case.modified_utc = header.modified_utc
    return CaseFile(case, header, tuple(warnings))


def probe_case_file(path: Path | str) -> CaseHeader:
    """Check that ``path`` is a readable case of a supported version (header + CRC of every member).

    Raises
    ------
    CaseFileError
        As ``load_case``, except that values are not decoded.
    """
    p = Path(path)
    with _open_zip(p) as zf:
        doc = _read_doc(zf, p)
        header = _header(doc, p)
        try:
            bad = zf.testzip()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise CaseFileError(f"truncated or corrupt case file ({exc})", str(p)) from exc
        if bad is not None:
            raise CaseFileError(f"corrupt case file: {bad} fails its CRC check", str(p))
    if header.schema_version < SCHEMA_VERSION:
        _check_migrations(header.schema_version, p)
    return header


def _save(case: Case, path: Path, *, overwrite_unreadable: bool, autosave_of: str | None) -> Path:
    if path.is_dir():
        raise CaseFileError("is a folder, not a case file", str(path))
    if path.exists() and not overwrite_unreadable:
        try:
            probe_case_file(path)
        except CaseFileError as exc:
            raise CaseFileError(
                f"refusing to overwrite a file that is not a readable case ({exc.reason}); "
                "save under another name",
                str(path),
            ) from exc
    now = _utc_now()
    created = case.created_utc or now
    masks: list[tuple[str, bytes]] = []
    doc: dict[str, Any] = {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "app_version": _app_version(),
        "created_utc": created,
        "modified_utc": now,
        "case_uid": case.uid,
        "autosave_of": autosave_of,
    }
    try:
        doc["case"] = encode_value(case.snapshot(), masks)
        text = json.dumps(doc, allow_nan=False, indent=1, ensure_ascii=False)
    except (ValueError, TypeError) as exc:
        raise CaseFileError(f"cannot write a value: {exc}", str(path)) from exc

    folder = path.parent if str(path.parent) else Path()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CaseFileError(f"cannot write in the folder: {exc.strerror or exc}", str(path)) from exc
    tmp = Path(tmp_name)
    finished = False
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(_CASE_JSON, text)
                for name, data in masks:
                    zf.writestr(name, data)
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        tmp.chmod(mode)
        tmp.replace(path)
        finished = True
    except OSError as exc:
        raise CaseFileError(f"could not write the case: {exc.strerror or exc}", str(path)) from exc
    finally:
        if not finished:
            tmp.unlink(missing_ok=True)
    _fsync_dir(folder)
    case.created_utc = created
    case.modified_utc = now
    return path


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); harmless where folders cannot be opened."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename itself is done
    finally:
        os.close(dfd)


def _open_zip(p: Path) -> zipfile.ZipFile:
    try:
        with p.open("rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError as exc:
        raise CaseFileError("no such file", str(p)) from exc
    except OSError as exc:
        raise CaseFileError(f"cannot be read: {exc.strerror or exc}", str(p)) from exc
    if magic != _ZIP_MAGIC:
        raise CaseFileError("not an OsteoPlan case file (not a zip archive)", str(p))
    try:
        return zipfile.ZipFile(p, "r")
    except zipfile.BadZipFile as exc:
        raise CaseFileError(f"truncated or corrupt case file ({exc})", str(p)) from exc
    except OSError as exc:
        raise CaseFileError(f"cannot be read: {exc.strerror or exc}", str(p)) from exc


def _read_member(zf: zipfile.ZipFile, name: str, p: Path) -> bytes:
    try:
        return zf.read(name)
    except KeyError as exc:
        raise CaseFileError(f"invalid case file: {name} is missing", str(p)) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CaseFileError(f"truncated or corrupt case file: {name} ({exc})", str(p)) from exc


def _read_doc(zf: zipfile.ZipFile, p: Path) -> dict[str, Any]:
    if _CASE_JSON not in zf.namelist():
        raise CaseFileError(f"not an OsteoPlan case file: no {_CASE_JSON} inside", str(p))
    data = _read_member(zf, _CASE_JSON, p)
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaseFileError(f"corrupt case file: {_CASE_JSON} is not valid JSON ({exc})", str(p)) from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise CaseFileError(
            f'not an OsteoPlan case file: {_CASE_JSON} lacks "format": "{FORMAT_NAME}"', str(p)
        )
    return doc


def _header(doc: dict[str, Any], p: Path) -> CaseHeader:
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CaseFileError(
            f"invalid case file: schema_version {version!r} is not a positive integer", str(p)
        )
    app = str(doc.get("app_version", "unknown"))
    if version > SCHEMA_VERSION:
        raise CaseFileError(
            f"made by a newer OsteoPlan, version {version}; this one reads up to {SCHEMA_VERSION} "
            f"(file written by OsteoPlan {app}; update OsteoPlan to open it)",
            str(p),
        )
    autosave_of = doc.get("autosave_of")
    return CaseHeader(
        schema_version=version,
        app_version=app,
        created_utc=str(doc.get("created_utc", "")),
        modified_utc=str(doc.get("modified_utc", "")),
        case_uid=str(doc.get("case_uid", "")),
        autosave_of=None if autosave_of is None else str(autosave_of),
    )


def _check_migrations(version: int, p: Path) -> None:
    for v in range(version, SCHEMA_VERSION):
        if v not in _MIGRATIONS:
            raise CaseFileError(
                f"schema version {version} cannot be upgraded (no migration from {v})", str(p)
            )


def _migrate(doc: dict[str, Any], version: int, p: Path, warnings: list[str]) -> dict[str, Any]:
    _check_migrations(version, p)
    for v in range(version, SCHEMA_VERSION):
        doc = _MIGRATIONS[v](doc)
        doc["schema_version"] = v + 1
    if version < SCHEMA_VERSION:
        warnings.append(f"upgraded from schema version {version} to {SCHEMA_VERSION}")
    return doc


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _app_version() -> str:
    try:
        return metadata.version("osteoplan")
    except metadata.PackageNotFoundError:
        return "unknown"
