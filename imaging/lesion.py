"""Bone lesion segmentation from a seed point, classification against local normal bone, and measures.

Positions are LPS millimetres, CT values HU, sizes mm, volumes mL; arrays ``[slice, row, col]`` on the
volume's grid (anisotropic spacing honoured). All work happens in a region of interest around the seed
(an ``roi_size_mm`` cube, default 80 mm), never on the whole volume.

Method (every threshold is a field of :class:`LesionParameters`, editable by the operator):

1. Bone mask in the region (:func:`imaging.bone.bone_mask_array`); its envelope is the mask closed by
   ``envelope_closing_mm`` and filled (a cortex with small gaps still encloses its marrow); its
   interior is the mask eroded by ``cortex_thickness_mm`` (growth inside bone never runs along the
   cortex). Voxels outside the scan that a crop or a resampling filled with 0 HU
   (:mod:`imaging.lesion_padding`) are never bone, lesion, reference or part of a smoothing or a
   scale estimate; a seed in them is refused, and a lesion reaching them carries a note.
2. The seed's own HU: median of the raw voxels within ``seed_radius_mm``. Air or fat at the seed, metal
   at the seed (above ``dense_max_hu``), or no bone within ``seed_bone_search_mm``, is refused with
   :class:`NoLesionAtSeedError`; a dark seed with metal in its region is said to be probably on a
   metal streak artefact, with the metal's distance (:mod:`imaging.lesion_metal`).
3. Reference (local normal trabecular bone): median of the bone-interior voxels within
   ``normal_bone_range_hu`` in a shell ``shell_mm`` around the region like the seed (connected voxels
   within ``abnormal_delta_hu`` of its HU: a large lesion must not be its own reference; around the
   seed itself when that region leaves no shell); after a first segmentation it is
   measured again in the same shell around the lesion, and the lesion re-grown once when it moved by
   more than a quarter of ``abnormal_delta_hu``. An operator value (``reference_bone_hu``) wins. Where
   it was measured (how many voxels, how far from the seed) is kept with the lesion
   (:mod:`imaging.lesion_basis`); a seed outside the bone's envelope with no normal bone near is refused
   as soft tissue, with the nearest bone's distance (no reference is offered).
4. The seed is lytic when its HU is below reference - ``abnormal_delta_hu``, sclerotic when above
   reference + ``abnormal_delta_hu``; otherwise it is refused (normal bone). Each kind's edge lies half
   way between the reference and that kind's level (the seed's HU for the seeded kind, the typical HU
   of the other kind), at least ``abnormal_delta_hu`` from the reference.

   4b. A seed within ``abnormal_delta_hu`` of the reference (also after the reference is measured
   again, step 3) is judged by its texture (:mod:`imaging.lesion_texture`): a mottled lesion
   interleaves lytic and sclerotic foci whose mean is close to normal bone. At a ``texture_sigma_mm``
   scale, the share of bone-interior voxels more than ``abnormal_delta_hu`` from the deep trabecular
   bone away from the seed (its median is then the reference) is compared, within
   ``texture_radius_mm`` of the seed, with that share in this normal bone: abnormal when it reaches
   ``texture_contrast`` times it and at least ``texture_min_fraction``. The lesion is then the
   abnormal-texture region connected to the seed (closed foci, growth limit as in step 5); otherwise
   the seed is refused as normal bone. ``texture_radius_mm = 0`` turns this off. A seed in a
   normal-valued gap between foci makes the region like it normal bone and its shell (step 3) the
   foci: when that shell's reference differs by more than ``abnormal_delta_hu`` from the deep
   trabecular bone while the seed does not, the deep bone's median is the reference instead.
   4c. A seed lytic against that reference but like the patient's own deep trabecular bone elsewhere in
   the region (the centres of the bones in view, at least ``texture_depth_mm`` inside the bone filled in
   two of three views, farther than ``shell_mm[1]`` from the seed; like it: within ``abnormal_delta_hu``
   of its median and inside the range its seed-sized samples read, :mod:`imaging.lesion_deep`) is
   refused as low-density (osteoporotic) normal bone: a lytic metastasis is focal, while an osteoporotic
   body centre is as dark as the centres of the bodies above and below, and the reference of step 3 was
   measured in the denser bone along the cortex and end plates. Skipped when the operator gives the
   reference or ``deep_bone_check`` is False. Runs after step 4d.
   4d. A seed judged lytic (checked before 4c: muscle can read like osteoporotic marrow) must lie in the bone
   or be surrounded by it, as a lesion that destroyed the marrow and opened the cortex is: a seed in muscle or
   prevertebral tissue beside intact bone (40-60 HU, lytic against any normal bone) is refused as soft tissue
   outside intact bone, with where to click (:mod:`imaging.lesion_outside`: bone met within
   ``seed_bone_search_mm`` in more than half of the directions from the seed's voxel; outside a convex bone it
   is always less than half). Before (QA s31 D row 21) such a seed grew the soft tissue around the bone into a
   "lytic lesion" with a cortical breach.

5. Growth limit: the lesion's scale at the seed is estimated (the radius of the ball around the seed
   that contrasts most with the shell around it) and growth is limited to ``extent_factor`` times it
   (at least ``extent_min_mm``, at most ``max_radius_mm``). On real CT a lytic lesion often touches
   marrow or muscle of the same density: without this limit it floods them. A lesion that reaches the
   limit is grown once more with it one step farther (:mod:`imaging.lesion_extent`): its warning gives
   both volumes, and says the volume is the limit's when the lesion has no edge within reach.
6. Region growing on a lightly smoothed image (``smoothing_sigma_mm``) from the seed. A lytic seed
   grows in the lytic band (``fat_limit_hu`` .. lytic edge: stops at fat and at bone) inside the bone
   envelope, then out of it up to ``extraosseous_max_mm`` from its intraosseous part (a lesion breaking
   through the cortex). A sclerotic seed grows in the sclerotic band (edge .. ``dense_max_hu``) inside
   the bone interior only. The other kind, opened with a ball of ``opening_radius_mm`` (so the
   partial-volume layer where a lytic lesion meets the cortex is not taken for sclerosis), joins where
   it lies inside the bone interior within ``bridge_mm`` of the seeded part (a mixed lesion), with the
   thin layer between them. The component
   at the seed is kept, opened with a ball of ``opening_radius_mm`` (at most ``neck_fraction`` of its
   own half thickness: a sclerotic plate 3-4 voxels thick is not opened away; a thinner lesion's leak is
   cut where it narrows, in ``neck_step_mm`` steps from the seed, :func:`imaging.lesion_grow.final_opening`)
   and its holes filled. The cortex is
   its own normal, not a blastic lesion: bone more than ``abnormal_delta_hu`` denser than the sclerotic
   level that runs out to the bone's surface stays out of the sclerotic band (``cortex_check``,
   :mod:`imaging.lesion_cortex`; before it, case1's lesion ran along a posterior wall and pedicle).
7. Type (:func:`classify`): the fractions of lesion voxels below reference - delta (lytic) and above
   reference + delta (sclerotic); mixed when both reach ``mixed_min_fraction``. Kept with the lesion
   (``Lesion.type_basis``).
8. The operator's box (``box_lps``, optional) says "the lesion is in here" and only limits where the
   lesion may be (:mod:`imaging.lesion_box`): the seed is judged, every normal-bone sample taken and the
   lesion grown as without it, and the lesion is its part inside the box connected to the seed. A box
   never makes a lesion found without it refused or smaller than its part in the box, and a seed
   refused as normal bone stays refused. Before (session 16 QA, item 4) the normal-bone samples were
   taken outside the box: a box bigger than the shells moved them onto other bones, and case7's second
   lesion (2.96 mL blastic without a box) was refused with the box the window draws; with normal bone
   measured inside the box (earlier still), case4's iliac marrow became a mixed lesion of 1.5-1.9 mL
   with 15-20 mm boxes. Reconsidering a refused seed inside the box was measured and not adopted
   (tests/benchmarks/bench_lesion_box.py): the box's most abnormal compact region (the 2 mm ball whose
   median lies farthest from the deep bone outside the box) lies on dense bone, not on the lesion
   (case7's third lesion: +183 HU, 4.6 mm from the seed, a 0.05 mL sclerotic patch), three of the six
   other lesions grown from it fail (the lytic ones become small sclerotic patches), and nine of the
   eleven normal-bone seeds with an 18 mm box would give a lesion.

9. On a noisy image (:mod:`imaging.lesion_noise`) a refusal and a lesion say so when the noise can
   change the call (the seed's HU within its noise of the ``abnormal_delta_hu`` margin) or the volume
   (half of it within the noise of its edges).

The seed stands for its voxel (:mod:`imaging.lesion_seed`): the region, the seed's ball, the distances
behind the growth limit and the shells are all taken from the centre of the voxel nearest to the seed,
so seeds in the same voxel give the same lesion (before, seeds 1e-5 mm apart gave 0.065 and 0.223 mL).

Sources of the defaults (/work/shared/CLINICAL.md, "CT attenuation (HU)" unless said otherwise):

* normal trabecular bone at L1: 226 +- 44 HU (under 30 y) down to 89 +- 38 HU (90+) ->
  ``abnormal_delta_hu = 88`` (two standard deviations of 44 HU) and ``normal_bone_range_hu = (0, 400)``
  (the age range 89..226 HU widened by about four standard deviations, so that denser young or
  cervical bone and noise stay in the estimate);
* untreated osteoblastic metastasis 654 +- 176 HU -> ``blastic_typical_hu = 654``;
* lytic lesion, soft-tissue density 0-100 HU (*unverified*, hence relative classification) ->
  ``lytic_typical_hu = 50`` (the middle of the range) and ``fat_limit_hu = -50`` (half way between
  the range's lower end, 0 HU, and fat, about -100 HU: a common CT value, not in CLINICAL.md);
* generic bone threshold 130-3000 HU (3D Slicer) -> ``bone_threshold_hu = 130``, ``dense_max_hu = 3000``
  (metal above it);
* cortical bone roughly 1000-2000 HU -> ``sclerotic_max_hu = 1000``: a sclerotic band never takes
  in cortex thicker than ``cortex_thickness_mm`` (blastic metastases 654 +- 176 HU, max 787 +- 194,
  lie below it);
* ``max_radius_mm = 40`` (a lesion up to 8 cm across; CLINICAL.md: zones of about 3.5 cm, lesions
  > 3.5 cm need several ablations), ``roi_size_mm = 80`` (the ball of that radius fits);
* ``extent_factor = 2``, ``extent_min_mm = 10``, ``envelope_closing_mm = 3``,
  ``mixed_min_fraction = 0.2``, ``cortex_thickness_mm = 2``, ``extraosseous_max_mm = 15``,
  ``smoothing_sigma_mm = 0.6``, ``opening_radius_mm = 1``, ``neck_fraction = 0.5`` (a neck is at most
  half as thick as the lesion), ``neck_step_mm = 1`` (one voxel of 1 mm CT), ``bridge_mm = 2`` (voxels
  within this of both a lytic and a sclerotic part join the lesion: the interface of a mixed lesion),
  ``seed_radius_mm = 2``, ``shell_mm = (3, 12)``: operator choices, not clinical figures.
* texture (step 4b), our own choices, not clinical figures: ``texture_sigma_mm = 2`` (the foci of a
  mottled lesion are several millimetres across; a 2 mm Gaussian averages away noise and trabecular
  texture, and with them foci smaller than about 4-5 mm), ``texture_radius_mm = 3`` (the
  neighbourhood whose share of abnormal voxels is measured: a few foci across),
  ``texture_depth_mm = 4`` (normal bone for comparison lies twice ``cortex_thickness_mm`` inside the
  bone, clear of cortex and its partial volume), ``texture_min_fraction = 0.2`` (a fifth of the
  neighbourhood abnormal; the same figure as ``mixed_min_fraction``), ``texture_contrast = 3`` (three
  times the share in the patient's own normal bone).

The steps live in modules of one concept each, and this module runs them in order: step 1 here, step 2
in :mod:`imaging.lesion_seed` (with the seed's voxel), then :mod:`imaging.lesion_call` (the reference-and-call
stage, steps 3-6 with the reference measured again: on :mod:`imaging.lesion_reference` for step 3 and the
deep-bone check of 4c, :mod:`imaging.lesion_mottled` for step 4b, on :mod:`imaging.lesion_texture`, and
:mod:`imaging.lesion_outside` for step 4d, :mod:`imaging.lesion_grow` for steps 5-6 and
:class:`LesionParameters`; the cortex of step 6:
:mod:`imaging.lesion_cortex`), :mod:`imaging.lesion_box` (step 8), :mod:`imaging.lesion_classify`
(step 7), :mod:`imaging.lesion_notes` (the accepted lesion's notes and warnings, with the noise's from
:mod:`imaging.lesion_noise`) and :mod:`imaging.lesion_measure` (the measures). ``LesionParameters``,
``classify`` and ``estimate_reference_hu`` are re-exported here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.lesion_basis import TypeBasis, reference_site
from imaging.lesion_box import clip_to_box, voxels_in_box
from imaging.lesion_call import call_lesion
from imaging.lesion_classify import classify
from imaging.lesion_errors import NoLesionAtSeedError, SeedOutsideVolumeError, SegmentationError
from imaging.lesion_extent import limit_sensitivity
from imaging.lesion_grow import LesionParameters, bone_envelope, distance_from, smooth_hu
from imaging.lesion_measure import lesion_measures
from imaging.lesion_model import Lesion
from imaging.lesion_morph import ball_footprint, box_around_index, check_cancel
from imaging.lesion_noise import measure_lesion_noise, noisy_refusal
from imaging.lesion_notes import lesion_notes
from imaging.lesion_padding import zero_filled
from imaging.lesion_reference import estimate_reference_hu
from imaging.lesion_remeasure import lesion_bone, lesion_from_measures, wall_reached
from imaging.lesion_seed import seed_reading, seed_voxel
from imaging.mask import Mask
from imaging.volume import Volume

__all__ = ["LesionParameters", "classify", "estimate_reference_hu", "segment_lesion"]


def segment_lesion(
    volume: Volume,
    seed_lps: npt.ArrayLike,
    *,
    box_lps: tuple[Sequence[float], Sequence[float]] | None = None,
    reference_bone_hu: float | None = None,
    parameters: LesionParameters | None = None,
    posterior_wall: Mask | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> Lesion:
    """Segment the bone lesion at a seed point and measure it.

    Parameters
    ----------
    volume
        The CT volume (HU).
    seed_lps
        A point inside the lesion, LPS mm.
    box_lps
        Optional ``(min_xyz, max_xyz)`` LPS box (mm) the operator drew around the lesion: the lesion
        stays in it; the seed is judged and normal bone measured as without it (step 8).
    reference_bone_hu
        The local normal trabecular bone HU to compare with; None measures it around the lesion.
    parameters
        Thresholds (see :class:`LesionParameters`); None uses the defaults.
    posterior_wall
        The vertebral body's posterior wall on the same grid, when known: fills
        ``posterior_wall_involved``.
    progress
        Called with the fraction done (0..1).
    cancel
        When set, stops with :class:`SegmentationCancelledError`.

    Returns
    -------
    Lesion
        Mask on the volume's grid, type and measures.

    Raises
    ------
    SeedOutsideVolumeError
        If the seed lies outside the volume.
    SegmentationError
        If the seed lies outside ``box_lps``, or the scan is thinner along an axis than the normal-bone
        shell around a seed needs (``2 * shell_mm[1]``).
    NoLesionAtSeedError
        If the seed is in air or fat, away from bone, in soft tissue outside intact bone
        (:mod:`imaging.lesion_outside`), or in normal bone (when the image's noise can
        decide that, its message says so: :mod:`imaging.lesion_noise`).
    ValueError
        If an argument is malformed.
    """
    p = parameters if parameters is not None else LesionParameters()
    try:
        return _segment(
            volume,
            seed_lps,
            box_lps=box_lps,
            reference_bone_hu=reference_bone_hu,
            p=p,
            posterior_wall=posterior_wall,
            progress=progress,
            cancel=cancel,
        )
    except NoLesionAtSeedError as exc:
        noisy = noisy_refusal(exc, volume, seed_lps, p)
        if noisy is None:
            raise
        raise noisy from exc


def _segment(
    volume: Volume,
    seed_lps: npt.ArrayLike,
    *,
    box_lps: tuple[Sequence[float], Sequence[float]] | None,
    reference_bone_hu: float | None,
    p: LesionParameters,
    posterior_wall: Mask | None,
    progress: Callable[[float], None] | None,
    cancel: threading.Event | None,
) -> Lesion:
    """:func:`segment_lesion` with its parameters resolved."""
    seed = np.asarray(seed_lps, dtype=np.float64)
    if seed.shape != (3,) or not np.all(np.isfinite(seed)):
        raise ValueError(f'Argument "seed_lps" must be 3 finite numbers, got {seed_lps!r}')
    seed_t = (float(seed[0]), float(seed[1]), float(seed[2]))
    if reference_bone_hu is not None and not np.isfinite(reference_bone_hu):
        raise ValueError(f'Argument "reference_bone_hu" must be a finite HU value, got {reference_bone_hu!r}')
    if not volume.contains_index(volume.lps_to_index_points(seed)):
        lo, hi = volume.bounds_lps()
        raise SeedOutsideVolumeError(seed_t, (_t3(lo), _t3(hi)))
    _refuse_thin_scan(volume, p)
    # every index, ball, shell and distance below is taken from the seed's voxel, never from the
    # fractional index: seeds 1e-5 mm apart gave 0.065 and 0.223 mL (imaging.lesion_seed)
    seed_index = seed_voxel(volume, seed)
    spacing = volume.spacing_mm
    roi = box_around_index(seed_index, p.roi_size_mm / 2.0, spacing, volume.shape)
    offset = np.array([s.start for s in roi], dtype=np.float64)
    local_seed = seed_index - offset
    hu = volume.array[roi].astype(np.float32)
    # voxels a crop or a resampling filled with 0 HU (water) are outside the scan: neither bone nor
    # lesion, never part of a reference, a smoothing or a scale estimate (imaging.lesion_padding)
    outside = zero_filled(hu)
    if progress is not None:
        progress(0.05)
    check_cancel(cancel)

    # 3D filling only: filling by views would add the low-density marrow and soft tissue the lesion is
    # compared against to the bone interior the reference is measured in
    # (the scan's edge closes a bone it cuts, as a cortex would: marrow and lesion up to the cut are
    # inside the bone, otherwise a lytic lesion cut by the edge reads as a cortical breach)
    bone = lesion_bone(hu, spacing, p, outside)
    envelope = bone_envelope(bone, p.envelope_closing_mm, spacing)
    interior = ndimage.binary_erosion(
        bone, structure=ball_footprint(p.cortex_thickness_mm, spacing), border_value=1
    )
    if progress is not None:
        progress(0.3)
    check_cancel(cancel)

    # step 2: the seed's own HU, refused in air, fat, metal, or away from bone (imaging.lesion_seed)
    seed_ball, seed_hu = seed_reading(hu, local_seed, bone=bone, outside=outside, spacing=spacing, p=p)
    smooth = smooth_hu(hu, spacing, p.smoothing_sigma_mm, outside=outside)
    seed_dist = distance_from(hu.shape, local_seed, spacing)
    # unscanned voxels are infinitely far: out of every growth limit, scale estimate and reference
    seed_dist[outside] = np.inf
    # the operator's box (step 8) only limits where the lesion may be: everything below runs as without
    # it, and the lesion is clipped to it at the end (imaging.lesion_box)
    in_box = None if box_lps is None else voxels_in_box(volume, roi, box_lps, seed_t)
    if progress is not None:
        progress(0.5)
    check_cancel(cancel)

    call = call_lesion(
        hu=hu,
        smooth=smooth,
        bone=bone,
        envelope=envelope,
        interior=interior,
        outside=outside,
        seed_ball=seed_ball,
        local_seed=local_seed,
        seed_dist=seed_dist,
        seed_hu=seed_hu,
        spacing=spacing,
        reference_bone_hu=reference_bone_hu,
        p=p,
        cancel=cancel,
    )
    lesion, reference = call.lesion, call.reference_hu
    if progress is not None:
        progress(0.8)
    check_cancel(cancel)
    if in_box is not None and lesion.any():
        lesion = clip_to_box(lesion, in_box, seed_ball)
        if not lesion.any():
            raise NoLesionAtSeedError(
                f"the lesion at the seed lies outside the box drawn around it (seed {seed_hu:.0f} HU, local "
                f"normal bone {reference:.0f} HU): draw the box around the lesion, or click without a box",
                seed_hu=seed_hu,
                reference_bone_hu=reference,
                at_bone=True,
            )
    if not lesion.any():
        raise NoLesionAtSeedError(
            f"nothing abnormal is connected to the seed (seed {seed_hu:.0f} HU, local normal bone "
            f"{reference:.0f} HU)",
            seed_hu=seed_hu,
            reference_bone_hu=reference,
            at_bone=True,
        )

    lesion_type, fractions = classify(
        smooth[lesion],
        reference,
        abnormal_delta_hu=p.abnormal_delta_hu,
        mixed_min_fraction=p.mixed_min_fraction,
    )
    notes = lesion_notes(
        call,
        lesion=lesion,
        fractions=fractions,
        seed_hu=seed_hu,
        operator_reference=reference_bone_hu is not None,
        smooth=smooth,
        seed_dist=seed_dist,
        outside=outside,
        noise=measure_lesion_noise(volume, seed, seed_voxels=int(np.count_nonzero(seed_ball)), p=p),
        spacing=spacing,
        p=p,
        extent=limit_sensitivity(
            call, lesion=lesion, in_box=in_box, seed_ball=seed_ball, seed_dist=seed_dist, spacing=spacing, p=p
        ),
    )

    mask = Mask.from_box(lesion, (int(offset[0]), int(offset[1]), int(offset[2])), volume.shape)
    wall: bool | None = None
    if posterior_wall is not None:
        wall = wall_reached(volume, mask, posterior_wall)
    measures = lesion_measures(
        volume,
        mask,
        bone_in_roi=bone,
        roi_index=roi,
        outside_in_roi=outside,
        parameters=p,
    )
    sample = call.reference_sample
    if progress is not None:
        progress(1.0)
    return lesion_from_measures(
        mask,
        lesion_type,
        measures,
        reference_bone_hu=reference,
        seed_lps=seed_t,
        posterior_wall_involved=wall,
        notes=notes,
        reference_site=None
        if sample is None
        else reference_site(sample, seed_dist=seed_dist, offset_index=offset, volume=volume),
        type_basis=TypeBasis(*fractions, reference, p.abnormal_delta_hu, p.mixed_min_fraction),
    )


# -- private -----------------------------------------------------------------------------------------
def _refuse_thin_scan(volume: Volume, p: LesionParameters) -> None:
    """Refuse a scan too thin along an axis to hold the normal-bone shell around a seed.

    The lesion is judged against normal bone sampled up to ``shell_mm[1]`` around it on every side, and its
    extent is estimated against a shell as wide: a scan covering less than twice that along an axis holds
    neither. On a 3-slice scan (QA s19 F2: 3 mm of a vertebra) a seed in the spinal canal grew into a
    "lytic lesion" 44.7 mm across, and before that the thin region crashed a dilation.
    """
    need = 2.0 * p.shell_mm[1]
    for name, n, sp in zip(("slices", "rows", "columns"), volume.shape, volume.spacing_mm, strict=True):
        if n * sp < need:
            raise SegmentationError(
                f"the scan covers {n * sp:.1f} mm across its {n} {name} of {sp:.2f} mm: too thin to judge a "
                f"lesion, whose normal bone is measured up to {p.shell_mm[1]:g} mm around it (at least "
                f"{need:g} mm of scan needed)"
            )


def _t3(v: npt.ArrayLike) -> tuple[float, float, float]:
    a = np.asarray(v, dtype=np.float64)
    return (float(a[0]), float(a[1]), float(a[2]))
