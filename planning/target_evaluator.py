"""One target, many drag steps: per-needle figures, zones and coverage, re-evaluated cheaply.

:class:`TargetEvaluator` is built once per lesion / anatomy / margin (the coverage context and the
canal's distance field); :meth:`TargetEvaluator.evaluate` then measures each placed needle
(:class:`NeedlePlacement`), lays out the zones of the chosen size (:class:`ZoneModel`, from
:mod:`planning.zone_model`) and returns
a :class:`TargetEvaluation`. Positions LPS mm, lengths mm, volumes mL. Re-exported from
:mod:`planning.coverage`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis, VertebraAnatomy
from imaging.volume import Volume
from planning.ablation import AblationZone, zones_along_trajectory
from planning.coverage_context import (
    DEFAULT_MARGIN_MM,
    CoverageContext,
    CoverageResult,
)
from planning.model_base import DEFAULT_WARN_DISTANCE_MM
from planning.needles import Needle
from planning.trajectory import DistanceField, TrajectoryGeometry, TrajectoryMetrics, measure_trajectory
from planning.zone_model import ZoneModel

# ZoneModel is re-exported (planning.coverage imports it from here)
__all__ = ["NeedlePlacement", "TargetEvaluation", "TargetEvaluator", "ZoneModel"]


@dataclass(frozen=True)
class NeedlePlacement:
    """One needle as placed: its line, the needle, the antenna pull-backs, and the pedicle it is
    meant to run through (None for other routes)."""

    geometry: TrajectoryGeometry
    needle: Needle
    pullback_mm: tuple[float, ...] = (0.0,)
    pedicle: PedicleAxis | None = None


@dataclass(frozen=True, eq=False)
class TargetEvaluation:
    """What the planner shows for one target: per-needle figures, the zones, and the coverage."""

    metrics: tuple[TrajectoryMetrics, ...]
    zones: tuple[AblationZone, ...]
    coverage: CoverageResult | None


class TargetEvaluator:
    """Coverage and distances for one target, re-evaluated cheaply while the operator drags needles.

    Built once per lesion / anatomy / margin: the target set, the structures' edges and the canal's
    distance map are computed here (region of interest only); :meth:`evaluate` then costs tens of
    milliseconds on a 512x512x400 case (tests/benchmarks/bench_coverage.py).

    Parameters
    ----------
    volume
        The planning CT.
    lesion
        The lesion mask.
    anatomy
        The vertebra, or None for an extraspinal target (no canal or wall distances then).
    margin_mm, warn_distance_mm
        See :class:`CoverageContext`.
    foramina
        A mask of the neural foramina, when one exists (the anatomy step does not give one).
    """

    def __init__(
        self,
        volume: Volume,
        lesion: Mask,
        anatomy: VertebraAnatomy | None = None,
        *,
        margin_mm: float = DEFAULT_MARGIN_MM,
        warn_distance_mm: float = DEFAULT_WARN_DISTANCE_MM,
        foramina: Mask | None = None,
    ) -> None:
        self.volume = volume
        self.anatomy = anatomy
        structures: dict[str, Mask] = {}
        if anatomy is not None:
            # the canal through the body's whole height, not only where bone encloses it: a zone
            # comes closest to the canal at its own level (imaging.canal_tube)
            structures = {"canal": anatomy.safety_canal, "posterior_wall": anatomy.posterior_wall}
        if foramina is not None:
            structures["foramina"] = foramina
        self.context = CoverageContext(
            lesion,
            volume.index_to_lps,
            margin_mm=margin_mm,
            structures=structures,
            warn_distance_mm=warn_distance_mm,
        )
        self.canal_field = (
            DistanceField(structures["canal"], volume.index_to_lps)
            if anatomy is not None and structures["canal"].any()
            else None
        )

    def measure(self, placement: NeedlePlacement) -> TrajectoryMetrics:
        """Length, angles, depth, canal distance, pedicle clearance and antenna-in-body of one needle."""
        n, ped = placement.needle, placement.pedicle
        return measure_trajectory(
            self.volume,
            placement.geometry,
            outer_diameter_mm=n.outer_diameter_mm,
            needle_length_mm=n.length_mm,
            antenna_extension_mm=n.antenna_extension_mm,
            antenna_outer_diameter_mm=n.antenna_outer_diameter_mm,
            canal=self.canal_field,
            pedicle_mask=None if ped is None else ped.mask,
            pedicle_isthmus_lps=None if ped is None else ped.isthmus_lps,
            pedicle_min_width_mm=None if ped is None else ped.min_width_mm,
            body=None if self.anatomy is None else self.anatomy.body,
        )

    @staticmethod
    def zones(
        placements: Sequence[NeedlePlacement], model: ZoneModel, *, first_index: int = 0
    ) -> list[AblationZone]:
        """The zones of every antenna position of every needle (``trajectory_index`` from ``first_index``)."""
        out: list[AblationZone] = []
        for k, p in enumerate(placements):
            out += zones_along_trajectory(
                p.geometry,
                antenna_extension_mm=p.needle.antenna_extension_mm,
                width_mm=model.width_mm,
                length_mm=model.length_mm,
                center_behind_tip_mm=model.center_behind_tip_mm,
                pullback_mm=p.pullback_mm,
                source=model.cited_source,
                unverified=model.unverified,
                trajectory_index=first_index + k,
            )
        return out

    def evaluate(self, placements: Sequence[NeedlePlacement], model: ZoneModel) -> TargetEvaluation:
        """Figures for every needle, their zones (a union) and the coverage of the target."""
        metrics = tuple(self.measure(p) for p in placements)
        zones = self.zones(placements, model)
        cov = self.context.evaluate(zones) if zones else None
        return TargetEvaluation(metrics, tuple(zones), cov)
