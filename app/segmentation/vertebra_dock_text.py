"""What the Vertebrae dock says (:mod:`app.segmentation.vertebra_panel`): the renumbering question and the
levels it changes, levels estimated by distance, a level its ribs contradict with the level they suggest,
and the message for a typed level that is not one."""

from __future__ import annotations

from app.segmentation.vertebra_levels import LevelPlan
from app.segmentation.vertebra_rib_levels import RibLevelNote
from app.segmentation.vertebra_tool import VertebraEntry
from imaging.levels import LevelLabels

#: the answer that gives a level another vertebra carries to the selected one (Cancel is the other)
RENUMBER = "Renumber all"


def renumber_question(
    entry: VertebraEntry, holder: VertebraEntry | None, level: str, changes: list[str]
) -> str:
    """The question asked before a level another vertebra carries (``holder``; None: one named across a
    gap) is given to ``entry``: what renumbering by position along the spine changes (``changes``)."""
    if holder is not None:
        where = ""
        if entry.centroid_lps is not None and holder.centroid_lps is not None:
            dz = float(holder.centroid_lps[2] - entry.centroid_lps[2])
            where = f", {abs(dz):.0f} mm {'above' if dz > 0 else 'below'} this one"
        first = f"{level} is already the level of another vertebra{where}."
    else:
        first = f"Naming this vertebra {level} gives levels that vertebrae across a gap are named."
    this = f"this vertebra (now {entry.level})" if entry.level else "this vertebra"
    return (
        f"{first} Naming {this} {level} renumbers the vertebrae by counting from it, by position "
        f"along the spine: {', '.join(changes) or 'no other level changes'}.\n\n"
        f"{RENUMBER} names this one {level} (Undo restores the levels); Cancel keeps them as they are."
    )


def rib_note_text(prefix: str, note: RibLevelNote) -> str:
    """A level the ribs contradict, in the line under the list, with the level they suggest."""
    text = f"{prefix}: {note.warning}."
    if note.suggestion is not None:
        text += f" Anatomy suggests {note.suggestion.level} ({note.suggestion.reason})."
    return text


def renumbered(plan: LevelPlan, vid: str) -> list[str]:
    """The other vertebrae whose level a naming changes, superior first, as "L3 → L2" (levels they had,
    by counting or named); a name across a gap that gives way reads "T12 → unnamed (across a gap)"."""
    out = []
    for i in plan.result.order:
        entry = plan.entries[i]
        label = plan.labels[entry.vertebra_id]
        if entry.vertebra_id == vid or not entry.level or entry.level == (label or ""):
            continue
        across = " (across a gap)" if entry.vertebra_id in plan.cleared else ""
        out.append(f"{entry.level} → {label or 'unnamed'}{across}")
    return out


def estimates_by_distance(entries: list[VertebraEntry], result: LevelLabels | None) -> dict[str, str]:
    """Vertebra id -> the level its distance from a labelled vertebra suggests (unnamed across a gap)."""
    if result is None:
        return {}
    return {e.vertebra_id: est for e, est in zip(entries, result.estimates, strict=True) if est}


def bad_level_message(text: str) -> str:
    """What the operator reads when the typed level is not one (the ValueError's wording is for API
    callers)."""
    typed = text.strip()
    what = f"{typed} is not a vertebral level" if typed else "No level typed"
    return f"{what}: type C1-C7, T1-T12, L1-L5 or S1."
