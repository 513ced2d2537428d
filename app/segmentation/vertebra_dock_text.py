"""What the Vertebrae dock says (:mod:`app.segmentation.vertebra_panel`): each row of the list (the level the
operator named told apart from levels counted from it), the renumbering question and the levels it changes,
levels estimated by distance, a level its ribs contradict with the level they suggest, and the message for
a typed level that is not one."""

from __future__ import annotations

import json

from app.segmentation.vertebra_levels import LevelPlan
from app.segmentation.vertebra_rib_levels import RibLevelNote
from app.segmentation.vertebra_tool import VertebraEntry
from imaging.levels import LevelLabels
from imaging.volume import Volume
from planning.model import MaskLayer
from planning.vertebra_figures import figure_lines

#: the answer that gives a level another vertebra carries to the selected one (Cancel is the other)
RENUMBER = "Renumber all"


#: a row's word for a level the operator named (typed or accepted): the anchor the others are counted from
NAMED_WORD = "named"
#: a labelled row's tooltip after its text: what "named" and "counted" mean
ROW_HELP = (
    "named: the level you named (typed or accepted), kept with the case; counted from ...: labelled by "
    "counting along the spine from the named level, a suggestion to check (transitional anatomy can put "
    "it one level off)"
)


def row_text(entry: VertebraEntry, *, counted_from: str, estimate: str, suggested: str) -> str:
    """One row of the vertebra list: the level and how it was given (named by the operator, or counted from
    ``counted_from``, the named levels of its group), else "unnamed" with the level its distance suggests
    (``estimate``), the anatomy's ``suggested`` level when it differs, then the parts found.

    The level facts come first, the parts last: the dock is narrower than a row with every part (QA s21);
    the named anchor and the counted levels read alike before (QA s25 E6).
    """
    if not entry.level:
        said = [entry.prefix, "unnamed"]
        if estimate:
            said.append(f"about {estimate} by distance?")
    elif entry.named:
        said = [entry.prefix, NAMED_WORD]
    else:
        said = [entry.prefix, f"counted from {counted_from}, check" if counted_from else "counted, check"]
    if suggested and suggested != entry.level:
        said.append(f"suggested {suggested}")
    parts = ", ".join(p.replace("_", " ") for p in entry.layers)
    return "   ".join(said) + f"   ({parts})"


def counted_from(entries: list[VertebraEntry], result: LevelLabels | None) -> dict[str, str]:
    """Vertebra id -> the named levels its counted level was counted from (those of its group, the vertebrae
    with no gap between them), for the vertebrae labelled by counting."""
    out: dict[str, str] = {}
    for run in () if result is None else result.runs:
        named = [entries[i].level for i in run if entries[i].named and entries[i].level]
        for i in run:
            if entries[i].level and not entries[i].named:
                out[entries[i].vertebra_id] = ", ".join(named)
    return out


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


def figure_box_lines(body: MaskLayer | None, volume: Volume | None) -> list[str]:
    """The figures box's lines for a vertebra's ``body`` layer (its figures kept as JSON text), the body's
    volume counted from the layer as it is now (on the CT's grid, brush edits included), not as the search
    measured it on its own 1 mm grid; a line saying what to do when none are kept."""
    raw = None if body is None else body.extra.get("figures")
    lines: list[str] = []
    if body is not None and isinstance(raw, str):
        try:
            figures = json.loads(raw)
            if volume is not None and body.mask.grid_shape == volume.shape:
                # not rounded here: said to 0.1 mL by figure_lines, a second rounding (to 0.01 first) said
                # 20.849 mL as 20.9 while the status bar said 20.8 for the same body (QA s29 F)
                figures = {**figures, "body_volume_ml": body.mask.count() * volume.voxel_volume_ml}
            lines = figure_lines(figures)
        except (ValueError, KeyError, TypeError, AttributeError):
            lines = []
    return lines or ["No figures kept for this vertebra: find it again with the Vertebra tool (V)."]
