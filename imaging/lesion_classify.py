"""The lesion's type relative to the patient's own normal bone: lytic, blastic (sclerotic) or mixed.

Step 7 of :func:`imaging.lesion.segment_lesion`: the share of the lesion's voxels more than
``abnormal_delta_hu`` below the local normal trabecular bone (lytic) and above it (sclerotic) decides
the type; mixed when both shares reach ``mixed_min_fraction``. CT values HU; fractions 0..1.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.lesion_model import LesionType

__all__ = ["classify"]


def classify(
    values_hu: npt.ArrayLike,
    reference_bone_hu: float,
    *,
    abnormal_delta_hu: float = 88.0,
    mixed_min_fraction: float = 0.2,
) -> tuple[LesionType, tuple[float, float]]:
    """Lytic, blastic or mixed, relative to the patient's own local normal trabecular bone.

    Parameters
    ----------
    values_hu
        HU of the lesion's voxels (lightly smoothed values are steadier than raw ones).
    reference_bone_hu
        The local normal trabecular bone HU.
    abnormal_delta_hu
        A voxel is lytic below ``reference - delta``, sclerotic above ``reference + delta`` (default 88
        HU: two standard deviations of normal L1 trabecular bone, 44 HU, CLINICAL.md).
    mixed_min_fraction
        Mixed when both the lytic and the sclerotic fractions reach this (operator choice, 0.2).

    Returns
    -------
    tuple
        ``(type, (lytic_fraction, sclerotic_fraction))``.

    Raises
    ------
    ValueError
        If ``values_hu`` is empty.
    """
    v = np.asarray(values_hu, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError('Argument "values_hu" must not be empty')
    lytic = float(np.mean(v < reference_bone_hu - abnormal_delta_hu))
    sclerotic = float(np.mean(v > reference_bone_hu + abnormal_delta_hu))
    if lytic >= mixed_min_fraction and sclerotic >= mixed_min_fraction:
        kind = LesionType.MIXED
    elif sclerotic > lytic:
        kind = LesionType.BLASTIC
    else:
        kind = LesionType.LYTIC
    return kind, (lytic, sclerotic)
