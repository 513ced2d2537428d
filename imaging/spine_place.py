"""Where a refused point on bone lies against the spinal canal, for the refusal's words.

A point the vertebra search refuses, whose "disc" is no disc (:mod:`imaging.disc_cover`: the bone above
and below it is narrower than a vertebral body's end plates), was said to be "on the disc" (session 22:
chest spinous processes T9-T11, transverse processes at T8 and T9, the sternum; the 3 mm abdomen's L3
arch 10 mm behind the canal). Where it lies is said instead, against the spinal canal found near it:

- the canal is looked for as the body search looks for it behind a click (:func:`imaging.vertebra_canal.
  find_canal`, both passes), from points ``LOOK_FROM_FRONT_MM`` in front of the point (a
  point on the arch lies behind the canal, on a transverse process beside and behind it). A hole counts as
  the canal where it is at least ``MIN_CANAL_ACROSS_MM`` across both ways on a section and a vertebral
  body lies in front of it (:func:`imaging.canal_holding.body_in_front`, at least 12 mm deep), as
  :mod:`imaging.click_place` judges a canal; of those found the foremost is the
  canal (holes behind it are gaps in the arch: from the abdomen's L3 arch point, a 41 x 40 mm hole behind
  the point, the canal 10 mm in front of it);
- behind the canal's back edge, or behind the canal in the point's own column (a lamina beside the
  midline; :func:`_behind_in_its_column`), and no further to its side than ``ARCH_BESIDE_CANAL_MM``: on the
  vertebral arch (lamina, spinous process);
- further to the side, level with the canal or behind its front edge: on a transverse process;
- no canal found: not on the spine as far as can be seen (the sternum, the scapula?);
- anything else is not said (the search's own reason stands).

ROI rows run posterior (LPS y), sections superior; positions LPS mm.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import BonyMasks, bony_solid
from imaging.canal_holding import MIN_CANAL_ACROSS_MM, body_in_front
from imaging.canal_point import beside_the_canal_mm, on_nearest_section
from imaging.vertebra_canal import CanalResult, find_canal
from imaging.vertebra_roi import LpsRoi, resample_roi
from imaging.vertebra_steps import CLICK_IN_BODY_MM, RING_CLOSING_MM
from imaging.volume import Volume

__all__ = [
    "ARCH_BESIDE_CANAL_MM",
    "LOOK_FROM_FRONT_MM",
    "Place",
    "SpinePlace",
    "arch_words",
    "place_words",
    "spine_place",
]

FloatArray = npt.NDArray[np.float64]

#: the canal is looked for from the point and from these distances in front of it (mm): the search takes
#: a canal at least 8 mm and at most 55 mm from where it looks (imaging.vertebra_canal), and a spinous
#: process' tip lies up to about 60 mm behind the canal's centre (lumbar), a transverse process 15-35 mm
#: to its side and level with it (chest CT, measured in the study script)
LOOK_FROM_FRONT_MM = (30.0, 70.0)
#: the region searched, offsets from the point (mm, L P S): the look-from points, and the canal up to
#: 55 mm from them; the canal is traced over 25 mm above and below (CANAL_SEARCH_HALF_HEIGHT_MM)
ROI_LOW_MM = (-60.0, -75.0, -30.0)
ROI_HIGH_MM = (60.0, 45.0, 30.0)
#: the articular processes and the laminae stand over the pedicles, at the canal's sides: up to a pedicle's
#: width beyond the canal's side edge (the widest, L5: 17.8 mm, CLINICAL.md); bone further out, level with
#: the canal or behind its front edge, is a transverse process (chest CT: 22-27 mm beyond the edge;
#: the arch behind T8's canal 12.5 mm)
ARCH_BESIDE_CANAL_MM = 18.0


class Place(StrEnum):
    """Where a point lies against the spinal canal."""

    ARCH = "arch"  # behind the canal: lamina, spinous process
    TRANSVERSE = "transverse"  # beside the arch: a transverse process
    NO_CANAL = "no canal"  # no canal found near the point
    OTHER = "other"


@dataclass(frozen=True)
class SpinePlace:
    """Where the point lies (``place``), the canal's centre on its section nearest the point (LPS mm,
    None without a canal), and how far the point lies beyond the canal's side edge (mm, 0 within)."""

    place: Place
    canal_lps: tuple[float, float, float] | None = None
    beside_mm: float = 0.0


