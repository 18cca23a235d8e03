"""Hazard maps: susceptibility from controlling factors, displacement forecasts, probability-integral mining
subsidence, coherence-change damage, swath profiles."""
