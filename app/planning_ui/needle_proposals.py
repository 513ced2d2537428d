"""Needle proposals of the Needles dock: transpedicular (left, right, bilateral) or direct, for the target.

Transpedicular proposals come from the target's vertebral anatomy (found first in the background when
it is not known yet) through :func:`planning.proposals.propose_side`; a direct proposal goes from the
crosshair (a skin point) through the lesion centre (:func:`planning.proposals.propose_direct`). The
needles are added with the selected needle's gauge, length, antenna extension and ablation; the needles
of one proposal are one undo step. Positions LPS mm, sizes mm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from planning.commands import AddTrajectory
from planning.errors import PlanningError
from planning.model import NEEDLE_OUTER_DIAMETER_MM, Approach, LayerKind, Trajectory, as_point

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

#: ``Trajectory.extra`` key set False on a route proposed without a traced pedicle (the plan runner's
#: saved cases use the same key): the panel keeps warning about it while the needle exists
PEDICLE_TRACED_KEY = "pedicle_traced"
#: ``Trajectory.extra`` key holding what the proposal said about the needle when it was proposed (how
#: it was placed: drawn back to keep the antenna in the body, moved off the canal...); the Readouts box
#: shows it under "When proposed" while the needle exists
PROPOSAL_NOTE_KEY = "proposal_note"


class NeedleProposer:
    """Adds proposed needles for the controller's selected target and reports in the status bar."""

    def __init__(self, controller: PlanningController) -> None:
        self.controller = controller

    def propose(self, kind: str) -> None:
        """Propose needles for the selected target: ``left``, ``right``, ``bilateral`` or ``direct``."""
        c = self.controller
        target = c.target()
        status = c.window.statusBar()
        if target is None or c.volume is None:
            status.showMessage("Propose: segment a lesion first (a target is needed)", 8000)
            return
        if kind == "direct":
            self._propose_direct(target)
            return
        if target.vertebra_lps is None:
            status.showMessage(f"{target.name} has no vertebra: use Direct or place the needle by hand", 8000)
            return
        if c.anatomy(target.name) is None:
            c.request_anatomy(target.name, lambda value: self._after_anatomy(kind, target.name, value))
            return
        self._propose_spine(kind, target.name)

    def _after_anatomy(self, kind: str, target: str, value: object) -> None:
        if not isinstance(value, BaseException):
            self._propose_spine(kind, target)

    def _propose_spine(self, kind: str, target: str) -> None:
        """Transpedicular proposals on the asked sides, as ``planning.proposals.propose_side`` makes
        them: a side whose pedicle the anatomy did not trace gets the route built from the body and
        canal (``propose_untraced_side``, ``extra["pedicle_traced"]`` False on the trajectory); a narrow
        pedicle adds its alternative route. All the needles added form one undo step."""
        from planning.proposals import propose_side

        c = self.controller
        anatomy = c.anatomy(target)
        vol = c.volume
        target_obj = c.case.targets.get(target)
        if anatomy is None or vol is None or target_obj is None:
            return
        # propose against the canal and body the needle's readouts are measured against (the case's
        # layers, which the operator may have edited), not a second copy found from another click
        canal = c.layer_mask(LayerKind.CANAL, target_obj, target_obj.vertebra_lps)
        body = c.body_mask(target_obj)
        anatomy = replace(
            anatomy,
            canal=canal if canal is not None else anatomy.canal,
            body=body if body is not None else anatomy.body,
        )
        template = c.trajectory()
        gauge = template.needle_gauge if template is not None else 13
        ext = template.antenna_extension_mm if template is not None else 15.0
        sides = ["left", "right"] if kind == "bilateral" else [kind]
        proposals = []
        failures = []
        for side in sides:
            try:
                proposals.append(
                    propose_side(
                        vol,
                        anatomy,
                        side,
                        outer_diameter_mm=NEEDLE_OUTER_DIAMETER_MM[gauge],
                        antenna_extension_mm=ext,
                    )
                )
            except (PlanningError, ValueError, KeyError) as exc:
                failures.append(f"No {side} proposal: {exc}")
        notes = list(failures)
        stack = c.window.case.undo_stack
        stack.beginMacro(f"Propose {kind}")
        try:
            for p in proposals:
                extra: dict[str, bool | str] = {} if p.pedicle_traced else {PEDICLE_TRACED_KEY: False}
                if p.warnings:  # kept with the needle: the status bar shows them for seconds only
                    extra[PROPOSAL_NOTE_KEY] = "; ".join(p.warnings)
                name = self._add_proposal(
                    target, p.approach, p.geometry.entry_lps, p.geometry.target_lps, template, extra
                )
                if not p.pedicle_traced:
                    notes.append(f"{name}: {p.approach.value} proposed, its pedicle not traced")
                if p.narrow and p.alternative is not None:
                    notes.append(
                        f"{name}: narrow pedicle ({p.pedicle_min_width_mm:.1f} mm); "
                        f"alternative {p.alternative.approach.value} proposed too"
                    )
                    self._add_proposal(
                        target,
                        p.alternative.approach,
                        p.alternative.geometry.entry_lps,
                        p.alternative.geometry.target_lps,
                        template,
                    )
                notes += [f"{name}: {w}" for w in p.warnings]
        finally:
            stack.endMacro()
        if notes:
            c.window.statusBar().showMessage("; ".join(notes), 12000)

    def _propose_direct(self, target: Any) -> None:
        from planning.proposals import propose_direct

        c = self.controller
        lesion = c.lesion_mask(target)
        if lesion is None or c.volume is None:
            c.window.statusBar().showMessage(f"{target.name} has no lesion mask on this image", 8000)
            return
        skin = c.window.state.crosshair_lps
        try:
            p = propose_direct(c.volume, lesion, as_point(skin))
        except (PlanningError, ValueError) as exc:
            c.window.statusBar().showMessage(f"No direct proposal: {exc}", 8000)
            return
        self._add_proposal(
            target.name, Approach.DIRECT, p.geometry.entry_lps, p.geometry.target_lps, c.trajectory()
        )

    def _add_proposal(  # noqa: PLR0917 - the proposal's parts, as the callers have them
        self,
        target: str,
        approach: Approach,
        entry: Any,
        tip: Any,
        template: Trajectory | None,
        extra: dict[str, bool | str] | None = None,
    ) -> str:
        c = self.controller
        name = c.new_trajectory_name(target)
        traj = Trajectory(name, target, approach, entry, tip, extra=extra or {})
        if template is not None:
            traj = replace(
                traj,
                needle_gauge=template.needle_gauge,
                needle_length_mm=template.needle_length_mm,
                antenna_extension_mm=template.antenna_extension_mm,
                ablation=template.ablation,
            )
        c.push(AddTrajectory(traj))
        c.select(name)
        return name
