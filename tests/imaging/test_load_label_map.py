"""The CT loader refuses a label map given as the CT (QA session 21 F9) and a series UID asked of a single
image file (F6); every real CT still loads.

F9: the abdomen's model labels opened as the CT were read as HU ("the point reads 29 HU near it, soft
tissue", label 29 being L3). F6: ``--series 1.2.3`` on a NIfTI was ignored silently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.errors import DicomImportError, NotAVolumeError
from imaging.label_map import LABEL_MAX_DISTINCT, label_map_reason
from imaging.load import load_volume, save_volume, scan
from imaging.volume import Volume
from tests.conftest import PROJECT_ROOT
from tests.phantoms.ct import build_ct_phantom
from tests.phantoms.dicom_writer import write_dicom_series

#: every CT under shared/data that the loader loads (path, series UID or None); none may be refused
REAL_CTS = (
    "abdomen-pelvis-ct/ct.nii.gz",
    "abdomen-pelvis-ct/dicom-j2k",
    "bone-lesions/case1.nii.gz",
    "bone-lesions/case4.nii.gz",
    "bone-lesions/case5.nii.gz",
    "bone-lesions/case7.nii.gz",
    "lumbar-ct-labels/sub-ct_label-22_ct.nii.gz",
    "chest-ct-dicom",
    "gantry-tilt-ct",
    "feet-first-3slice",
    "dicom-edge-cases/misc",  # the one loadable series: the 2-frame enhanced CT, lowest value -14 HU
)
#: every label map under shared/data
REAL_LABEL_MAPS = (
    "abdomen-pelvis-ct/labels-model.nii.gz",
    "abdomen-pelvis-ct/vertebral-bodies-model.nii.gz",
    "abdomen-pelvis-ct/dicom-j2k-labels-model.nii.gz",
    "lumbar-ct-labels/sub-ct_seg-vert_label-22_msk.nii.gz",
    "lumbar-ct-labels/sub-ct_seg-subreg_label-22_msk.nii.gz",
    "feet-first-3slice/liver_spine_seg.nrrd",
)


def _labels_of(ct: Volume) -> Volume:
    """The phantom's tissues as labels 0 (air), 1 (soft tissue), 2 (bone), on the CT's grid."""
    labels = np.zeros(ct.shape, dtype=np.int16)
    labels[ct.array > -500] = 1
    labels[ct.array > 200] = 2
    return Volume(labels, ct.index_to_lps)


def test_a_label_file_given_as_the_ct_is_refused_by_name(tmp_path: Path) -> None:
    ct = build_ct_phantom(seed=3).volume
    labels = tmp_path / "labels.nii.gz"
    save_volume(_labels_of(ct), labels)
    with pytest.raises(DicomImportError) as exc:
        load_volume(labels)
    assert exc.value.path == labels
    assert "label map" in exc.value.reason and "3 distinct value(s)" in exc.value.reason
    assert "from 0 to 2" in exc.value.reason
    save_volume(ct, tmp_path / "ct.nii.gz")
    assert load_volume(tmp_path / "ct.nii.gz").volume.shape == ct.shape  # the CT itself loads


def test_a_label_series_in_dicom_is_refused_naming_the_series(tmp_path: Path) -> None:
    ct = build_ct_phantom(seed=4).volume
    write_dicom_series(_labels_of(ct), tmp_path / "labels", rescale_intercept=0.0)
    with pytest.raises(NotAVolumeError, match="label map"):
        load_volume(tmp_path / "labels")


def test_the_criteria_each_alone_do_not_refuse() -> None:
    """Lowest value 0, whole, 2 to 256 values: each condition is needed (a CT fails at least one)."""
    few = np.arange(LABEL_MAX_DISTINCT, dtype=np.int16).reshape(4, 8, 8)
    assert label_map_reason(few) is not None
    assert label_map_reason(few - 1) is None  # a value below 0: air or fat in a CT
    assert label_map_reason(few + 1) is None  # no background 0
    assert label_map_reason(np.full((4, 8, 8), 40, dtype=np.int16)) is None  # one value: a uniform block
    assert label_map_reason(np.zeros((4, 8, 8), dtype=np.int16)) is None  # blank
    assert label_map_reason(few + 0.5) is None  # not whole
    assert label_map_reason(np.arange(LABEL_MAX_DISTINCT + 1, dtype=np.int16)) is None  # too many values
    assert label_map_reason(np.zeros((0, 2, 2), dtype=np.int16)) is None


def test_a_series_uid_asked_of_an_image_file_is_refused(tmp_path: Path) -> None:
    ct = build_ct_phantom(seed=5).volume
    path = tmp_path / "ct.nii.gz"
    save_volume(ct, path)
    with pytest.raises(NotAVolumeError, match=r"no series 1\.2\.3 in .*ct\.nii\.gz.*leave the series out"):
        load_volume(path, "1.2.3")
    # what scan() gives for the file (the window passes it back) and no UID at all still load
    (info,) = scan(path).series
    assert load_volume(path, info.series_uid).volume.shape == ct.shape
    assert load_volume(path, None).volume.shape == ct.shape


@pytest.mark.realdata
@pytest.mark.parametrize("name", REAL_CTS)
def test_every_real_ct_loads(shared_data: Path, name: str) -> None:
    path = shared_data / name
    uids = [s.series_uid for s in scan(path).series if s.loadable] if path.is_dir() else [None]
    assert uids
    for uid in uids:
        assert label_map_reason(load_volume(path, uid).volume.array) is None


def test_the_bundled_sample_loads() -> None:
    sample = PROJECT_ROOT / "resources" / "sample_case"
    if not sample.is_dir() or not any(sample.iterdir()):
        pytest.skip("no bundled sample case in this checkout")
    assert label_map_reason(load_volume(sample).volume.array) is None


@pytest.mark.realdata
@pytest.mark.parametrize("name", REAL_LABEL_MAPS)
def test_every_real_label_map_is_refused(shared_data: Path, name: str) -> None:
    with pytest.raises(DicomImportError, match="looks like a label map"):
        load_volume(shared_data / name)
