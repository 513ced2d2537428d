"""A scan too thin to judge a lesion is refused with its reason, never an internal error (QA s19 F2).

``osteoplan segment`` on the 3-slice real scan stopped with "internal error (ValueError: operands could
not be broadcast ...)": a dilation wider than the 3-slice region (imaging.lesion_morph.within_mm, fixed
and tested against brute force in test_lesion_morph). With the crash gone, the same seed (in the spinal
canal of the scan's vertebra, 16 HU) grew into a "lytic lesion" 44.7 mm across in 3 mm of scan. The
lesion is judged against normal bone up to ``shell_mm[1]`` (12 mm) around it on every side, so a scan
thinner than twice that along an axis is refused, saying so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from imaging.lesion import segment_lesion
from imaging.lesion_errors import SegmentationError
from tests.phantoms.lesion import PhantomLesion, lesion_phantom


def _slab(slices: int, axis: int) -> tuple[object, tuple[float, float, float]]:
    ph = lesion_phantom(PhantomLesion.LYTIC_SPHERE, spacing_mm=(1.0, 1.0, 1.0))
    seed_index = np.rint(ph.volume.lps_to_index_points(np.asarray(ph.seed_lps))).astype(int)
    start = [0, 0, 0]
    stop = list(ph.volume.shape)
    start[axis] = int(seed_index[axis]) - slices // 2
    stop[axis] = start[axis] + slices
    return ph.volume.crop(start, stop), ph.seed_lps


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_a_thin_slab_is_refused_saying_why(axis: int) -> None:
    thin, seed = _slab(3, axis)
    with pytest.raises(SegmentationError, match=r"covers 3\.0 mm across its 3 .* too thin to judge a lesion"):
        segment_lesion(thin, seed)
    # one voxel short of twice the 12 mm shell: still refused; at 24 mm the lesion is found
    short, _ = _slab(23, axis)
    with pytest.raises(SegmentationError, match="at least 24 mm of scan needed"):
        segment_lesion(short, seed)
    enough, _ = _slab(24, axis)
    lesion = segment_lesion(enough, seed)
    assert lesion.volume_ml > 0.5  # the 8 mm lytic sphere is 2.14 mL; cut to 24 mm of scan here


def test_the_three_slice_scan_is_refused_by_the_cli(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shared_data / "feet-first-3slice"
    # the centroid of the segmentation's vertebra (label 2) over its 3 slices, as QA clicked it
    code = main(["segment", str(folder), "--seed=-28.3,77,-127.7"])
    err = capsys.readouterr().err
    assert code == 2
    assert "internal error" not in err
    assert "covers 3.0 mm across its 3 slices of 1.00 mm: too thin to judge a lesion" in err
