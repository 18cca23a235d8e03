"""Persistent and distributed scatterers: amplitude dispersion and the PS/DS selection (ps), the PS time series
(psi), DS phase linking (phase_linking)."""
