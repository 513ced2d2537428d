"""The plan runner on a vertebra whose left pedicle was not traced (issue 5).

The anatomy is the vertebra phantom's truth with the left pedicle removed (``_find_vertebra`` patched):
a transpedicular approach on that side must give the route built from the body and canal
(``propose_untraced_side``), labelled with its own approach and flagged; ``transpedicular-bilateral``
must give both sides. Tolerances: positions one voxel (1 mm), needle-to-canal distances half a voxel.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.errors import PlanningError
from planning.plan_runner import run_plan, save_plan_case
from planning.proposals import approach_of
from planning.trajectory import DistanceField, TrajectoryGeometry, needle_distance
from tests.phantoms.vertebra import VertebraPhantom
from tests.planning.test_plan_runner import TRAJECTORY_KEYS, _spec
from tests.planning.test_proposals import PAD, anatomy_from_truth

OD_13G_MM = 2.41  # 13 G access needle (CLINICAL.md), the spec's gauge


def _left_untraced(phantom: VertebraPhantom, level: str) -> VertebraAnatomy:
    full = anatomy_from_truth(phantom, level)
    return dataclasses.replace(full, pedicles={Side.RIGHT: full.pedicles[Side.RIGHT]})


@pytest.mark.parametrize(("level", "family"), [("T9", "transcostovertebral"), ("L3", "parapedicular")])
def test_bilateral_gives_both_sides_the_untraced_one_flagged(
    phantom: VertebraPhantom,
    volume: Volume,
    use_anatomy: Callable[[VertebraAnatomy], None],
    tmp_path: Path,
    level: str,
    family: str,
) -> None:
    anatomy = _left_untraced(phantom, level)
    use_anatomy(anatomy)
    spec = _spec(phantom, [{"target": "L3", "approach": "transpedicular-bilateral"}])
    result = run_plan(volume, spec)
    out = json.loads(json.dumps(result.to_json()))
    trajs = out["trajectories"]
    assert [t["approach"] for t in trajs] == [approach_of(family, Side.LEFT).value, "transpedicular-right"]
    left, right = trajs
    for t in trajs:
        assert set(t) >= TRAJECTORY_KEYS
    # the untraced side: flagged, says what was asked for and asks for the operator's check
    assert left["pedicle_traced"] is False and right["pedicle_traced"] is True
    assert left["pedicle_min_width_mm"] is None
    assert any("transpedicular-bilateral asked for" in w for w in left["warnings"])
    assert any("left pedicle not traced" in w and "must check" in w for w in left["warnings"])
    assert not any("not traced" in w for w in right["warnings"])
    assert right["pedicle_min_width_mm"] == pytest.approx(8.0)
    # its tip on the body's midline at the anterior-middle third (local y = -b/3), out of the canal
    _, b = phantom.body_semi_axes_mm
    np.testing.assert_allclose(left["target_lps"], phantom.to_lps(np.array([0.0, -b / 3.0, 0.0])), atol=1.0)
    assert left["entry_lps"][0] > phantom.center_lps[0]  # comes in from the patient's left (+x)
    canal = DistanceField(anatomy.canal, volume.index_to_lps)
    g = TrajectoryGeometry(tuple(left["entry_lps"]), tuple(left["target_lps"]))
    assert needle_distance(canal, g, OD_13G_MM / 2.0).distance_mm >= 1.0 - 0.5
    assert left["canal_distance_mm"] == pytest.approx(
        needle_distance(canal, g, OD_13G_MM / 2.0).distance_mm, abs=0.5
    )
    # one zone per needle, coverage from both
    assert [z["trajectory"] for z in out["zones"]] == [0, 1]
    assert out["targets"][0]["coverage_percent"] is not None
    # the saved case keeps the flag for the GUI's needle panel
    from planning.case_io import load_case

    path = tmp_path / "plan.osteoplan"
    save_plan_case(result, str(path), series_uid="1.2.3", source_path="phantom.nii.gz")
    saved = {t.approach.value: t for t in load_case(path).trajectories.values()}
    assert saved[left["approach"]].extra.get("pedicle_traced") is False
    assert "pedicle_traced" not in saved["transpedicular-right"].extra


def test_one_side_asked_on_the_untraced_side(
    phantom: VertebraPhantom, volume: Volume, use_anatomy: Callable[[VertebraAnatomy], None]
) -> None:
    use_anatomy(_left_untraced(phantom, "L3"))
    spec = _spec(
        phantom,
        [
            {"target": "L3", "approach": "transpedicular-left"},
            {"target": "L3", "approach": "transpedicular-right"},
        ],
    )
    out = run_plan(volume, spec).to_json()
    left, right = out["trajectories"]
    assert left["approach"] == "parapedicular-left" and left["pedicle_traced"] is False
    assert any("transpedicular-left asked for" in w and "parapedicular-left" in w for w in left["warnings"])
    assert right["approach"] == "transpedicular-right" and right["pedicle_traced"] is True
    # the same route as asking for it by name
    by_name = run_plan(volume, _spec(phantom, [{"target": "L3", "approach": "parapedicular-left"}]))
    np.testing.assert_allclose(
        by_name.trajectories[0].geometry.entry_lps, left["entry_lps"], atol=0.006
    )  # JSON: 0.01 mm


def test_untraced_side_without_a_canal_mask(
    phantom: VertebraPhantom, volume: Volume, use_anatomy: Callable[[VertebraAnatomy], None]
) -> None:
    """No canal: no route can be built on the untraced side; bilateral still gives the traced one."""
    anatomy = _left_untraced(phantom, "L3")
    empty = Mask(np.zeros((1, 1, 1), dtype=bool), anatomy.canal.offset_index, anatomy.canal.grid_shape)
    use_anatomy(dataclasses.replace(anatomy, canal=empty))
    out = run_plan(
        volume, _spec(phantom, [{"target": "L3", "approach": "transpedicular-bilateral"}])
    ).to_json()
    assert [t["approach"] for t in out["trajectories"]] == ["transpedicular-right"]
    assert any("no route on the left side" in w for w in out["targets"][0]["warnings"])
    with pytest.raises(PlanningError, match="no left pedicle"):
        run_plan(volume, _spec(phantom, [{"target": "L3", "approach": "transpedicular-left"}]))


def test_command_line_with_the_anatomy_engine_on_a_missing_pedicle(
    phantom: VertebraPhantom, volume: Volume, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``osteoplan plan`` end to end, the real anatomy engine, the left pedicle blanked to soft tissue.

    Judged against the phantom's truth: the left route ends on the body's midline at the anterior-middle
    third (within 1.5 mm: body and canal centroids come from the engine's masks, 1 mm voxels) and stays
    out of the true canal.
    """
    from app.cli import main
    from imaging.load import save_volume
    from planning.case_io import load_case

    pytest.importorskip("imaging.vertebra")
    arr = volume.array.copy()
    arr[np.pad(phantom.pedicles[Side.LEFT].mask, PAD)] = 40  # soft tissue (HU) where the pedicle was
    image = tmp_path / "ct.nii.gz"
    save_volume(Volume(arr, volume.index_to_lps), image)
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(
        json.dumps(_spec(phantom, [{"target": "L3", "approach": "transpedicular-bilateral"}])),
        encoding="utf-8",
    )
    out_case = tmp_path / "case.osteoplan"
    code = main(["plan", str(image), "--spec", str(spec_path), "--out", str(out_case), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    trajs = json.loads(captured.out)["trajectories"]
    assert [(t["approach"], t["pedicle_traced"]) for t in trajs] == [
        ("parapedicular-left", False),
        ("transpedicular-right", True),
    ]
    left = trajs[0]
    assert any("transpedicular-bilateral asked for" in w for w in left["warnings"])
    _, b = phantom.body_semi_axes_mm
    np.testing.assert_allclose(left["target_lps"], phantom.to_lps(np.array([0.0, -b / 3.0, 0.0])), atol=1.5)
    truth = anatomy_from_truth(phantom, "L3")
    g = TrajectoryGeometry(tuple(left["entry_lps"]), tuple(left["target_lps"]))
    assert (
        needle_distance(DistanceField(truth.canal, volume.index_to_lps), g, OD_13G_MM / 2.0).distance_mm > 0
    )
    saved = [t for t in load_case(out_case).trajectories.values() if t.approach.value == "parapedicular-left"]
    assert len(saved) == 1 and saved[0].extra.get("pedicle_traced") is False
