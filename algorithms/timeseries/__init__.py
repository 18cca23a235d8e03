"""Time series: interferogram networks, SBAS/ISBAS inversion, stacking, PS/DS, temporal models."""
