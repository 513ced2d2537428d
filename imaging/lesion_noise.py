"""How the image's noise bears on a lesion found from a seed: can it decide the call, and the outline?

The noise is measured near the seed (:func:`imaging.image_noise.noise_sd_near`: the standard deviation of
the voxels' noise, HU, on the image's own grid). It reaches the two decisions of
:func:`imaging.lesion.segment_lesion` at two scales:

* the call: the seed's HU is the median of the ``seed_voxels`` voxels within ``seed_radius_mm``; a
  median of n samples with Gaussian noise of sd s has the standard error sqrt(pi / 2) * s / sqrt(n)
  (:data:`MEDIAN_SE_FACTOR`). The seed is a lesion when it lies more than ``abnormal_delta_hu`` from the
  reference: when its distance from that margin is within :data:`Z95` standard errors, the noise alone
  can put it on either side (95 %, two-sided), so a refusal or an acceptance may be the noise's doing.
* the outline: the lesion is grown voxel by voxel on the image smoothed with ``smoothing_sigma_mm``,
  whose noise is ``noise_sd * sqrt(sum of the smoothing kernel's squared weights)`` (:func:`edge_noise_sd`).
  A voxel whose smoothed HU lies within :data:`Z95` times that of an edge the lesion was grown to can
  fall on either side of it with another draw of the noise: the lesion's voxels and the layer of voxels
  just outside it that do are the volume the noise decides, a warning when it reaches
  :data:`DECIDED_FRACTION` of the lesion's volume.

Both are said only on an image that is noisy at the lesion's scale: when :data:`Z95` times the noise on
the smoothed voxels reaches a quarter of ``abnormal_delta_hu`` (:data:`NOISY_DELTA_FRACTION`), the
change of the normal bone's HU after which :func:`imaging.lesion.segment_lesion` grows the lesion again
(its own tolerance for a shift of the values it compares with its edges).

Why not the vertebra's test (:func:`imaging.image_noise.noise_note`, noise averaged over 27 mm^3)? The
lesion's decisions are finer: bone-lesions case1 with 60 HU Gaussian noise added reads 12 HU there (no
note), yet its 5 mm sclerotic lesion was refused ("seed 316 HU within 88 HU of local normal bone 232
HU", session 17 QA item 5) or, with another draw of the noise, grown to 6 times its size. And the
noise on the smoothed voxels alone (the gate above) is high on the CTs as they are: 29 HU on the abdomen
CT's 3 mm voxels, 13 HU on the chest CT's. So the warning is about this result: said only when the noise
can change its call or its volume. Measured with Gaussian noise added (numpy ``default_rng(17)``): the
bone-lesions boxes' lesions as scanned never warn; case1 + 30 HU (0.32 mL for 0.065, 63 % of it decided
by the noise) and + 60 HU (0.41 mL, 95 %) and case5 + 60 HU warn; case4's and case7's lesions (2.3-12 mL,
their volumes within 7 % of the clean ones) do not.

Units: HU, mL, mm; positions LPS mm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.image_noise import noise_sd_near
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters, smooth_hu
from imaging.lesion_model import NOISE_NOTE
from imaging.volume import Volume

BoolArray = npt.NDArray[np.bool_]

__all__ = [
    "DECIDED_FRACTION",
    "MEDIAN_SE_FACTOR",
    "NOISY_DELTA_FRACTION",
    "Z95",
    "LesionNoise",
    "accepted_noise_note",
    "edge_noise_sd",
    "measure_lesion_noise",
    "noisy_refusal",
    "refusal_noise_note",
    "seed_ball_voxels",
]

#: two-sided 95 % of a normal distribution, in standard deviations
Z95 = 1.96
#: the standard error of the median of n Gaussian samples is sqrt(pi / 2) * sd / sqrt(n) (large n; for
#: the 20-40 voxels of a 2 mm ball it is within a few per cent)
MEDIAN_SE_FACTOR = math.sqrt(math.pi / 2.0)
#: the outline is called noise-dependent when the voxels the noise can put on either side of its edges
#: make up this fraction of the lesion's volume: half its volume (our choice, not a clinical figure: half
#: the volume changes the cement estimate and the zone's coverage)
DECIDED_FRACTION = 0.5
#: the image is noisy at the lesion's scale when the noise on the smoothed voxels (95 %) reaches this
#: fraction of ``abnormal_delta_hu``: the shift of the normal bone's HU after which the segmentation grows
#: the lesion again (imaging.lesion, step 3)
NOISY_DELTA_FRACTION = 0.25


@dataclass(frozen=True)
class LesionNoise:
    """The noise near a seed at the scales a lesion's decisions are made (HU).

    ``noise_sd_hu`` per voxel on the image's grid of ``spacing_mm``; ``seed_sd_hu`` the standard error it
    gives the seed's median over ``seed_voxels`` voxels; ``edge_sd_hu`` its sd on the smoothed image the
    lesion is grown on.
    """

    noise_sd_hu: float
    seed_sd_hu: float
    edge_sd_hu: float
    seed_voxels: int
    spacing_mm: tuple[float, float, float]

    @property
    def seed_range_hu(self) -> float:
        """How far (HU, 95 %) the noise can move the seed's HU."""
        return Z95 * self.seed_sd_hu

    @property
    def edge_range_hu(self) -> float:
        """How far (HU, 95 %) the noise can move a smoothed voxel's HU against the lesion's edges."""
        return Z95 * self.edge_sd_hu

    def noisy(self, delta_hu: float) -> bool:
        """True when the image is noisy at the lesion's scale (see :data:`NOISY_DELTA_FRACTION`)."""
        return self.edge_range_hu >= NOISY_DELTA_FRACTION * delta_hu

    def call_uncertain(self, seed_hu: float, reference_hu: float, delta_hu: float) -> bool:
        """True when the noise can put the seed on either side of the margin ``delta_hu`` from normal bone."""
        return abs(abs(seed_hu - reference_hu) - delta_hu) <= self.seed_range_hu

    def decided_fraction(
        self, lesion: BoolArray, smooth: npt.NDArray[np.floating[Any]], edges_hu: Sequence[float]
    ) -> float:
        """The share of the lesion's volume whose voxels (and those of the layer just outside it) lie
        within the noise's reach (95 %) of one of the edges it was grown to."""
        count = int(np.count_nonzero(lesion))
        if count == 0:
            return 0.0
        reach = self.edge_range_hu
        near = np.zeros(lesion.shape, dtype=bool)
        for edge in edges_hu:
            near |= np.abs(smooth - edge) <= reach
        layer = ndimage.binary_dilation(lesion) & ~lesion  # its face neighbours
        return float(np.count_nonzero(near & (lesion | layer))) / count

    def image_words(self) -> str:
        """``the image is noisy here (noise about 62 HU on its 1 x 1 x 1 mm voxels)``."""
        size = " x ".join(f"{s:g}" for s in self.spacing_mm)
        return f"{NOISE_NOTE} (noise about {self.noise_sd_hu:.0f} HU on its {size} mm voxels)"

    def call_words(self, seed_hu: float, reference_hu: float, delta_hu: float) -> str:
        """Why the call is uncertain, in numbers."""
        apart = abs(abs(seed_hu - reference_hu) - delta_hu)
        # one voxel is its own value, not a median (3 mm voxels hold no other within 2 mm: QA s19 F10)
        read = "one voxel" if self.seed_voxels == 1 else f"the median of {self.seed_voxels} voxels"
        return (
            f"the seed's {seed_hu:.0f} HU ({read}) is uncertain by about "
            f"±{self.seed_range_hu:.0f} HU, and it lies {apart:.0f} HU from the {delta_hu:g} HU margin that "
            f"separates a lesion from the normal bone ({reference_hu:.0f} HU)"
        )


