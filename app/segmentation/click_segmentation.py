"""Lesion and vertebra segmentation from a click: run in a background job, the result added to the case.

:func:`segment_lesion_at` runs :func:`imaging.lesion.segment_lesion` at a seed (limited to the lesion
tool's box, with the Lesions dock's settings and the posterior wall of the vertebra holding the seed)
and adds a lesion layer and its Target ("Lesion n", tied to that vertebra); a click inside a lesion of the
case (or a result that is mostly one: :func:`existing_lesion_for`) asks whether to replace that lesion
(its mask, type and figures, one undo step), add the new one beside it, or discard it, so a re-click
after changing a setting does not silently make a duplicate counted twice. :func:`find_vertebra_at`
runs :func:`imaging.vertebra.find_vertebra` (and judges ribs and sacrum for the level suggestion in the
worker) and adds the vertebra's layers, tying to it the lesions found before it whose seed its body
holds (:func:`app.segmentation.vertebra_tool.tie_lesions`); a click on a vertebra the case holds already
selects it instead, and a body sharing part of one asks (:mod:`app.segmentation.vertebra_duplicates`),
so one bone is never counted as two levels. :func:`add_drawn_lesion` adds an empty
lesion at the crosshair for the operator to paint when a click does not find it. Each result is one
undo step on the window's stack; the operator reads a one-line summary in the status bar. Positions
LPS mm, sizes mm, volumes mL, CT values HU; masks lie on the grid of the volume the case was opened on.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from app import dialogs
from app.segmentation import vertebra_duplicates
from app.segmentation.lesion_tool import (
    LESION_COLOURS,
    lesion_layer_and_target,
    mask_centroid_lps,
    push_new_lesion,
)
from app.segmentation.lesion_warnings import say_result
from app.segmentation.vertebra_levels import relabel_plan
from app.segmentation.vertebra_tool import (
    VertebraEntry,
    anatomy_layers,
    finding_key,
    judge_masks,
    mask_holds,
    next_vertebra_id,
    push_anatomy,
    tie_lesions,
)
from imaging.lesion_box import seed_in_box
from imaging.mask import Mask, overlap_count
from imaging.volume import Volume
from planning.case import Case
from planning.commands import EditMask, UpdateTarget
from planning.lesion_extra import BASIS_KEYS, VOXELS_KEY, WARNINGS_KEY
from planning.model import LayerKind, MaskLayer, Target, TargetKind
from planning.vertebra_figures import (
    anatomy_warnings,
    intact_words,
    vertebra_figures,
    width_uncertainty_said,
)

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

FloatArray = npt.NDArray[np.float64]


def segment_lesion_at(
    controller: SegmentationController,
    seed_lps: FloatArray,
    box_lps: tuple[FloatArray, FloatArray] | None,
) -> None:
    """Segment the lesion at an LPS point in the background; add it to the case when found.

    Parameters
    ----------
    controller
        The window's segmentation controller (volume, jobs, lesion settings, lesion tool, panels).
    seed_lps
        The clicked point, LPS mm.
    box_lps
        Two opposite corners (LPS mm) of the box the lesion is limited to, or None for no box.
    """
    volume = controller.volume()
    if volume is None:
        controller.jobs.say("Open a CT first.")
        return
    if box_lps is not None and not seed_in_box(seed_lps, box_lps):
        # said here, with what became of the box (QA s31 C: segmentation refused "seed ... lies outside the
        # box given to limit the lesion" and the box was cleared without a word)
        controller.lesion_tool.clear_box()
        controller.jobs.say(
            "Lesion segmentation: the click lies outside the box drawn, so the box is cleared. Click the "
            "lesion again to segment it without a box, or first draw the box around it (Shift+drag)."
        )
        return
    vertebra = controller.vertebra_at(seed_lps)
    wall = None
    if vertebra is not None and "posterior_wall" in vertebra.layers:
        wall = controller.window.case.case.layers[vertebra.layers["posterior_wall"]].mask
    from imaging.lesion import segment_lesion
    from imaging.lesion_errors import NoLesionAtSeedError

    seed = tuple(float(v) for v in seed_lps)
    box = None if box_lps is None else (tuple(box_lps[0]), tuple(box_lps[1]))
    settings = controller.lesion_settings

    def job(progress: Callable[[float], None], cancel: threading.Event) -> Any:
        try:
            return segment_lesion(
                volume,
                seed,
                box_lps=box,
                reference_bone_hu=settings.reference_bone_hu,
                parameters=settings.parameters,
                posterior_wall=wall,
                progress=progress,
                cancel=cancel,
            )
        except NoLesionAtSeedError as exc:
            if not exc.at_bone:
                raise
            # a seed in bone refused as like normal bone: say what the operator can do about it
            raise NoLesionAtSeedError(
                f"{exc}. {refusal_hint(reference_given=settings.reference_bone_hu is not None)}",
                seed_hu=exc.seed_hu,
                reference_bone_hu=exc.reference_bone_hu,
                at_bone=True,
            ) from exc

    def done(lesion: Any) -> None:
        _add_lesion(controller, lesion, vertebra)

    if controller.jobs.run("Lesion segmentation", job, done):
        controller.lesion_tool.clear_box()


#: where to click again when a click in bone was refused as normal bone (QA s31 C: the hint said only to
#: draw the lesion or give the bone's HU, not where a click has the best chance)
CLICK_WHERE = (
    "click where it looks least like the bone around it (its darkest or densest part, off the cortex)"
)


def refusal_hint(*, reference_given: bool) -> str:
    """What the operator can do when a click in bone finds no lesion (shown after the reason): where to
    click again, or draw it, or (without one given) give the bone's normal HU."""
    if reference_given:
        return f"If there is a lesion, {CLICK_WHERE}, or draw it: Segment > Draw a lesion (Shift+L)"
    return (
        f"If there is a lesion, {CLICK_WHERE}, draw it (Segment > Draw a lesion, Shift+L), or give this "
        "bone's normal HU under Lesion settings in the Lesions dock and click again"
    )


