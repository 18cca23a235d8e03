"""EMI phase linking of eight pixels at once: now :mod:`.phase_linking.batch` (the old path stays)."""

from .phase_linking.batch import (
    LANES,
    _chol_solve_b,
    _emi_factor_b,
    _emi_matrix_b,
    _inverse_iteration_b,
    _normalise_b,
    _rayleigh_b,
    _real_spd_inverse_b,
    _start_vector_b,
    _step_converged_b,
    emi_batch,
    temporal_coherence_b,
)

__all__ = [
    "LANES", "_chol_solve_b", "_emi_factor_b", "_emi_matrix_b", "_inverse_iteration_b", "_normalise_b", "_rayleigh_b",
    "_real_spd_inverse_b", "_start_vector_b", "_step_converged_b", "emi_batch", "temporal_coherence_b"
]
