"""Build resources/sample_case/ from the real chest CT in ../shared/data (run once by a developer).

The sample is a crop of the ITKElastix example chest CT (Apache-2.0) around the thoracic spine:
all 141 slices, 224x224 pixels, written as DICOM with deflated explicit VR little endian so it stays
small. Geometry is kept exact: the Image Position (Patient) of each slice moves to the crop's first
pixel. New Series/SOP Instance UIDs are derived deterministically, since the pixels changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import DeflatedExplicitVRLittleEndian, generate_uid

ROW0, COL0, SIZE = 180, 144, 224


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=Path("../shared/data/chest-ct-dicom"))
    parser.add_argument("--out", type=Path, default=Path("resources/sample_case"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files = sorted(args.source.glob("*.dcm"))
    series_uid = generate_uid(entropy_srcs=["osteoplan-sample-series", str(len(files))])
    for path in files:
        ds = pydicom.dcmread(path)
        ds.remove_private_tags()  # vendor tags: not needed, and untyped in implicit VR
        pixels = ds.pixel_array[ROW0 : ROW0 + SIZE, COL0 : COL0 + SIZE].copy()
        row_cos = np.array(ds.ImageOrientationPatient[:3], dtype=float)
        col_cos = np.array(ds.ImageOrientationPatient[3:], dtype=float)
        spacing_row, spacing_col = (float(v) for v in ds.PixelSpacing)
        ipp = np.array(ds.ImagePositionPatient, dtype=float)
        ipp = ipp + row_cos * COL0 * spacing_col + col_cos * ROW0 * spacing_row
        ds.ImagePositionPatient = [f"{v:.6f}" for v in ipp]
        ds.Rows, ds.Columns = pixels.shape
        ds.PixelData = pixels.tobytes()
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid(entropy_srcs=["osteoplan-sample", path.name])
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesDescription = "Thoracic spine sample (cropped chest CT)"
        ds.PatientName = "SAMPLE^THORACIC"
        ds.PatientID = "OSTEOPLAN-SAMPLE"
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
        ds.save_as(args.out / path.name, enforce_file_format=True)
    print(f"wrote {len(files)} files to {args.out}")


if __name__ == "__main__":
    main()