#: what else the window offers when a vertebra click reading soft tissue finds no body (after the search's
#: own step, a click in a part of the body still bone): the lesion segmented or drawn and given its level,
#: which makes it a spinal target without a vertebra found (SINS, the vertebral cement series: 1d84348)
DESTROYED_BODY_HINT = (
    "If the body cannot be found: segment the lesion (Lesion tool, L) or draw it (Segment > Draw a lesion, "
    "Shift+L), then type its level in its Level cell in the Lesions dock (the vertebrae above and below, "
    "found with the Vertebra tool (V) and named in the Vertebrae dock, tell which level it is)"
)


def find_vertebra_at(controller: SegmentationController, click_lps: FloatArray) -> None:
    """Find the vertebra at an LPS point in the background; add its layers when found.

    Parameters
    ----------
    controller
        The window's segmentation controller (volume, jobs, panels).
    click_lps
        The clicked point in the vertebral body, LPS mm.
    """
    volume = controller.volume()
    if volume is None:
        controller.jobs.say("Open a CT first.")
        return
    known = controller.vertebra_at(click_lps)
    if known is not None:  # found already: select it, never add it again nor count it as another level
        vertebra_duplicates.select_known(controller, known, "is found already (your click is in its body)")
        return
    from imaging.vertebra import find_vertebra

    click = tuple(float(v) for v in click_lps)

    from imaging.vertebra_errors import VertebraNotFoundError

    def job(progress: Callable[[float], None], cancel: threading.Event) -> Any:
        try:
            anatomy = find_vertebra(volume, click, progress=progress, cancel=cancel)
        except VertebraNotFoundError as exc:
            if not exc.destroyed_body_possible:
                raise
            # a point reading soft tissue that bone surrounds, perhaps in a body a lesion destroyed: what
            # else the window offers
            raise type(exc)(
                f"{exc.reason}. {DESTROYED_BODY_HINT}", exc.click_lps, destroyed_body_possible=True
            ) from exc
        # ribs and sacrum for the level suggestion, here rather than on the GUI thread
        centroid = mask_centroid_lps(anatomy.body, volume.index_to_lps)
        findings = None
        if centroid is not None:
            pedicles = [p.mask for p in anatomy.pedicles.values() if p.mask is not None]
            findings = (centroid, judge_masks(volume, centroid, anatomy.canal, pedicles))
        return anatomy, findings

    controller.jobs.run("Vertebral anatomy", job, lambda result: _add_vertebra(controller, *result))


def _series_uid(controller: SegmentationController) -> str:
    volume = controller.volume()
    return "" if volume is None else str(volume.metadata.series_uid or "")


