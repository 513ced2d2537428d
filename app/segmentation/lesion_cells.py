"""The texts of a lesion row's cells in the Lesions dock, their tooltips, and the selected lesion's
details line.

The table holds what a radiologist reads first (volume mL, largest diameter mm, cortical breach,
posterior-wall involvement, level); the details line under it gives the rest for the selected lesion:
mean HU, its percentiles (5th to 95th, as the CLI's ``percentiles_hu``) and the reference bone HU, the
nearest distances to the posterior wall and the canal (mm, between voxel centres) and pedicle
involvement. Figures as :mod:`app.segmentation.lesion_figures` measured them. Every figure cell has its
own tooltip: what it measures, in which unit, from what.
"""

from __future__ import annotations

from app.segmentation.lesion_basis import reference_short_text
from app.segmentation.lesion_figures import Figures
from imaging.lesion_model import Lesion
from planning.model import Target, TargetKind
from planning.target_choices import POSTEROLATERAL_MIN_OVERLAP_ML

#: the figure cells of a row, in order, before the level (mL, Ø, breach, posterior wall). The last is
#: involvement, where the lesion lies, not the wall's state: headed "Wall band", read "reaches" / "apart"
#: (QA s31 C28: "Wall: yes" beside the Vertebrae dock's "posterior wall intact" read as "breached")
FIGURE_NAMES = ("mL", "Ø mm", "Breach", "Wall band")
#: the wall band cell: the lesion reaches the posterior-wall band, or lies apart from it
WALL_REACHES, WALL_APART = "reaches", "apart"
#: what the wall band cell does not say (its tooltips end with it)
WALL_NOT_BREACH = (
    "This says where the lesion lies, not whether the wall is broken: the Vertebrae dock's \"posterior "
    'wall intact / with defects" judges the wall itself.'
)
N_FIGURES = len(FIGURE_NAMES)
#: the figure cells (indices into FIGURE_NAMES) that count every piece of a mask in several pieces
COUNTS_PIECES = (0, 1, 2)
#: added to the text of a figure that counts several pieces of the mask (its tooltip says so)
PIECES_MARK = "*"


def _yes_no(value: float | None) -> str:
    if value is None:
        return "—"
    return "yes" if value >= 0.5 else "no"


def _wall_word(reaches: bool | None) -> str:
    if reaches is None:
        return "—"
    return WALL_REACHES if reaches else WALL_APART


def breach_tip(figures: Figures) -> str:
    """The Breach cell's tooltip: where the lesion breaks the cortex (LPS mm and in words)."""
    les = figures.lesion
    if les is None or not les.cortical_breach:
        return "No cortical breach found: the lesion stays inside the bone"
    if not les.cortical_breach_lps:
        return "Cortical breach: the lesion leaves the bone (no single place found)"
    lines = [
        f"Cortical breach at {len(les.cortical_breach_lps)} place(s), the centre of each hole the lesion "
        "makes in the cortex, on the bone's face (double-click to go to the first):"
    ]
    for i, p in enumerate(les.cortical_breach_lps):
        place = figures.breach_places[i] if i < len(figures.breach_places) else ""
        lines.append(f"{place} at ({p[0]:.1f}, {p[1]:.1f}, {p[2]:.1f}) mm LPS".lstrip())
    return "\n".join(lines)


def pedicle_text(lesion: Lesion) -> str:
    """Pedicle involvement in words: "left", "right", "both", "none" ("—" outside a vertebra).

    A pedicle counts when it holds at least the SINS pre-fill's overlap
    (:data:`planning.target_choices.POSTEROLATERAL_MIN_OVERLAP_ML`, *unverified*, as the Scores dock
    uses); a pedicle not traced is not judged ("left; right not traced").
    """
    inv = lesion.involvement
    if inv is None or not inv.pedicle_overlap_ml:
        return "—"
    sides = inv.pedicles_involved(POSTEROLATERAL_MIN_OVERLAP_ML)
    text = "both" if len(sides) == 2 else (sides[0] if sides else "none")
    missing = [s for s in ("left", "right") if s not in inv.pedicle_overlap_ml]
    if missing:
        text += f"; {missing[0]} not traced"
    return text


