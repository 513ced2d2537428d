"""The figures of a lesion mask as it is now: after the operator edited it, or drew it by hand.

:func:`imaging.lesion.segment_lesion` measures the mask it grew. Once the operator paints, erases, fills
or grows that mask, its volume, largest diameter, HU statistics, cortical breach and posterior-wall
involvement (the lesion reaching the wall band: :mod:`imaging.lesion_involvement`, with its distances to
the wall and canal and its overlap with the pedicles when those are given) are those of the new mask,
measured here the same way (the same bone mask in the same region around the seed, so an unedited mask
gives the figures segmentation gave). The type and the reference bone HU are carried over when the caller
gives them (the operator's or the segmentation's); for a mask drawn by hand they are measured as
segmentation measures them: the reference in the shell of bone around the mask, the type from the mask's
lightly smoothed HU against it.

Positions LPS mm, volumes mL, CT values HU; masks lie on the volume's grid ``[slice, row, col]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.bone import bone_mask_array
from imaging.lesion_basis import ReferenceSample, ReferenceSite, TypeBasis, reference_site
from imaging.lesion_classify import classify
from imaging.lesion_errors import SegmentationError
from imaging.lesion_grow import LesionParameters, distance_from, smooth_hu
from imaging.lesion_involvement import Involvement, involvement
from imaging.lesion_measure import LesionMeasures, lesion_measures
from imaging.lesion_model import NORMAL_LIKE, Lesion, LesionType
from imaging.lesion_morph import (
    IndexBox,
    ball_footprint,
    box_around_index,
    fill_holes,
    intersect_boxes,
    union_boxes,
)
from imaging.lesion_padding import zero_filled
from imaging.lesion_reference import reference_around_lesion
from imaging.lesion_seed import seed_voxel
from imaging.mask import Mask
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]


def lesion_bone(
    hu: npt.NDArray[np.float32],
    spacing_mm: tuple[float, float, float],
    p: LesionParameters,
    outside: BoolArray,
) -> BoolArray:
    """The bone (cortex and the marrow it encloses) a lesion is measured against, in a region's HU.

    Filled in 3D only (filling by views would add the marrow and soft tissue next to the bone); the
    ``outside`` voxels, those a crop filled with 0 HU (:func:`imaging.lesion_padding.zero_filled` of
    ``hu``), close a bone the scan's edge cuts, as a cortex would, so a lesion cut by the edge is inside
    its bone, not a breach.
    """
    bone = bone_mask_array(
        hu, spacing_mm, threshold_hu=p.bone_threshold_hu, metal_hu=p.dense_max_hu, fill_views=False
    )
    if outside.any():
        bone = fill_holes(bone | outside) & ~outside
    return bone


def measure_lesion_mask(
    volume: Volume,
    mask: Mask,
    *,
    lesion_type: LesionType | None,
    reference_bone_hu: float | None,
    seed_lps: Sequence[float] | None = None,
    posterior_wall: Mask | None = None,
    parameters: LesionParameters | None = None,
    canal: Mask | None = None,
    pedicles: Mapping[str, Mask] | None = None,
) -> Lesion:
    """Measure a lesion mask as :func:`imaging.lesion.segment_lesion` measures the mask it grows.

    Parameters
    ----------
    volume
        The CT volume (HU).
    mask
        The lesion on the volume's grid; must not be empty.
    lesion_type, reference_bone_hu
        Carried over unchanged (the type the operator kept or chose, the bone it was compared with).
        None: the reference is measured in the shell of normal bone around the mask (as
        :func:`imaging.lesion_reference.reference_around_lesion`), the type judged from the mask's HU
        against it (:func:`imaging.lesion_classify.classify`); the notes say so.
    seed_lps
        The seed the lesion was grown from (LPS mm); the bone is taken in the region segmentation used
        around it, grown to hold the whole mask. None: the mask's centroid.
    posterior_wall
        The posterior wall of the vertebra holding the lesion, on the same grid, or None outside a
        vertebra (``posterior_wall_involved`` is then None). Involved when the lesion reaches it
        (:attr:`imaging.lesion_involvement.Involvement.wall_involved`).
    parameters
        The segmentation's parameters (region size, bone threshold); defaults as there.
    canal, pedicles
        The vertebra's canal and pedicle masks (side -> mask), for ``Lesion.involvement``'s canal
        distance and pedicle overlaps; None outside a vertebra.

    Returns
    -------
    Lesion
        With this mask's volume, largest diameter, HU statistics, centroid, box and cortical breach.

    Raises
    ------
    SegmentationError
        If the reference is to be measured and no normal bone surrounds the mask.
    ValueError
        If the mask is empty or on another grid, or ``seed_lps`` is not 3 finite numbers.
    """
    if mask.grid_shape != volume.shape:
        raise ValueError(f"mask grid {mask.grid_shape} differs from the volume's {volume.shape}")
    if not mask.any():
        raise ValueError('Argument "mask" is empty: nothing to measure')
    p = parameters if parameters is not None else LesionParameters()
    if seed_lps is None:
        centroid = volume.index_to_lps_points(mask.voxel_indices().astype(np.float64)).mean(axis=0)
        seed = np.asarray(centroid, dtype=np.float64)
    else:
        seed = np.asarray(seed_lps, dtype=np.float64)
        if seed.shape != (3,) or not np.all(np.isfinite(seed)):
            raise ValueError(f'Argument "seed_lps" must be 3 finite numbers, got {seed_lps!r}')
    roi = _region(volume, mask, seed, p)
    hu = volume.array[roi].astype(np.float32)
    outside = zero_filled(hu)
    bone = lesion_bone(hu, volume.spacing_mm, p, outside)
    measures = lesion_measures(
        volume,
        mask,
        bone_in_roi=bone,
        roi_index=roi,
        outside_in_roi=outside,
        parameters=p,
    )
    notes: list[str] = []
    site: ReferenceSite | None = None
    basis: TypeBasis | None = None
    if reference_bone_hu is None or lesion_type is None:
        local = _in_region(mask, roi, hu.shape)
        if reference_bone_hu is None:
            sample = _reference_around(hu, bone, local, volume.spacing_mm, p)
            reference_bone_hu = sample.hu
            offset = np.array([s.start for s in roi], dtype=np.float64)
            seed_dist = distance_from(hu.shape, seed_voxel(volume, seed) - offset, volume.spacing_mm)
            site = reference_site(sample, seed_dist=seed_dist, offset_index=offset, volume=volume)
            notes.append(f"reference bone HU measured in the bone {_shell(p)} around the mask")
        if lesion_type is None:
            smooth = smooth_hu(hu, volume.spacing_mm, p.smoothing_sigma_mm, outside=outside)
            lesion_type, fractions = classify(
                smooth[local],
                reference_bone_hu,
                abnormal_delta_hu=p.abnormal_delta_hu,
                mixed_min_fraction=p.mixed_min_fraction,
            )
            notes.append(
                f"type judged on the mask: lytic fraction {fractions[0]:.2f}, sclerotic fraction "
                f"{fractions[1]:.2f}"
            )
            basis = TypeBasis(*fractions, float(reference_bone_hu), p.abnormal_delta_hu, p.mixed_min_fraction)
            if max(fractions) < p.mixed_min_fraction:
                notes.append(
                    f"{NORMAL_LIKE}: under {p.mixed_min_fraction:.0%} "
                    f"of it is more than {p.abnormal_delta_hu:g} HU from it; check the mask, or choose "
                    "the type by hand"
                )
    inv: Involvement | None = None
    if posterior_wall is not None or canal is not None or pedicles:
        inv = involvement(volume, mask, posterior_wall=posterior_wall, canal=canal, pedicles=pedicles)
    return lesion_from_measures(
        mask,
        LesionType(lesion_type),
        measures,
        reference_bone_hu=float(reference_bone_hu),
        seed_lps=(float(seed[0]), float(seed[1]), float(seed[2])),
        posterior_wall_involved=None if inv is None else inv.wall_involved,
        notes=tuple(notes),
        involvement=inv,
        reference_site=site,
        type_basis=basis,
    )


def wall_reached(volume: Volume, mask: Mask, posterior_wall: Mask) -> bool:
    """Whether a lesion mask reaches a posterior wall band on the same grid (shares a voxel or lies
    next to it: :mod:`imaging.lesion_involvement`)."""
    return bool(involvement(volume, mask, posterior_wall=posterior_wall).wall_involved)


def lesion_from_measures(
    mask: Mask,
    lesion_type: LesionType,
    measures: LesionMeasures,
    *,
    reference_bone_hu: float,
    seed_lps: tuple[float, float, float],
    posterior_wall_involved: bool | None,
    notes: tuple[str, ...] = (),
    involvement: Involvement | None = None,
    reference_site: ReferenceSite | None = None,
    type_basis: TypeBasis | None = None,
) -> Lesion:
    """The :class:`Lesion` value of a mask, its type and its measures (:func:`lesion_measures`), with
    where its reference was measured and the shares behind its type when known
    (:mod:`imaging.lesion_basis`)."""
    return Lesion(
        mask=mask,
        type=lesion_type,
        volume_ml=measures.volume_ml,
        max_diameter_mm=measures.max_diameter_mm,
        mean_hu=measures.mean_hu,
        percentiles_hu=measures.percentiles_hu,
        reference_bone_hu=reference_bone_hu,
        centroid_lps=measures.centroid_lps,
        bbox_lps=measures.bbox_lps,
        seed_lps=seed_lps,
        cortical_breach=measures.cortical_breach,
        cortical_breach_lps=measures.cortical_breach_lps,
        posterior_wall_involved=posterior_wall_involved,
        notes=notes,
        involvement=involvement,
        reference_site=reference_site,
        type_basis=type_basis,
    )


def overlaps(a: Mask, b: Mask) -> bool:
    """Whether two masks on the same grid share a voxel."""
    if a.grid_shape != b.grid_shape:
        raise ValueError(f"mask grids differ: {a.grid_shape} and {b.grid_shape}")
    box = intersect_boxes(a.slices, b.slices)
    if box is None:
        return False
    sa = tuple(slice(s.start - o, s.stop - o) for s, o in zip(box, a.offset_index, strict=True))
    sb = tuple(slice(s.start - o, s.stop - o) for s, o in zip(box, b.offset_index, strict=True))
    return bool((a.array[sa] & b.array[sb]).any())


def _in_region(mask: Mask, roi: IndexBox, shape: tuple[int, ...]) -> BoolArray:
    """The mask on the region's grid (the region holds it)."""
    local = np.zeros(shape, dtype=bool)
    rel = tuple(slice(s.start - r.start, s.stop - r.start) for s, r in zip(mask.slices, roi, strict=True))
    local[rel] = mask.array
    return local


