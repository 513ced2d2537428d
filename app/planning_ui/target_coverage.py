"""What the Coverage dock and the needle proposals measure a target's lesion against, cached for a drag.

One :class:`TargetCoverage` per :class:`app.planning_ui.controller.PlanningController`: a target's
lesion mask on the planning grid, its coverage context (the lesion plus margin and the structures the
heat is measured against: the canal, the posterior wall and the neural foramina of the target's
vertebra, as the controller finds them), the coverage of the target by its needles' zones, and the
Coverage dock's words on foramina not yet known. Building a context computes distance fields over the
lesion's region, so it is kept while its inputs (the masks' identities, the margin and the warning
distance) stay the same: a drag step then costs only the zone arithmetic (tests/benchmarks/bench_drag.py).
Positions LPS mm; distances mm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imaging.mask import Mask
from planning.coverage import CoverageContext, CoverageResult
from planning.model import LayerKind, Target, TargetKind

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController
    from imaging.vertebra_model import VertebraAnatomy


class TargetCoverage:
    """Coverage contexts and results of a controller's targets (read-only on the case)."""

    def __init__(self, controller: PlanningController) -> None:
        self._controller = controller
        self._contexts: dict[tuple[Any, ...], CoverageContext] = {}
        self._foramina_masks: dict[str, tuple[VertebraAnatomy, Mask | None]] = {}

    def forget_contexts(self) -> None:
        """Drop the cached contexts (another case opened, or a target's foramina may be known now)."""
        self._contexts.clear()

    def lesion_mask(self, target: Target) -> Mask | None:
        """The lesion mask of a target (its ``lesion_layer``), on the planning grid."""
        c = self._controller
        vol = c.volume
        layer = c.case.layers.get(target.lesion_layer) if target.lesion_layer else None
        if vol is None or layer is None or layer.mask.grid_shape != vol.shape or not layer.mask.any():
            return None
        return layer.mask

    def context(self, target: Target) -> CoverageContext | None:
        """The coverage context of a target (lesion + margin, canal / posterior wall / foramina), cached."""
        c = self._controller
        vol = c.volume
        lesion = self.lesion_mask(target)
        if vol is None or lesion is None:
            return None
        structures: dict[str, Mask] = {}
        for name, m in (
            ("canal", c.canal_for_distances(target, target.lesion_seed_lps)),
            ("posterior_wall", c.vertebra_part(LayerKind.POSTERIOR_WALL, target, target.lesion_seed_lps)),
        ):
            if m is not None:
                structures[name] = m
        foramina = self._foramina_union(target.name)
        if foramina is None and target.kind == TargetKind.SPINE:
            # saved with the case by ``osteoplan plan`` ("<target> neural foramina")
            foramina = c.layer_mask(LayerKind.FORAMEN, target, target.lesion_seed_lps)
        if foramina is not None and foramina.grid_shape == vol.shape:
            structures["foramina"] = foramina
        margin = c.case.settings.margin_mm
        warn_mm = c.case.settings.heat_warn_distance_mm
        key = (
            id(lesion.array),
            margin,
            warn_mm,
            *(id(m.array) for m in structures.values()),
            tuple(structures),
        )
        ctx = self._contexts.get(key)
        if ctx is None:
            ctx = CoverageContext(
                lesion, vol.index_to_lps, margin_mm=margin, warn_distance_mm=warn_mm, structures=structures
            )
            self._contexts = {key: ctx}
        return ctx

    def _foramina_union(self, target_name: str) -> Mask | None:
        """The union of the target's segmented foramina, one mask per anatomy (keeps the context cached)."""
        c = self._controller
        anatomy = c.anatomy(target_name)
        if anatomy is None or anatomy.foramina is None:
            return None
        cached = self._foramina_masks.get(target_name)
        if cached is None or cached[0] is not anatomy:
            cached = (anatomy, anatomy.foramina.union())
            self._foramina_masks[target_name] = cached
        return cached[1]

    def foramina_note(self, target: Target) -> str | None:
        """What the Coverage dock says about a spinal target's neural foramina while it cannot measure
        the heat's distance to them: "being found…", or why they are not known; None when they are
        known (or the target has no vertebra: not spinal). A search is started when none has been."""
        c = self._controller
        src = c.anatomy_finder.source(target.name)
        if src is None or target.kind != TargetKind.SPINE:
            return None
        ctx = self.context(target)
        if ctx is not None and "foramina" in ctx.structure_masks:
            return None
        anatomy = c.anatomy(target.name)
        if anatomy is not None:
            if anatomy.foramina is not None and anatomy.foramina.missing_notes():
                return "not found on this scan: " + "; ".join(anatomy.foramina.missing_notes())
            return "not found on this scan"
        failure = c.anatomy_finder.failure(target.name)
        if failure is not None:
            return f"not known: {failure}"
        if c.anatomy_finder.pending(target.name) or c.anatomy_finder.request_if_new(target.name):
            return "being found with the vertebra…"
        return "not known"

    def coverage(self, target: Target) -> CoverageResult | None:
        """Coverage of a target by the zones of its trajectories (None without lesion or zones)."""
        c = self._controller
        zones = c.target_zones(target.name)
        ctx = self.context(target) if zones else None
        return None if ctx is None else ctx.evaluate(zones)
