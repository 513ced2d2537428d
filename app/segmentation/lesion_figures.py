"""The figures of each lesion target as its mask is now, for the Lesions dock and the cement analysis.

A lesion's volume, largest diameter, HU, cortical breach (with where each breach lies, in words:
:mod:`imaging.breach_place`), posterior-wall involvement, its distances to the wall and canal and its
overlap with the pedicles (of the vertebra it is tied to) belong to its mask: once the operator paints,
erases, fills or grows it, they are measured again (:func:`imaging.lesion_remeasure.measure_lesion_mask`),
never read from what segmentation stored in ``Target.measures``. The type and the reference bone HU are
the target's (the operator's choice or segmentation's); a lesion drawn by hand has neither, and both are
measured from its mask. Results are kept per target while its mask, the vertebra's masks, type and
reference stay the same objects and values. Positions LPS mm, volumes mL, HU.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from app.segmentation.vertebra_tool import named_for_target, vertebrae_of
from imaging.breach_place import VertebraParts, breach_place
from imaging.errors import ImagingError
from imaging.lesion_involvement import involvement
from imaging.lesion_model import Lesion
from imaging.mask import Mask
from imaging.volume import Volume
from planning.case import Case
from planning.model import LayerKind, Target


@dataclass(frozen=True)
class Figures:
    """A lesion target's figures: ``lesion`` measured from its mask, or ``reason`` it could not be."""

    lesion: Lesion | None
    reason: str = ""
    #: where each of the lesion's cortical breach points lies, in words (same order as its points)
    breach_places: tuple[str, ...] = ()


def lesion_mask_of(case: Case, target: Target, volume: Volume) -> Mask | None:
    """The target's lesion mask on the volume's grid, None when it has none or it is empty."""
    layer = case.layers.get(target.lesion_layer) if target.lesion_layer else None
    if layer is None or layer.mask.grid_shape != volume.shape or not layer.mask.any():
        return None
    return layer.mask


def posterior_wall_of(case: Case, target: Target) -> Mask | None:
    """The posterior wall of the vertebra a target lies in, None outside a vertebra."""
    return vertebra_part_of(case, target, "posterior_wall")


def vertebra_part_of(case: Case, target: Target, part: str) -> Mask | None:
    """A part ("posterior_wall", "canal", "pedicle_left"... see :data:`PART_NAMES`) of the vertebra a
    target lies in, or None.

    The vertebra the lesion tool tied the target to (``extra["vertebra"]``); for a spinal target made
    otherwise (a case from ``osteoplan plan``), the layer of that kind named after its name or level.
    """
    vid = target.extra.get("vertebra")
    if isinstance(vid, str) and vid:
        for entry in vertebrae_of(case, None):
            if entry.vertebra_id == vid and part in entry.layers:
                return case.layers[entry.layers[part]].mask
        return None
    if target.vertebra_lps is None or part not in _PART_KINDS:
        return None
    kind, suffix = _PART_KINDS[part]
    layers = [la for la in case.layers.values() if la.kind == kind and la.name.endswith(suffix)]
    named = named_for_target(layers, target)
    return None if named is None else named.mask


def vertebra_parts_of(case: Case, target: Target) -> dict[str, Mask | None]:
    """Every part of :data:`PART_NAMES` of the vertebra a target lies in (None: not known)."""
    return {part: vertebra_part_of(case, target, part) for part in PART_NAMES}


#: the vertebra's parts a lesion's figures use -> plain name (for where a breach lies)
PART_NAMES = {
    "body": "vertebral body",
    "canal": "spinal canal",
    "posterior_wall": "posterior wall",
    "pedicle_left": "left pedicle",
    "pedicle_right": "right pedicle",
    "superior_endplate": "superior endplate",
    "inferior_endplate": "inferior endplate",
}
#: parts found by layer kind and name ending for a spinal target not tied by id
_PART_KINDS = {
    "body": (LayerKind.BODY, ""),
    "posterior_wall": (LayerKind.POSTERIOR_WALL, ""),
    "canal": (LayerKind.CANAL, ""),
    "pedicle_left": (LayerKind.PEDICLE, "left"),
    "pedicle_right": (LayerKind.PEDICLE, "right"),
}


def measurement(volume: Volume, case: Case, target: Target) -> Callable[[], Figures]:
    """What measuring a target's lesion needs, taken from the case now; call the result in any thread."""
    mask = lesion_mask_of(case, target, volume)
    parts = vertebra_parts_of(case, target)
    reference = target.measures.get("reference_bone_hu")
    lesion_type, seed = target.lesion_type, target.lesion_seed_lps

    def measure() -> Figures:
        from imaging.lesion_remeasure import measure_lesion_mask

        if mask is None:
            return Figures(None, "no lesion mask (empty: paint it with the brush)")
        try:
            lesion = measure_lesion_mask(
                volume,
                mask,
                lesion_type=lesion_type,
                reference_bone_hu=reference,
                seed_lps=seed,
                posterior_wall=parts["posterior_wall"],
                canal=parts["canal"],
                pedicles=_pedicles(parts),
            )
        except ImagingError as exc:
            return Figures(None, str(exc))
        return complete(volume, lesion, parts)

    return measure


