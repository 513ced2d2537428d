"""Which vertebra a spinal target's planning uses: the one in the case's layers, found from its own click.

The operator sees a vertebra as the layers the Vertebra tool added (body, canal, posterior wall,
pedicles, endplates, grouped by ``extra["vertebra"]``) and its figures in the Vertebrae dock. Planning
(proposals, needle readouts, coverage, leakage) must use that same vertebra, so:

- :func:`vertebra_source` names the target's vertebra group (the one it is tied to, else the one named
  after its level or name, else the one whose body holds its vertebra point or lesion seed) and the
  point its anatomy is found from: the Vertebra tool's click kept with the body layer
  (:data:`app.segmentation.vertebra_tool.CLICK_KEY`), from which :func:`imaging.vertebra.find_vertebra`
  gives the same anatomy again (it is deterministic for a given point and image), else the target's
  ``vertebra_lps`` (``osteoplan plan`` stores its click there; cases saved before the click was kept
  store the body's centroid, which may find another vertebra: :func:`same_vertebra` tells);
- :func:`layer_for_target` picks a layer of a kind for a target outside any group (named after it, else
  nearest its point);
- :func:`with_case_layers` puts the group's masks (which the operator may have edited) in place of the
  anatomy's own, so every measure uses the masks drawn on the views.

Positions LPS mm; masks on the planning volume's grid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

# a vertebra found again is the one in the layers when its body and the body layer overlap by
# SAME_VERTEBRA_DICE: the Vertebra tool's own rule for a click on a vertebra it found already
from app.segmentation.vertebra_duplicates import SAME_VERTEBRA_DICE, body_dice
from app.segmentation.vertebra_tool import mask_holds, named_for_target, vertebra_click, vertebrae_of
from imaging.mask import Mask
from imaging.vertebra_model import Side
from planning.model import LayerKind, MaskLayer, Target

if TYPE_CHECKING:
    from imaging.vertebra_model import VertebraAnatomy
    from imaging.volume import Volume
    from planning.case import Case

Point = tuple[float, float, float]


#: the layer parts (``extra["part"]``) that replace the anatomy's own masks
MASK_PARTS = ("body", "canal", "canal_tube", "posterior_wall", "superior_endplate", "inferior_endplate")
#: the part of a vertebra group holding a layer kind (the kinds planning measures against)
PART_OF_KIND = {LayerKind.BODY: "body", LayerKind.CANAL: "canal", LayerKind.POSTERIOR_WALL: "posterior_wall"}


def layer_for_target(
    case: Case, volume: Volume, kind: LayerKind, target: Target | None, near_lps: object = None
) -> Mask | None:
    """The mask of a layer of ``kind`` for a target: the one named after its level or name
    (:func:`app.segmentation.vertebra_tool.named_for_target`), else the only one, else the one whose
    box centre lies nearest ``near_lps``; None when the case has none on the volume's grid."""
    found = [
        layer
        for layer in case.layers.values()
        if layer.kind == kind and layer.mask.grid_shape == volume.shape and layer.mask.any()
    ]
    if not found:
        return None
    named = None if target is None else named_for_target(found, target)
    if named is not None:
        return named.mask
    if near_lps is None or len(found) == 1:
        return found[0].mask
    p = np.asarray(near_lps, dtype=np.float64)

    def dist(mask: Mask) -> float:
        centre = np.asarray(mask.offset_index) + (np.asarray(mask.array.shape) - 1) / 2.0
        return float(np.linalg.norm(volume.index_to_lps_points(centre) - p))

    return min((la.mask for la in found), key=dist)


@dataclass(frozen=True)
class VertebraSource:
    """Where a target's vertebra anatomy comes from.

    ``click_lps`` is the point it is found from; ``layers`` the vertebra's layers by part (empty when
    the case has none for it); ``name`` what the operator calls it (its body layer's name, else the
    target's level); ``from_layers`` True when the click is the Vertebra tool's own, kept with the body
    layer (the anatomy found again is the one shown).
    """

    click_lps: Point
    layers: Mapping[str, MaskLayer]
    name: str
    from_layers: bool

    @property
    def body(self) -> Mask | None:
        """The body layer's mask, None without one."""
        layer = self.layers.get("body")
        return None if layer is None else layer.mask


def vertebra_source(case: Case, volume: Volume, target: Target) -> VertebraSource | None:
    """The vertebra a spinal target's planning uses (None: the target has no vertebra)."""
    groups = _groups(case, volume)
    layers = _group_of(groups, volume, target)
    body = layers.get("body")
    click = vertebra_click(body) if body is not None else None
    name = body.name if body is not None else (target.level or target.name)
    if click is not None:
        return VertebraSource(click, layers, name, True)
    if target.vertebra_lps is None:
        return None
    return VertebraSource(target.vertebra_lps, layers, name, False)


