"""The Vertebra tool: click in a vertebral body -> anatomy in a worker -> body, canal, wall, pedicles.

Positions are LPS mm. :func:`imaging.vertebra.find_vertebra` runs in a background job; its masks
become mask layers of the case, one undo step (a QUndoStack macro), named with the vertebra's level
("L1 body", "L1 canal", "L1 posterior wall", "L1 pedicle left", "L1 superior endplate"...) or, until
the operator names a level, with a running number ("V1 body"...). Each layer's ``extra`` holds
``vertebra`` (the group id), ``part`` and ``level``; the body layer's also ``figures`` (the vertebra's
anatomy figures as JSON text, :mod:`planning.vertebra_figures`) and ``click_lps`` (:data:`CLICK_KEY`:
the point the anatomy was found from, so that planning finds the same vertebra again from it).

Level naming (:mod:`app.segmentation.vertebra_levels`): the operator names one vertebra; the vertebrae
with no gap between them and it get their labels by counting along the spine from it
(:func:`imaging.levels.label_along_spine`, body centroids computed from the body masks, body heights
from the figures); layers are renamed (references follow), their ``extra`` says whether the operator
named the level (:data:`NAMED_KEY`), and lesion targets tied to a vertebra get its level. Anatomy
suggests levels too (:func:`level_suggestions`: the lowest rib-bearing vertebra as T12, the sacrum as
S1), which the operator may accept (it names that level).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from app.segmentation.lesion_tool import mask_centroid_lps
from imaging.level_anatomy import (
    LevelSuggestion,
    RibFinding,
    SacrumFinding,
    has_ribs,
    is_sacrum,
    suggest_levels,
)
from imaging.level_ribs import rib_search_frame
from imaging.mask import Mask, overlap_count
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.case import Case
from planning.commands import AddLayer, Command, UpdateTarget
from planning.model import (
    DEFAULT_LAYER_COLORS,
    WHOLE_HEIGHT_CANAL_COLOR,
    JsonScalar,
    LayerKind,
    MaskLayer,
    Target,
    TargetKind,
)
from planning.vertebra_figures import figures_text

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

FloatArray = npt.NDArray[np.float64]

#: layer parts of a vertebra: part key -> (name suffix, layer kind)
PARTS: dict[str, tuple[str, LayerKind]] = {
    "body": ("body", LayerKind.BODY),
    "canal": ("canal", LayerKind.CANAL),
    # the canal through the body's whole height, which heat and needle distances are measured against
    # (imaging.canal_tube); "canal" is where bone encloses it
    "canal_tube": ("canal, whole height", LayerKind.CANAL),
    "posterior_wall": ("posterior wall", LayerKind.POSTERIOR_WALL),
    "pedicle_left": ("pedicle left", LayerKind.PEDICLE),
    "pedicle_right": ("pedicle right", LayerKind.PEDICLE),
    # the endplates are drawn as the other parts are (the CLI's --out writes them as labels 6 / 7)
    "superior_endplate": ("superior endplate", LayerKind.ENDPLATE),
    "inferior_endplate": ("inferior endplate", LayerKind.ENDPLATE),
}


#: a vertebra layer's ``extra`` key: True when the operator named its level (accepting a suggestion
#: included), False when it was counted; absent on cases saved before it (a level then counts as named)
NAMED_KEY = "level_named"


#: the body layer's ``extra`` key holding the click the vertebra was found from: JSON ``[x, y, z]`` LPS mm
#: at full precision (:func:`imaging.vertebra.find_vertebra` gives the same anatomy from the same point)
CLICK_KEY = "click_lps"


def vertebra_click(layer: MaskLayer) -> tuple[float, float, float] | None:
    """The click a vertebra's body layer was found from (:data:`CLICK_KEY`), None when not kept."""
    raw = layer.extra.get(CLICK_KEY)
    if not isinstance(raw, str):
        return None
    try:
        values = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != 3:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    return (float(values[0]), float(values[1]), float(values[2]))


