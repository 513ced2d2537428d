"""The leakage-risk zone values and the grid the zone steps draw them on.

- :class:`ZoneKind`, :class:`LeakageZone` (one named zone: a mask on the volume's grid
  ``[slice, row, col]``, its volume in mL and how it was made) and :class:`LeakageMap` (all zones of one
  vertebra with the body's posterior quarter), with the near-wall band's clinical width
  (:data:`NEAR_WALL_MM`, CLINICAL.md) and the zone kinds it concerns (:data:`NEAR_WALL_KINDS`);
- :class:`ZoneGrid`: what every zone step of :func:`planning.leakage_map.leakage_zones` works on: the
  region of interest around the body, the body cropped to it, the vertebra's local frame and the
  frame coordinates (mm) of the region's voxels, the body's and the canal's voxel centres (LPS mm),
  and :meth:`ZoneGrid.zone`, which turns a box of the region into a :class:`LeakageZone`.

The zones themselves are built in :mod:`planning.leakage_map` (and the foramen bands in
:mod:`planning.leakage_foramen`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from imaging.mask import Mask
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.leakage_grid import BoolArray, FloatArray, Roi, VertebraFrame, vertebra_frame

NEAR_WALL_MM = 5.0  # CLINICAL.md: "within 0.5 cm of the posterior vertebral wall or a neural foramen"
NEAR_WALL_SOURCE = "CLINICAL.md (Chen 2022, Fan 2023): 0.5 cm of the posterior wall or a foramen"


class ZoneKind(StrEnum):
    """Kinds of leakage-risk zones."""

    POSTERIOR_WALL_BAND = "posterior-wall band"
    FORAMEN_BAND = "foramen band"
    POSTERIOR_WALL_DEFECT = "posterior-wall defect"
    CORTICAL_DEFECT = "cortical defect"
    ENDPLATE_DEFECT = "endplate defect"
    BASIVERTEBRAL_FORAMEN = "basivertebral venous foramen"
    ACCESS_TRACK = "access track"


#: Zones where injection switches to small aliquots (CLINICAL.md: posterior wall or a foramen).
NEAR_WALL_KINDS = frozenset(
    {ZoneKind.POSTERIOR_WALL_BAND, ZoneKind.FORAMEN_BAND, ZoneKind.POSTERIOR_WALL_DEFECT}
)


@dataclass(frozen=True, eq=False)
class LeakageZone:
    """One named zone: its mask (on the volume's grid), volume and how it was made."""

    kind: ZoneKind
    name: str
    mask: Mask
    volume_ml: float
    description: str
    approximate: bool = False
    #: the drawn mask's own volume (whole voxels); None when it is ``volume_ml``. A band's
    #: ``volume_ml`` counts the part of each voxel on its edge that lies inside it, so it does not
    #: depend on how the voxel layers fall against the band's width, while the mask draws the voxels
    #: at least half inside.
    mask_volume_ml: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able summary (no mask)."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "name": self.name,
            "volume_ml": round(self.volume_ml, 3),
            "description": self.description,
            "approximate": self.approximate,
        }
        if self.mask_volume_ml is not None:
            out["mask_volume_ml"] = round(self.mask_volume_ml, 3)
        return out


@dataclass(frozen=True, eq=False)
class LeakageMap:
    """All zones of one vertebra, with the body's posterior quarter (an injection stop rule)."""

    zones: tuple[LeakageZone, ...]
    posterior_quarter: Mask
    body_depth_mm: float
    band_mm: float
    notes: tuple[str, ...] = ()
    #: endplates ("superior", "inferior") the lesion reaches without breaking through them
    endplate_contacts: tuple[str, ...] = ()

    def zones_of(self, *kinds: ZoneKind) -> tuple[LeakageZone, ...]:
        """The zones of the given kinds."""
        return tuple(z for z in self.zones if z.kind in kinds)

    def union(self, kinds: frozenset[ZoneKind] | None = None) -> Mask:
        """The union of the zones (of ``kinds``, or all) as one mask."""
        chosen = [z.mask for z in self.zones if kinds is None or z.kind in kinds]
        return Mask.union(chosen, self.posterior_quarter.grid_shape)

    def to_json(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {
            "zones": [z.to_json() for z in self.zones],
            "band_mm": self.band_mm,
            "body_depth_mm": round(self.body_depth_mm, 2),
            "posterior_quarter_depth_mm": round(self.body_depth_mm / 4.0, 2),
            "notes": list(self.notes),
        }


@dataclass(frozen=True, eq=False)
class ZoneGrid:
    """The vertebra's region of interest as the zone steps see it (computed once, shared by them all).

    ``l_c``, ``a_c``, ``s_c`` are the vertebra-frame coordinates (mm: left, posterior, superior of the
    body centroid) of every voxel centre of the region, shaped like it; ``body_lps`` and ``canal_lps``
    the LPS centres ``(n, 3)`` of the whole body and canal masks (not only the part in the region), and
    ``body_l``, ``body_a``, ``body_s`` the body's frame coordinates.
    """

    volume: Volume
    roi: Roi
    frame: VertebraFrame
    #: the body mask cropped to the region
    body: BoolArray
    l_c: FloatArray
    a_c: FloatArray
    s_c: FloatArray
    body_lps: FloatArray
    body_l: FloatArray
    body_a: FloatArray
    body_s: FloatArray
    canal_lps: FloatArray
    band_mm: float

    def zone(
        self,
        kind: ZoneKind,
        name: str,
        box: BoolArray,
        description: str,
        *,
        approximate: bool = False,
        fraction: FloatArray | None = None,
    ) -> LeakageZone:
        """The zone drawn as ``box`` (a boolean box of the region). Its volume is the box's voxels, or,
        given ``fraction`` (the part of each voxel inside a band), the sum of those parts, with the
        drawn voxels' own volume kept as ``mask_volume_ml``."""
        vox_ml = self.volume.voxel_volume_ml
        mask_ml = int(np.count_nonzero(box)) * vox_ml
        volume_ml = mask_ml if fraction is None else float(fraction.sum()) * vox_ml
        return LeakageZone(
            kind,
            name,
            self.roi.to_mask(box),
            volume_ml,
            description,
            approximate,
            None if fraction is None else mask_ml,
        )


def zone_grid(volume: Volume, anatomy: VertebraAnatomy, *, band_mm: float, pad_mm: float) -> ZoneGrid:
    """The :class:`ZoneGrid` of one vertebra: a region of interest ``pad_mm`` around the body (wide
    enough for every band and the approximate foramina), the body cropped to it, the vertebra's frame
    (:func:`planning.leakage_grid.vertebra_frame`) and the coordinates the zone steps measure with.

    Raises
    ------
    PlanValidationError
        If the canal centroid gives no posterior or superior direction (see ``vertebra_frame``).
    """
    frame = vertebra_frame(volume, anatomy)
    roi = Roi(volume, anatomy.body, pad_mm=pad_mm)
    l_c, a_c, s_c = frame.coords(roi.lps)
    body_lps = volume.index_to_lps_points(anatomy.body.voxel_indices())
    body_l, body_a, body_s = frame.coords(body_lps)
    return ZoneGrid(
        volume=volume,
        roi=roi,
        frame=frame,
        body=roi.crop(anatomy.body),
        l_c=l_c,
        a_c=a_c,
        s_c=s_c,
        body_lps=body_lps,
        body_l=body_l,
        body_a=body_a,
        body_s=body_s,
        canal_lps=volume.index_to_lps_points(anatomy.canal.voxel_indices()),
        band_mm=band_mm,
    )