def spine_place(volume: Volume, point_lps: npt.ArrayLike) -> SpinePlace:
    """Where the point lies against the spinal canal found near it (see the module's notes)."""
    point = np.asarray(point_lps, dtype=np.float64)
    low, high = np.asarray(ROI_LOW_MM), np.asarray(ROI_HIGH_MM)
    roi = resample_roi(volume, point + 0.5 * (low + high), 0.5 * (high - low), 1.0)
    masks = bony_solid(roi)
    found = [
        canal
        for d in LOOK_FROM_FRONT_MM
        if (canal := _canal_from(roi, masks, point - np.array([0.0, d, 0.0]))) is not None
    ]
    canals = [(c, centre) for c in found if (centre := _canal_centre(roi, masks, c, point)) is not None]
    if not canals:
        return SpinePlace(Place.NO_CANAL)
    canal, centre = min(canals, key=lambda cc: float(cc[1][1]))  # the foremost
    at = on_nearest_section(roi, canal, point)
    k, row, _ = at
    rows = np.flatnonzero(canal.mask[k].any(axis=1))
    beside_mm = beside_the_canal_mm(roi, canal, at)
    where = (float(centre[0]), float(centre[1]), float(centre[2]))
    if beside_mm <= ARCH_BESIDE_CANAL_MM and (row > rows[-1] or _behind_in_its_column(canal, at, beside_mm)):
        return SpinePlace(Place.ARCH, where, beside_mm)
    if beside_mm > ARCH_BESIDE_CANAL_MM and row >= rows[0]:
        return SpinePlace(Place.TRANSVERSE, where, beside_mm)
    return SpinePlace(Place.OTHER, where, beside_mm)


def _behind_in_its_column(canal: CanalResult, at: tuple[int, int, int], beside_mm: float) -> bool:
    """Whether the point (``at``, on the canal's section) lies behind the canal in its own column, or in
    the canal's side column when it lies within ``CLICK_IN_BODY_MM`` beside the canal (one coarse voxel).

    The laminae roof the canal across its width, further forward at its sides than at its middle, where
    they meet the spinous process: a lamina point beside the midline lies in front of the section's back
    edge, yet behind the canal where it is (the 3 mm abdomen's L2 left lamina, (12.8, -104.4, 345.7): 3 mm
    in front of the back edge, 12 mm left of the canal's centre; session 26, QA s25 E8). A pedicle lies
    level with the canal's side, not behind it."""
    if beside_mm > CLICK_IN_BODY_MM:
        return False
    k, row, col = at
    section = canal.mask[k]
    cols = np.flatnonzero(section.any(axis=0))
    rows_here = np.flatnonzero(section[:, int(np.clip(col, cols[0], cols[-1]))])
    return bool(len(rows_here) and row > rows_here[-1])  # a column between two pieces of a section: not


def _canal_from(roi: LpsRoi, masks: BonyMasks, look_from: FloatArray) -> CanalResult | None:
    """The canal the body search finds behind a click at ``look_from``: enclosed by bone, else with its
    ring closed over gaps or inside the bone's convex hull (imaging.vertebra_steps.canal_at_click)."""
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, look_from)
    if canal is None:
        canal = find_canal(
            roi, masks.closed, masks.smoothed, look_from, ring_closing_mm=RING_CLOSING_MM, hull=True
        )
    return canal


