"""Elastic half-space models: Okada dislocations, slip inversion, stress and Coulomb failure stress."""
