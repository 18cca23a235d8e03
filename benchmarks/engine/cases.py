"""The block engine's memory knob (MAX_MEMORY_MB): peak RSS of whole runs per budget, the same bytes; the inputs'
probe (CPU and wall of probing many rasters before a run)."""
ABOUT = __doc__

CASES = [
    dict(name="memory_knob", table="dask", peer="none",
         measures="`MAX_MEMORY_MB` at three budgets (the same bytes at each): geometricdistortion, DEM 2000 x 2000",
         run='"$PY" "$HERE/memory_knob.py" --size modest --budgets 512,32,8'),
    dict(name="memory_okada", part_of="memory_knob", table="dask", peer="none",
         measures="`MAX_MEMORY_MB`: okadaforward, 1200 x 1200, 40 patches"),
    dict(name="memory_phaselinking", part_of="memory_knob", table="dask", peer="none",
         measures="`MAX_MEMORY_MB`: phaselinking, 20 SLC x 400 x 800"),
    dict(name="memory_models", part_of="memory_knob", table="dask", peer="none",
         measures="`MAX_MEMORY_MB`: timeseriesmodels, 60 dates x 400 x 1000, 3 models"),
    dict(name="memory_tiny", quick=True, table="dask", peer="none", measures="every tool, tiny inputs (a check)",
         run='"$PY" "$HERE/memory_knob.py" --size tiny --budgets 512,8'),
    dict(name="probe", table=None, measures="the input probe: 300 rasters of 100 x 100, 30 of 3000 x 3000",
         peer="none", run='"$PY" "$HERE/measure_probe.py" --repeat 3'),
]
