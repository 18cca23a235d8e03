"""Wrapped interferograms before the time series: filtering, multilooking, detection of basins and landslides,
radar-target suitability."""
