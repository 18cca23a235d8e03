"""The geometry tools' files: incidence and heading rasters, metric pixel sizes, LOS fields of points (read by the
interferogram and correction tools too), the strain-rate maps."""