def _canal_centre(roi: LpsRoi, masks: BonyMasks, canal: CanalResult, point: FloatArray) -> FloatArray | None:
    """The canal's centre (LPS) on its section nearest the point, when the hole is a canal there: at least
    ``MIN_CANAL_ACROSS_MM`` across both ways, mostly outside the bony solid (the canal runs on up and down
    the spine, and no bone closes it in a sagittal or coronal plane; a body's dark interior is closed so:
    the 3 mm abdomen's L3, a hole 41 x 18 mm centred 1 mm from its centroid, found from 70 mm in front of
    the arch point behind its canal), with a body in front (:func:`imaging.canal_holding.body_in_front`);
    else None."""
    k, _, _ = on_nearest_section(roi, canal, point)
    section = canal.mask[k]
    rows = np.flatnonzero(section.any(axis=1))
    cols = np.flatnonzero(section.any(axis=0))
    least_px = MIN_CANAL_ACROSS_MM / roi.spacing_mm
    if rows[-1] - rows[0] + 1 < least_px or cols[-1] - cols[0] + 1 < least_px:
        return None
    if float(np.mean(masks.solid[k][section])) > 0.5:
        return None  # closed by bone in a sagittal or coronal plane: a body's dark interior, not the canal
    r, c = (round(float(v)) for v in np.argwhere(section).mean(axis=0))
    if not body_in_front(roi, masks, canal, (k, r, c)):
        return None
    centre: FloatArray = roi.index_to_lps(np.array([float(k), float(r), float(c)]))
    return centre


def place_words(
    place: SpinePlace, plates_mm: tuple[float, float], median_hu: float | None = None
) -> str | None:
    """The refusal's words for a point whose "disc" is no disc (``plates_mm``: the bone above and below it,
    side to side and front to back, :func:`imaging.disc_cover.endplate_cover_mm`; ``median_hu``: what the
    point reads, when it is bone), or None for a place not said (:attr:`Place.OTHER`).

    A point on the vertebral arch or a transverse process is told where it lies and where to click, as
    every arch refusal is (:func:`arch_words`), and not that its bone is too narrow for a disc's end plates:
    the operator clicked no disc (QA s29 F4: the 3 mm abdomen's L3 lamina and spinous process were told
    "... so it is no disc"). A point not on the spine is told so, the narrow bone being part of why."""
    if place.place is Place.ARCH:
        return arch_words(place, median_hu)
    if place.place is Place.TRANSVERSE:
        return (
            f"the point{_reads(median_hu)} lies {place.beside_mm:.0f} mm to the side of the spinal canal, "
            "level with it or behind it: on a transverse process, beside the vertebral arch, not in a "
            "vertebral body: click in the body in front of the canal"
        )
    if place.place is Place.NO_CANAL:
        plates = (
            f"the bone above and below it is {plates_mm[0]:.0f} x {plates_mm[1]:.0f} mm across (side to side "
            "x front to back), narrower than a vertebral body's end plates, so it is no disc"
        )
        return (
            f"the point is not on the spine as far as can be seen: {plates}, and no spinal canal with a body "
            "in front of it lies near the point (the sternum? the scapula?); click inside a vertebral body"
        )
    return None


def arch_words(place: SpinePlace, median_hu: float | None) -> str | None:
    """The refusal's words for a point (on bone reading ``median_hu`` near it, None: not said) that lies on
    the vertebral arch (:attr:`Place.ARCH`), else None.

    For a click whose body found lies beside the spinal canal (:mod:`imaging.click_beside`): from a lamina
    the search cuts a piece of the arch for a body, and its words offered a scapula, a rib or a pedicle for
    it (QA s25 E8: the 3 mm abdomen's L3 lamina, (16.0, -107.3, 322.3), 450 HU near it). The same words for
    an arch point refused otherwise (:func:`place_words`, :func:`imaging.vertebra_refusal.better_refusal`).
    """
    if place.place is not Place.ARCH:
        return None
    if place.beside_mm > 0.0:
        # beside the canal's side edge, over the pedicle: the lamina's outer part or an articular process
        # (chest T8, 13 mm beside the canal and behind it: a 22.6 mL "body" in the arch in session 22)
        where = f"behind the spinal canal and {place.beside_mm:.0f} mm beside it, on the vertebral arch (a "
        where += "lamina or an articular process)"
    else:
        where = "behind the spinal canal, on the vertebral arch (lamina or spinous process)"
    return (
        f"the point{_reads(median_hu)} lies {where}, not in a vertebral body: click in the body in front of "
        "the canal"
    )


def _reads(median_hu: float | None) -> str:
    """What follows "the point" in the words: " (450 HU near it)", or "" when what it reads is not known."""
    return "" if median_hu is None else f" ({median_hu:.0f} HU near it)"
