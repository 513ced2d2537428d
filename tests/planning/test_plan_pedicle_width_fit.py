"""The pedicle width's +- in the plan (session 27): ``osteoplan plan``'s JSON and text and the trajectory's
warnings say the width as the dock does, and a width that clears the needle and its margin whose low end
does not is warned of, in the dock's words (:mod:`planning.pedicle_fit`).

The phantom's truth anatomy (8 mm pedicles), with the left pedicle said to be 4.0 +- 0.65 mm: 4.0 clears a
13 G needle (2.41 mm) + 1 mm margin, its low end 4.0 - 0.7 = 3.3 mm does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.pedicle_fit import fit_warning
from planning.plan_runner import run_plan
from tests.phantoms.vertebra import VertebraPhantom
from tests.planning.test_plan_runner import _spec
from tests.planning.test_proposals import anatomy_from_truth

MAY_BE_UNDER = (
    "pedicle narrowest width 4.0 mm (±0.7 mm on this scan) may be under the needle's 2.41 mm + 1 mm margin: "
    "the low end of its range, 3.3 mm, is; check the pedicle on the images, or consider a parapedicular or "
    "transcostovertebral route"
)


@pytest.fixture
def unsure_left(phantom: VertebraPhantom, use_anatomy: Callable[[VertebraAnatomy], None]) -> None:
    truth = anatomy_from_truth(phantom, "L3")
    pedicles = dict(truth.pedicles)
    pedicles[Side.LEFT] = replace(pedicles[Side.LEFT], min_width_mm=4.0, min_width_uncertainty_mm=0.65)
    pedicles[Side.RIGHT] = replace(pedicles[Side.RIGHT], min_width_uncertainty_mm=0.5)
    use_anatomy(replace(truth, pedicles=pedicles))


def test_fit_words() -> None:
    assert fit_warning(8.0, 0.5, 2.41, 1.0) is None
    assert fit_warning(4.0, 0.65, 2.41, 1.0) == MAY_BE_UNDER
    assert fit_warning(3.0, 0.2, 2.41, 1.0) == (
        "pedicle narrowest width 3.0 mm (±0.2 mm on this scan) is under the needle's 2.41 mm + 1 mm margin: "
        "check the pedicle on the images, or consider a parapedicular or transcostovertebral route"
    )
    # under the needle itself: the plan's words before session 27, the +- added when known
    assert fit_warning(2.0, None, 2.41, 1.0) == (
        "pedicle narrowest width 2.0 mm is under the needle's 2.41 mm: "
        "consider a parapedicular or transcostovertebral route"
    )


@pytest.mark.usefixtures("unsure_left")
def test_the_plan_says_the_width_with_its_range_and_warns_of_its_low_end(
    phantom: VertebraPhantom, volume: Volume
) -> None:
    both = [{"target": "L3", "approach": f"transpedicular-{side}"} for side in ("left", "right")]
    out = json.loads(json.dumps(run_plan(volume, _spec(phantom, both)).to_json()))
    left, right = out["trajectories"]
    assert (left["approach"], right["approach"]) == ("transpedicular-left", "transpedicular-right")
    assert (left["pedicle_min_width_mm"], left["pedicle_min_width_uncertainty_mm"]) == (4.0, 0.65)
    assert right["pedicle_min_width_uncertainty_mm"] == 0.5
    assert MAY_BE_UNDER in left["warnings"]
    assert not any("pedicle narrowest width" in w for w in right["warnings"])  # 8.0 - 0.5 clears 3.41


@pytest.mark.usefixtures("unsure_left")
def test_osteoplan_plan_text_says_the_width_as_the_dock_does(
    phantom: VertebraPhantom, volume: Volume, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from imaging.load import save_volume

    image = tmp_path / "ct.nii.gz"
    save_volume(volume, image)
    spec_path = tmp_path / "spec.json"
    spec = _spec(phantom, [{"target": "L3", "approach": "transpedicular-left"}])
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    code = main(["plan", str(image), "--spec", str(spec_path), "--out", str(tmp_path / "case.osteoplan")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "pedicle 4.0 mm (±0.7 mm on this scan), canal" in captured.out
    assert f"  ! {MAY_BE_UNDER}" in captured.out.splitlines()
