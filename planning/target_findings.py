"""The cement-leakage risk factors found for one target, each with where it was read and why.

Each :class:`planning.leakage_risk.RiskFactor` becomes a :class:`planning.leakage_risk.FactorFinding`
(present, absent, or None when unknown) read from the images (posterior-wall destruction, cortical
disruption, lytic lesion, collapse from the heights), from the operator's choices (cement viscosity,
intravertebral cleft, treated levels, collapse) or from the plan (cement volume against the published
mean); :func:`planning.leakage_risk.assess_leakage_risk` turns them into the risk level. Lengths mm,
volumes mL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imaging.lesion_model import Lesion, LesionType
from imaging.vertebra_model import VertebraAnatomy
from planning.cement import CementEstimate
from planning.errors import PlanValidationError
from planning.leakage import FactorFinding, LeakageMap, RiskFactor, ZoneKind
from planning.scores import ItemSource, ScoreItem, SinsCollapse
from planning.target_choices import opt_bool
from planning.vertebra_figures import intact_words


def leakage_findings(
    lesion: Lesion,
    *,
    anatomy: VertebraAnatomy | None,
    leak: LeakageMap | None,
    cement: CementEstimate,
    collapse_item: ScoreItem | None,
    ch: Mapping[str, Any],
) -> list[FactorFinding]:
    """The leakage risk factors of one target (the input of ``assess_leakage_risk``).

    Parameters
    ----------
    lesion
        The segmented lesion.
    anatomy
        The vertebra, or None for an extraspinal target (no wall, cleft or collapse factors then).
    leak
        The leakage zones (for endplate defects), or None.
    cement
        The cement estimate (for the larger-volume factor).
    collapse_item
        The SINS collapse item, when the heights gave one.
    ch
        The operator's choices (``cement_viscosity``, ``intravertebral_cleft``, ``treated_levels``,
        ``vertebral_collapse``).

    Returns
    -------
    list of FactorFinding
        One finding per factor that applies to the target.

    Raises
    ------
    PlanValidationError
        If a choice is of the wrong kind or out of range.
    """
    f: list[FactorFinding] = []
    if anatomy is not None:
        destroyed: bool | None = (not anatomy.posterior_wall_intact) or bool(anatomy.posterior_wall_defects)
        sizes = ", ".join(f"{d.size_mm:.1f} mm" for d in anatomy.posterior_wall_defects)
        if sizes:
            ev = f"posterior-wall defect(s) {sizes}"
        elif not anatomy.posterior_wall_assessed:
            # a wall too little seen to judge (a body cut by the scan's edge) is unknown, not destroyed
            destroyed = None
            ev = "posterior wall not assessed: too little of it was seen"
        else:
            # "intact" with the smallest gap the scan is sure to show (QA s25 E3)
            ev = (
                "wall not intact"
                if destroyed
                else f"wall {intact_words(anatomy.posterior_wall_smallest_gap_mm)}"
            )
        if lesion.posterior_wall_involved and not destroyed:
            ev += "; the lesion reaches the posterior wall (involved, not destroyed)"
        f.append(FactorFinding(RiskFactor.POSTERIOR_WALL_DESTRUCTION, destroyed, "images", ev))
    # cortical disruption is the lesion's cortical breach, the figure the Lesions table shows (one
    # definition): an endplate defect is a breach that lies on an endplate, and a lesion that only
    # touches an endplate is contact, not a disruption
    endplate = leak.zones_of(ZoneKind.ENDPLATE_DEFECT) if leak is not None else ()
    contacts = leak.endplate_contacts if leak is not None else ()
    parts = []
    if lesion.cortical_breach:
        parts.append(f"lesion breaks the cortex at {max(1, len(lesion.cortical_breach_lps))} place(s)")
        parts += [f"through the {z.name.removesuffix(' defect')}" for z in endplate]
    else:
        parts.append("no cortical break found")
        parts += [f"the lesion reaches the {c} endplate without breaking it" for c in contacts]
    f.append(
        FactorFinding(RiskFactor.CORTICAL_DISRUPTION, lesion.cortical_breach, "images", "; ".join(parts))
    )
    visc = ch.get("cement_viscosity")
    if visc is None:
        f.append(FactorFinding(RiskFactor.LOW_VISCOSITY_CEMENT, None, "operator", "cement not chosen"))
    else:
        if str(visc) not in {"low", "standard", "high"}:
            raise PlanValidationError("cement_viscosity", visc, "low, standard or high")
        f.append(
            FactorFinding(
                RiskFactor.LOW_VISCOSITY_CEMENT, str(visc) == "low", "operator", f"{visc} viscosity"
            )
        )
    cleft = opt_bool(ch, "intravertebral_cleft")
    if anatomy is not None:
        f.append(FactorFinding(RiskFactor.INTRAVERTEBRAL_CLEFT, cleft, "operator"))
    if lesion.type_unsure:
        # a drawn mask mostly like the bone around it has no type worth a risk factor: the operator says
        f.append(
            FactorFinding(
                RiskFactor.LYTIC_LESION,
                None,
                "operator",
                "type not judged: the mask is mostly like the normal bone around it (set the type)",
            )
        )
    else:
        f.append(
            FactorFinding(
                RiskFactor.LYTIC_LESION,
                lesion.type is LesionType.LYTIC,
                "images",
                f"lesion classed {lesion.type.value}",
            )
        )
    levels = ch.get("treated_levels")
    if levels is None:
        f.append(FactorFinding(RiskFactor.MULTIPLE_LEVELS, None, "operator"))
    else:
        if not isinstance(levels, int) or isinstance(levels, bool) or levels < 1:
            raise PlanValidationError("treated_levels", levels, "an integer >= 1")
        f.append(
            FactorFinding(RiskFactor.MULTIPLE_LEVELS, levels >= 2, "operator", f"{levels} level(s) treated")
        )
    if anatomy is not None:
        op = opt_bool(ch, "vertebral_collapse")
        if op is not None:
            f.append(FactorFinding(RiskFactor.VERTEBRAL_COLLAPSE, op, "operator"))
        elif collapse_item is not None and collapse_item.value is not None:
            collapsed = collapse_item.value in (SinsCollapse.OVER_50.value, SinsCollapse.UNDER_50.value)
            src = "images" if collapse_item.source is ItemSource.PREFILLED else "operator"
            f.append(FactorFinding(RiskFactor.VERTEBRAL_COLLAPSE, collapsed, src, collapse_item.basis))
        else:
            f.append(
                FactorFinding(RiskFactor.VERTEBRAL_COLLAPSE, None, "images", "no reference height given")
            )
    pub = cement.published
    larger = cement.estimate_ml > pub.mean_ml
    f.append(
        FactorFinding(
            RiskFactor.LARGER_VOLUME,
            larger,
            "plan",
            f"estimate {cement.estimate_ml:.1f} mL {'>' if larger else '<='} "
            f"published mean {pub.mean_ml:g} mL",
        )
    )
    return f
