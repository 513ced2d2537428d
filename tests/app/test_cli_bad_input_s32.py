"""The command line on bad input a hospital produces (QA s32 D), after tests/app/test_cli_bad_input_s31.py:
damaged phantoms written as real DICOM (tests/phantoms) and run in-process with ``app.cli.main`` (no Qt).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from app.cli import main
from tests.app.cli_bad_input import refused, write_vertebra_ct
from tests.phantoms.ct import build_ct_phantom
from tests.phantoms.dicom_writer import WrittenSeries, write_dicom_series


@pytest.fixture(scope="session", autouse=True)
def _needs_display() -> None:
    """No display needed: these tests run the command line without Qt (overrides tests/app/conftest)."""


@pytest.fixture(scope="module")
def vertebra_ct(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The vertebra phantom (lytic lesion in its body) as NIfTI, and a plan spec that works on it."""
    return write_vertebra_ct(tmp_path_factory.mktemp("s32"))


def plan_json(
    ct: Path, spec: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    """``osteoplan plan --json`` of ``spec``, which must succeed."""
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "plan.osteoplan"
    code = main(["plan", str(ct), "--spec", str(spec_path), "--out", str(out), "--json"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    result: dict[str, Any] = json.loads(stdout)
    return result


def _unplace(written: WrittenSeries, index: int, how: str) -> Path:
    """Take away (or make NaN) the (0020,0032) Image Position of the ``index``-th slice written."""
    path = written.paths[index]
    ds = pydicom.dcmread(path)
    if how == "missing":
        del ds.ImagePositionPatient
    else:
        ds.ImagePositionPatient = ["nan", "0", "0"]
    ds.save_as(path)
    return path


@pytest.mark.filterwarnings("ignore:Invalid value for VR DS")  # pydicom on writing the NaN, as asked
@pytest.mark.parametrize("how", ["missing", "nan"])
@pytest.mark.parametrize("index", [0, 11])
def test_a_slice_without_a_position_beside_a_whole_stack_is_left_out_by_name(
    how: str, index: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # base: a missing position refused the whole series ("IM0001.dcm has no (0020,0032) Image Position /
    # (0020,0037) Image Orientation; its geometry is unknown"), exit 2; NaN was left out, "its position is
    # unknown", without saying that the other slices are whole
    written = write_dicom_series(build_ct_phantom(shape=(12, 32, 32), seed=5).volume, tmp_path / "ct")
    bad = _unplace(written, index, how)
    out = tmp_path / "ct.nii.gz"
    assert main(["convert", str(tmp_path / "ct"), "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["shape"] == [11, 32, 32]
    said = [w for w in result["warnings"] if w.startswith(f"{bad.name} was left out (unusable: ")]
    assert len(said) == 1 and "(0020,0032) Image Position" in said[0], result["warnings"]
    assert "the volume was built from the other 11 slices, which leave no gap" in said[0]
    kept = np.delete(written.volume.array, index, axis=0)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(out))), kept)
    first = written.volume.index_to_lps @ np.array([1 if index == 0 else 0, 0, 0, 1.0])
    np.testing.assert_allclose(result["origin_lps"], first[:3], atol=1e-3)


@pytest.mark.filterwarnings("ignore:Invalid value for VR DS")
@pytest.mark.parametrize(
    ("how", "stated"),
    [
        ("missing", "has no (0020,0032) Image Position"),
        ("nan", "has an (0020,0032) Image Position that is not a number"),
    ],
)
def test_a_slice_without_a_position_where_the_stack_has_a_gap_refuses_it_naming_both(
    how: str, stated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # base: a missing position refused the series without saying where the slice belongs; NaN was left out
    # and its gap interpolated, although the file holding the measured slice was at hand
    written = write_dicom_series(build_ct_phantom(shape=(12, 32, 32), seed=5).volume, tmp_path / "ct")
    _unplace(written, 5, how)
    out = tmp_path / "ct.nii.gz"
    line = refused(["convert", str(tmp_path / "ct"), "--out", str(out)], capsys)
    assert f"IM0006.dcm {stated}, so where its slice lay is unknown, and the other 11 slices leave a " in line
    assert "gap between IM0005.dcm and IM0007.dcm" in line
    assert line.endswith("export the series again from the scanner or PACS")
    assert not out.exists()
    assert main(["info", str(tmp_path / "ct"), "--json"]) == 0  # info lists it, refused, with all 12 files
    series = json.loads(capsys.readouterr().out)["series"]
    assert [(s["loadable"], s["shape"][0]) for s in series] == [(False, 12)]


def test_a_cut_file_without_a_position_leaves_a_gap_that_is_interpolated_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # its pixels are not at hand, so its gap is filled like any other missing slice (session 31's policy)
    written = write_dicom_series(build_ct_phantom(shape=(12, 32, 32), seed=5).volume, tmp_path / "ct")
    cut = _unplace(written, 5, "missing")
    cut.write_bytes(cut.read_bytes()[:-500])
    assert main(["info", str(tmp_path / "ct"), "--json"]) == 0
    series = json.loads(capsys.readouterr().out)["series"]
    assert [(s["loadable"], s["shape"][0]) for s in series] == [(True, 12)]


@pytest.mark.parametrize(
    ("ablation", "tissue"),
    [
        ({"profile": "NeuWave 65 W 5 min (kidney)"}, "kidney"),
        ({"profile": "Emprint 100 W 5 min"}, "liver (ex vivo)"),
        ({"profile": "ECO-100A1 60-80 W (bone)", "center_behind_tip_mm": 12}, "bone"),
        ({"width_mm": 35, "length_mm": 37, "center_behind_tip_mm": 11.5}, None),
    ],
)
def test_plan_with_a_profile_measured_in_another_tissue_than_bone_says_so(
    ablation: dict[str, Any],
    tissue: str | None,
    vertebra_ct: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # base: a kidney profile on a vertebra planned without a word (its zone is bigger than bone gives)
    ct, spec = vertebra_ct
    result = plan_json(ct, {**spec, "ablation": ablation}, tmp_path, capsys)
    assert result["ablation"]["tissue"] == tissue
    said = [w for w in result["warnings"] if "not bone" in w]
    if tissue in (None, "bone"):
        assert said == []
    else:
        assert said == [
            f'the ablation profile "{ablation["profile"]}" gives zone figures measured in {tissue}, not '
            "bone: zones in bone are smaller than in soft tissue, so the zone drawn and its coverage may "
            "overstate the ablation; choose a bone profile or check the zone's size against the device's "
            "bone data"
        ]


#: a description as a hospital's scanner or a hand edit can leave it: a line break, a carriage return, a
#: terminal escape (red text), a bell, a right-to-left override and a line separator
ODD_DESCRIPTION = "AX BONE\nSeries 2 | CT | 99 file(s) | loadable\r\x1b[31mX\x07 \u202eenob\u2028end"


def _describe_oddly(written: WrittenSeries) -> None:
    for path in written.paths:
        ds = pydicom.dcmread(path)
        ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8, so the override and separator can be stored
        ds.SeriesDescription = ODD_DESCRIPTION
        ds.save_as(path)


def test_info_text_keeps_one_line_per_item_whatever_the_description_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # base: the description's line break started a line of its own that read as another series'
    # ("Series 2 | CT | 99 file(s) | loadable"), its escape turned the terminal red and its bell rang
    written = write_dicom_series(build_ct_phantom(shape=(6, 16, 16), seed=2).volume, tmp_path / "ct")
    _describe_oddly(written)
    assert main(["info", str(tmp_path / "ct")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("Series "), out
    assert lines[1] == (
        "  AX BONE\\nSeries 2 | CT | 99 file(s) | loadable\\r\\x1b[31mX\\x07 \\u202eenob\\u2028end | CT | "
        "6 file(s) | loadable"
    )
    assert all(ch.isprintable() for ch in out.replace("\n", ""))
    assert main(["info", str(tmp_path / "ct"), "--json"]) == 0  # JSON keeps the exact string, escaped
    text = capsys.readouterr().out
    assert text.count("\n") == 1
    assert json.loads(text)["series"][0]["description"] == ODD_DESCRIPTION


def test_an_error_line_naming_a_path_with_controls_stays_one_printable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # base: the escape in the folder's name reached the terminal (here: clear the screen) raw
    line = refused(["info", str(tmp_path / "scan\x1b[2J\x07")], capsys)
    assert line == f"osteoplan info: {tmp_path}/scan\\x1b[2J\\x07 does not exist"


@pytest.mark.parametrize("charset", ["ISO_IR 192", "ISO_IR 100"])
def test_a_description_is_read_in_its_files_character_set(
    charset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # base: the fast header reader read every text as Latin-1, so UTF-8 "Wirbelsäule" was "WirbelsÃ¤ule"
    written = write_dicom_series(build_ct_phantom(shape=(4, 8, 8), seed=2).volume, tmp_path / "ct")
    for path in written.paths:
        ds = pydicom.dcmread(path)
        ds.SpecificCharacterSet = charset
        ds.SeriesDescription = "Wirbelsäule 1,0 Knochen"
        ds.save_as(path)
    assert main(["info", str(tmp_path / "ct"), "--json"]) == 0
    series = json.loads(capsys.readouterr().out)["series"]
    assert [s["description"] for s in series] == ["Wirbelsäule 1,0 Knochen"]


def _plan_refused(spec: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], ct: Path) -> str:
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "plan.osteoplan"
    line = refused(["plan", str(ct), "--spec", str(spec_path), "--out", str(out), "--json"], capsys)
    assert not out.exists()
    return line.removeprefix("osteoplan plan: ")


@pytest.mark.parametrize(
    ("place", "value", "base"),
    [
        ("target", [1e308, 0.0, 0.0], "the seed printed with its 309 digits, after numpy's cast warning"),
        ("entry", [1e200, 0.0, 0.0], "internal error (ValueError: outward_lps must not be zero)"),
    ],
)
def test_plan_a_point_no_scan_reaches_is_refused_naming_the_key(
    place: str,
    value: list[float],
    base: str,
    vertebra_ct: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ct, spec = vertebra_ct
    seed = spec["targets"][0]["lesion_seed_lps"]
    if place == "target":
        spec = {**spec, "targets": [{**spec["targets"][0], "lesion_seed_lps": value}]}
        key = "targets[0].lesion_seed_lps"
    else:
        spec = {**spec, "trajectories": [{"target": "L3", "entry_lps": value, "target_lps": seed}]}
        key = "trajectories[0].entry_lps"
    line = _plan_refused(spec, tmp_path, capsys, ct)
    assert line == f'"{key}" = {value!r}: expected three numbers [x, y, z] in LPS mm, each within ±100000 mm'


def test_segment_a_seed_no_scan_reaches_is_one_short_line(
    vertebra_ct: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    # base: numpy's "invalid value encountered in cast" warning, then the seed with all its digits
    line = refused(["segment", str(vertebra_ct[0]), "--seed", "1e308,0,0"], capsys)
    assert line == (
        "osteoplan segment: --seed must be three numbers X,Y,Z in LPS mm, each within ±100000 mm (a point in "
        "the scan), got '1e308,0,0'"
    )


def test_plan_a_needle_tip_outside_the_scan_is_refused(
    vertebra_ct: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # base: planned and saved (exit 0), coverage 0 %, with only a note that the needle lay outside the image
    ct, spec = vertebra_ct
    tip = [800.0, 900.0, 900.0]
    needle = {"target": "L3", "entry_lps": [900.0, 900.0, 900.0], "target_lps": tip}
    line = _plan_refused({**spec, "trajectories": [needle]}, tmp_path, capsys, ct)
    assert line.startswith(f'"trajectories[0].target_lps" = {tip!r}: expected a needle tip inside the scan')


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"name": "L3\nL4"}, "\"targets[0].name\" = 'L3\\nL4': expected a name without line breaks, tabs or"),
        ({"choices": 5}, '"targets[0].choices" = 5: expected a JSON object with keys among ['),
        ({"choices": {"pain": 3}}, "\"targets[0].choices\" = ['pain']: expected keys among adjacent_"),
        (
            {"choices": {"adjacent_heights_mm": "x"}},
            "\"targets[0].choices.adjacent_heights_mm\" = 'x': expected a list of positive heights in mm",
        ),
        ({"choices": {"aliquot_policy": []}}, '"targets[0].choices.aliquot_policy" = []: expected "chen" or'),
        ({"choices": {"cement_volume_ml": "2"}}, "\"targets[0].choices.cement_volume_ml\" = '2': expected a"),
        (
            {"choices": {"collapse_threshold_fraction": 3}},
            '"targets[0].choices.collapse_threshold_fraction" = 3.0: expected 0-0.5',
        ),
    ],
)
def test_plan_a_bad_target_name_or_choice_is_refused_naming_its_place(
    target: dict[str, Any],
    expected: str,
    vertebra_ct: tuple[Path, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # base: the name planned with its line break (splitting the text answer), choices 5 dropped without a
    # word, the heights "x" and the policy [] internal errors, the others named without their target
    ct, spec = vertebra_ct
    name = target.get("name", "L3")
    spec = {
        **spec,
        "targets": [{**spec["targets"][0], **target}],
        "trajectories": [{**spec["trajectories"][0], "target": name}],
    }
    assert _plan_refused(spec, tmp_path, capsys, ct).startswith(expected)


def test_plan_direct_without_a_skin_found_names_the_trajectory(
    vertebra_ct: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # base: '"skin_lps" is missing: ...', naming no trajectory (the phantom's image ends before its skin)
    ct, spec = vertebra_ct
    line = _plan_refused(
        {**spec, "trajectories": [{"target": "L3", "approach": "direct"}]}, tmp_path, capsys, ct
    )
    assert line.startswith('"trajectories[0].skin_lps" is missing: expected a skin point')
