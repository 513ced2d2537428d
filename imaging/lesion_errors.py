"""Exceptions raised by bone and lesion segmentation and by mask editing.

They derive from :class:`imaging.errors.ImagingError`, so the command line turns them into exit code 2
with their message. Positions in messages are LPS millimetres; messages never hold patient identifiers.
"""

from __future__ import annotations

from imaging.errors import ImagingError


class SegmentationError(ImagingError):
    """A segmentation could not give an answer; ``reason`` says why in a plain sentence."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class SeedOutsideVolumeError(SegmentationError):
    """The seed point lies outside the volume's grid.

    Parameters
    ----------
    seed_lps
        The seed, LPS mm.
    bounds_lps
        ``(min_xyz, max_xyz)`` of the volume's voxel centres, LPS mm.
    """

    def __init__(
        self,
        seed_lps: tuple[float, float, float],
        bounds_lps: tuple[tuple[float, float, float], tuple[float, float, float]],
    ) -> None:
        self.seed_lps = seed_lps
        self.bounds_lps = bounds_lps
        lo, hi = bounds_lps
        super().__init__(
            "seed ({:.1f}, {:.1f}, {:.1f}) mm LPS lies outside the volume, which spans "
            "x {:.1f}..{:.1f}, y {:.1f}..{:.1f}, z {:.1f}..{:.1f} mm".format(
                *seed_lps, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]
            )
        )


class NoLesionAtSeedError(SegmentationError):
    """The seed is not in a lesion (air, fat, soft tissue away from bone, or normal bone).

    Parameters
    ----------
    reason
        Why the seed was refused.
    seed_hu
        Median HU around the seed, when measured.
    reference_bone_hu
        The local normal bone HU it was compared with, when measured.
    at_bone
        The seed is in or at bone and was refused as like normal bone (or with no normal bone to compare
        with): an operator's reference bone HU, or an outline drawn by hand, can still give a lesion
        there. False for a seed in air, fat, soft tissue away from bone or outside the scan.
    """

    def __init__(
        self,
        reason: str,
        seed_hu: float | None = None,
        reference_bone_hu: float | None = None,
        *,
        at_bone: bool = False,
    ) -> None:
        self.seed_hu = seed_hu
        self.reference_bone_hu = reference_bone_hu
        self.at_bone = at_bone
        super().__init__(reason)


class SegmentationCancelledError(SegmentationError):
    """The operator cancelled a segmentation; nothing was produced."""

    def __init__(self) -> None:
        super().__init__("segmentation cancelled")
