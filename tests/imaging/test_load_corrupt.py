"""Corrupt and truncated files: the loader loads what it can and names what it cannot, never a traceback.

Seeded truncations and byte flips of one file in a 3-slice series, for every storage the writer
makes. Either the load succeeds (a flipped pixel value cannot be detected; a file cut before its
pixel data is set aside and reported by name) or it raises an ImagingError.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from imaging.errors import ImagingError
from imaging.load import load_volume
from tests.phantoms.ct import build_ct_phantom
from tests.phantoms.dicom_writer import write_dicom_series


@pytest.mark.parametrize(
    "options",
    [{}, {"implicit_vr": True}, {"compression": "rle"}, {"compression": "jpeg2000"}, {"enhanced": True}],
    ids=["explicit", "implicit", "rle", "jpeg2000", "enhanced"],
)
def test_corruption_never_escapes(tmp_path: Path, options: dict[str, object]) -> None:
    phantom = build_ct_phantom(shape=(40, 32, 32), seed=0)
    src = tmp_path / "src"
    written = write_dicom_series(phantom.volume, src, drop_slices=range(3, 40), **options)
    data = written.paths[0].read_bytes()
    rng = np.random.default_rng(1)
    offsets = sorted({*range(0, 1400, 61), *rng.integers(0, len(data), 12).tolist()})
    outcomes: dict[str, int] = {}
    for offset in offsets:
        for mode in ("cut", "flip"):
            case = tmp_path / f"{mode}{offset}"
            shutil.copytree(src, case)
            target = case / written.paths[0].name
            if mode == "cut":
                target.write_bytes(data[:offset])
            else:
                flipped = bytearray(data)
                flipped[min(offset, len(data) - 1)] ^= 0xFF
                target.write_bytes(bytes(flipped))
            try:
                result = load_volume(case)
                outcome = "loaded"
                if mode == "cut" and result.volume.shape[0] < 3 and options.get("enhanced") is None:
                    # the cut file was set aside: the report must name it
                    assert any(target.name in line for line in result.report.lines()), result.report.lines()
                    outcome = "set aside"
            except ImagingError as exc:
                outcome = type(exc).__name__
                assert str(exc)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            shutil.rmtree(case)
    assert sum(outcomes.values()) == 2 * len(offsets)
    assert set(outcomes) - {"loaded"}, "no corruption was refused or set aside at all"


def test_corrupt_jpeg2000_header_is_refused_not_a_crash(tmp_path: Path) -> None:
    """Regression: one flipped byte in a J2K SIZ segment made gdcm abort the whole process (an uncaught
    C++ exception) when pydicom fell back to it; the loader now picks one plugin per syntax."""
    phantom = build_ct_phantom(shape=(40, 32, 32), seed=0)
    w = write_dicom_series(
        phantom.volume, tmp_path, drop_slices=range(3, 40), compression="jpeg2000", signed=True
    )
    data = bytearray(w.paths[1].read_bytes())
    start = data.find(b"\xff\x4f\xff\x51")  # SOC then SIZ marker
    assert start > 0
    data[start + 42] ^= 0xFF
    w.paths[1].write_bytes(bytes(data))
    with pytest.raises(
        ImagingError, match=rf"{w.paths[1].name}: cannot decode pixel data with transfer syntax JPEG 2000"
    ):
        load_volume(tmp_path)
