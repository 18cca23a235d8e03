"""Files of loadegms: EGMS tiles (CSV, zips) loaded into one GeoPackage, a layer per track, the series as the run
asks (:func:`.egms.load_tiles`), styled on the mean velocity, and what was read said in the log."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.runs import Outcome
from ..display import styles
from . import egms


@dataclass(frozen=True)
class Job:
    """A run as plain values: the tile files (``paths``), the GeoPackage (``output``, its ID ``output_id``), how
    the series are stored (``series``: one of :data:`.egms.SERIES_MODES`) and the threads that inflate and parse
    tiles beside the writer (``workers``)."""

    paths: tuple
    output: str
    series: str
    workers: int = 1
    output_id: str = "OUTPUT"


def series_line(report, asked: str) -> str:
    """The log line saying how the series were written (and why, when the choice was automatic)."""
    why = (f" (automatic: the tiles weigh {'more' if report.series == 'netcdf' else 'no more'} than "
           f"{egms.series_nc.AUTO_NETCDF_BYTES // 2**20} MB)") if asked == "auto" else ""
    if report.series == "netcdf":
        return "Series written as netCDF-4" + why + ": " + ", ".join(report.files.values())
    return {"fields": "Series written as dated fields DYYYYMMDD", "table": "Series written as the compressed "
            "series table (the time-series dock reads it)", "none": "No series written"}[report.series] + why


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The tiles loaded and styled; the notes say each layer's points and dates, the series' form and the files
    read."""
    paths = list(job.paths)
    report = egms.load_tiles(paths, job.output, series=job.series, progress=progress, single_name=len(paths) == 1,
                             workers=job.workers)
    names = list(report.layers)
    qml = styles.style_ada_vector(job.output, context, field_name_="mean_velocity", kind="velocity")
    styles.load_sublayers(context, job.output, names[1:], qml)
    notes = []
    for name in names:
        ds = report.dates[name]
        notes.append(f"{name}: {report.layers[name]} points, {len(ds)} dates "
                     f"({ds[0] if ds else '-'} .. {ds[-1] if ds else '-'}), EPSG:{report.epsg}")
    notes.append(series_line(report, job.series))
    notes.append(f"{len(paths) - len(report.skipped)} of {len(paths)} files read, {report.rows} rows, "
                 f"{report.duplicates} repeated point IDs dropped (first copy kept)")
    return Outcome(outputs={job.output_id: job.output}, notes=notes)
