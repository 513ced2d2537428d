"""The errors of the vertebra search (:func:`imaging.vertebra.find_vertebra`), which re-exports them.

A refusal carries its reason as a plain sentence for the operator and the click (LPS mm).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.errors import ImagingError

__all__ = [
    "AnatomyCancelledError",
    "ClickNotInBodyError",
    "OnSacrumError",
    "PlacedAtCanalError",
    "VertebraNotFoundError",
]

FloatArray = npt.NDArray[np.float64]


class VertebraNotFoundError(ImagingError):
    """No vertebra could be found at the click.

    Parameters
    ----------
    reason
        What was missing (a plain sentence).
    click_lps
        The click, LPS mm.
    destroyed_body_possible
        The point reads soft tissue or fluid that bone surrounds and no body was found round it: it may lie
        in a vertebral body a lesion has destroyed (the reason then says to click in a part of it that is
        still bone, and a caller may add the other ways it offers: the lesion segmented or drawn and given
        its level).
    """

    def __init__(
        self, reason: str, click_lps: Sequence[float] | FloatArray, *, destroyed_body_possible: bool = False
    ) -> None:
        self.reason = reason
        self.destroyed_body_possible = destroyed_body_possible
        self.click_lps = tuple(float(v) for v in click_lps)
        where = ", ".join(f"{v:.1f}" for v in self.click_lps)
        super().__init__(f"no vertebra at LPS ({where}) mm: {reason}")


class OnSacrumError(VertebraNotFoundError):
    """The body found at the click is the sacrum (no vertebral body to measure); the reason carries
    the S1 suggestion."""


class ClickNotInBodyError(VertebraNotFoundError):
    """The click lies where no vertebral body is (the spinal canal, air, lung or fat:
    :mod:`imaging.click_place`); the reason says what the point is in."""


class PlacedAtCanalError(ClickNotInBodyError):
    """A refusal that says where the point lies against the canal the search found from it
    (:func:`imaging.click_place.refuse_click_behind_canal`); :func:`imaging.vertebra.find_vertebra` says
    instead that the point is not on the spine when it lies far to the side of the trunk's middle
    (:mod:`imaging.spine_middle`): the "canal" is then another bone's hole."""


class AnatomyCancelledError(ImagingError):
    """The operator cancelled the anatomy search; nothing was produced."""

    def __init__(self) -> None:
        super().__init__("vertebral anatomy cancelled")