def add_drawn_lesion(controller: SegmentationController) -> str | None:
    """Add an empty lesion for the operator to paint, tied to the vertebra at the crosshair (if any).

    Its layer becomes the edit layer and the brush the tool; it has no type, reference or figures until
    painted: :mod:`app.segmentation.lesion_figures` measures them from the mask (reference bone in the
    shell around it, type judged on it). One undo step. Returns the lesion's name (None: no CT open).
    """
    volume = controller.volume()
    if volume is None:
        controller.jobs.say("Open a CT first.")
        return None
    crosshair = np.asarray(controller.window.state.crosshair_lps, dtype=np.float64)
    vertebra = controller.vertebra_at(crosshair)
    name, colour = _new_lesion_name(controller)
    layer = MaskLayer(name, LayerKind.LESION, Mask.empty(volume.shape), colour, _series_uid(controller))
    extra: dict[str, Any] = {"drawn": True}
    vert_lps = None
    if vertebra is not None:
        extra["vertebra"] = vertebra.vertebra_id
        if vertebra.centroid_lps is not None:
            vert_lps = tuple(float(v) for v in vertebra.centroid_lps)
    target = Target(
        name,
        kind=TargetKind.SPINE if vertebra is not None else TargetKind.EXTRASPINAL,
        level=vertebra.level if vertebra is not None else "",
        vertebra_lps=vert_lps,  # type: ignore[arg-type]
        lesion_layer=name,
        extra=extra,
    )
    push_new_lesion(controller, layer, target)
    controller.set_edit_layer(name)
    controller.activate(controller.brush_tool)
    controller.lesion_panel.raise_()  # its row, figures and type in front, as for a clicked lesion
    controller.lesion_panel.refresh()
    controller.lesion_panel.select(name)
    where = f" in vertebra {vertebra.prefix}" if vertebra is not None else ""
    controller.jobs.say(
        f"{name}{where}: paint it with the brush (B, eraser E); its type and figures are measured from "
        "what you paint, against the bone around it"
    )
    return name


def _new_lesion_name(controller: SegmentationController) -> tuple[str, tuple[int, int, int]]:
    """The next free "Lesion n" name and its colour."""
    case = controller.window.case.case
    n = 1 + sum(1 for layer in case.layers.values() if layer.kind == LayerKind.LESION)
    name = f"Lesion {n}"
    while name in case.layers or name in case.targets:
        n += 1
        name = f"Lesion {n}"
    return name, LESION_COLOURS[(n - 1) % len(LESION_COLOURS)]


def _add_lesion(controller: SegmentationController, lesion: Any, vertebra: Any) -> None:
    volume = controller.volume()
    if volume is None:
        return
    existing = existing_lesion_for(controller.window.case.case, volume, lesion.mask, lesion.seed_lps)
    if existing is not None:
        choice = _ask_replace(controller, existing, lesion)
        if choice is None:
            controller.jobs.say(f"{existing.name} kept as it was; the new segmentation was not added.")
            return
        if choice == REPLACE:
            _replace_lesion(controller, existing.name, lesion)
            return
    name, colour = _new_lesion_name(controller)
    level = vertebra.level if vertebra is not None else ""
    vert_lps = None
    if vertebra is not None and vertebra.centroid_lps is not None:
        vert_lps = tuple(float(v) for v in vertebra.centroid_lps)
    layer, target = lesion_layer_and_target(
        lesion,
        name=name,
        colour_rgb=colour,
        series_uid=_series_uid(controller),
        level=level,
        vertebra_lps=vert_lps,  # type: ignore[arg-type]
    )
    if vertebra is not None:
        target = dataclasses.replace(target, extra={**target.extra, "vertebra": vertebra.vertebra_id})
    push_new_lesion(controller, layer, target)
    controller.lesion_figures.put(volume, controller.window.case.case, target, lesion)
    controller.set_edit_layer(name)
    controller.lesion_panel.raise_()
    controller.lesion_panel.refresh()
    controller.lesion_panel.select(name)  # the crosshair goes to its centre
    say_result(controller, name, lesion, target)


@dataclass(frozen=True)
class ExistingLesion:
    """A lesion of the case that a new segmentation would duplicate: its name, mL, and the mL shared."""

    name: str
    volume_ml: float
    shared_ml: float
    seed_inside: bool


