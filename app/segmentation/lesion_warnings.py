"""Warnings a lesion's segmentation gave, kept with its target and told to the operator.

:func:`imaging.lesion.segment_lesion` notes when the lesion may be larger than its mask (it reached the
growth limit, or the edge of the volume, of the region searched or of the scan) and when the image's noise
can change its call or its volume (:mod:`imaging.lesion_noise`):
:attr:`imaging.lesion_model.Lesion.warnings`. Those notes are kept in the lesion's ``Target.extra``
(:mod:`planning.lesion_extra`; saved in the case, back on reopen) with the number of voxels the mask had,
so the Lesions dock can say whether the mask is still the one segmentation gave. The warnings stay shown
(the row marked, the warnings written out under the table) until the operator dismisses them or segments
the lesion again; once the mask is edited they are marked "from the segmentation, before your edits" (QA
s24 D12: an edit of 88 voxels on the far side of the lesion used to hide them, left only in the name's
tooltip). :func:`operator_text` adds what to do about each; :func:`mark_row` marks a table row (warning
icon, amber figures, the warnings in the tooltips).

:class:`MaskNotes` says what is wrong with the lesion masks as they are now, whatever made them: a mask
in several separate pieces (a stray brush stroke counts in its volume, diameter and breach) and lesions
sharing voxels (totals and coverage would count them twice); :func:`type_notes` adds a drawn mask's type
when it is unsure (mostly like the normal bone around it); :func:`mark_notes` marks their rows, and
:func:`warning_line` writes the selected lesion's notes and warnings out for the line under the table.
Distances in mm (voxel centres, LPS), shared volumes in mL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyle, QTableWidget

from imaging.lesion_grow import LesionParameters
from imaging.lesion_model import GROWTH_LIMIT_NOTE, NO_EDGE_NOTE, NOISE_NOTE, NORMAL_LIKE, Lesion
from imaging.mask import Mask, overlap_count
from imaging.mask_edit import KEEP_POINTED_MIN_SHARE, MaskPieces, mask_pieces
from imaging.volume import Volume
from planning.case import Case
from planning.lesion_extra import VOXELS_KEY, WARNINGS_DISMISSED_KEY, WARNINGS_KEY
from planning.model import Target

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

#: text colour of a row whose segmentation warned (app.theme.AMBER: a caution)
WARNING_RGB = "#ffb347"
#: the warnings of a mask edited since segmentation are introduced by this line
BEFORE_EDITS = "From the segmentation, before your edits (Dismiss once dealt with):"
#: a voxel below this reads as air or fat: the lesion tool's own limit, which refuses a seed "in air or fat"
#: (imaging.lesion_metal.dark_seed_refusal; LesionParameters.fat_limit_hu, -50 HU, half way between soft
#: tissue's 0 HU and fat's -100 HU: its source is in imaging.lesion's docstring)
AIR_FAT_LIMIT_HU = LesionParameters().fat_limit_hu
#: a lesion mask is warned when at least this share of its voxels reads as air or fat: the share the lesion
#: tool already takes as a real part of a lesion's make-up (a lesion is mixed when its lytic and its
#: sclerotic voxels each reach it: LesionParameters.mixed_min_fraction, 20 %); air and fat are far below
#: any lytic edge, so this share alone can make the lesion lytic and move its mean HU. Real lesions hold
#: far less: the bone-lesions cases' lesions from a click 0-3.4 % (case4's second lesion, a lytic one at
#: fat), 0-8.4 % grown by 2 mm; the sample case's T9 stroke 0 % (tests/benchmarks/lesion_air_fat_share.py)
AIR_FAT_WARN_SHARE = LesionParameters().mixed_min_fraction


@dataclass(frozen=True)
class AirFat:
    """How much of a mask reads as air or fat (below :data:`AIR_FAT_LIMIT_HU`): voxels, of how many, mL."""

    voxels: int
    total: int
    ml: float

    @property
    def share(self) -> float:
        """The part of the mask's voxels that reads as air or fat, 0..1 (0 for an empty mask)."""
        return self.voxels / self.total if self.total else 0.0

    @property
    def warned(self) -> bool:
        """A meaningful part of the mask (:data:`AIR_FAT_WARN_SHARE` or more) reads as air or fat."""
        return self.voxels > 0 and self.share >= AIR_FAT_WARN_SHARE


def air_fat(mask: Mask, volume: Volume) -> AirFat:
    """The voxels of ``mask`` (on ``volume``'s grid) whose raw HU is below :data:`AIR_FAT_LIMIT_HU`."""
    if mask.grid_shape != volume.shape:
        raise ValueError(f"mask grid {mask.grid_shape} differs from the volume's {volume.shape}")
    values = volume.array[mask.slices][mask.array]
    dark = int(np.count_nonzero(values < AIR_FAT_LIMIT_HU))
    return AirFat(dark, int(values.size), dark * volume.voxel_volume_ml)


