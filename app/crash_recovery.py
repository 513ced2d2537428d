"""Autosaves left by a crash: which case or image each belongs to, the questions offering them back, and
keeping one aside for later.

An autosave in the recovery folder (:func:`planning.case_paths.recovery_dir`) that this window did not
write was left by a session that did not close normally. It is offered whenever OsteoPlan starts, with
or without a path, and whenever its case is opened (File > Open, Recent, ``osteoplan gui --case``);
it is deleted only when the operator answers "discard", saves the recovered work, or closes after
recovering it. "Decide later" keeps it: when its name is the one this session's own autosaves of the
same case would use, it is first renamed aside (:func:`set_aside`) so that they cannot overwrite it.
No patient identifiers: the questions name the operator's own files (case file, image file or folder).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from planning.case_paths import AUTOSAVE_SUFFIX
from planning.errors import PlanningError

log = logging.getLogger("osteoplan.gui")


@dataclass(frozen=True)
class LeftAutosave:
    """An autosave found in the recovery folder and what it belongs to.

    ``case_path`` is the case file it autosaves (None for a case never saved); ``image_paths`` the
    images its case refers to; both empty / None when the file cannot be read.
    """

    path: Path
    case_path: Path | None
    image_paths: tuple[Path, ...]

    def is_of_case(self, case_path: Path) -> bool:
        """True when this autosaves the case file ``case_path``."""
        return self.case_path is not None and self.case_path == _resolved(case_path)

    def is_of_image(self, image_path: Path) -> bool:
        """True when this autosaves a case never saved, on the image ``image_path``."""
        return self.case_path is None and _resolved(image_path) in self.image_paths


def left_autosaves(own: Collection[Path] = ()) -> list[LeftAutosave]:
    """Autosaves in the recovery folder not written by this window (``own``), newest first."""
    from planning import case_io

    mine = {_resolved(p) for p in own}
    found = []
    for path in case_io.find_recoverable():
        if _resolved(path) in mine:
            continue
        found.append(_read(path))
    return found


def set_aside(path: Path) -> Path:
    """Rename an autosave so that this session's autosaves of the same case cannot overwrite it.

    It stays in the recovery folder under a name of its own (offered again at the next start).

    Raises
    ------
    OSError
        When it cannot be renamed.
    """
    stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%S")
    stem = path.name.removesuffix(AUTOSAVE_SUFFIX)
    target = path.with_name(f"{stem}-kept-{stamp}{AUTOSAVE_SUFFIX}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{stem}-kept-{stamp}-{n}{AUTOSAVE_SUFFIX}")
    path.replace(target)
    return target


def same_case_question(case_path: Path, left: LeftAutosave, description: str) -> str:
    """The question asked when a case is opened that has an autosave left by a crash."""
    newer = ""
    try:
        if case_path.stat().st_mtime > left.path.stat().st_mtime:
            newer = "\nThe case file was saved after this autosave was written."
    except OSError:
        pass
    return (
        f"OsteoPlan did not close normally last time. {description}{newer}\n\n"
        "Open the autosaved work instead of the case as saved?\n"
        "Yes: open the autosaved work. No: discard it and open the case as saved. "
        "Cancel: open the case as saved and keep the autosave to decide later."
    )


def start_question(description: str, opening: Path | None, *, same_image: bool, others: int) -> str:
    """The question asked at start-up about the newest autosave left by a crash.

    ``opening``: the case or image the start was asked to open (None: none); ``others``: how many
    other autosaves stay in the folder for later.
    """
    folder = ""
    if others:
        folder = f"\n({others} other autosave(s) stay in the recovery folder for later.)"
    if opening is None:
        return (
            f"OsteoPlan did not close normally last time. {description}\n\n"
            f"Recover it?{folder}\nNo: discard it. Cancel: decide later."
        )
    name = opening.name
    afresh = " afresh" if same_image else ""
    return (
        f"OsteoPlan did not close normally last time. {description}\n\n"
        f"Recover it instead of opening {name}{afresh}?{folder}\n"
        f"Yes: recover it. No: discard it and open {name}. Cancel: open {name} and decide later."
    )


def kept_message(case_path: Path, kept: Path) -> str:
    """The status bar's sentence when an autosave is kept for later."""
    return (
        f"Opened {case_path.name} as saved. Its autosaved work is kept in {kept.parent} and offered again "
        "when OsteoPlan starts next."
    )


# -- private -----------------------------------------------------------------------------------------
def _resolved(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()


def _read(path: Path) -> LeftAutosave:
    from planning import case_io

    try:
        loaded = case_io.read_case_file(path)
    except (PlanningError, OSError, ValueError) as exc:
        # still offered (its question says it cannot be read), just not tied to a case or an image
        log.warning("autosave %s cannot be read: %s", path.name, type(exc).__name__)
        return LeftAutosave(path, None, ())
    of = loaded.header.autosave_of
    images = tuple(_resolved(ref.path) for ref in loaded.case.images.values() if ref.path)
    return LeftAutosave(path, None if of is None else _resolved(of), images)
