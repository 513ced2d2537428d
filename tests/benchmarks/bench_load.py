"""Benchmark: loading an uncompressed CT series, ours against SimpleITK and dcm2niix in one run.

Writes a synthetic 512x512xN int16 series (default N=400, signed, intercept -1024) to a temporary
folder, then times (median of ``--repeat``) :func:`imaging.load.load_volume`, SimpleITK's
ImageSeriesReader (default pixel type, and forced ``sitkInt16``), and ``dcm2niix`` + reading its NIfTI.
Our peak memory is measured in a fresh subprocess (Linux VmHWM growth over the resident size after
imports, the peak reset through /proc/self/clear_refs) and given relative to the volume's size.
Goals: >= 2x faster than SimpleITK, within 1.5x of dcm2niix, peak <= 1.3x the volume + a constant.

Run: ``.venv/bin/python tests/benchmarks/bench_load.py [--slices 400] [--repeat 3]`` (not in CI).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from imaging.load import load_volume  # noqa: E402


def write_series(folder: Path, n_slices: int, size: int = 512) -> None:
    """An axial int16 series: a noisy body disc, (0.7, 0.7) mm pixels, 1 mm slices."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    disc = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (0.4 * size) ** 2
    base = np.where(disc, 1024 + 40, 24).astype(np.int16)
    series_uid, study_uid, for_uid = generate_uid(), generate_uid(), generate_uid()
    for k in range(n_slices):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SOPClassUID = CTImageStorage
        ds.Modality = "CT"
        ds.PatientName = "BENCH^SYNTHETIC"
        ds.PatientID = "BENCH"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study_uid, series_uid, for_uid
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [-179.0, -179.0, float(k)]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [0.7, 0.7]
        ds.SliceThickness = 1.0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows = ds.Columns = size
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = (base + rng.integers(-20, 20, size=(size, size), dtype=np.int16)).tobytes()
        ds.save_as(folder / f"{rng.integers(0, 2**40):011x}.dcm", enforce_file_format=True)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def sitk_reader(folder: Path, force_int16: bool) -> tuple[sitk.Image, np.ndarray]:
    """The image and a numpy view of it (no copy: the fairest timing for SimpleITK)."""
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    if force_int16:
        reader.SetOutputPixelType(sitk.sitkInt16)
    image = reader.Execute()
    return image, sitk.GetArrayViewFromImage(image)


def dcm2niix_read(folder: Path, dcm2niix: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [dcm2niix, "-z", "n", "-f", "v", "-o", out, str(folder)], capture_output=True, check=True
        )
        return sitk.GetArrayFromImage(sitk.ReadImage(str(Path(out) / "v.nii")))


_PEAK_SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from imaging.load import load_volume

def hwm_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")

def rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")

Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
base = rss_kb()
t = time.perf_counter()
v = load_volume({folder!r}).volume
dt = time.perf_counter() - t
print(json.dumps({{"growth_kb": hwm_kb() - base, "volume_bytes": int(v.array.nbytes), "seconds": dt}}))
"""


def peak_memory(folder: Path) -> dict[str, float]:
    code = _PEAK_SCRIPT.format(root=str(ROOT), folder=str(folder))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slices", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "series"
        folder.mkdir()
        t = time.perf_counter()
        write_series(folder, args.slices)
        print(f"wrote {args.slices} slices of 512x512 int16 in {time.perf_counter() - t:.1f} s")
        ours = load_volume(folder).volume
        _, check = sitk_reader(folder, force_int16=True)
        if not np.array_equal(ours.array, check):
            raise SystemExit("ours and SimpleITK disagree on the pixels: benchmark invalid")
        volume_mb = ours.array.nbytes / 1e6
        del ours, check
        results: dict[str, float] = {}
        results["osteoplan load_volume"] = median_time(lambda: load_volume(folder), args.repeat)
        results["SimpleITK ImageSeriesReader (default)"] = median_time(
            lambda: sitk_reader(folder, force_int16=False), args.repeat
        )
        results["SimpleITK ImageSeriesReader (sitkInt16)"] = median_time(
            lambda: sitk_reader(folder, force_int16=True), args.repeat
        )
        dcm2niix = shutil.which("dcm2niix")
        if dcm2niix is not None:
            results["dcm2niix + read NIfTI"] = median_time(
                lambda: dcm2niix_read(folder, dcm2niix), args.repeat
            )
        mine = results["osteoplan load_volume"]
        print(f"\nmedian of {args.repeat}, {args.slices} x 512 x 512 int16 ({volume_mb:.0f} MB):")
        for name, seconds in results.items():
            ratio = seconds / mine
            print(f"  {name:<42} {seconds:7.3f} s   {ratio:5.2f}x ours")
        mem = peak_memory(folder)
        growth_mb = mem["growth_kb"] * 1024 / 1e6
        print(
            f"\npeak memory of load_volume (fresh process, VmHWM growth): {growth_mb:.0f} MB = "
            f"{growth_mb / volume_mb:.2f}x the volume ({volume_mb:.0f} MB); "
            f"load took {mem['seconds']:.3f} s in that fresh process"
        )


if __name__ == "__main__":
    main()
