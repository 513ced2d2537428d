"""Needle proposals of the Needles dock: transpedicular (left, right, bilateral) or direct, for the target.

Transpedicular proposals come from the target's vertebral anatomy (found first in the background when
it is not known yet) through :func:`planning.proposals.propose_side`, with the case's pedicle safety
margin (``pedicle_safety_margin_mm``, the Needles dock's "Pedicle: needle +" setting); a direct
proposal enters on the skin in line with the crosshair, or along the route the program chooses when the
crosshair lies in or near the lesion (or its route crosses gas), leaving the needle tip at least the case's
``min_needle_depth_mm`` under the skin (the Needles dock's "Direct route: tip ≥" setting), its zone
centred on the lesion (:func:`planning.proposals.propose_direct`). The needles are added with the
selected needle's gauge, length, antenna extension and ablation; the needles of one proposal are one
undo step. Positions LPS mm, sizes mm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from planning.commands import AddTrajectory
from planning.errors import PlanningError
from planning.model import NEEDLE_OUTER_DIAMETER_MM, Approach, LayerKind, Trajectory, as_point
from planning.needles import DEFAULT_ANTENNA_EXTENSION_MM, DEFAULT_GAUGE
from planning.proposal_base import AIR_WARNING

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

#: ``Trajectory.extra`` key set False on a route proposed without a traced pedicle (the plan runner's
#: saved cases use the same key): the panel keeps warning about it while the needle exists
PEDICLE_TRACED_KEY = "pedicle_traced"
#: ``Trajectory.extra`` key holding what the proposal said about the needle when it was proposed (how
#: it was placed: drawn back to keep the antenna in the body, moved off the canal...); the Readouts box
#: shows it under "When proposed" while the needle exists
PROPOSAL_NOTE_KEY = "proposal_note"

#: how long a proposal's message stays at most (ms); it goes before when the operator moves on to the next
#: step (:meth:`app.status_bar.StatusBar.end_step`). Long enough to read its notes, whole in the tooltip.
PROPOSAL_MESSAGE_MS = 30_000


def proposal_message(kind: str, added: list[str], failures: list[str], notes: list[str]) -> str:
    """What a transpedicular proposal says in the status bar: what was added first (a line that fits the
    bar), then the sides that got no needle (said nowhere else), then each needle's notes (kept in the
    Needles dock, under "When proposed", while the needle exists). "" when there is nothing to say."""
    head = (
        f"{kind.capitalize()} proposal: {' and '.join(added)} added"
        + (" (its notes are kept in the Needles dock)" if notes else "")
        if added
        else ""
    )
    return ". ".join(part for part in (head, "; ".join(failures), "; ".join(notes)) if part)


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
        # propose against the canal and body the needle's readouts are measured against (the layers of
        # the target's vertebra, which the operator may have edited), not a second copy found elsewhere
        canal = c.vertebra_part(LayerKind.CANAL, target_obj, target_obj.vertebra_lps)
        body = c.body_mask(target_obj)
        # the canal through the body's whole height with it, as the readouts measure (safety_canal)
        measured = c.canal_for_distances(target_obj, target_obj.vertebra_lps)
        anatomy = replace(
            anatomy,
            canal=canal if canal is not None else anatomy.canal,
            canal_tube=measured if measured is not None else anatomy.canal_tube,
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
                        safety_margin_mm=c.case.settings.pedicle_safety_margin_mm,
                        antenna_extension_mm=ext,
                    )
                )
            except (PlanningError, ValueError, KeyError) as exc:
                failures.append(f"No {side} proposal: {exc}")
        notes: list[str] = []
        added: list[str] = []
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
                added.append(name)
                if not p.pedicle_traced:
                    notes.append(f"{name}: {p.approach.value} proposed, its pedicle not traced")
                if p.narrow and p.alternative is not None:
                    notes.append(
                        f"{name}: narrow pedicle ({p.pedicle_min_width_mm:.1f} mm); "
                        f"alternative {p.alternative.approach.value} proposed too"
                    )
                    added.append(
                        self._add_proposal(
                            target,
                            p.alternative.approach,
                            p.alternative.geometry.entry_lps,
                            p.alternative.geometry.target_lps,
                            template,
                        )
                    )
                notes += [f"{name}: {w}" for w in p.warnings]
        finally:
            stack.endMacro()
        said = proposal_message(kind, added, failures, notes)
        if said:
            c.window.statusBar().show_step_message(said, PROPOSAL_MESSAGE_MS)

    def _propose_direct(self, target: Any) -> None:
        """A direct needle for the target. The crosshair away from the lesion marks the way in: the entry
        is the skin on the line from the lesion's centre through it
        (:func:`planning.direct_entry.entry_from_marked_point`); in or near the lesion it marks nothing
        and the program chooses the route, as ``osteoplan plan`` does
        (:func:`planning.direct_route.choose_direct_skin_point`, with the case's
        ``min_needle_depth_mm`` setting, as the plan command with its spec's key), as it also does when the
        crosshair's route crosses gas (lung, bowel) and a clear route exists. The selected needle's device
        zone is centred on the lesion with the antenna tip kept in the bone. The status bar says what was
        chosen: how, the needle's length, what the route crosses, and the proposal's warnings."""
        from planning.direct_entry import describe_crossings, entry_from_marked_point, route_crossings
        from planning.direct_route import choose_direct_skin_point
        from planning.proposals import Proposal, propose_direct

        c = self.controller
        status = c.window.statusBar()
        lesion = c.lesion_mask(target)
        vol = c.volume
        if lesion is None or vol is None or not lesion.any():
            status.showMessage(
                f"No direct needle: {target.name} has no lesion on this image; segment it first", 8000
            )
            return
        template = c.trajectory()
        gauge = template.needle_gauge if template is not None else DEFAULT_GAUGE
        od = NEEDLE_OUTER_DIAMETER_MM[gauge]
        ext = template.antenna_extension_mm if template is not None else DEFAULT_ANTENNA_EXTENSION_MM
        zone = c.zone_model(template) if template is not None else None
        marked = entry_from_marked_point(vol, lesion, as_point(c.window.state.crosshair_lps))
        proposal: Proposal | None = None
        through_gas: Proposal | None = None
        how = ""
        if marked is not None:
            try:
                proposal = propose_direct(
                    vol, lesion, marked.entry_lps, outer_diameter_mm=od, antenna_extension_mm=ext, zone=zone
                )
            except (PlanningError, ValueError):
                how = "the line from the crosshair to the lesion's centre misses the lesion, so "
            else:
                how = (
                    "entry on the skin in line with the crosshair"
                    if marked.on_skin
                    else "entry at the crosshair (the image ends before the skin in that direction)"
                )
                gas_mm = route_crossings(vol, lesion, proposal.geometry)[0]
                if gas_mm > 0:
                    how = (
                        f"the route through the crosshair crosses {gas_mm:.0f} mm of gas or air "
                        "(lung or bowel), so "
                    )
                    through_gas, proposal = proposal, None
        if proposal is None:
            try:
                skin, _ = choose_direct_skin_point(
                    vol,
                    lesion,
                    outer_diameter_mm=od,
                    antenna_extension_mm=ext,
                    zone=zone,
                    min_needle_depth_mm=c.case.settings.min_needle_depth_mm,
                )
                proposal = propose_direct(
                    vol, lesion, skin, outer_diameter_mm=od, antenna_extension_mm=ext, zone=zone
                )
                how += (
                    "route chosen by the program: the straight way in from the skin whose needle is most "
                    "usable (antenna tip in the bone, needle tip at least "
                    f"{c.case.settings.min_needle_depth_mm:g} mm deep so the tissue holds it), then the "
                    "shortest"
                )
            except (PlanningError, ValueError):
                if through_gas is None:
                    status.showMessage(
                        f"No direct needle for {target.name}: {how}{_no_route_reason(vol, lesion)}"
                    )
                    return
                proposal = through_gas
                how += "no clear route was found either: the route through the crosshair is kept"
        gas_mm, bone_mm = route_crossings(vol, lesion, proposal.geometry)
        # the gas crossed is said once, in the route's description
        warnings = [w for w in proposal.warnings if not w.endswith(AIR_WARNING.split("}")[-1])]
        length_mm = proposal.geometry.length_mm
        crosses = describe_crossings(gas_mm, bone_mm)
        said = f"{how}; {length_mm:.0f} mm from the entry to the needle tip; it {crosses}"
        extra: dict[str, bool | str] = {PROPOSAL_NOTE_KEY: "; ".join([said, *warnings])}
        name = self._add_proposal(
            target.name,
            Approach.DIRECT,
            proposal.geometry.entry_lps,
            proposal.geometry.target_lps,
            template,
            extra,
        )
        status.show_step_message("; ".join([f"{name} added: {said}", *warnings]), PROPOSAL_MESSAGE_MS)

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


#: directions around the lesion looked along for the skin when no route is found: the 26 neighbours'
#: directions (axes, face and space diagonals), enough to tell a scan cropped inside the body on every
#: side from one whose skin is there but hidden behind gas or bone
_SKIN_LOOK_DIRECTIONS = [
    (i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1) if (i, j, k) != (0, 0, 0)
]


def _no_route_reason(volume: Any, lesion: Any) -> str:
    """Why the program found no straight way in, in the operator's words, with what to do: the scan
    shows no skin around the lesion (its field of view is cropped inside the body), or every way in
    crosses gas or other bone. Shown until the operator's next message (no timeout: a refusal)."""
    import numpy as np

    from planning.direct_route import MAX_ENTRY_DEPTH_MM
    from planning.skin_crossing import find_skin_along_line

    centre = volume.index_to_lps_points(lesion.voxel_indices().astype(np.float64)).mean(axis=0)
    seen = any(
        find_skin_along_line(volume, centre, d, max_distance_mm=MAX_ENTRY_DEPTH_MM + 50.0).found
        for d in _SKIN_LOOK_DIRECTIONS
    )
    if not seen:
        return (
            "the scan shows no skin around this lesion (the field of view is cropped inside the body), so "
            "the program cannot choose a way in. Place the needle by hand with the Needle tool (N), or put "
            "the crosshair where the needle should enter and propose again."
        )
    return (
        f"no straight way in from the skin within {MAX_ENTRY_DEPTH_MM / 10.0:.0f} cm reaches the lesion "
        "without crossing gas or other bone. Put the crosshair on the skin where the needle should enter, "
        "then propose again, or place the needle by hand with the Needle tool (N)."
    )
