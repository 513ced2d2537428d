"""The notes of an accepted lesion: how it was judged, and the warnings that ask the operator to check it.

:func:`lesion_notes` words what :func:`imaging.lesion.segment_lesion` found once a lesion is accepted:
its lytic and sclerotic fractions (step 7), the deep bone a lytic seed was unlike (step 4c), an
operator's reference, a mottled call's texture figures (step 4b); then the warnings that
:attr:`imaging.lesion_model.Lesion.warnings` picks out: a lesion that reaches the growth limit (step 5),
the region's edge or the scan's edge (it may be larger than its mask), and an image whose noise can
change the call or the volume (:mod:`imaging.lesion_noise`).

Arrays are the region of interest ``[slice, row, col]``; CT values HU; sizes mm on the grid's spacing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.lesion_call import LesionCall
from imaging.lesion_extent import LimitSensitivity, reaches_limit
from imaging.lesion_grow import LesionParameters
from imaging.lesion_model import BORDER_NOTE, GROWTH_LIMIT_NOTE, SCAN_EDGE_NOTE
from imaging.lesion_noise import LesionNoise, accepted_noise_note

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["lesion_notes"]


def lesion_notes(
    call: LesionCall,
    *,
    lesion: BoolArray,
    fractions: tuple[float, float],
    seed_hu: float,
    operator_reference: bool,
    smooth: npt.NDArray[np.float32],
    seed_dist: FloatArray,
    outside: BoolArray,
    noise: LesionNoise | None,
    spacing: tuple[float, float, float],
    p: LesionParameters,
    extent: LimitSensitivity | None = None,
) -> tuple[str, ...]:
    """The notes of an accepted lesion, in the order the operator reads them.

    Parameters
    ----------
    call
        The reference-and-call stage's result (:func:`imaging.lesion_call.call_lesion`).
    lesion
        The accepted lesion in the region (after the operator's box), not empty.
    fractions
        Its lytic and sclerotic fractions (:func:`imaging.lesion_classify.classify`).
    seed_hu
        The seed's HU.
    operator_reference
        Whether the operator gave the reference bone HU.
    smooth
        The region's smoothed HU the lesion was grown on.
    seed_dist
        Each voxel's distance from the seed, mm (infinite outside the scan).
    outside
        The region's voxels outside the scan (zero-filled).
    noise
        The image's noise around the seed (:func:`imaging.lesion_noise.measure_lesion_noise`).
    spacing
        The grid's spacing, mm.
    p
        The thresholds.
    extent
        The lesion's volume with its growth limit one step farther, when it reaches the limit
        (:func:`imaging.lesion_extent.limit_sensitivity`): the growth-limit note gives both volumes.

    Returns
    -------
    tuple of str
        The notes; :attr:`imaging.lesion_model.Lesion.warnings` picks out the warnings among them.
    """
    notes = [f"lytic fraction {fractions[0]:.2f}, sclerotic fraction {fractions[1]:.2f}"]
    if call.deep_sample is not None:
        notes.append(call.deep_sample.unlike_note(seed_hu, p))
    if operator_reference:
        notes.append("reference bone HU given by the operator")
    texture = call.texture
    if texture is not None:
        notes.append(
            f"mottled: the seed ({seed_hu:.0f} HU) is within {p.abnormal_delta_hu:g} HU of normal bone but "
            f"{texture.seed_fraction:.2f} of its neighbourhood deviates by more at a "
            f"{p.texture_sigma_mm:g} mm scale (normal bone here: {texture.normal_fraction:.2f}; "
            f"threshold {texture.threshold_fraction:.2f})"
        )
    growth = call.growth
    if extent is not None:
        notes.append(extent.note(p.max_radius_mm))
    elif growth is not None and reaches_limit(lesion, seed_dist, growth[2], spacing):
        notes.append(
            f"{GROWTH_LIMIT_NOTE} ({growth[2]:.0f} mm from the seed; estimated lesion "
            f"radius {growth[3]:.0f} mm, maximum {p.max_radius_mm:g} mm): check its extent"
        )
    if _touches_border(lesion):
        notes.append(f"{BORDER_NOTE} or of the region searched")
    if outside.any() and (ndimage.binary_dilation(outside) & lesion).any():
        notes.append(f"{SCAN_EDGE_NOTE} (a zero-filled region): it may continue beyond it")
    noisy = accepted_noise_note(
        noise,
        seed_hu=seed_hu,
        reference_hu=call.reference_hu,
        p=p,
        lesion=lesion,
        smooth=smooth,
        edges_hu=() if growth is None else growth[:2],
    )
    if noisy is not None:
        notes.append(noisy)
    return tuple(notes)


# -- private -----------------------------------------------------------------------------------------
def _touches_border(lesion: BoolArray) -> bool:
    return any(
        np.take(lesion, 0, axis=axis).any() or np.take(lesion, -1, axis=axis).any() for axis in range(3)
    )