def air_fat_text(layer_name: str, found: AirFat) -> str:
    """A lesion mask a meaningful part of which reads as air or fat, for the operator (QA s31 C13)."""
    return (
        f"{found.ml:.2f} mL ({100 * found.share:.0f} %) of {layer_name} reads as air or fat (below "
        f"{AIR_FAT_LIMIT_HU:.0f} HU; warned from {100 * AIR_FAT_WARN_SHARE:.0f} %): a bone lesion is soft "
        "tissue or bone, so the brush or Grow probably went beyond it, and its volume, type and mean HU "
        'count that part. Erase it, or paint with the HU range ticked ("only" in Mask editing).'
    )


def air_fat_said(case: Case, volume: Volume, layer_name: str) -> str:
    """For the status bar after an edit of layer ``layer_name``: a short note when it is a lesion's mask a
    meaningful part of which reads as air or fat ("" otherwise); the Lesions dock writes it out."""
    layer = case.layers.get(layer_name)
    if layer is None or layer.mask.grid_shape != volume.shape:
        return ""
    if not any(t.lesion_layer == layer_name for t in case.targets.values()):
        return ""
    found = air_fat(layer.mask, volume)
    if not found.warned:
        return ""
    return (
        f"⚠ {found.ml:.2f} mL ({100 * found.share:.0f} %) of {layer_name} reads as air or fat (below "
        f"{AIR_FAT_LIMIT_HU:.0f} HU): see the Lesions dock."
    )


@dataclass(frozen=True)
class TargetWarnings:
    """A lesion target's warnings (operator sentences), whether its mask is still segmentation's, and
    whether the operator has dismissed them."""

    texts: tuple[str, ...]
    current: bool
    dismissed: bool = False

    def __bool__(self) -> bool:
        return bool(self.texts)

    @property
    def shown(self) -> bool:
        """The warnings are to be shown: there are some and the operator has not dismissed them."""
        return bool(self.texts) and not self.dismissed

    def tooltip(self) -> str:
        """The warnings for a tooltip: "before your edits" once the mask was edited, "dismissed" once the
        operator has dismissed them."""
        if not self.texts:
            return ""
        items = "\n".join(f"• {t}" for t in self.texts)
        if self.dismissed:
            since = "" if self.current else ", the mask edited since"
            return f"Segmentation warned (dismissed by you{since}):\n{items}"
        if self.current:
            return f"Check:\n{items}"
        return f"{BEFORE_EDITS}\n{items}"


def operator_text(note: str) -> str:
    """A segmentation warning as a sentence for the operator, with what to do about it."""
    text = note[:1].upper() + note[1:]
    if note.startswith(GROWTH_LIMIT_NOTE) and NO_EDGE_NOTE in note:
        # no edge: a raised limit only makes it larger (case4 of bone-lesions: 2.8 mL at 10 mm, 22 mL at
        # 20 mm, 109 mL at 40 mm, most of it muscle beside the bone: imaging.lesion_extent)
        return (
            f"{text}. Raising the growth limit only makes it larger. Draw a box no larger than the lesion "
            "(Shift+drag) and click it again, or draw its outline with the brush (B)."
        )
    if note.startswith(GROWTH_LIMIT_NOTE):
        # a raised limit alone can let the lesion flood the marrow around it (case4 of bone-lesions:
        # 2.6 mL at 10 mm, 23 mL at 20 mm): the box keeps it to the lesion
        return (
            f"{text}. It may be larger: raise the growth limit (Settings in the Lesions dock) and click it "
            "again, with a box drawn around it (Shift+drag) if it then spreads, or extend the mask with "
            "the brush (B)."
        )
    if note.startswith(NOISE_NOTE):
        # the note says what the noise does to this lesion and what to do (imaging.lesion_noise)
        return f"{text}."
    return f"{text}. It may go on beyond it: check its extent, and extend the mask with the brush (B)."


def warnings_of(target: Target, mask: Mask | None) -> TargetWarnings:
    """The target's kept warnings as operator sentences; ``current`` while ``mask`` has the voxel count
    segmentation gave it (an edit that keeps the count exactly is taken as unedited); ``dismissed`` once
    the operator dismissed them (:func:`app.segmentation.lesion_edits.dismiss_warnings`)."""
    raw = target.extra.get(WARNINGS_KEY)
    if not isinstance(raw, str) or not raw.strip():
        return TargetWarnings((), False)
    texts = tuple(operator_text(line) for line in raw.splitlines() if line.strip())
    voxels = target.extra.get(VOXELS_KEY)
    counted = isinstance(voxels, (int, float)) and not isinstance(voxels, bool)
    current = mask is not None and counted and mask.count() == round(float(voxels))  # type: ignore[arg-type]
    return TargetWarnings(texts, current, target.extra.get(WARNINGS_DISMISSED_KEY) is True)