class VertebraTool:
    """Left-button tool: click in a vertebral body to find its anatomy."""

    name = "Vertebra"

    def __init__(self, controller: SegmentationController) -> None:
        self.controller = controller

    def press(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        self.controller.find_vertebra_at(np.asarray(point_lps, dtype=np.float64))
        return True

    def move(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        return True

    def release(self, view: Any, point_lps: FloatArray, event: Any) -> bool:
        return True


@dataclass(frozen=True)
class VertebraEntry:
    """One vertebra of the case, gathered from its layers."""

    vertebra_id: str
    level: str
    layers: dict[str, str]  # part -> layer name
    centroid_lps: FloatArray | None
    height_mm: float | None = None  # the body's height from its figures, None when not kept
    named: bool = False  # the operator named the level (else it was counted, or there is none)

    @property
    def prefix(self) -> str:
        """The layer-name prefix: the level, else the id in capitals ("V2")."""
        return self.level or self.vertebra_id.upper()


def level_named(layer: MaskLayer) -> bool:
    """Whether the operator named the level this vertebra layer carries (not counted from another); a
    layer saved before the flag existed counts as named."""
    return bool(layer.extra.get(NAMED_KEY, True))


def vertebrae_of(case: Case, index_to_lps: npt.NDArray[np.float64] | None) -> list[VertebraEntry]:
    """The vertebrae in the case (layers grouped by ``extra["vertebra"]``), in the order found."""
    groups: dict[str, dict[str, str]] = {}
    levels: dict[str, str] = {}
    named: dict[str, bool] = {}
    for layer in case.layers.values():
        vid = layer.extra.get("vertebra")
        if not isinstance(vid, str) or not vid:
            continue
        part = str(layer.extra.get("part", ""))
        groups.setdefault(vid, {})[part] = layer.name
        levels[vid] = str(layer.extra.get("level", "") or "")
        named[vid] = level_named(layer)
    out = []
    for vid, parts in groups.items():
        centroid = None
        body = parts.get("body")
        if body is not None and index_to_lps is not None:
            centroid = mask_centroid_lps(case.layers[body].mask, index_to_lps)
        height = None if body is None else _body_height_mm(case.layers[body])
        out.append(VertebraEntry(vid, levels[vid], parts, centroid, height, named[vid] and bool(levels[vid])))
    return out


def _body_height_mm(body: MaskLayer) -> float | None:
    """The body's height kept in its figures (:func:`planning.vertebra_figures.figures_text`), or None."""
    raw = body.extra.get("figures")
    if not isinstance(raw, str):
        return None
    try:
        height = json.loads(raw).get("body_height_mm")
    except (ValueError, AttributeError):
        return None
    if isinstance(height, (int, float)) and not isinstance(height, bool) and height > 0:
        return float(height)
    return None


def named_for_target(layers: Iterable[MaskLayer], target: Target) -> MaskLayer | None:
    """The first of ``layers`` named after the target's name, else its level ("L2 canal"), or None."""
    candidates = list(layers)
    for prefix in (target.name, target.level):
        if prefix:
            for layer in candidates:
                if layer.name.startswith(prefix + " "):
                    return layer
    return None


def next_vertebra_id(case: Case) -> str:
    """A vertebra id not used yet ("v1", "v2"...)."""
    used = {str(layer.extra.get("vertebra", "")) for layer in case.layers.values()}
    n = 1
    while f"v{n}" in used:
        n += 1
    return f"v{n}"


def anatomy_layers(
    anatomy: VertebraAnatomy,
    *,
    vertebra_id: str,
    level: str,
    series_uid: str,
    taken: set[str],
    named: bool = False,
) -> list[MaskLayer]:
    """Mask layers for a vertebra's anatomy (body, canal, posterior wall, pedicles and endplates when
    found). The body layer's ``extra["figures"]`` keeps the vertebra's figures
    (:func:`planning.vertebra_figures.figures_text`: volumes, height, canal area, wall, pedicle widths
    and angles, endplates), shown in the Vertebrae dock and saved with the case. ``named``: the operator
    named ``level`` (else it was counted)."""
    masks: dict[str, Mask | None] = {
        "body": anatomy.body,
        "canal": anatomy.canal,
        "canal_tube": anatomy.canal_tube,
        "posterior_wall": anatomy.posterior_wall,
    }
    for side, axis in anatomy.pedicles.items():
        masks[f"pedicle_{side.value}"] = axis.mask
    masks["superior_endplate"] = anatomy.superior_endplate
    masks["inferior_endplate"] = anatomy.inferior_endplate
    prefix = level or vertebra_id.upper()
    layers = []
    for part, mask in masks.items():
        if mask is None or not mask.any():
            continue
        suffix, kind = PARTS[part]
        name = unique_name(f"{prefix} {suffix}", taken)
        taken.add(name)
        extra: dict[str, JsonScalar] = {
            "vertebra": vertebra_id,
            "part": part,
            "level": level,
            NAMED_KEY: named and bool(level),
        }
        if part == "body":
            extra["figures"] = figures_text(anatomy)
            extra[CLICK_KEY] = json.dumps([float(v) for v in anatomy.click_lps])
        layers.append(
            MaskLayer(
                name,
                kind,
                mask,
                WHOLE_HEIGHT_CANAL_COLOR if part == "canal_tube" else DEFAULT_LAYER_COLORS[kind],
                series_uid,
                extra=extra,
            )
        )
    return layers


def push_anatomy(
    controller: SegmentationController,
    layers: list[MaskLayer],
    label: str,
    then: Iterable[Command] = (),
) -> None:
    """Add the anatomy layers, then the commands ``then`` (lesions tied to it), as one undo step."""
    stack = controller.window.case.undo_stack
    stack.beginMacro(label)
    try:
        for layer in layers:
            controller.window.case.push(AddLayer(layer))
        for command in then:
            controller.window.case.push(command)
    finally:
        stack.endMacro()


def mask_holds(mask: Mask, volume: Volume, point_lps: Iterable[float]) -> bool:
    """Whether the mask (on the volume's grid) holds the voxel nearest an LPS point (False outside it)."""
    idx = np.rint(volume.lps_to_index_points(np.asarray(tuple(point_lps), dtype=np.float64))).astype(int)
    rel = idx.reshape(3) - np.asarray(mask.offset_index)
    if not (np.all(rel >= 0) and np.all(rel < np.asarray(mask.array.shape))):
        return False
    return bool(mask.array[rel[0], rel[1], rel[2]])


def tie_lesions(case: Case, body: Mask, volume: Volume, vertebra_id: str, level: str) -> list[UpdateTarget]:
    """Commands tying to a newly found vertebra the lesion targets it holds that are tied to none.

    A lesion is tied to the vertebra whose body holds its seed (as the lesion tool ties it when the
    vertebra was found first); a lesion drawn with the brush has no seed, and is tied when the body holds
    at least half of its voxels (QA s31 C: one drawn before its vertebra was found stayed untied, its Wall
    and Level "—"). It becomes a spinal target with the vertebra's id, level and body centroid, so its
    posterior wall, canal and level serve its figures, needles and scores. Targets already tied, or placed
    in a vertebra otherwise (``vertebra_lps`` from ``osteoplan plan``), are left as they are.
    """
    centroid = mask_centroid_lps(body, volume.index_to_lps)
    out: list[UpdateTarget] = []
    for target in case.targets.values():
        if _untied(target) and _body_holds_lesion(case, target, body, volume):
            out.append(UpdateTarget(target.name, _tied(target, vertebra_id, level, centroid)))
    return out


def tie_painted_lesion(
    case: Case, volume: Volume, layer_name: str
) -> list[tuple[UpdateTarget, VertebraEntry]]:
    """Commands tying the lesion targets painted on a layer, tied to no vertebra, to a vertebra found
    before them whose body holds them (:func:`tie_lesions`'s test: the seed, or half a drawn lesion's
    voxels), with that vertebra.

    The other order of :func:`tie_lesions` (QA s31: a lesion drawn with the crosshair off the body, then
    painted into a vertebra found earlier, stayed untied): called when a brush stroke or a mask operation
    has changed the layer. Tied targets are left as they are (never moved to another vertebra).
    """
    targets = [t for t in case.targets.values() if t.lesion_layer == layer_name and _untied(t)]
    if not targets:
        return []
    out: list[tuple[UpdateTarget, VertebraEntry]] = []
    entries = vertebrae_of(case, volume.index_to_lps)
    for target in targets:
        for entry in entries:
            body = case.layers.get(entry.layers.get("body", ""))
            if body is not None and _body_holds_lesion(case, target, body.mask, volume):
                tied = _tied(target, entry.vertebra_id, entry.level, entry.centroid_lps)
                out.append((UpdateTarget(target.name, tied), entry))
                break
    return out


def _untied(target: Target) -> bool:
    """Whether a target is tied to no vertebra (nor placed in one by ``vertebra_lps``)."""
    return not target.extra.get("vertebra") and target.vertebra_lps is None


def _tied(target: Target, vertebra_id: str, level: str, centroid: FloatArray | None) -> Target:
    """The target as a spinal target of a vertebra: its id, level and body centroid."""
    return dataclasses.replace(
        target,
        kind=TargetKind.SPINE,
        level=level,
        vertebra_lps=None
        if centroid is None
        else (float(centroid[0]), float(centroid[1]), float(centroid[2])),
        extra={**target.extra, "vertebra": vertebra_id},
    )


def _body_holds_lesion(case: Case, target: Target, body: Mask, volume: Volume) -> bool:
    """Whether a vertebral body holds a lesion target: its seed, or (drawn, no seed) half its voxels."""
    if target.lesion_seed_lps is not None:
        return mask_holds(body, volume, target.lesion_seed_lps)
    layer = case.layers.get(target.lesion_layer) if target.lesion_layer else None
    if layer is None or layer.mask.grid_shape != body.grid_shape:
        return False
    voxels = layer.mask.count()
    return voxels > 0 and 2 * overlap_count(layer.mask, body) >= voxels


#: cache of anatomy findings: (vertebra id, rounded body centroid) -> (ribs, sacrum)
FindingCache = dict[tuple[str, tuple[float, ...]], tuple[RibFinding, SacrumFinding]]


def level_suggestions(case: Case, volume: Volume, cache: FindingCache) -> dict[str, LevelSuggestion]:
    """Levels suggested by anatomy for the case's vertebrae: vertebra id -> suggestion.

    Each vertebra's ribs and sacrum are judged once (:func:`imaging.level_anatomy.has_ribs` and
    :func:`~imaging.level_anatomy.is_sacrum`, about 0.1-0.3 s each, kept in ``cache``) from its body
    centroid, the direction to its canal layer and the level of its pedicle layers. Where a vertebra
    carries a level (named or counted), it is compared with the suggestion (warnings).
    """
    entries = [e for e in vertebrae_of(case, volume.index_to_lps) if e.centroid_lps is not None]
    if not entries:
        return {}
    ribs: list[RibFinding] = []
    sacrum: list[SacrumFinding] = []
    for e in entries:
        centroid = np.asarray(e.centroid_lps, dtype=np.float64)
        key = finding_key(e.vertebra_id, centroid)
        if key not in cache:
            cache[key] = judge_of(case, volume, e, centroid)
        ribs.append(cache[key][0])
        sacrum.append(cache[key][1])
    found = suggest_levels(
        np.array([e.centroid_lps for e in entries]),
        ribs,
        sacrum,
        heights_mm=[e.height_mm for e in entries],
        levels=[e.level or None for e in entries],
        named_indices={i for i, e in enumerate(entries) if e.named},
    )
    return {entries[s.index].vertebra_id: s for s in found}


def judge_of(
    case: Case, volume: Volume, entry: VertebraEntry, centroid: FloatArray
) -> tuple[RibFinding, SacrumFinding]:
    """Ribs and sacrum at a vertebra of the case (:func:`judge_masks` on its canal and pedicle layers)."""
    canal, pedicles = entry_masks(case, entry)
    return judge_masks(volume, centroid, canal, pedicles)


def entry_masks(case: Case, entry: VertebraEntry) -> tuple[Mask | None, list[Mask]]:
    """A vertebra's canal mask (None without one) and pedicle masks, from its layers."""
    canal = entry.layers.get("canal")
    pedicles = [case.layers[name].mask for part, name in entry.layers.items() if part.startswith("pedicle")]
    return (None if canal is None else case.layers[canal].mask), pedicles


def rib_frame(
    volume: Volume, centroid: FloatArray, canal: Mask | None, pedicles: list[Mask]
) -> tuple[FloatArray, FloatArray | None]:
    """Where a vertebra's ribs are looked for: the posterior direction (to the canal's centroid; +y
    without a canal) and the level of the ribs (the pedicles' mean centroid; None without pedicles)."""
    canal_lps = None if canal is None else mask_centroid_lps(canal, volume.index_to_lps)
    centres = [c for m in pedicles if (c := mask_centroid_lps(m, volume.index_to_lps)) is not None]
    return rib_search_frame(centroid, canal_lps, centres)


def judge_masks(
    volume: Volume, centroid: FloatArray, canal: Mask | None, pedicles: list[Mask]
) -> tuple[RibFinding, SacrumFinding]:
    """Ribs and sacrum at a vertebra from its body centroid, canal and pedicle masks (0.1-0.3 s each).

    The direction to the canal's centroid is posterior, the pedicles' mean centroid the level of the
    ribs (:func:`rib_frame`). Runs in the anatomy worker for a new vertebra, so the GUI thread does not
    wait for it.
    """
    posterior, level = rib_frame(volume, centroid, canal, pedicles)
    return (
        has_ribs(volume, centroid, posterior_lps=posterior, level_lps=level),
        is_sacrum(volume, centroid),
    )


def finding_key(vertebra_id: str, centroid_lps: FloatArray) -> tuple[str, tuple[float, ...]]:
    """The :data:`FindingCache` key of a vertebra."""
    return (vertebra_id, tuple(np.round(centroid_lps, 1).tolist()))


def unique_name(name: str, taken: set[str] | Any) -> str:
    """``name``, or ``name (2)``, ``name (3)``... not in ``taken``."""
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"
