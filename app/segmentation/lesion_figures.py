"""The figures of each lesion target as its mask is now, for the Lesions dock and the cement analysis.

A lesion's volume, largest diameter, HU, cortical breach and posterior-wall involvement belong to its
mask: once the operator paints, erases, fills or grows it, they are measured again
(:func:`imaging.lesion_remeasure.measure_lesion_mask`), never read from what segmentation stored in
``Target.measures``. The type and the reference bone HU are the target's (the operator's choice or
segmentation's); a lesion drawn by hand has neither, and both are measured from its mask. Results are
kept per target while its mask, wall, type and reference stay the same objects and values.
Positions LPS mm, volumes mL, HU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.segmentation.vertebra_tool import named_for_target, vertebrae_of
from imaging.errors import ImagingError
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


def lesion_mask_of(case: Case, target: Target, volume: Volume) -> Mask | None:
    """The target's lesion mask on the volume's grid, None when it has none or it is empty."""
    layer = case.layers.get(target.lesion_layer) if target.lesion_layer else None
    if layer is None or layer.mask.grid_shape != volume.shape or not layer.mask.any():
        return None
    return layer.mask


def posterior_wall_of(case: Case, target: Target) -> Mask | None:
    """The posterior wall of the vertebra a target lies in, None outside a vertebra.

    The vertebra the lesion tool tied the target to (``extra["vertebra"]``); for a spinal target made
    otherwise (a case from ``osteoplan plan``), the wall layer named after its name or level.
    """
    vid = target.extra.get("vertebra")
    if isinstance(vid, str) and vid:
        for entry in vertebrae_of(case, None):
            if entry.vertebra_id == vid and "posterior_wall" in entry.layers:
                return case.layers[entry.layers["posterior_wall"]].mask
        return None
    if target.vertebra_lps is None:
        return None
    walls = [la for la in case.layers.values() if la.kind == LayerKind.POSTERIOR_WALL]
    named = named_for_target(walls, target)
    return None if named is None else named.mask


def measurement(volume: Volume, case: Case, target: Target) -> Callable[[], Figures]:
    """What measuring a target's lesion needs, taken from the case now; call the result in any thread."""
    mask = lesion_mask_of(case, target, volume)
    wall = posterior_wall_of(case, target)
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
                posterior_wall=wall,
            )
        except ImagingError as exc:
            return Figures(None, str(exc))
        return Figures(lesion)

    return measure


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
        self._kept[target.name] = (_key(volume, case, target), Figures(lesion))

    def forget_others(self, names: set[str]) -> None:
        """Drop the figures of targets no longer in the case."""
        for name in set(self._kept) - names:
            del self._kept[name]


def _key(volume: Volume, case: Case, target: Target) -> tuple[object, ...]:
    """What a target's figures depend on: objects compared by identity, values by equality."""
    mask = lesion_mask_of(case, target, volume)
    return (
        volume,
        mask,
        posterior_wall_of(case, target),
        target.lesion_type,
        target.measures.get("reference_bone_hu"),
        target.lesion_seed_lps,
    )


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return all(x is y for x, y in zip(a[:3], b[:3], strict=True)) and a[3:] == b[3:]
