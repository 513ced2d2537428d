"""Headless imaging layer of OsteoPlan: image I/O, the Volume type, segmentation, anatomy, registration.

Positions are DICOM patient coordinates (LPS, millimetres); arrays are indexed ``[slice, row, col]``;
CT values are Hounsfield units. Nothing here imports Qt or VTK.
"""

from imaging.volume import SeriesMetadata, Volume

__all__ = ["SeriesMetadata", "Volume"]
