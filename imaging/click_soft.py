"""A refused click in soft tissue or fluid outside the bone: said so, with where the nearest bone lies.

Session 25's QA (E9): a click in the soft tissue in front of the 3 mm abdomen's L3 (-26 HU) was refused
with "... soft tissue or fluid, not bone ...; the body found is 45 mm tall, more than one vertebra (40 mm):
its end plates were not seen (thin discs, dense bone?)": a "body found" from a point in no body, and
advice about discs. What the search ran into from such a point is noise. A soft-tissue reading alone
says nothing (a lytic lesion inside a body reads so, :mod:`imaging.click_tissue`); a point that no bone
encloses does, but for a lesion that has broken through the cortex round it, which the words name.
:func:`soft_outside_bone` judges it on the bony solid of the click's region
(:func:`imaging.bony_masks.bony_solid`: bone, and what bone encloses in a coronal or sagittal plane, as
the body's interior, a lytic lesion or an osteoporotic one, is enclosed by its cortex), and on the axial
section through it (the ring of body, pedicles and laminae round the spinal canal: canal clicks that the
canal refusal lets by, :mod:`imaging.click_place`, keep their words).

The nearest bone is said with the direction to it, so the operator sees which way the vertebra lies: the
nearest voxel of the largest connected piece of bone in the region, when it holds at least
``MIN_BONE_PIECE_ML`` (small pieces are calcified vessels, stones and contrast: around the abdomen's L3
the vertebra measured 67-78 mL of bone in the search's region, the largest other piece 0.97 mL; an aortic
plaque 2 mm from a click in the aorta would have been "the nearest bone").

Such a point is also refused before any search (:func:`soft_outside_section_hull`; asked first by
:func:`imaging.vertebra.find_vertebra` through :func:`imaging.vertebra_refusal.soft_front_refusal`, not
near metal nor on a disc) when it lies more than ``CLICK_IN_BODY_MM`` from bone and outside the convex
hull of the bone in its own axial section. A body's dark interior (an osteoporotic
or lytic one: lumbar-ct-labels L3's centre reads 28 HU and lies 10 mm from any voxel the bony solid takes
for bone) lies inside its own cortex's section, and so inside that section's hull, even where the cortex
is in pieces or a lesion has opened it towards the canal. Soft tissue in front of a body lies outside it:
there the search ran into noise, a 13-15 mL blob at the point 4-6 mm in front of that L3 (Dice 0.09) and
a 37.9 mL "body" from the abdomen's soft tissue 9 mm in front of L4 (47 HU). In the chest the ribs put
the tissue in front of the spine inside the hull, so there the rule refuses nothing (nor in the pelvis,
whose bones put the psoas inside it); the search's own refusals remain. Measured (session 29, task A,
tests/benchmarks/soft_click_outline_figures.py): of 14 clicks in soft tissue round the spine, 10 refused;
of 107 clicks in bodies and 91 painted lytic lesions, none.

Positions LPS mm; HU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage.morphology import convex_hull_image

from imaging.bony_masks import BonyMasks
from imaging.click_tissue import DESTROYED_BODY_STEP, ClickTissue, Tissue
from imaging.lesion_grow import LesionParameters
from imaging.lesion_outside import bone_around_share
from imaging.search_region import SearchRegion
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.vertebra_roi import LpsRoi
from imaging.vertebra_steps import CLICK_IN_BODY_MM

__all__ = ["MIN_BONE_PIECE_ML", "SoftOutsideBone", "soft_outside_bone", "soft_outside_section_hull"]

FloatArray = npt.NDArray[np.float64]

#: bone met within this distance (mm) counts round a point: the lesion tool's seed_bone_search_mm, within
#: which a seed must have bone to be "in or at a bone" (imaging.lesion_seed)
SURROUNDED_WITHIN_MM = LesionParameters().seed_bone_search_mm
#: more than this share of directions meeting bone is "surrounded" (imaging.lesion_outside: geometry, not a
#: tuned figure)
SURROUNDED_SHARE = 0.5
BoolArray = npt.NDArray[np.bool_]

#: a connected piece of bone at least this large in the region is bone to click towards (mL): twice the
#: largest calcification measured around the abdomen's L3 (0.97 mL); a vertebra's bone there, 67-78 mL
MIN_BONE_PIECE_ML = 2.0
#: the words for the direction to the nearest bone along each LPS axis, (negative, positive)
_TOWARDS = (("to its right", "to its left"), ("in front of it", "behind it"), ("below it", "above it"))


@dataclass(frozen=True)
class SoftOutsideBone:
    """A point reading soft tissue or fluid that no bone encloses: what it reads (``median_hu``), how far
    the nearest bone lies (mm: the largest piece of bone in the region, None when it holds less than
    ``MIN_BONE_PIECE_ML``), which way (``towards``: "behind it", "to its left" ...; the axis it lies
    furthest along) and the region's least half-size (``region_mm``)."""

    median_hu: float
    nearest_bone_mm: float | None
    towards: str
    region_mm: float
    #: bone surrounds the point (:func:`bone_surrounds`): it may lie in a body a lesion destroyed
    surrounded: bool = False

    def words(self) -> str:
        """The refusal's words."""
        where = (
            f"the nearest bone lies {self.nearest_bone_mm:.0f} mm {self.towards}"
            if self.nearest_bone_mm is not None
            else f"no bone lies within {self.region_mm:.0f} mm of it (small calcifications aside)"
        )
        step = f"; {DESTROYED_BODY_STEP}" if self.surrounded else ""
        return (
            f"the point reads {self.median_hu:.0f} HU near it, soft tissue or fluid, and no bone encloses it "
            f"(outside the bone, or a lesion that has broken through it); {where}: click inside a vertebral "
            f"body{step}"
        )

    def refusal(self, click: FloatArray) -> ClickNotInBodyError:
        """The refusal of the point (marked as perhaps in a destroyed body when bone surrounds it)."""
        return ClickNotInBodyError(self.words(), click, destroyed_body_possible=self.surrounded)


