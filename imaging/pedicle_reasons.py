"""Why a pedicle's sections could not be followed, in the operator's words (the pedicle search's
refusals, :func:`imaging.vertebra_pedicle_sections.trace_sections`), and when metal is taken as the cause.
"""

from __future__ import annotations

__all__ = ["CUT_BY_VIEW", "HIDDEN_BY_METAL", "METAL_TOUCH_MM"]

#: why a pedicle is not traced when the field of view cuts its sections
CUT_BY_VIEW = (
    "the edge of the scan cuts it or the bone behind it, so its axis cannot be followed: check this side on "
    "the images, and plan it on a scan that shows it whole"
)
#: why a pedicle is not traced when the blob followed to the field of view's edge touches metal or its
#: streaks (:mod:`imaging.metal_unknown`): a bright streak reads as bone and joins the pedicle to bone
#: far from it, so the edge is reached through the metal's artefacts, not because the scan cuts the pedicle
HIDDEN_BY_METAL = (
    "metal or its streaks lie across it, so its axis cannot be followed: check this side on the images "
    "(the CT numbers there say nothing of the bone)"
)
#: a blob this close to voxels marked unknown for metal is taken as touched by it (mm): the streaks' edge
#: and the blob's are each blurred by about a voxel of the 1 mm search region
METAL_TOUCH_MM = 1.0
