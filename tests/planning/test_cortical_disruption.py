"""The leakage-risk factor "cortical disruption" (OR 5.56) is the lesion's own cortical breach, the figure
the Lesions table shows: a lesion through the endplate is a disruption (and an endplate defect), one that
only touches the endplate from inside is not. Vertebra phantom (1 mm voxels, body 26 mm tall, 1.5 mm
cortex) with a 6 mm lytic lesion at two heights; the breach measured by imaging's own lesion measure."""

from __future__ import annotations

import pytest

from imaging.lesion_model import LesionType
from imaging.lesion_remeasure import measure_lesion_mask
from imaging.mask import Mask
from planning.target_report import analyse_target
from tests.phantoms.vertebra import make_vertebra_phantom
from tests.planning.test_leakage import anatomy_from_phantom


@pytest.mark.parametrize(("lesion_z_mm", "breaks"), [(8.0, True), (6.0, False)])
def test_cortical_disruption_is_the_lesions_breach(lesion_z_mm: float, breaks: bool) -> None:
    ph = make_vertebra_phantom(noise_hu=0.0, lesion=(0.0, 0.0, lesion_z_mm, 6.0))
    lesion = measure_lesion_mask(
        ph.volume, Mask.from_full(ph.lesion_mask), lesion_type=LesionType.LYTIC, reference_bone_hu=None
    )
    assert lesion.cortical_breach is breaks  # the Lesions table's Breach column
    analysis = analyse_target(ph.volume, lesion, anatomy_from_phantom(ph), [], None, "L3")
    (finding,) = (f for f in analysis.risk.findings if f.factor.value == "cortical disruption")
    assert finding.present is breaks
    disruption_reasons = [r for r in analysis.risk.reasons if r.startswith("cortical disruption")]
    assert bool(disruption_reasons) is breaks
    if breaks:
        assert "through the superior endplate" in finding.evidence
    else:
        assert finding.evidence.startswith("no cortical break found")
        assert "reaches the superior endplate without breaking it" in finding.evidence