def soft_outside_bone(region: SearchRegion, tissue: ClickTissue) -> SoftOutsideBone | None:
    """The point as soft tissue outside the bone, or None when it does not read soft tissue or fluid or
    bone encloses it (see the module's notes).

    ``region`` is the vertebra search's region round the click (its point), so a body's ring is whole
    around any point in it.
    """
    if tissue.tissue is not Tissue.SOFT:
        return None
    roi, masks, click = region.roi, region.masks, region.point
    at = np.rint(roi.lps_to_index(click)).astype(np.int64)
    if np.all(at >= 0) and np.all(at < roi.shape):
        here = tuple(at)
        if masks.solid[here]:
            return None  # enclosed by bone: a lytic lesion or a dark interior inside a body reads so
        if ndimage.binary_fill_holes(masks.closed[here[0]]).astype(bool)[here[1:]]:
            return None  # in the bony ring round the spinal canal (a canal click let by)
    return _with_nearest_bone(roi, masks, click, tissue, region.half_mm)


def soft_outside_section_hull(region: SearchRegion, tissue: ClickTissue) -> SoftOutsideBone | None:
    """The point as soft tissue in front of (or beside) the bone, to be refused before any search: it reads
    soft tissue or fluid, lies more than ``CLICK_IN_BODY_MM`` from the bony solid's bone and outside the
    convex hull of that bone in the point's axial section (see the module's notes); else None.

    ``region`` is the vertebra search's region round the click, as for :func:`soft_outside_bone`.
    """
    if tissue.tissue is not Tissue.SOFT:
        return None
    roi, masks, click = region.roi, region.masks, region.point
    bone = masks.bone & roi.inside
    points = roi.voxel_points_lps(bone)
    if len(points) and float(np.min(np.linalg.norm(points - click, axis=1))) <= CLICK_IN_BODY_MM:
        return None  # within the click's tolerance of bone: the search judges it
    at = np.rint(roi.lps_to_index(click)).astype(np.int64)
    section = bone[int(at[0])]
    # the hull of the whole section's bone, not of one piece: a body's cortex in pieces (the 3 mm abdomen's
    # at 150 HU) still rings its interior, and the ribs or the pelvis ring what lies in front of the spine
    if section.any():
        hull: BoolArray = np.asarray(convex_hull_image(section), dtype=np.bool_)  # type: ignore[no-untyped-call]
        if hull[int(at[1]), int(at[2])]:
            return None
    return _with_nearest_bone(roi, masks, click, tissue, region.half_mm)


def _with_nearest_bone(
    roi: LpsRoi, masks: BonyMasks, click: FloatArray, tissue: ClickTissue, roi_half_mm: FloatArray
) -> SoftOutsideBone:
    """The refusal's figures for a soft point outside the bone: the nearest voxel of the region's largest
    piece of bone (when it holds ``MIN_BONE_PIECE_ML``), its distance and direction."""
    region_mm = float(np.min(np.abs(np.asarray(roi_half_mm))))
    pieces, n = ndimage.label(masks.bone)
    sizes_ml = np.bincount(pieces.ravel())[1:] * roi.spacing_mm**3 / 1000.0
    if n == 0 or float(sizes_ml.max()) < MIN_BONE_PIECE_ML:
        return SoftOutsideBone(tissue.median_hu, None, "", region_mm)
    surrounded = _bone_share(roi, masks, click) > SURROUNDED_SHARE
    bone = roi.voxel_points_lps(pieces == int(np.argmax(sizes_ml)) + 1)
    offsets = bone - click
    nearest = offsets[int(np.argmin(np.linalg.norm(offsets, axis=1)))]
    axis = int(np.argmax(np.abs(nearest)))
    towards = _TOWARDS[axis][int(nearest[axis] > 0.0)]
    return SoftOutsideBone(tissue.median_hu, float(np.linalg.norm(nearest)), towards, region_mm, surrounded)


def bone_surrounds(region: SearchRegion) -> bool:
    """Whether bone surrounds the region's point: met within ``SURROUNDED_WITHIN_MM`` in more than half of
    the directions from it (:func:`imaging.lesion_outside.bone_around_share`, the lesion tool's test of a
    lytic seed: seen from outside a convex bone, bone fills less than half of the directions). A point
    reading soft tissue that bone surrounds may lie in a vertebral body a lesion destroyed (its end plates,
    cortex remnants and pedicles round it); muscle, vessels and bowel beside the spine are not surrounded.
    """
    return _bone_share(region.roi, region.masks, region.point) > SURROUNDED_SHARE


def _bone_share(roi: LpsRoi, masks: BonyMasks, point: FloatArray) -> float:
    """The share of directions from the point in which bone lies within ``SURROUNDED_WITHIN_MM`` (0 when
    the point lies outside the region)."""
    at = np.asarray(roi.lps_to_index(point), dtype=np.float64)
    if not (np.all(np.rint(at) >= 0) and np.all(np.rint(at) < np.asarray(roi.shape))):
        return 0.0
    return bone_around_share(masks.bone, at, (roi.spacing_mm,) * 3, SURROUNDED_WITHIN_MM)