def _reference_around(
    hu: npt.NDArray[np.float32],
    bone: BoolArray,
    lesion: BoolArray,
    spacing: tuple[float, float, float],
    p: LesionParameters,
) -> ReferenceSample:
    """Normal trabecular bone HU in the shell around a drawn mask (the bone's interior, cortex eroded),
    with the voxels it is the median of."""
    interior = ndimage.binary_erosion(
        bone, structure=ball_footprint(p.cortex_thickness_mm, spacing), border_value=1
    )
    reference = reference_around_lesion(
        hu=hu, lesion=lesion, interior=interior, spacing=spacing, p=p, what="the mask"
    )
    if reference is None:
        raise SegmentationError(
            f"no normal trabecular bone {_shell(p)} around the mask to compare it with: give the reference "
            "bone HU in the lesion settings, or choose the type by hand"
        )
    return reference


def _shell(p: LesionParameters) -> str:
    inner, outer = p.shell_mm
    return f"{inner:g}-{outer:g} mm"


def _region(volume: Volume, mask: Mask, seed_lps: npt.NDArray[np.float64], p: LesionParameters) -> IndexBox:
    """Segmentation's region around the seed, grown to hold the mask with a cortex's margin around it."""
    spacing = volume.spacing_mm
    # the seed's voxel, as segment_lesion takes it (imaging.lesion_seed): the same region
    around_seed = box_around_index(seed_voxel(volume, seed_lps), p.roi_size_mm / 2.0, spacing, volume.shape)
    margin = np.ceil(2.0 * p.cortex_thickness_mm / np.asarray(spacing)).astype(int)
    lo = [max(0, int(s.start) - int(m)) for s, m in zip(mask.slices, margin, strict=True)]
    hi = [min(n, int(s.stop) + int(m)) for s, m, n in zip(mask.slices, margin, volume.shape, strict=True)]
    around_mask = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    return union_boxes(around_seed, around_mask)
