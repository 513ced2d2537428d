"""The texts of a lesion row's figure cells in the Lesions dock, and the Breach cell's tooltip.

Figures as :mod:`app.segmentation.lesion_figures` measured them: volume mL, largest diameter mm, mean and
reference HU, cortical breach (where: LPS mm and in words), posterior-wall involvement, the nearest
distances to the posterior wall and the canal (mm, between voxel centres) and pedicle involvement.
"""

from __future__ import annotations

from app.segmentation.lesion_figures import Figures
from imaging.lesion_model import Lesion
from planning.model import Target
from planning.target_choices import POSTEROLATERAL_MIN_OVERLAP_ML

#: number of figure cells in a row before the level (mL, Ø, mean HU, ref. HU, breach, wall, wall mm,
#: canal mm, pedicle)
N_FIGURES = 9


def _yes_no(value: float | None) -> str:
    if value is None:
        return "—"
    return "yes" if value >= 0.5 else "no"


def breach_tip(figures: Figures) -> str:
    """The Breach cell's tooltip: where the lesion breaks the cortex (LPS mm and in words)."""
    les = figures.lesion
    if les is None or not les.cortical_breach:
        return "No cortical breach found: the lesion stays inside the bone"
    if not les.cortical_breach_lps:
        return "Cortical breach: the lesion leaves the bone (no single place found)"
    lines = [f"Cortical breach at {len(les.cortical_breach_lps)} place(s) (double-click to go to the first):"]
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
    """A row's figures (mL, Ø, mean HU, reference HU, breach, wall, wall mm, canal mm, pedicle, level)
    and why any is missing; ``figures`` None: being measured."""
    level = target.level or "—"
    if figures is None:
        return ("…",) * N_FIGURES + (level,), "being measured from the lesion's mask"
    les = figures.lesion
    if les is None:
        return ("—",) * N_FIGURES + (level,), figures.reason
    wall = None if les.posterior_wall_involved is None else float(les.posterior_wall_involved)
    inv = les.involvement
    return (
        f"{les.volume_ml:.2f}",
        f"{les.max_diameter_mm:.1f}",
        f"{les.mean_hu:.0f}",
        f"{les.reference_bone_hu:.0f}",
        _yes_no(float(les.cortical_breach)),
        _yes_no(wall),
        _mm(None if inv is None else inv.wall_distance_mm),
        _mm(None if inv is None else inv.canal_distance_mm),
        pedicle_text(les),
        level,
    ), ""
