"""Products read in place (HyP3 zips, folders) against the flat folder of GeoTIFFs."""
ABOUT = __doc__

CASES = [
    dict(name="zip_in_place", table="timeseries",
         measures="300 HyP3 zips read in place (`/vsizip/`, nothing extracted)",
         peer="none: floor only", setup="enable_plugin",
         run='"$PY" "$HERE/bench_zip_in_place.py" "$OUT" 300 256 2'),
    dict(name="extracted", table="timeseries", part_of="zip_in_place", measures="300 extracted HyP3 product folders",
         peer="none: floor only"),
    dict(name="zip_small", table="timeseries",
         quick=True, measures="6 HyP3 zips of 64 x 64 px, once (a check)", peer="none: floor only",
         setup="enable_plugin", run='"$PY" "$HERE/bench_zip_in_place.py" "$OUT" 6 64 1'),
]