def complete(volume: Volume, lesion: Lesion, parts: dict[str, Mask | None]) -> Figures:
    """A lesion's figures with its involvement (measured here when the lesion has none, as a lesion
    segmentation gave) and the place of each breach point in words."""
    if lesion.involvement is None and any(parts[p] is not None for p in ("posterior_wall", "canal")):
        inv = involvement(
            volume,
            lesion.mask,
            posterior_wall=parts["posterior_wall"],
            canal=parts["canal"],
            pedicles=_pedicles(parts),
        )
        lesion = dataclasses.replace(lesion, involvement=inv, posterior_wall_involved=inv.wall_involved)
    vertebra = None
    body = parts["body"]
    if body is not None and body.any():
        canal = parts["canal"]
        vertebra = VertebraParts(
            body_centroid_lps=_centroid(volume, body),
            canal_centroid_lps=None if canal is None or not canal.any() else _centroid(volume, canal),
            masks={
                PART_NAMES[p]: m for p, m in parts.items() if m is not None and p not in ("body", "canal")
            },
        )
    places = tuple(
        breach_place(volume, point, lesion_centroid_lps=lesion.centroid_lps, vertebra=vertebra)
        for point in lesion.cortical_breach_lps
    )
    return Figures(lesion, breach_places=places)


def _pedicles(parts: dict[str, Mask | None]) -> dict[str, Mask]:
    return {side: m for side in ("left", "right") if (m := parts[f"pedicle_{side}"]) is not None}


def _centroid(volume: Volume, mask: Mask) -> tuple[float, float, float]:
    c = volume.index_to_lps_points(mask.voxel_indices().astype(np.float64).mean(axis=0))
    flat = np.asarray(c, dtype=np.float64).reshape(3)
    return (float(flat[0]), float(flat[1]), float(flat[2]))


class LesionFigures:
    """Figures per target, measured again only when what they depend on changed."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[tuple[object, ...], Figures]] = {}

    def cached(self, volume: Volume, case: Case, target: Target) -> Figures | None:
        """The target's figures if they are up to date, else None (nothing is measured)."""
        kept = self._kept.get(target.name)
        if kept is None or not _same(kept[0], _key(volume, case, target)):
            return None
        return kept[1]

    def pending(
        self, volume: Volume, case: Case, targets: Iterable[Target]
    ) -> list[tuple[str, tuple[object, ...], Callable[[], Figures]]]:
        """For each target whose figures are not up to date: its name, what they depend on now (for
        :meth:`store`) and the measurement to run (in any thread)."""
        return [
            (t.name, _key(volume, case, t), measurement(volume, case, t))
            for t in targets
            if self.cached(volume, case, t) is None
        ]

    def store(self, name: str, key: tuple[object, ...], figures: Figures) -> None:
        """Keep figures measured for a target as it was when :meth:`pending` listed it (figures of a mask
        edited since then do not match the target any more, and are measured again)."""
        self._kept[name] = (key, figures)

    def put(self, volume: Volume, case: Case, target: Target, lesion: Lesion) -> None:
        """Keep figures already measured for the target's mask as it is in the case (segmentation's:
        measuring the same mask again gives the same figures, tests/imaging/test_lesion_remeasure.py)."""
        parts = vertebra_parts_of(case, target)
        self._kept[target.name] = (_key(volume, case, target), complete(volume, lesion, parts))

    def forget_others(self, names: set[str]) -> None:
        """Drop the figures of targets no longer in the case."""
        for name in set(self._kept) - names:
            del self._kept[name]


def _key(volume: Volume, case: Case, target: Target) -> tuple[object, ...]:
    """What a target's figures depend on: objects compared by identity, values by equality."""
    mask = lesion_mask_of(case, target, volume)
    parts = vertebra_parts_of(case, target)
    return (
        volume,
        mask,
        *(parts[p] for p in PART_NAMES),
        target.lesion_type,
        target.measures.get("reference_bone_hu"),
        target.lesion_seed_lps,
    )


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return all(x is y for x, y in zip(a[:_BY_ID], b[:_BY_ID], strict=True)) and a[_BY_ID:] == b[_BY_ID:]


#: how many leading items of a figures key are objects compared by identity (volume, lesion, parts)
_BY_ID = 2 + len(PART_NAMES)