def measure_lesion_noise(
    volume: Volume, seed_lps: Sequence[float] | npt.ArrayLike, *, seed_voxels: int, p: LesionParameters
) -> LesionNoise | None:
    """The noise near the seed at the lesion's scales; None when it cannot be measured there.

    Parameters
    ----------
    volume
        The CT (HU).
    seed_lps
        The seed, LPS mm.
    seed_voxels
        How many voxels the seed's HU is the median of.
    p
        The segmentation's parameters (``smoothing_sigma_mm``).
    """
    sd = noise_sd_near(volume, seed_lps)
    if sd is None:
        return None
    n = max(1, int(seed_voxels))
    spacing = tuple(float(s) for s in volume.spacing_mm)
    return LesionNoise(
        noise_sd_hu=sd,
        seed_sd_hu=MEDIAN_SE_FACTOR * sd / math.sqrt(n),
        edge_sd_hu=sd * edge_noise_sd(volume.spacing_mm, p.smoothing_sigma_mm),
        seed_voxels=n,
        spacing_mm=(spacing[0], spacing[1], spacing[2]),
    )


def edge_noise_sd(spacing_mm: Sequence[float], sigma_mm: float) -> float:
    """The factor white noise's sd is multiplied by in :func:`imaging.lesion_grow.smooth_hu` (its
    kernel's root sum of squares on this grid; 1 without smoothing)."""
    if sigma_mm <= 0:
        return 1.0
    reach = [math.ceil(3.0 * sigma_mm / s) + 1 for s in spacing_mm]
    impulse = np.zeros([2 * r + 1 for r in reach], dtype=np.float32)
    impulse[tuple(reach)] = 1.0
    kernel = smooth_hu(impulse, tuple(float(s) for s in spacing_mm), sigma_mm).astype(np.float64)
    return float(np.sqrt(np.sum(kernel * kernel)))


