"""A Vertebra click on a vertebra the case already holds: it is selected, never added or counted twice.

Two ways a click finds a vertebra that is already there:

- the click's voxel lies in a body layer of the case (:func:`SegmentationController.vertebra_at`): that
  vertebra is selected in the Vertebrae dock and nothing is searched (:func:`select_known`);
- the body found overlaps a body layer of the case (:func:`overlapping_vertebra`, Dice of the two body
  masks): at :data:`SAME_VERTEBRA_DICE` or more it is the same vertebra found from another point (a click
  just outside a body layer the operator trimmed, or in its cortex): selected, nothing added; below that
  but sharing at least :data:`PARTIAL_SHARE_FRACTION` of the smaller body (two bodies run together, or
  one found differently) the operator chooses (:func:`ask_overlap`): Replace that vertebra's layers with
  the new ones (its id, level and tied lesions stay), Add as another vertebra (counted as another level),
  or Cancel.

Masks are on the grid of the volume the case was opened on; volumes in mL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app import dialogs
from app.segmentation.vertebra_tool import VertebraEntry, vertebrae_of
from imaging.mask import overlap_count

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController
    from imaging.mask import Mask
    from imaging.volume import Volume
    from planning.case import Case

#: two body masks with at least this Dice are the same vertebra: the same click on the same image gives
#: the identical mask (1.0), clicks 0.6 mm and 10 mm apart in abdomen L3 gave 0.98 and 0.95, and
#: brush edits of the body layer change a few per cent of it; two levels merged into one body share about
#: half of their union (Dice ~0.65), so they are not taken for one
SAME_VERTEBRA_DICE = 0.8
#: below that Dice, a body sharing at least this fraction of the smaller body with a body layer is asked
#: about (replace / add / cancel): neighbouring bodies found separately share nothing (abdomen L1-L5,
#: 3 mm slices), and a tenth of a body is more than one endplate slice touching (a body spans 8 or more
#: 3 mm slices); two bodies run together share all of the smaller one
PARTIAL_SHARE_FRACTION = 0.1

#: the answers to "the body found overlaps a vertebra of the case" (Cancel is the third)
REPLACE, ADD_NEW = "Replace", "Add as another vertebra"


@dataclass(frozen=True)
class KnownVertebra:
    """A vertebra of the case that a body found overlaps: its entry, the masks' Dice and the shared mL."""

    entry: VertebraEntry
    dice: float
    shared_ml: float
    body_ml: float

    @property
    def same(self) -> bool:
        """True when the body found is this vertebra's (:data:`SAME_VERTEBRA_DICE`)."""
        return self.dice >= SAME_VERTEBRA_DICE


def body_dice(a: Mask, b: Mask) -> float:
    """Dice of two masks on the same grid (0 when both are empty)."""
    total = a.count() + b.count()
    return 0.0 if total == 0 else 2.0 * overlap_count(a, b) / total


def overlapping_vertebra(case: Case, volume: Volume, body: Mask) -> KnownVertebra | None:
    """The case's vertebra whose body layer overlaps ``body`` most (highest Dice), when it is the same
    vertebra or shares at least :data:`PARTIAL_SHARE_FRACTION` of the smaller body; else None."""
    best: KnownVertebra | None = None
    new_n = body.count()
    for entry in vertebrae_of(case, None):
        name = entry.layers.get("body")
        if name is None:
            continue
        mask = case.layers[name].mask
        if mask.grid_shape != volume.shape or not mask.any():
            continue
        shared = overlap_count(mask, body)
        old_n = mask.count()
        dice = 2.0 * shared / (old_n + new_n) if old_n + new_n else 0.0
        if dice < SAME_VERTEBRA_DICE and shared < PARTIAL_SHARE_FRACTION * min(old_n, max(new_n, 1)):
            continue
        found = KnownVertebra(entry, dice, shared * volume.voxel_volume_ml, old_n * volume.voxel_volume_ml)
        if best is None or found.dice > best.dice:
            best = found
    return best


def select_known(controller: SegmentationController, entry: VertebraEntry, why: str) -> None:
    """Select a vertebra already found in the Vertebrae dock (the crosshair stays where the operator
    clicked) and say why nothing was added."""
    panel = controller.vertebra_panel
    panel.raise_()
    panel.refresh()
    panel.select(entry.vertebra_id, go_to=False)
    controller.jobs.say(
        f"Vertebra {entry.prefix} {why}: selected it in the Vertebrae dock; nothing added. To find it "
        "again, delete its layers first."
    )


def ask_overlap(controller: SegmentationController, known: KnownVertebra, anatomy: Any) -> str | None:
    """Ask what to do with a body found that shares part of a vertebra of the case: :data:`REPLACE`,
    :data:`ADD_NEW`, or None (Cancel: the new result is discarded)."""
    volume = controller.volume()
    new_ml = 0.0 if volume is None else anatomy.body.count() * volume.voxel_volume_ml
    who = known.entry.prefix
    text = (
        f"The body found at your click ({new_ml:.1f} mL) shares {known.shared_ml:.1f} mL with the body of "
        f"vertebra {who} ({known.body_ml:.1f} mL): it may be two bodies run together, or {who} found "
        "differently.\n\n"
        f"Replace puts the new body, canal, wall and pedicles in place of {who}'s (its level and lesions "
        f"stay). {ADD_NEW} keeps both: the shared bone is in both, and the new one is counted as another "
        "level. Cancel discards the new result."
    )
    return dialogs.ask_choice(controller.window, "Vertebra already found", text, (REPLACE, ADD_NEW))


def replace_vertebra(controller: SegmentationController, known: KnownVertebra, anatomy: Any) -> None:
    """Put a new anatomy's layers in place of a vertebra's (one undo step): the same id, level and layer
    names, so lesions tied to it and references by name stay; lesions its new body holds that are tied
    to none are tied to it."""
    from app.segmentation.vertebra_tool import anatomy_layers, push_anatomy, tie_lesions
    from planning.commands import RemoveLayer

    case_ctl = controller.window.case
    case = case_ctl.case
    entry = known.entry
    old = [case.layers[name] for name in entry.layers.values()]
    series_uid = next((layer.source_series_uid for layer in old if layer.source_series_uid), "")
    layers = anatomy_layers(
        anatomy,
        vertebra_id=entry.vertebra_id,
        level=entry.level,
        series_uid=series_uid,
        taken=set(case.layers) - {layer.name for layer in old},
        named=entry.named,
    )
    volume = controller.volume()
    stack = case_ctl.undo_stack
    stack.beginMacro(f"Replace vertebra {entry.prefix}")
    try:
        for layer in old:
            case_ctl.push(RemoveLayer(layer.name))
        ties = (
            [] if volume is None else tie_lesions(case, anatomy.body, volume, entry.vertebra_id, entry.level)
        )
        push_anatomy(controller, layers, f"Add vertebra {entry.prefix}", ties)
    finally:
        stack.endMacro()
    panel = controller.vertebra_panel
    panel.refresh()
    panel.select(entry.vertebra_id, go_to=False)
    controller.jobs.say(
        f"Vertebra {entry.prefix} replaced: body {anatomy.body_volume_ml:.1f} mL "
        f"(was {known.body_ml:.1f} mL)."
    )
