"""``run_plan`` with segmented foramina on the three-vertebra phantom: heat distance to them reported
in ``structures``, no "not segmented" warning, the foramina listed, and a foramen layer in the case."""

from __future__ import annotations

import numpy as np

from imaging.volume import Volume
from planning.model import DEFAULT_LAYER_COLORS, LayerKind
from planning.plan_runner import build_case, run_plan
from tests.phantoms.foramina import make_foramina_phantom


def test_plan_reports_zone_to_foramina_distance() -> None:
    ph = make_foramina_phantom()
    # a lytic sphere (30 HU, radius 7 mm) painted into the middle body's left half
    seed = ph.to_lps([6.0, 2.0, 0.0])
    idx = np.stack(np.indices(ph.volume.shape), axis=-1).astype(float)
    sphere = np.linalg.norm(ph.volume.index_to_lps_points(idx) - seed, axis=-1) <= 7.0
    array = ph.volume.array.copy()
    array[sphere] = 30
    volume = Volume(array, ph.volume.index_to_lps)
    centre = [float(v) for v in ph.center_lps]
    spec = {
        "targets": [
            {"name": "L3", "lesion_seed_lps": [float(v) for v in seed], "vertebra_lps": centre, "level": "L3"}
        ],
        "trajectories": [{"target": "L3", "approach": "transpedicular-left"}],
        "needle": {"gauge": 13},
        "ablation": {"width_mm": 20, "length_mm": 24, "center_behind_tip_mm": 5},
    }
    result = run_plan(volume, spec)
    out = result.to_json()["targets"][0]
    foramina = out["structures"]["foramina"]
    assert isinstance(foramina["distance_mm"], float)
    assert not any("not segmented" in w for w in out["warnings"])
    assert {f["name"] for f in out["foramina"] if f["found"]} == {
        "left L2-L3",
        "left L3-L4",
        "right L2-L3",
        "right L3-L4",
    }
    union = result.targets[0].anatomy.foramina.union()  # type: ignore[union-attr]
    assert union is not None
    case = build_case(result)
    layer = case.layers["L3 neural foramina"]
    assert np.array_equal(layer.mask.to_full(), union.to_full())
    assert layer.kind is LayerKind.FORAMEN
    assert layer.color_rgb == DEFAULT_LAYER_COLORS[LayerKind.FORAMEN]