#: the answers to "replace the lesion clicked?" (Cancel is the third)
REPLACE, ADD_NEW = "Replace", "Add as new"
#: a new mask sharing at least this fraction of its own voxels, or of the other lesion's, with a lesion
#: whose mask does not hold the click is the same lesion segmented again (from a point just beside it):
#: half, so that two neighbouring lesions touching at their borders are not taken for one
SAME_LESION_FRACTION = 0.5


def existing_lesion_for(case: Case, volume: Volume, mask: Mask, seed_lps: Any) -> ExistingLesion | None:
    """The lesion of the case a new segmentation duplicates, or None.

    The lesion whose mask holds the seed; else the one sharing the most voxels with ``mask`` when the
    shared part is at least :data:`SAME_LESION_FRACTION` of either mask.
    """
    best: ExistingLesion | None = None
    new_n = mask.count()
    for target in case.targets.values():
        layer = case.layers.get(target.lesion_layer) if target.lesion_layer else None
        if layer is None or layer.mask.grid_shape != volume.shape or not layer.mask.any():
            continue
        shared = overlap_count(layer.mask, mask)
        old_n = layer.mask.count()
        inside = mask_holds(layer.mask, volume, seed_lps)
        same = shared >= SAME_LESION_FRACTION * min(old_n, max(new_n, 1))
        if not (inside or same):
            continue
        found = ExistingLesion(
            target.name, old_n * volume.voxel_volume_ml, shared * volume.voxel_volume_ml, inside
        )
        if best is None or (found.seed_inside, found.shared_ml) > (best.seed_inside, best.shared_ml):
            best = found
    return best


def _ask_replace(controller: SegmentationController, existing: ExistingLesion, lesion: Any) -> str | None:
    where = "inside" if existing.seed_inside else "beside"
    text = (
        f"You clicked {where} {existing.name} ({existing.volume_ml:.2f} mL). Replace {existing.name} with "
        f"the new segmentation ({lesion.type.value}, {lesion.volume_ml:.2f} mL, "
        f"{lesion.max_diameter_mm:.1f} mm across)?\n\n"
        f"Add as new keeps both as separate lesions: they would share {existing.shared_ml:.2f} mL, counted "
        "twice in totals and coverage. Cancel discards the new segmentation."
    )
    return dialogs.ask_choice(controller.window, "Lesion already segmented", text, (REPLACE, ADD_NEW))


def _replace_lesion(controller: SegmentationController, name: str, lesion: Any) -> None:
    """Give lesion ``name`` the new segmentation's mask, type and figures (one undo step).

    Its name, colour, level, vertebra and needles stay; warnings and the measured type are the new ones.
    """
    volume = controller.volume()
    case_ctl = controller.window.case
    old = case_ctl.case.targets[name]
    layer = case_ctl.case.layers[old.lesion_layer]
    _new_layer, fresh = lesion_layer_and_target(
        lesion, name=name, colour_rgb=layer.color_rgb, series_uid=layer.source_series_uid
    )
    stale = (WARNINGS_KEY, VOXELS_KEY, "drawn", "measured_type", *BASIS_KEYS)
    extra = {**{k: v for k, v in old.extra.items() if k not in stale}, **fresh.extra}
    target = dataclasses.replace(
        old,
        lesion_seed_lps=fresh.lesion_seed_lps,
        lesion_type=fresh.lesion_type,
        measures=fresh.measures,
        extra=extra,
    )
    edit = EditMask(layer.name, lesion.mask)
    edit.text = f"Replace the mask of {layer.name}"
    case_ctl.undo_stack.beginMacro(f"Replace lesion {name}")
    try:
        case_ctl.push(edit)
        case_ctl.push(UpdateTarget(name, target))
    finally:
        case_ctl.undo_stack.endMacro()
    if volume is not None:
        controller.lesion_figures.put(volume, case_ctl.case, case_ctl.case.targets[name], lesion)
    controller.set_edit_layer(layer.name)
    controller.lesion_panel.raise_()
    controller.lesion_panel.refresh()
    controller.lesion_panel.select(name)
    say_result(controller, name, lesion, case_ctl.case.targets[name], " replaced")


