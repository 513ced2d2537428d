"""The planning window's coverage keeps heat away from the neural foramina it segments.

Three-vertebra phantom with foramina built between consecutive pedicles (tests/phantoms/foramina.py):
the controller finds the vertebra in a worker, adds its foramina, and the coverage of a zone placed
beside a foramen reports the distance to it, equal to the headless coverage on the same masks.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.loading import wait_until
from imaging.mask import Mask
from planning.ablation import AblationZone
from planning.commands import AddLayer, AddTarget
from planning.coverage import CoverageContext
from planning.model import LayerKind, MaskLayer, Target, TargetKind
from tests.phantoms.foramina import make_foramina_phantom


def test_coverage_in_the_window_reports_the_distance_to_the_foramina(
    window: object, qtbot: object, no_dialogs: object
) -> None:
    from app.planning_ui import install

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    ph = make_foramina_phantom()
    window.opener.show_volume(ph.volume)  # type: ignore[attr-defined]
    vol = ph.volume
    centre = tuple(float(v) for v in ph.center_lps)
    # a small lesion in the body's left half, as a layer
    pts = vol.index_to_lps_points(np.indices(vol.shape).reshape(3, -1).T).reshape(*vol.shape, 3)
    lesion_centre = np.asarray(centre) + np.array([8.0, 0.0, 0.0])
    lesion = np.linalg.norm(pts - lesion_centre, axis=-1) <= 4.0
    window.case.push(AddLayer(MaskLayer.new("L2 lesion", LayerKind.LESION, Mask.from_full(lesion))))  # type: ignore[attr-defined]
    window.case.push(  # type: ignore[attr-defined]
        AddTarget(
            Target(
                "L2",
                kind=TargetKind.SPINE,
                level="L2",
                lesion_seed_lps=tuple(float(v) for v in lesion_centre),
                vertebra_lps=centre,
                lesion_layer="L2 lesion",
                lesion_type="lytic",
            )
        )
    )
    c = ui.controller
    assert c.request_anatomy("L2")
    assert wait_until(lambda: c.anatomy("L2") is not None, 60000)
    anatomy = c.anatomy("L2")
    assert anatomy.foramina is not None and anatomy.foramina.found()
    target = window.case.case.targets["L2"]  # type: ignore[attr-defined]
    ctx = c.coverage_context(target)
    assert ctx is not None
    assert c.coverage_context(target) is ctx  # cached: a drag step does not rebuild it
    zone = AblationZone(
        center_lps=tuple(float(v) for v in lesion_centre),
        axis_lps=(0.0, 1.0, 0.0),
        width_mm=12.0,
        length_mm=14.0,
    )
    in_window = ctx.evaluate([zone])
    union = anatomy.foramina.union()
    headless = CoverageContext(
        Mask.from_full(lesion),
        vol.index_to_lps,
        margin_mm=window.case.case.settings.margin_mm,  # type: ignore[attr-defined]
        structures={"foramina": union},
    ).evaluate([zone])
    assert "foramina" in in_window.structures
    got = in_window.structures["foramina"].distance_mm
    assert got is not None
    assert got == pytest.approx(headless.structures["foramina"].distance_mm, abs=1e-6)
    # the foramina lie lateral of the body: the zone in the body stays clear of them
    assert got > 0.0
