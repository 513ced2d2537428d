"""The vertebra search's region round one point and its bony masks, built once for every step that reads them.

A point reading soft tissue is judged on the region's bony solid before any search
(:func:`imaging.click_soft.soft_outside_section_hull`), the search itself starts from the same region and
masks (:func:`imaging.vertebra.find_vertebra`), and a refusal after the search judges the point on them again
(:func:`imaging.click_soft.soft_outside_bone`). Each used to resample the region and build the masks itself:
about 110 ms of CPU each time on the 2-core machine (session 29's last read). The metal in the region is asked
for by the refusal before the search and by the refusals after it (:attr:`SearchRegion.metal`).
:class:`SearchRegion` builds each when first asked and hands every caller the same one. Callers read them and
never write to them (the search replaces a mask where metal changes it, :func:`dataclasses.replace`); the
arrays are made read-only so that a caller writing to one fails at once rather than changing what the next one
reads. Positions LPS mm.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import numpy.typing as npt

from imaging.bony_masks import BonyMasks, bony_solid
from imaging.vertebra_metal import MetalFinding, find_metal
from imaging.vertebra_roi import LpsRoi, resample_roi
from imaging.volume import Volume

__all__ = ["SearchRegion"]

FloatArray = npt.NDArray[np.float64]


class SearchRegion:
    """The region ``half_mm`` round ``point`` (``(low, high)`` offsets, mm, L P S) on a ``spacing_mm`` grid,
    resampled from ``volume`` (:attr:`roi`), its bony masks (:attr:`masks`) and the metal in it
    (:attr:`metal`), each built when first asked."""

    def __init__(self, volume: Volume, point: FloatArray, *, half_mm: FloatArray, spacing_mm: float) -> None:
        self.volume = volume
        self.point = np.asarray(point, dtype=np.float64)
        self.half_mm = np.asarray(half_mm, dtype=np.float64)
        self.spacing_mm = float(spacing_mm)

    @cached_property
    def roi(self) -> LpsRoi:
        """The resampled region (:func:`imaging.vertebra_roi.resample_roi`), read-only."""
        roi = resample_roi(self.volume, self.point, self.half_mm, self.spacing_mm)
        for array in (roi.array, roi.inside):
            array.flags.writeable = False
        return roi

    @cached_property
    def masks(self) -> BonyMasks:
        """The region's bony masks (:func:`imaging.bony_masks.bony_solid`), read-only."""
        masks = bony_solid(self.roi)
        for array in vars(masks).values():
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
        return masks

    @cached_property
    def metal(self) -> MetalFinding | None:
        """Metal on the source CT within the region round the point, or None: metal is looked for where the
        search looks (:func:`imaging.vertebra_metal.find_metal`)."""
        return find_metal(self.volume, self.roi, {}, centroid_lps=self.point, left_lps=(1.0, 0.0, 0.0))