def _add_vertebra(controller: SegmentationController, anatomy: Any, findings: Any = None) -> None:
    controller.vertebra_panel.raise_()
    case = controller.window.case.case
    volume = controller.volume()
    if volume is not None:
        # the body's volume as its layer holds it: the search counts it on its 1 mm region, whose mask
        # resampled to the CT's grid differs by a few per cent (abdomen L3: 41.5 vs 42.4 mL)
        anatomy = dataclasses.replace(anatomy, body_volume_ml=anatomy.body.count() * volume.voxel_volume_ml)
        known = vertebra_duplicates.overlapping_vertebra(case, volume, anatomy.body)
        if known is not None and known.same:
            why = f"is found already (the body found is its body, overlap Dice {known.dice:.2f})"
            vertebra_duplicates.select_known(controller, known.entry, why)
            return
        if known is not None:
            choice = vertebra_duplicates.ask_overlap(controller, known, anatomy)
            if choice is None:
                controller.jobs.say(
                    f"Vertebra {known.entry.prefix} kept as it was; the new result was not added."
                )
                return
            if choice == vertebra_duplicates.REPLACE:
                _cache_findings(controller, known.entry.vertebra_id, findings)
                vertebra_duplicates.replace_vertebra(controller, known, anatomy)
                return
    vid = next_vertebra_id(case)
    _cache_findings(controller, vid, findings)
    # labelled by counting when no gap lies between it and a named vertebra (it may join a group of
    # unnamed ones to it: they are relabelled in the same undo step)
    level, relabel = anatomy.level or "", []
    if volume is not None:
        centroid = mask_centroid_lps(anatomy.body, volume.index_to_lps)
        new = VertebraEntry(vid, level, {}, centroid, anatomy.body_height_mm, bool(level))
        counted, relabel = relabel_plan(case, volume.index_to_lps, new)
        level = level or counted
    prefix = level or vid.upper()
    case_ctl = controller.window.case
    case_ctl.undo_stack.beginMacro(f"Add vertebra {prefix}")  # the relabelling and the vertebra: one step
    try:
        for command in relabel:  # first, so that the levels they leave are free for the new vertebra
            case_ctl.push(command)
        layers = anatomy_layers(
            anatomy,
            vertebra_id=vid,
            level=level,
            series_uid=_series_uid(controller),
            taken=set(case_ctl.case.layers),
            named=bool(anatomy.level),
        )
        ties = [] if volume is None else tie_lesions(case_ctl.case, anatomy.body, volume, vid, level)
        push_anatomy(controller, layers, f"Add vertebra {prefix}", ties)
    finally:
        case_ctl.undo_stack.endMacro()
    controller.vertebra_panel.refresh()
    # ready for its level to be typed; the crosshair stays where the operator clicked (on the lesion's
    # slice, say) rather than jumping to the body's centroid
    controller.vertebra_panel.select(vid, go_to=False)
    # the widths as kept with the body layer, which the dock, the bars drawn on the views and the needle's
    # readouts say: from the search's own figure the status bar said 7.1 mm where they said 7.2 (QA s29 F)
    widths = ", ".join(
        f"{side} {p['min_width_mm']:.1f} mm"
        + (
            ""
            if p["min_width_uncertainty_mm"] is None
            else f" ±{width_uncertainty_said(p['min_width_uncertainty_mm']):.1f}"
        )
        for side, p in vertebra_figures(anatomy)["pedicles"].items()
        if p["traced"]
    )
    wall = (
        "with defects"
        if anatomy.posterior_wall_defects
        else intact_words(anatomy.posterior_wall_smallest_gap_mm)
        if anatomy.posterior_wall_intact
        else "not assessed"
    )
    tied = ", ".join(command.name for command in ties)
    # a body cut by the scan's edge, metal near it: said first, in amber
    warnings = anatomy_warnings(anatomy)
    controller.jobs.say(
        "".join(f"Warning: {w}. " for w in warnings)
        + f"Vertebra {prefix}: body {anatomy.body_volume_ml:.1f} mL, posterior wall {wall}"
        + (f", pedicles {widths}" if widths else "")
        + (f"; holds {tied}, now tied to it" if tied else "")
        + (
            f". Level {level} by counting from the named one (check it in the Vertebrae panel)."
            if level and not anatomy.level
            else ". Name its level in the Vertebrae panel."
        ),
        warning=bool(warnings),
    )


def _cache_findings(controller: SegmentationController, vertebra_id: str, findings: Any) -> None:
    """Keep the ribs and sacrum judged in the worker, so the dock's refresh finds them cached."""
    if findings is not None:
        centroid, judged = findings
        controller.vertebra_panel.findings[finding_key(vertebra_id, centroid)] = judged