def seed_ball_voxels(spacing_mm: Sequence[float], radius_mm: float) -> int:
    """How many voxels of this grid lie within ``radius_mm`` of a voxel's centre (the seed's ball; at
    least the voxel itself)."""
    sp = np.asarray(spacing_mm, dtype=np.float64)
    reach = np.floor(radius_mm / sp).astype(int)
    axes = [np.arange(-r, r + 1) * s for r, s in zip(reach, sp, strict=True)]
    d2 = axes[0][:, None, None] ** 2 + axes[1][None, :, None] ** 2 + axes[2][None, None, :] ** 2
    return max(1, int(np.count_nonzero(d2 <= radius_mm * radius_mm)))


def refusal_noise_note(
    noise: LesionNoise | None, seed_hu: float, reference_hu: float, p: LesionParameters
) -> str | None:
    """The words for a seed refused as normal bone when the noise can decide that; None otherwise."""
    delta = p.abnormal_delta_hu
    if noise is None or not noise.noisy(delta) or not noise.call_uncertain(seed_hu, reference_hu, delta):
        return None
    return (
        f"{noise.image_words()}: {noise.call_words(seed_hu, reference_hu, p.abnormal_delta_hu)}, so the "
        "noise can decide this refusal: a lesion may be there; click its densest (or darkest) part, or use "
        "a smoother, lower-noise reconstruction of the scan"
    )


def noisy_refusal(
    exc: NoLesionAtSeedError, volume: Volume, seed_lps: Sequence[float] | npt.ArrayLike, p: LesionParameters
) -> NoLesionAtSeedError | None:
    """A seed refused in bone, with the noise's part in it when the image's noise can decide the refusal;
    None otherwise (the refusal stands as it is)."""
    if not exc.at_bone or exc.seed_hu is None or exc.reference_bone_hu is None:
        return None
    noise = measure_lesion_noise(
        volume, seed_lps, seed_voxels=seed_ball_voxels(volume.spacing_mm, p.seed_radius_mm), p=p
    )
    note = refusal_noise_note(noise, exc.seed_hu, exc.reference_bone_hu, p)
    if note is None:
        return None
    return NoLesionAtSeedError(f"{exc}; {note}", exc.seed_hu, exc.reference_bone_hu, at_bone=exc.at_bone)


def accepted_noise_note(
    noise: LesionNoise | None,
    *,
    seed_hu: float,
    reference_hu: float,
    p: LesionParameters,
    lesion: BoolArray,
    smooth: npt.NDArray[np.floating[Any]],
    edges_hu: Sequence[float],
) -> str | None:
    """The words for a lesion found on an image whose noise can change the call or the volume; else None.

    ``lesion`` and ``smooth`` (the smoothed HU it was grown on) share a grid of the noise's spacing;
    ``edges_hu`` the edges it was grown to (none for a mottled lesion, judged by its texture).
    """
    delta = p.abnormal_delta_hu
    if noise is None or not noise.noisy(delta):
        return None
    said: list[str] = []
    if noise.call_uncertain(seed_hu, reference_hu, delta):
        said.append(f"{noise.call_words(seed_hu, reference_hu, delta)}: it may be normal bone")
    if edges_hu:
        share = noise.decided_fraction(lesion, smooth, edges_hu)
        if share >= DECIDED_FRACTION:
            said.append(
                f"noise of this size (±{noise.edge_range_hu:.0f} HU on the smoothed voxels the outline is "
                f"drawn on) can put voxels making up {100 * share:.0f} % of its volume on either side of "
                "its edge: its outline and volume are uncertain"
            )
    if not said:
        return None
    return (
        f"{noise.image_words()}: {'; '.join(said)}; check it on the images, or use a smoother, lower-noise "
        "reconstruction of the scan"
    )