def _mm(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def figure_texts(target: Target, figures: Figures | None) -> tuple[tuple[str, ...], str]:
    """A row's figures (mL, Ø, breach, wall, level) and why any is missing; ``figures`` None: being
    measured."""
    level = target.level or "—"
    if figures is None:
        return ("…",) * N_FIGURES + (level,), "being measured from the lesion's mask"
    les = figures.lesion
    if les is None:
        return ("—",) * N_FIGURES + (level,), figures.reason
    wall = None if les.posterior_wall_involved is None else bool(les.posterior_wall_involved)
    return (
        f"{les.volume_ml:.2f}",
        f"{les.max_diameter_mm:.1f}",
        _yes_no(float(les.cortical_breach)),
        _wall_word(wall),
        level,
    ), ""


def figure_tips(figures: Figures | None, *, pieces: int = 1) -> tuple[str, ...]:
    """Each figure cell's own tooltip (mL, Ø, breach, wall): what it measures, its unit, from what.

    ``pieces`` > 1: the mask is in several pieces, and the volume, diameter and breach count them all.
    """
    les = None if figures is None else figures.lesion
    if les is None:
        return ("",) * N_FIGURES
    tips = [
        f"Volume of the lesion's mask as it is now: {les.volume_ml:.2f} mL",
        f"Largest diameter: {les.max_diameter_mm:.1f} mm, between the centres of the mask's two farthest "
        "boundary voxels",
        breach_tip(figures) if figures is not None else "",
        _wall_tip(les),
    ]
    if pieces > 1:
        for i in COUNTS_PIECES:
            tips[i] += (
                f"\n{PIECES_MARK} counts all {pieces} separate pieces of the mask "
                "(see the warning under the table)"
            )
    return tuple(tips)


def _wall_tip(les: Lesion) -> str:
    inv = les.involvement
    if les.posterior_wall_involved is None or inv is None or inv.wall_distance_mm is None:
        return (
            "Posterior-wall involvement: not judged - the lesion is not in a vertebra found with the "
            "Vertebra tool (V)"
        )
    verdict = "reaches" if les.posterior_wall_involved else "lies apart from"
    return (
        f"Posterior-wall involvement: the lesion {verdict} the vertebra's posterior wall band; nearest "
        f"{inv.wall_distance_mm:.1f} mm between voxel centres (0 = overlapping; next to it within one "
        f"voxel counts as reaching). {WALL_NOT_BREACH}"
    )


def details_text(target: Target, figures: Figures | None) -> str:
    """The selected lesion's details line: HU, the wall, canal and pedicle figures, the breach place."""
    if figures is None:
        return f"{target.name}: being measured…"
    les = figures.lesion
    if les is None:
        return f"{target.name}: {figures.reason}"
    # where the reference was measured, for the radiologist to check it is normal bone (QA s22 D4)
    where = reference_short_text(target, figures)
    reference = f"reference bone {les.reference_bone_hu:.0f} HU{where}"
    parts = [f"mean {les.mean_hu:.0f} HU{percentile_text(les)}, {reference}"]
    inv = les.involvement
    if inv is not None and (inv.wall_distance_mm is not None or inv.canal_distance_mm is not None):
        parts.append(
            f"posterior wall {_mm(inv.wall_distance_mm)} mm, canal {_mm(inv.canal_distance_mm)} mm away"
        )
        parts.append(f"pedicle: {pedicle_text(les)}")
    if les.cortical_breach and figures.breach_places:
        parts.append(f"breach: {', '.join(dict.fromkeys(figures.breach_places))}")
    return f"{target.name}: " + " · ".join(parts)


def percentile_text(lesion: Lesion) -> str:
    """The lesion's HU percentiles for the details line: " (percentiles 5/25/50/75/95: 12/40/…/190 HU)".

    Empty when none were measured. Rounded to whole HU, as the mean beside them.
    """
    pct = sorted(lesion.percentiles_hu.items())
    if not pct:
        return ""
    ranks = "/".join(str(k) for k, _ in pct)
    values = "/".join(f"{v:.0f}" for _, v in pct)
    return f" (percentiles {ranks}: {values} HU)"


#: the details line's tooltip: what each of its figures is
DETAILS_TIP = (
    "The selected lesion's other figures:\n"
    "• mean HU: mean CT value of the lesion's voxels; percentiles: the CT values below which 5, 25, 50 "
    "(median), 75 and 95 % of its voxels lie (HU); reference bone: the local normal trabecular bone it "
    "was compared with (HU), and how many voxels it is the median of, how far from the seed (from its "
    "centre for a lesion drawn by hand; in full below)\n"
    "• posterior wall / canal: nearest distance, mm, between the centres of the lesion's voxels and those "
    "of the vertebra's posterior-wall band / spinal canal (0 = overlapping)\n"
    "• pedicle: pedicles holding part of the lesion (left / right / both / none; at least "
    f"{POSTEROLATERAL_MIN_OVERLAP_ML * 1000:.0f} mm³, unverified): SINS posterolateral involvement, "
    "pre-filled in the Scores dock for you to confirm\n"
    "• breach: where the lesion crosses the cortex (the Breach cell's tooltip gives the points)"
)


def tied_to_vertebra(target: Target) -> bool:
    """True when the lesion lies in a vertebra found with the Vertebra tool (its level is named there)."""
    return target.vertebra_lps is not None or "vertebra" in target.extra


def level_tip(target: Target) -> str:
    """The Level cell's tooltip."""
    if tied_to_vertebra(target):
        return "Level of the vertebra found around this lesion (named in the Vertebrae dock)"
    if target.kind == TargetKind.SPINE:
        return (
            f"Named by the operator: {target.level} (spinal lesion). "
            "Double-click to change; empty = extraspinal"
        )
    return (
        "Extraspinal lesion. If it lies in a vertebra the Vertebra tool did not find, double-click and "
        "type its level (e.g. T1): it is then scored with SINS and planned as a spinal lesion"
    )
