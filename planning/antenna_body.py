"""Whether a needle's antenna tip stays inside the vertebral body, and by how much it leaves it.

The microwave antenna runs coaxially ``antenna_extension_mm`` beyond the access needle's tip
(CLINICAL.md "Needles": 1.5-2.0 cm). A transpedicular needle aimed at the anterior-middle third of the
body can carry its antenna tip through the anterior or lateral cortex, into the paravertebral soft
tissue or the great vessels in front of the spine. This module measures that from the body mask, for
the needle as placed (a proposal checks the same along its axis in :mod:`planning.body_target` and
:mod:`planning.lateral_routes`, in the same words: "... mm beyond the body cortex ...").

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); the body mask lies on the
volume's ``[slice, row, col]`` grid. Membership is read at the nearest voxel, so the body's surface is
the faces of its voxels; the line is sampled every :data:`planning.grid_sampling.SAMPLE_STEP_FRACTION`
of the smallest voxel spacing and the exit is placed halfway between the last sample inside and the
first outside (error at most half a step, a quarter voxel at most with the shipped step fraction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imaging.mask import Mask
from imaging.volume import Volume
from planning.grid_sampling import SAMPLE_STEP_FRACTION, mask_at_points
from planning.trajectory_geometry import TrajectoryGeometry

#: The words both the proposal's and the needle's own sentence carry (the plan runner recognises them,
#: so a plan reports the concern once, for the needle as placed).
BEYOND_BODY_WORDS = "beyond the body cortex"


@dataclass(frozen=True)
class AntennaBodyCheck:
    """Where the antenna tip lies with respect to the vertebral body.

    ``reaches_body`` is False when neither the needle nor its antenna meets the body mask (nothing to
    say then: the needle is aimed elsewhere, or the body layer belongs to another vertebra).
    ``beyond_mm`` is the distance along the needle from where it last leaves the body to the antenna
    tip when that tip lies outside the body; None when the tip lies inside, or the body is not reached.
    """

    reaches_body: bool
    beyond_mm: float | None

    @property
    def tip_outside(self) -> bool:
        """True when the antenna tip has left the body it went through."""
        return self.beyond_mm is not None


def antenna_beyond_body(
    volume: Volume, body: Mask, geometry: TrajectoryGeometry, antenna_extension_mm: float
) -> AntennaBodyCheck:
    """How far the antenna tip lies beyond the vertebral body's cortex along the needle.

    Parameters
    ----------
    volume
        The planning CT (the grid of ``body``).
    body
        The vertebral body mask (cortex included), on ``volume``'s grid.
    geometry
        The access needle, entry to tip.
    antenna_extension_mm
        How far the antenna tip lies beyond the needle tip, along the needle (>= 0).

    Returns
    -------
    AntennaBodyCheck
        Whether the line meets the body and, when the antenna tip lies outside it, by how many mm.

    Raises
    ------
    ValueError
        When ``antenna_extension_mm`` is negative or ``body`` is not on ``volume``'s grid.
    """
    if not antenna_extension_mm >= 0.0:
        raise ValueError(f'Argument "antenna_extension_mm" must be >= 0, got {antenna_extension_mm}')
    if tuple(body.grid_shape) != tuple(volume.shape):
        raise ValueError(
            f'Argument "body" must lie on the volume grid {tuple(volume.shape)}, got {tuple(body.grid_shape)}'
        )
    e = np.asarray(geometry.entry_lps, dtype=np.float64)
    d = geometry.direction_lps
    s_tip = geometry.length_mm + antenna_extension_mm
    step = SAMPLE_STEP_FRACTION * min(volume.spacing_mm)
    s = np.append(np.arange(0.0, s_tip, step), s_tip)
    inside = mask_at_points(body, volume, e + s[:, None] * d)
    if not inside.any():
        return AntennaBodyCheck(False, None)
    if inside[-1]:
        return AntennaBodyCheck(True, None)
    last = int(np.flatnonzero(inside)[-1])
    exit_mm = 0.5 * (s[last] + s[last + 1])
    return AntennaBodyCheck(True, float(s_tip - exit_mm))


def antenna_beyond_body_warning(beyond_mm: float) -> str:
    """The plain sentence for an antenna tip ``beyond_mm`` outside the body, and what to do about it."""
    return (
        f"the antenna tip lies {beyond_mm:.1f} mm {BEYOND_BODY_WORDS} along the needle: "
        "use a shorter antenna extension or a more posterior target"
    )


def is_antenna_beyond_body_warning(text: str) -> bool:
    """True for a sentence made by :func:`antenna_beyond_body_warning`."""
    return text.startswith("the antenna tip ") and BEYOND_BODY_WORDS in text
