"""Helpers for the PS/DS tests: write a simulated SLC stack as complex rasters."""

from __future__ import annotations

import numpy as np


def write_slc_files(folder, sim, *, georef=True, dtype="CFloat32", prefix="slc_"):
    """One complex GeoTIFF per date named ``<prefix>YYYYMMDD.tif``; returns the paths."""
    from osgeo import gdal, osr

    gdt = {"CFloat32": gdal.GDT_CFloat32, "CInt16": gdal.GDT_CInt16}[dtype]
    paths = []
    n, rows, cols = sim.slc.shape
    for i, d in enumerate(sim.dates):
        path = str(folder / f"{prefix}{d:%Y%m%d}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(path, cols, rows, 1, gdt)
        if georef:
            ds.SetGeoTransform((500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0))
            srs = osr.SpatialReference()
            srs.ImportFromEPSG(32633)
            ds.SetProjection(srs.ExportToWkt())
        data = sim.slc[i]
        if dtype == "CInt16":
            data = np.round(data * 1000.0)
        ds.GetRasterBand(1).WriteArray(data)
        ds = None
        paths.append(path)
    return paths


def write_slc_multiband(path, sim, *, driver="GTiff"):
    """One multi-band complex raster with ISO dates as band descriptions (no georeferencing)."""
    from osgeo import gdal

    n, rows, cols = sim.slc.shape
    ds = gdal.GetDriverByName(driver).Create(str(path), cols, rows, n, gdal.GDT_CFloat32)
    for i, d in enumerate(sim.dates):
        b = ds.GetRasterBand(i + 1)
        b.SetDescription(d.isoformat())
        b.WriteArray(sim.slc[i])
    ds = None
    return str(path)


def write_baseline_table(path, sim):
    """``date bperp_m`` table of the simulated baselines."""
    with open(path, "w") as fh:
        fh.write("# date bperp_m\n")
        for d, b in zip(sim.dates, sim.bperp_m):
            fh.write(f"{d:%Y%m%d} {b:.4f}\n")
    return str(path)
