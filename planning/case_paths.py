"""Where case files live and what they are called: the suffix, the data folder, the recovery folder.

Only names and folders, no file contents: writing a case (or its autosave) and reading one is
``planning.case_io``. Autosave files are named from a hash of the case file's absolute path (or of
the case uid for a case never saved), so no patient name appears in a file name.

API summary
-----------
``CASE_SUFFIX`` (``".osteoplan"``); ``data_dir()`` ($OSTEOPLAN_DATA_DIR, else
$XDG_DATA_HOME/osteoplan, else ~/.local/share/osteoplan), ``recovery_dir()``,
``autosave_path(case_path or None, case_uid=None)``, ``find_recoverable()`` (newest first),
``discard_autosave(...)``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = [
    "AUTOSAVE_SUFFIX",
    "CASE_SUFFIX",
    "autosave_path",
    "data_dir",
    "discard_autosave",
    "find_recoverable",
    "recovery_dir",
]

CASE_SUFFIX = ".osteoplan"
#: how every autosave's file name ends, in the recovery folder
AUTOSAVE_SUFFIX = f".autosave{CASE_SUFFIX}"


def data_dir() -> Path:
    """The user's OsteoPlan data folder: $OSTEOPLAN_DATA_DIR, $XDG_DATA_HOME/osteoplan, or
    ~/.local/share/osteoplan (not created here)."""
    env = os.environ.get("OSTEOPLAN_DATA_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "osteoplan"


def recovery_dir() -> Path:
    """Where autosaves go (``data_dir() / "recovery"``)."""
    return data_dir() / "recovery"


def autosave_path(case_path: Path | str | None, *, case_uid: str | None = None) -> Path:
    """The autosave file of a case in the recovery folder.

    Named from a hash of the case's absolute path (no patient names in file names), or, for a case
    never saved, from ``case_uid`` (else the process id).
    """
    if case_path is not None:
        digest = hashlib.sha256(str(Path(case_path).expanduser().resolve()).encode("utf-8")).hexdigest()[:16]
        stem = f"case-{digest}"
    elif case_uid:
        stem = f"untitled-{hashlib.sha256(case_uid.encode('utf-8')).hexdigest()[:16]}"
    else:
        stem = f"untitled-pid{os.getpid()}"
    return recovery_dir() / f"{stem}{AUTOSAVE_SUFFIX}"


def find_recoverable() -> list[Path]:
    """Autosave files in the recovery folder, newest first (empty when there is none)."""
    folder = recovery_dir()
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"*{AUTOSAVE_SUFFIX}") if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def discard_autosave(case_path: Path | str | None, *, case_uid: str | None = None) -> bool:
    """Delete a case's autosave (after a successful save or a declined recovery); True if one existed."""
    target = autosave_path(case_path, case_uid=case_uid)
    if target.exists():
        target.unlink()
        return True
    return False
