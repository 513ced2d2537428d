"""Cement-leakage risk level: the risk factors of CLINICAL.md, what is known of each, and the stated
rule that combines them into a level (low, moderate, high) that always comes with its reasons.

No images and no units: findings come from the images, the operator or the plan (see
:mod:`planning.target_findings`); the zones where cement may escape are in :mod:`planning.leakage_map`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class RiskFactor(StrEnum):
    """Leakage risk factors (CLINICAL.md)."""

    POSTERIOR_WALL_DESTRUCTION = "posterior-wall destruction"
    CORTICAL_DISRUPTION = "cortical disruption"
    LOW_VISCOSITY_CEMENT = "low-viscosity cement"
    INTRAVERTEBRAL_CLEFT = "intravertebral cleft"
    LYTIC_LESION = "lytic lesion"
    MULTIPLE_LEVELS = "more treated levels"
    VERTEBRAL_COLLAPSE = "vertebral collapse"
    LARGER_VOLUME = "larger cement volume"


class RiskLevel(StrEnum):
    """Stated leakage-risk levels."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


@dataclass(frozen=True)
class FactorInfo:
    """What the literature says about a factor, and its weight in this program's rule."""

    major: bool
    odds_ratio: float | None
    source: str


FACTOR_INFO: dict[RiskFactor, FactorInfo] = {
    RiskFactor.POSTERIOR_WALL_DESTRUCTION: FactorInfo(
        True, None, "independent factor for canal leaks (CLINICAL.md; 35% of Chen's vertebrae)"
    ),
    RiskFactor.CORTICAL_DISRUPTION: FactorInfo(True, 5.56, "CLINICAL.md, OR 5.56"),
    RiskFactor.LOW_VISCOSITY_CEMENT: FactorInfo(True, 3.32, "CLINICAL.md, OR 3.32"),
    RiskFactor.INTRAVERTEBRAL_CLEFT: FactorInfo(False, 1.40, "CLINICAL.md, OR 1.40"),
    RiskFactor.LYTIC_LESION: FactorInfo(False, None, "CLINICAL.md (lytic type)"),
    RiskFactor.MULTIPLE_LEVELS: FactorInfo(False, None, "CLINICAL.md (more treated levels)"),
    RiskFactor.VERTEBRAL_COLLAPSE: FactorInfo(False, None, "CLINICAL.md (vertebral collapse)"),
    RiskFactor.LARGER_VOLUME: FactorInfo(False, None, "CLINICAL.md (larger volume)"),
}
#: An odds ratio at or above this makes a factor "major" in the rule below.
MAJOR_ODDS_RATIO = 3.0
BASELINE_NOTE = (
    "leaks are common even without risk factors: 30% of vertebrae (Chen 2022), 39.7% (Fan 2023), "
    "56.6% in metastatic vertebroplasty"
)
RULE_TEXT = (
    "high: posterior-wall destruction, or two or more major factors; moderate: one major factor, or "
    "two or more minor factors; low: otherwise. Major = posterior-wall destruction (canal leaks) or an "
    f"odds ratio >= {MAJOR_ODDS_RATIO:g} (cortical disruption 5.56, low-viscosity cement 3.32); minor = "
    "the other factors. This combination is this program's rule of thumb (*unverified*), not a "
    "validated model."
)


@dataclass(frozen=True)
class FactorFinding:
    """A factor's state: present, absent or unknown (None), where that came from, and the evidence."""

    factor: RiskFactor
    present: bool | None
    source: str  # "images" | "operator" | "plan"
    evidence: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        info = FACTOR_INFO[self.factor]
        return {
            "factor": self.factor.value,
            "present": self.present,
            "source": self.source,
            "evidence": self.evidence,
            "major": info.major,
            "odds_ratio": info.odds_ratio,
            "reference": info.source,
        }


@dataclass(frozen=True)
class LeakageRisk:
    """A stated risk level with its reasons (never an unexplained number)."""

    level: RiskLevel
    reasons: tuple[str, ...]
    findings: tuple[FactorFinding, ...]
    not_assessed: tuple[str, ...]
    rule: str = RULE_TEXT
    baseline: str = BASELINE_NOTE
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "level": self.level.value,
            "reasons": list(self.reasons),
            "factors": [f.to_json() for f in self.findings],
            "not_assessed": list(self.not_assessed),
            "rule": self.rule,
            "baseline": self.baseline,
        }


def assess_leakage_risk(findings: Sequence[FactorFinding]) -> LeakageRisk:
    """Combine risk-factor findings into a level with reasons (rule: ``RULE_TEXT``).

    Parameters
    ----------
    findings
        One finding per factor; a factor given twice keeps its last finding. Factors not given are
        listed as not assessed.

    Returns
    -------
    LeakageRisk
    """
    latest: dict[RiskFactor, FactorFinding] = {}
    for f in findings:
        latest[f.factor] = f
    present = [f for f in latest.values() if f.present]
    major = [f for f in present if FACTOR_INFO[f.factor].major]
    minor = [f for f in present if not FACTOR_INFO[f.factor].major]
    pw = any(f.factor is RiskFactor.POSTERIOR_WALL_DESTRUCTION for f in present)
    if pw or len(major) >= 2:
        level = RiskLevel.HIGH
    elif len(major) == 1 or len(minor) >= 2:
        level = RiskLevel.MODERATE
    else:
        level = RiskLevel.LOW
    reasons: list[str] = []
    for f in major + minor:
        info = FACTOR_INFO[f.factor]
        weight = "major" if info.major else "minor"
        oratio = f", OR {info.odds_ratio:g}" if info.odds_ratio is not None else ""
        ev = f": {f.evidence}" if f.evidence else ""
        reasons.append(f"{f.factor.value} ({weight}{oratio}; from {f.source}){ev}")
    if not reasons:
        reasons.append("no risk factor found among those assessed")
    unknown = [f.factor.value for f in latest.values() if f.present is None]
    unknown += [r.value for r in RiskFactor if r not in latest]
    return LeakageRisk(level, tuple(reasons), tuple(latest.values()), tuple(unknown))
