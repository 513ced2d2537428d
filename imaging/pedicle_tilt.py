"""How well a pedicle axis's craniocaudal angle is known on this scan (+- degrees).

A pedicle axis's tilt (:mod:`imaging.vertebra_pedicles`) is read in the body's frame: square to the body's
axis (the mean normal of its mask's upward and downward faces, :func:`imaging.body_result.body_axis`), plus
the slope the traced pedicle sections give, shrunk as their span shortens. On 3 mm slices both move with
the click (session 27, tests/benchmarks/pedicle_width_spread.py, 8 clicks within 3 mm of each body's
centre, abdomen-pelvis-ct):

- the body axis: L2's lies 7.3-18.0 degrees from the scanner's axis over the clicks while its end plates'
  sagittal tilts stay within 12.2-13.9 (superior) and 10.5-11.5 (inferior) degrees
  (:func:`imaging.endplate_fit.fit_endplate`): the mask's faces, cut at another place by each click's
  canal, turn the axis, not the bone;
- the sections' slope: over 2.5 mm of sections at the pedicle's back (two or three 3 mm slices) the
  sections' centroid heights tilt L1's axes 0-20 degrees out of the body's axial plane.

So L1's axes read -5.3..+22.5 and L2's +2.8..+23.9 degrees craniocaudally over those clicks. Neither part is
known better than its size on such a scan, and each is measured on the click's own result: the uncertainty
said is the angle between the body's axis and its end plates' mean normal (how far the frame the tilt is
read in is off the bone's end plates) plus the axis's own tilt out of the body's axial plane (what the
pedicle's sections added), plus the angle the source's coarsest voxel subtends over the axis from entry to
target (each end placed to within half a voxel: on a 1 mm phantom tilted 10 degrees the axis read 0.54
degrees off the made one while the first two parts said 0.49). The parts are added (not combined as
independent errors): the first two come from the same body mask and canal, which one click's search fixes
together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from imaging.endplate_plane import EndplatePlane
from imaging.vertebra_model import PedicleAxis, Side

__all__ = ["craniocaudal_uncertainty_deg", "with_tilt_uncertainty"]

FloatArray = npt.NDArray[np.float64]


def craniocaudal_uncertainty_deg(
    direction_lps: npt.ArrayLike,
    body_axis_lps: npt.ArrayLike,
    endplate_normals_lps: Sequence[tuple[str, npt.ArrayLike]],
    *,
    voxel_mm: float,
) -> float | None:
    """+- degrees on a pedicle axis's craniocaudal angle (see the module's docstring).

    Parameters
    ----------
    direction_lps
        The pedicle axis from entry to target (either sense; its length is the axis's).
    body_axis_lps
        The body's superior axis the axis was traced in.
    endplate_normals_lps
        ``("superior" | "inferior", normal)`` of the end plates found, each normal pointing out of the
        body (:class:`imaging.endplate_plane.EndplatePlane`).
    voxel_mm
        The source's coarsest voxel size.

    Returns
    -------
    float or None
        None when no end plate was found (the body's axis cannot be checked against the bone).
    """
    d = np.asarray(direction_lps, dtype=np.float64)
    a = np.asarray(body_axis_lps, dtype=np.float64)
    length = float(np.linalg.norm(d))
    d = d / length
    a = a / np.linalg.norm(a)
    ups = [
        np.asarray(n, dtype=np.float64) * (1.0 if name == "superior" else -1.0)
        for name, n in endplate_normals_lps
    ]
    if not ups:
        return None
    plates = np.sum([u / np.linalg.norm(u) for u in ups], axis=0)
    norm = float(np.linalg.norm(plates))
    if norm < 1e-9:  # two plates facing the same way: no body between them to check
        return None
    frame_off = float(np.degrees(np.arccos(min(1.0, abs(float(plates @ a) / norm)))))
    # the tilt out of the body's axial plane: what the sections (or a candidate direction) added
    own_tilt = float(np.degrees(np.arcsin(min(1.0, abs(float(d @ a))))))
    # both ends of the axis placed to within half a voxel
    voxel = float(np.degrees(np.arctan(voxel_mm / length)))
    return frame_off + own_tilt + voxel


def with_tilt_uncertainty(
    pedicles: Mapping[Side, PedicleAxis],
    body_axis_lps: npt.ArrayLike,
    planes: Mapping[str, EndplatePlane],
    *,
    voxel_mm: float,
) -> dict[Side, PedicleAxis]:
    """``pedicles`` with each axis's craniocaudal uncertainty (:func:`craniocaudal_uncertainty_deg`)
    against the body's axis and its end plates' planes found (``"superior"`` / ``"inferior"``), on a source of
    coarsest voxel ``voxel_mm``."""
    normals = [(name, plane.normal_lps) for name, plane in planes.items()]
    return {
        side: replace(
            axis,
            craniocaudal_uncertainty_deg=craniocaudal_uncertainty_deg(
                np.subtract(axis.axis_target_lps, axis.axis_entry_lps),
                body_axis_lps,
                normals,
                voxel_mm=voxel_mm,
            ),
        )
        for side, axis in pedicles.items()
    }