def same_vertebra(found_body: Mask, shown_body: Mask | None) -> bool:
    """Whether a body found again is the body layer's vertebra (:data:`SAME_VERTEBRA_DICE`); True when
    there is no body layer to compare with."""
    if shown_body is None or not shown_body.any():
        return True
    return body_dice(found_body, shown_body) >= SAME_VERTEBRA_DICE


def with_case_layers(
    anatomy: VertebraAnatomy, layers: Mapping[str, Mask], voxel_volume_ml: float
) -> VertebraAnatomy:
    """The anatomy with the given layer masks (part -> mask) in place of its own.

    Parts: :data:`MASK_PARTS` and ``pedicle_left`` / ``pedicle_right`` (the pedicle axes and widths are
    the anatomy's; only their masks are replaced). The body volume follows the body mask.
    """
    if not layers:
        return anatomy
    pedicles = {
        side: dataclasses.replace(axis, mask=layers.get(f"pedicle_{side.value}", axis.mask))
        for side, axis in anatomy.pedicles.items()
    }
    body = layers.get("body", anatomy.body)
    return dataclasses.replace(
        anatomy,
        body=body,
        body_volume_ml=body.count() * voxel_volume_ml if "body" in layers else anatomy.body_volume_ml,
        canal=layers.get("canal", anatomy.canal),
        canal_tube=layers.get("canal_tube", anatomy.canal_tube),
        posterior_wall=layers.get("posterior_wall", anatomy.posterior_wall),
        superior_endplate=layers.get("superior_endplate", anatomy.superior_endplate),
        inferior_endplate=layers.get("inferior_endplate", anatomy.inferior_endplate),
        pedicles=pedicles,
    )


def group_masks(source: VertebraSource, volume: Volume) -> dict[str, Mask]:
    """The masks of a source's layers on the volume's grid, by part (empty masks left out)."""
    parts = (*MASK_PARTS, *(f"pedicle_{side.value}" for side in Side))
    out = {}
    for part in parts:
        layer = source.layers.get(part)
        if layer is not None and layer.mask.grid_shape == volume.shape and layer.mask.any():
            out[part] = layer.mask
    return out


def safety_canal(
    canal: Mask | None, source: VertebraSource | None, anatomy: VertebraAnatomy | None, volume: Volume
) -> Mask | None:
    """The canal heat and needles are measured against: ``canal`` (the layer shown for the target's
    vertebra) together with the canal through the body's whole height (:mod:`imaging.canal_tube`): the
    group's ``canal_tube`` layer, else the target's anatomy's own tube; ``canal`` alone without either.

    The union is cached by the masks' identity, so distance fields cached by mask stay cached.
    """
    tube = None if source is None else group_masks(source, volume).get("canal_tube")
    own = None if anatomy is None else anatomy.canal_tube
    if tube is None and own is not None and own.grid_shape == volume.shape and own.any():
        tube = own
    if tube is None or canal is None:
        return canal if tube is None else tube
    key = (id(canal.array), id(tube.array))
    hit = _UNIONS.get(key)
    if hit is None or hit[0] is not canal or hit[1] is not tube:
        hit = (canal, tube, Mask.union([canal, tube], volume.shape))
        while len(_UNIONS) >= _MAX_UNIONS:
            _UNIONS.pop(next(iter(_UNIONS)))
        _UNIONS[key] = hit
    return hit[2]


#: the unions :func:`safety_canal` made, with the masks they were made from (kept alive, so their ids
#: are not reused while cached): twice the controller's distance fields cached by mask identity
_UNIONS: dict[tuple[int, int], tuple[Mask, Mask, Mask]] = {}
_MAX_UNIONS = 16


def _groups(case: Case, volume: Volume) -> dict[str, dict[str, MaskLayer]]:
    """The case's vertebra groups (:func:`app.segmentation.vertebra_tool.vertebrae_of`), their layers on
    the volume's grid by part."""
    groups: dict[str, dict[str, MaskLayer]] = {}
    for entry in vertebrae_of(case, None):
        layers = {part: case.layers[name] for part, name in entry.layers.items()}
        on_grid = {part: layer for part, layer in layers.items() if layer.mask.grid_shape == volume.shape}
        if on_grid:
            groups[entry.vertebra_id] = on_grid
    return groups


def _group_of(
    groups: dict[str, dict[str, MaskLayer]], volume: Volume, target: Target
) -> dict[str, MaskLayer]:
    """The target's vertebra group: the one it is tied to, else named after it, else holding its point."""
    tied = target.extra.get("vertebra")
    if isinstance(tied, str) and "body" in groups.get(tied, {}):
        return groups[tied]
    bodies = {vid: parts["body"] for vid, parts in groups.items() if "body" in parts}
    named = named_for_target(bodies.values(), target)
    if named is not None:
        return next(groups[vid] for vid, layer in bodies.items() if layer is named)
    for point in (target.vertebra_lps, target.lesion_seed_lps):
        if point is None:
            continue
        for vid, layer in bodies.items():
            if mask_holds(layer.mask, volume, point):
                return groups[vid]
    return {}
