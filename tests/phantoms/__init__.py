"""Seeded synthetic phantoms with answers known in closed form, and a DICOM writer for them.

One module per kind of phantom (``dicom_writer``, ``vertebra``, ``lesion``, ...); import from those.
"""