def mark_row(
    table: QTableWidget,
    row: int,
    warnings: TargetWarnings,
    *,
    name_column: int,
    figure_columns: Iterable[int],
) -> None:
    """Mark a table row whose segmentation warned: a warning icon on its name and its figures in amber,
    the warnings with what to do in the name's tooltip (each figure cell keeps its own tooltip, which
    says what it measures; the warnings are also written under the table, :func:`warning_line`), edited
    since or not: an edit need not have dealt with them. Once dismissed, the warnings stay in the name's
    tooltip only."""
    if not warnings:
        return
    name_item = table.item(row, name_column)
    if name_item is not None:
        name_item.setToolTip(warnings.tooltip())
    if not warnings.shown:
        return
    if name_item is not None:
        name_item.setIcon(table.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        name_item.setForeground(QColor(WARNING_RGB))
    for c in figure_columns:
        item = table.item(row, c)
        if item is not None:
            item.setForeground(QColor(WARNING_RGB))


class MaskNotes:
    """What is wrong with the lesion masks as they are now: several pieces, a meaningful part reading as
    air or fat, voxels shared with another.

    The pieces of each mask (and its air or fat) are kept while the mask is the same object (masks are
    values: an edit makes a new one), so rebuilding the Lesions table does not label every mask again.
    """

    def __init__(self) -> None:
        self._pieces: dict[str, tuple[Mask, MaskPieces, AirFat]] = {}

    def pieces(self, name: str) -> int:
        """How many separate pieces target ``name``'s mask had when :meth:`of` last looked (1 if unknown)."""
        kept = self._pieces.get(name)
        return 1 if kept is None else max(1, kept[1].count)

    def of(self, case: Case, volume: Volume) -> dict[str, tuple[str, ...]]:
        """Operator sentences per lesion target name (targets with nothing to say are left out)."""
        masks = _lesion_masks(case, volume)
        self._pieces = {k: v for k, v in self._pieces.items() if k in masks and v[0] is masks[k]}
        notes: dict[str, list[str]] = {}
        for name, mask in masks.items():
            kept = self._pieces.get(name)
            if kept is None:
                kept = (mask, mask_pieces(mask, volume), air_fat(mask, volume))
            self._pieces[name] = kept
            _, pieces, dark = kept
            layer_name = case.targets[name].lesion_layer
            if pieces.count > 1:
                notes.setdefault(name, []).append(pieces_text(layer_name, pieces))
            if dark.warned:
                notes.setdefault(name, []).append(air_fat_text(layer_name, dark))
        for name in masks:
            for other, ml in _overlaps(masks, volume, name):
                notes.setdefault(name, []).append(overlap_text(other, ml))
        return {k: tuple(v) for k, v in notes.items()}


def overlaps_with(case: Case, volume: Volume, name: str) -> list[tuple[str, float]]:
    """The other lesion targets whose masks share voxels with target ``name``'s, and the mL shared."""
    return _overlaps(_lesion_masks(case, volume), volume, name)


def _overlaps(masks: dict[str, Mask], volume: Volume, name: str) -> list[tuple[str, float]]:
    """:func:`overlaps_with` on the lesion masks already gathered (by target name)."""
    if name not in masks:
        return []
    out = []
    for other, mask in masks.items():
        if other != name:
            shared = overlap_count(masks[name], mask)
            if shared:
                out.append((other, shared * volume.voxel_volume_ml))
    return out


def _lesion_masks(case: Case, volume: Volume) -> dict[str, Mask]:
    """The non-empty masks of the lesion targets on the volume's grid, by target name."""
    out = {}
    for target in case.targets.values():
        layer = case.layers.get(target.lesion_layer) if target.lesion_layer else None
        if layer is not None and layer.mask.grid_shape == volume.shape and layer.mask.any():
            out[target.name] = layer.mask
    return out


def pieces_text(layer_name: str, pieces: MaskPieces) -> str:
    """A mask in several pieces, for the operator."""
    apart = f"{pieces.gap_mm:.0f} mm apart" if pieces.count == 2 else f"up to {pieces.gap_mm:.0f} mm apart"
    return (
        f"{layer_name} is in {pieces.count} pieces, {apart}: its figures (volume, diameter, breach) "
        "count every piece. Remove islands (Mask editing) keeps the largest, or the piece under the "
        f"crosshair when it holds at least {100 * KEEP_POINTED_MIN_SHARE:.0f} % of the largest's voxels."
    )


def overlap_text(other: str, shared_ml: float) -> str:
    """A lesion sharing voxels with another, for the operator; a share that rounds to 0.00 mL is said as
    "less than 0.01 mL" (QA s31 C: a few voxels shared read "Shares 0.00 mL", a warning about nothing)."""
    amount = f"{shared_ml:.2f} mL" if round(shared_ml, 2) > 0 else "less than 0.01 mL"
    return (
        f"Shares {amount} with {other}: totals and coverage would count it twice. "
        f"Erase the shared part from one of them, or delete the duplicate."
    )


def type_notes(target: Target, lesion: Lesion | None) -> tuple[str, ...]:
    """What is unsure about a lesion's type as its mask is now, for the operator: the type judged on a mask
    drawn by hand that is mostly like the normal bone around it (:attr:`Lesion.type_unsure`), with the
    shares and the reference bone it rests on; empty once the operator chose the type (QA s28 G3: the
    Type cell read "lytic" at a lytic share of 6 %, the row had no warning sign and this area was empty)."""
    if lesion is None or target.lesion_type is not None or not lesion.type_unsure:
        return ()
    basis = lesion.type_basis
    if basis is None:  # the note alone (it says what was found and what to do)
        note = next(n for n in lesion.notes if n.startswith(NORMAL_LIKE))
        return (f"Type unsure: {note}.",)
    lo, hi = basis.reference_hu - basis.delta_hu, basis.reference_hu + basis.delta_hu
    return (
        f"Type unsure: {NORMAL_LIKE}. {100 * basis.lytic_fraction:.0f} % of its voxels are below {lo:.0f} HU "
        f"(lytic) and {100 * basis.sclerotic_fraction:.0f} % above {hi:.0f} HU (sclerotic), against "
        f"reference bone {basis.reference_hu:.0f} HU ± {basis.delta_hu:g}; lytic or blastic needs "
        f"{100 * basis.mixed_min_fraction:.0f} % on one side. Check the mask, or choose its type in the "
        "Type cell.",
    )


def mark_notes(table: QTableWidget, row: int, notes: Iterable[str], *, name_column: int) -> None:
    """Mark a row whose mask has something wrong now: a warning icon and amber name, the notes in its
    tooltip (after any segmentation warning already there)."""
    texts = list(notes)
    item = table.item(row, name_column)
    if not texts or item is None:
        return
    item.setIcon(table.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
    item.setForeground(QColor(WARNING_RGB))
    lines = "Check the mask:\n" + "\n".join(f"• {t}" for t in texts)
    item.setToolTip("\n\n".join(t for t in (item.toolTip(), lines) if t))


def say_result(
    controller: SegmentationController, name: str, lesion: Lesion, target: Target, done: str = ""
) -> None:
    """The one-line summary of a lesion added (or replaced) in the status bar, with what to check.

    With warnings (segmentation's, or voxels shared with another lesion) the line is short and amber: it
    says where they are written out (under the Lesions table); the whole text is in the status bar's
    tooltip (:func:`result_line`).
    """
    given = " given by you" if controller.lesion_settings.reference_bone_hu is not None else ""
    summary = (
        f"{name}{done}: {lesion.type.value}, {lesion.volume_ml:.2f} mL, "
        f"{lesion.max_diameter_mm:.1f} mm across (reference bone {lesion.reference_bone_hu:.0f} HU{given})."
    )
    checks = list(warnings_of(target, lesion.mask).texts)
    volume = controller.volume()
    if volume is not None:
        # kept on the lesion's row too (the Lesions dock), for as long as the masks share voxels
        case = controller.window.case.case
        checks += [overlap_text(other, ml) for other, ml in overlaps_with(case, volume, name)]
    if checks:
        # amber: the figures may be too small, or counted twice
        controller.jobs.say(
            result_line(summary, len(checks)), warning=True, detail=f"{summary} Check: {' '.join(checks)}"
        )
    else:
        controller.jobs.say(summary)


def result_line(summary: str, n_warnings: int) -> str:
    """The status bar's short line for a lesion found with warnings: its summary, and where they are
    written out (under the Lesions table, :func:`warning_line`). Before (QA s22 D9) the whole text, about
    700 characters on case7, went to the status bar, cut at the window's edge, and to the dock's info
    line under the warning line that already held it."""
    which = "the warning" if n_warnings == 1 else f"the {n_warnings} warnings"
    return f"{summary} Check {which} under the Lesions table."


def warning_line(warnings: TargetWarnings, notes: Iterable[str]) -> str:
    """The warnings of the selected lesion written out under the table: what is wrong with its mask now
    (pieces, voxels shared with another lesion), then what its segmentation warned until the operator
    dismisses it (after a line saying so once the mask is edited); "" when there is nothing to say."""
    lines = [f"⚠ {t}" for t in notes]
    if warnings.shown:
        if not warnings.current:
            lines.append(BEFORE_EDITS)
        lines += [f"⚠ {t}" for t in warnings.texts]
    return "\n".join(lines)
