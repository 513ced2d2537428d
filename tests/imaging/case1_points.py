"""Points on bone-lesions/case1.nii.gz (a lumbar vertebra with a small sclerotic lesion, 1 mm voxels) that
several real-data tests and studies click, LPS mm."""

from __future__ import annotations

#: case1 clicks: the vertebra click of the QA report, the lesion seed (lesion-boxes.csv), and three more
#: in the body (its centroid is near (10, 158, -555)), 5-10 mm apart
CASE1_CLICKS: dict[str, tuple[float, float, float]] = {
    "click": (20.0, 165.0, -547.0),
    "seed": (24.45, 169.88, -547.54),
    "upper left": (18.0, 160.0, -552.0),
    "centre": (12.0, 155.0, -556.0),
    "anterior": (8.0, 150.0, -550.0),
}
