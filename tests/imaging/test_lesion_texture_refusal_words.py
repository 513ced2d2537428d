"""A click refused as normal bone says its texture shares in percent (QA s31 C).

On ab7d7e8 the refusal read "... and its neighbourhood is not heterogeneous: 0.00 of it deviates by more
than 88 HU (abnormal from 0.20)" in the status bar and in ``osteoplan segment``'s error: two bare fractions,
the second one unnamed. Now: "0 % of it deviates by more than 88 HU from normal bone, where a lesion needs
20 %". The share found is rounded down and the share needed up, so a share just under its threshold never
reads as reaching it. Phantom: the bone cylinder without a lesion (tests/phantoms/lesion.py), seed at its
centre.
"""

from __future__ import annotations

import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_mottled import texture_shares_text
from tests.phantoms.lesion import PhantomLesion, lesion_phantom


def test_normal_bone_refusal_gives_the_shares_in_percent() -> None:
    ph = lesion_phantom(PhantomLesion.NONE)
    with pytest.raises(NoLesionAtSeedError, match="not heterogeneous") as info:
        segment_lesion(ph.volume, (0.0, 0.0, 0.0))
    said = str(info.value)
    assert "% of it deviates by more than 88 HU from normal bone, where a lesion needs " in said
    assert "abnormal from" not in said


def test_a_share_under_its_threshold_never_reads_as_reaching_it() -> None:
    assert texture_shares_text(0.0, 0.2, 88.0) == (
        "0 % of it deviates by more than 88 HU from normal bone, where a lesion needs 20 %"
    )
    assert texture_shares_text(0.1999, 0.2, 88.0).startswith("19 % ")
    assert texture_shares_text(0.334, 0.336, 88.0).endswith("needs 34 %")
    assert texture_shares_text(0.331, 0.336, 88.0).startswith("33 % ")
