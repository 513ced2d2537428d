"""A DICOM series whose files give no (0020,000E) Series Instance UID can be chosen from a list of several.

QA s25 E12: under /work/shared/data the abdomen's dicom-j2k series (no Series Instance UID) was listed as
"'CT Body 3.0' (CT, 20 slice(s))" among series to "choose by its series UID", with no UID to give. The
list now says how: open its folder instead (when no other loadable series lies there), else pass its id,
"" (``--series ""``), which :func:`imaging.load.load_volume` has always matched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from imaging.errors import NotAVolumeError
from imaging.load import load_volume, scan
from tests.phantoms.ct import CtPhantom, build_ct_phantom
from tests.phantoms.dicom_writer import WrittenSeries, write_dicom_series


@pytest.fixture(scope="module")
def phantom() -> CtPhantom:
    return build_ct_phantom(shape=(12, 32, 32), seed=3)


def _without_series_uid(written: WrittenSeries) -> None:
    """Delete (0020,000E) Series Instance UID from every file written, as in the abdomen's dicom-j2k."""
    for path in written.paths:
        ds = pydicom.dcmread(path)
        del ds.SeriesInstanceUID
        ds.save_as(path)


def test_a_series_without_uid_in_its_own_folder_is_chosen_by_opening_that_folder(
    tmp_path: Path, phantom: CtPhantom
) -> None:
    write_dicom_series(phantom.volume, tmp_path / "scans" / "with_uid", description="bone")
    plain = write_dicom_series(phantom.volume, tmp_path / "scans" / "no_uid", description="body", prone=True)
    _without_series_uid(plain)
    assert "" in {s.series_uid for s in scan(tmp_path / "scans").series}
    with pytest.raises(NotAVolumeError, match="2 loadable series found") as exc:
        load_volume(tmp_path / "scans")
    folder = tmp_path / "scans" / "no_uid"
    assert f"'body' (CT, 12 slice(s); no series UID: open its folder {folder} instead)" in str(exc.value)
    loaded = load_volume(folder).volume  # the way the list gives: that folder holds this series alone
    np.testing.assert_allclose(loaded.index_to_lps, plain.volume.index_to_lps, atol=1e-4)


def test_a_series_without_uid_beside_another_is_chosen_by_its_empty_id(
    tmp_path: Path, phantom: CtPhantom
) -> None:
    write_dicom_series(phantom.volume, tmp_path / "two", description="bone", file_prefix="A")
    plain = write_dicom_series(
        phantom.volume, tmp_path / "two", description="body", file_prefix="B", prone=True
    )
    _without_series_uid(plain)
    with pytest.raises(NotAVolumeError, match="2 loadable series found") as exc:
        load_volume(tmp_path / "two")
    # the folder holds the other series too: opening it would list both again, so the id is given
    assert "'body' (CT, 12 slice(s); no series UID: choose it with --series \"\")" in str(exc.value)
    loaded = load_volume(tmp_path / "two", "").volume
    np.testing.assert_allclose(loaded.index_to_lps, plain.volume.index_to_lps, atol=1e-4)
