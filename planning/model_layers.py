"""Mask layers of a case: ``LayerKind``, ``MaskLayer``, default colours and box-wise mask helpers.

A ``MaskLayer`` is a named binary mask on the grid of the volume named by its ``source_series_uid``
([slice, row, col], see ``imaging.mask.Mask``). ``read_box`` and ``masks_equal`` work on voxel
indices of that grid; colours are RGB 0-255. Other code imports these names from ``planning.model``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from planning.model_base import FrozenDict, JsonScalar, _check_name, _enum, _frozen, _set

__all__ = [
    "DEFAULT_LAYER_COLORS",
    "WHOLE_HEIGHT_CANAL_COLOR",
    "LayerKind",
    "MaskLayer",
    "masks_equal",
    "read_box",
]


class LayerKind(StrEnum):
    """What a mask layer represents."""

    LESION = "lesion"
    BONE = "bone"
    BODY = "body"
    CANAL = "canal"
    POSTERIOR_WALL = "posterior_wall"
    PEDICLE = "pedicle"
    #: the neural foramina (exit of the spinal nerves). Case files saved before this kind existed hold
    #: them as CUSTOM layers named "... neural foramina"; those load unchanged (still CUSTOM).
    FORAMEN = "foramen"
    #: a vertebral body's superior or inferior endplate
    ENDPLATE = "endplate"
    CEMENT = "cement"
    ZONE = "zone"
    CUSTOM = "custom"


# Default colours of new layers by kind (RGB 0-255); the operator may change them.
DEFAULT_LAYER_COLORS: Mapping[LayerKind, tuple[int, int, int]] = FrozenDict(
    {
        LayerKind.LESION: (230, 60, 60),
        LayerKind.BONE: (230, 220, 190),
        LayerKind.BODY: (90, 160, 230),
        LayerKind.CANAL: (240, 200, 40),
        LayerKind.POSTERIOR_WALL: (250, 130, 20),
        LayerKind.PEDICLE: (120, 200, 120),
        LayerKind.FORAMEN: (40, 200, 210),  # cyan: apart from the canal's yellow and the pedicles' green
        LayerKind.ENDPLATE: (190, 110, 230),  # violet: apart from the body's blue and the wall's orange
        LayerKind.CEMENT: (235, 235, 255),
        LayerKind.ZONE: (255, 120, 200),
        LayerKind.CUSTOM: (160, 120, 220),
    }
)


#: the canal through the body's whole height (imaging.canal_tube), drawn with the enclosed canal it
#: contains: a paler yellow than the canal's, so the two can be told apart on the images
WHOLE_HEIGHT_CANAL_COLOR = (255, 240, 160)


def read_box(mask: Mask, offset_index: Iterable[int], shape: Iterable[int]) -> npt.NDArray[np.bool_]:
    """The mask's voxels inside the grid box at ``offset_index`` (``[slice, row, col]``) of ``shape``.

    A new array; voxels of the box outside the mask's own box are False.
    """
    off = [int(v) for v in offset_index]
    shp = [int(v) for v in shape]
    out = np.zeros(tuple(shp), dtype=bool)
    src, dst = [], []
    for a, na, b, nb in zip(mask.offset_index, mask.array.shape, off, shp, strict=True):
        lo, hi = max(a, b), min(a + na, b + nb)
        if hi <= lo:
            return out
        src.append(slice(lo - a, hi - a))
        dst.append(slice(lo - b, hi - b))
    out[tuple(dst)] = mask.array[tuple(src)]
    return out


def masks_equal(a: Mask, b: Mask) -> bool:
    """Voxel-for-voxel equality of two masks on the same grid, comparing only their boxes.

    Same answer as ``Mask.__eq__`` without allocating the whole grid when the boxes differ.
    """
    if a is b or (a.array is b.array and a.offset_index == b.offset_index):
        return a.grid_shape == b.grid_shape
    if a.grid_shape != b.grid_shape:
        return False
    if a.count() != b.count():  # cheap and allocation-free: settles most real edits
        return False
    if a.offset_index == b.offset_index and a.array.shape == b.array.shape:
        return bool(np.array_equal(a.array, b.array))
    lo = [min(x, y) for x, y in zip(a.offset_index, b.offset_index, strict=True)]
    hi = [
        max(x + n, y + m)
        for x, n, y, m in zip(a.offset_index, a.array.shape, b.offset_index, b.array.shape, strict=True)
    ]
    shape = [h - low for low, h in zip(lo, hi, strict=True)]
    return bool(np.array_equal(read_box(a, lo, shape), read_box(b, lo, shape)))


@dataclass(frozen=True, eq=False)
class MaskLayer:
    """A named binary mask on the grid of volume ``source_series_uid``.

    The mask's array is made read-only (copied first if it was writable) so that a stored layer can
    never change behind the undo history's back.
    """

    name: str
    kind: LayerKind
    mask: Mask
    color_rgb: tuple[int, int, int] = (160, 120, 220)
    source_series_uid: str = ""
    extra: Mapping[str, JsonScalar] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        _check_name(self.name, "name")
        _enum(self, "kind", LayerKind)
        if not isinstance(self.mask, Mask):
            raise ValueError(f'Argument "mask" must be an imaging.mask.Mask, got {type(self.mask).__name__}')
        if self.mask.array.flags.writeable:
            frozen = self.mask.array.copy()
            frozen.flags.writeable = False
            _set(self, "mask", Mask(frozen, self.mask.offset_index, self.mask.grid_shape))
        rgb = tuple(int(c) for c in self.color_rgb)
        if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
            raise ValueError(f'Argument "color_rgb" must be 3 integers 0-255, got {self.color_rgb!r}')
        _set(self, "color_rgb", rgb)
        _frozen(self, "extra")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MaskLayer):
            return NotImplemented
        mine = (self.name, self.kind, self.color_rgb, self.source_series_uid, self.extra)
        theirs = (other.name, other.kind, other.color_rgb, other.source_series_uid, other.extra)
        return mine == theirs and masks_equal(self.mask, other.mask)

    __hash__ = None  # type: ignore[assignment]  # a Mask is not hashable

    @classmethod
    def new(cls, name: str, kind: LayerKind | str, mask: Mask, source_series_uid: str = "") -> MaskLayer:
        """A layer with the default colour of its kind."""
        k = LayerKind(kind)
        return cls(name, k, mask, DEFAULT_LAYER_COLORS[k], source_series_uid)
