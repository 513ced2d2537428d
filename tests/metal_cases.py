"""A metal rod with its streak artefacts added to a CT, for the tests of the vertebra search near metal.

A pedicle screw or rod reads far above bone (the scanner's top value, 3071 HU for 12-bit data with
intercept -1024) and, in the CT slices that hold it, throws streaks: bright and dark bands radial from
the metal (beam hardening and photon starvation along the rays through it), fading with distance from
it. Both are built here by construction, as the session-17 QA's script did (a 6 mm rod at 3071 HU,
+-500 HU streaks varying as cos 6 theta around the rod and fading over 35 mm):

- the rod: the voxels within ``radius_mm`` of the segment from ``entry_lps`` to ``target_lps``, run on
  ``extend`` of its length past each end (the QA's 30 %), set to ``rod_hu``;
- the streaks: in each slice of the volume (along its third index) that holds rod voxels, and only there
  (a streak is made by the projections through the metal, which lie in the metal's own slices), the HU
  ``streak_hu * cos(n_streaks * theta + phase) * exp(-max(r - radius_mm, 0) / decay_mm)`` is added,
  ``r`` and ``theta`` measured in the slice from the centre of the rod's cross-section in that slice.

The result is clipped to the CT range (-1024..3071 HU). Positions LPS mm, HU, float32.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.volume import Volume

__all__ = ["ROD_HU", "ROD_RADIUS_MM", "STREAK_DECAY_MM", "STREAK_HU", "rod_line", "with_rod"]

#: the QA's rod: a 6 mm screw core at the scanner's top value
ROD_RADIUS_MM = 3.0
ROD_HU = 3071.0
#: the QA's streaks: +-500 HU, 6 bright and 6 dark bands around the rod, fading over 35 mm
STREAK_HU = 500.0
N_STREAKS = 6
STREAK_DECAY_MM = 35.0


def rod_line(
    entry_lps: npt.ArrayLike, target_lps: npt.ArrayLike, extend: float = 0.3
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The rod's two ends (LPS mm): the segment from entry to target run on ``extend`` of its length
    past each end."""
    a = np.asarray(entry_lps, dtype=np.float64)
    b = np.asarray(target_lps, dtype=np.float64)
    d = b - a
    return a - extend * d, b + extend * d


def with_rod(
    volume: Volume,
    entry_lps: npt.ArrayLike,
    target_lps: npt.ArrayLike,
    *,
    streak_hu: float = STREAK_HU,
    phase_rad: float = 0.0,
    extend: float = 0.3,
    radius_mm: float = ROD_RADIUS_MM,
) -> Volume:
    """``volume`` with a rod from ``entry_lps`` to ``target_lps`` (run on ``extend`` past each end) and,
    when ``streak_hu`` is not 0, its streaks in the slices that hold it (see the module's docstring)."""
    a, b = rod_line(entry_lps, target_lps, extend)
    d = b - a
    hu = volume.array.astype(np.float64)
    rod = np.zeros(volume.shape, dtype=bool)
    for k in range(volume.shape[0]):
        j, i = np.indices(volume.shape[1:])
        idx = np.stack([np.full(j.size, k), j.ravel(), i.ravel()], axis=1).astype(np.float64)
        pts = volume.index_to_lps_points(idx)
        t = np.clip(((pts - a) @ d) / (d @ d), 0.0, 1.0)
        dist = np.linalg.norm(pts - (a + t[:, None] * d), axis=1)
        rod[k] = (dist <= radius_mm).reshape(volume.shape[1:])
    hu[rod] = ROD_HU
    if streak_hu != 0.0:
        for k in np.flatnonzero(rod.any(axis=(1, 2))):
            j, i = np.indices(volume.shape[1:])
            idx = np.stack([np.full(j.size, k), j.ravel(), i.ravel()], axis=1).astype(np.float64)
            pts = volume.index_to_lps_points(idx).reshape((*volume.shape[1:], 3))
            centre = pts[rod[k]].mean(axis=0)
            # the slice's own in-plane axes (its rows and columns), so theta runs around the rod in it
            u = volume.index_to_lps_points(np.array([[k, 0.0, 1.0]])) - volume.index_to_lps_points(
                np.array([[k, 0.0, 0.0]])
            )
            v = volume.index_to_lps_points(np.array([[k, 1.0, 0.0]])) - volume.index_to_lps_points(
                np.array([[k, 0.0, 0.0]])
            )
            u, v = u[0] / np.linalg.norm(u), v[0] / np.linalg.norm(v)
            rel = pts - centre
            x, y = rel @ u, rel @ v
            r, theta = np.hypot(x, y), np.arctan2(y, x)
            streak = streak_hu * np.cos(N_STREAKS * theta + phase_rad)
            streak *= np.exp(-np.maximum(r - radius_mm, 0.0) / STREAK_DECAY_MM)
            hu[k] = np.where(rod[k], hu[k], hu[k] + streak)
    return volume.with_array(np.clip(hu, -1024.0, 3071.0).astype(np.float32))
