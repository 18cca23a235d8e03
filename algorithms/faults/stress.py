"""Strain -> stress, tractions on receiver faults and Coulomb failure stress change.

Sign conventions (written next to the maths, as Coulomb 3 and elastic_stresses_py do):

* stress is **tension positive** (engineering convention);
* on a receiver plane with unit normal ``n`` pointing into the **hanging wall** and unit
  slip vector ``r`` (hanging wall relative to footwall, from strike/dip/rake), the
  traction is ``t = sigma n``; the **normal stress change** ``dsn = n . t`` is positive
  for **unclamping** (tension); the **shear stress change** ``dtau = r . t`` is positive
  when it pushes the fault to slip in its rake direction;
* ``dCFS = dtau + mu' dsn`` with effective friction ``mu'`` (Coulomb 3 default 0.4):
  positive brings the receiver closer to failure.

References
----------
King, G. C. P., Stein, R. S., Lin, J. (1994). Static stress changes and the triggering of
earthquakes. BSSA 84(3), 935-953. doi:10.1785/BSSA0840030935
Toda, S., Stein, R. S., et al. (2011). Coulomb 3.3 Graphic-rich deformation and
stress-change software. USGS Open-File Report 2011-1060. doi:10.3133/ofr20111060
"""

from __future__ import annotations

import numpy as np

from ..blas import one_blas_thread
from ..errors import GeohazardError
from ..ordered import canonical_nan
from .okada import okada_gradients


def lame_lambda(shear_modulus_pa: float, poisson: float) -> float:
    """Lame's first parameter ``lambda = 2 mu nu / (1 - 2 nu)`` (Pa)."""
    if not 0.0 <= poisson < 0.5:
        raise GeohazardError(f"poisson must be in [0, 0.5), got {poisson}")
    if not shear_modulus_pa > 0:
        raise GeohazardError(f"shear_modulus_pa must be > 0, got {shear_modulus_pa}")
    return 2.0 * shear_modulus_pa * poisson / (1.0 - 2.0 * poisson)


def stress_from_gradient(grad, *, shear_modulus_pa: float = 3.2e10, poisson: float = 0.25):
    """Isotropic Hooke's law: displacement gradient -> stress tensor.

    Parameters
    ----------
    grad : ndarray, shape (..., 3, 3)
        ``grad[..., i, j] = du_i/dx_j`` (east, north, up), dimensionless.
    shear_modulus_pa, poisson : float
        Elastic constants.

    Returns
    -------
    ndarray, shape (..., 3, 3)
        ``sigma = lambda tr(eps) I + 2 mu eps``, ``eps = (G + G^T)/2``, Pa, tension positive.
    """
    g = np.asarray(grad, float)
    if g.shape[-2:] != (3, 3):
        raise GeohazardError(f"grad must have shape (..., 3, 3), got {g.shape}")
    lam = lame_lambda(shear_modulus_pa, poisson)
    eps = 0.5 * (g + np.swapaxes(g, -1, -2))
    tr = np.trace(eps, axis1=-2, axis2=-1)
    return lam * tr[..., None, None] * np.eye(3) + 2.0 * shear_modulus_pa * eps


def receiver_vectors(strike_deg, dip_deg, rake_deg):
    """Unit normal (into the hanging wall) and slip vectors in east/north/up.

    Returns
    -------
    normal, slip : ndarray, shape (..., 3)
    """
    phi = np.radians(np.asarray(strike_deg, float))
    dlt = np.radians(np.asarray(dip_deg, float))
    lam = np.radians(np.asarray(rake_deg, float))
    phi, dlt, lam = np.broadcast_arrays(phi, dlt, lam)
    strike_v = np.stack([np.sin(phi), np.cos(phi), np.zeros_like(phi)], axis=-1)
    updip_v = np.stack([-np.cos(dlt) * np.cos(phi), np.cos(dlt) * np.sin(phi), np.sin(dlt)], axis=-1)
    normal = np.stack([np.sin(dlt) * np.cos(phi), -np.sin(dlt) * np.sin(phi), np.cos(dlt)], axis=-1)
    slip = np.cos(lam)[..., None] * strike_v + np.sin(lam)[..., None] * updip_v
    return normal, slip


def resolve_on_planes(stress, strike_deg, dip_deg, rake_deg, *, friction: float = 0.4):
    """Shear, normal and Coulomb stress change on receiver planes.

    Parameters
    ----------
    stress : ndarray, shape (..., 3, 3)
        Stress change tensor (Pa, tension positive), east/north/up.
    strike_deg, dip_deg, rake_deg : float or ndarray broadcastable to ``stress.shape[:-2]``
        Receiver orientation and slip direction (right-hand rule; rake 0 left-lateral,
        90 reverse, 180 right-lateral).
    friction : float
        Effective friction coefficient ``mu'``.

    Returns
    -------
    dcfs, shear, normal : ndarray, shape ``stress.shape[:-2]``
        Pa; ``normal`` positive = unclamping; ``dcfs = shear + friction * normal``.
    """
    s = np.asarray(stress, float)
    n, r = receiver_vectors(strike_deg, dip_deg, rake_deg)
    t = np.einsum("...ij,...j->...i", s, n)
    normal = np.einsum("...i,...i->...", t, n)
    shear = np.einsum("...i,...i->...", t, r)
    return shear + friction * normal, shear, normal


def optimal_rake_on_planes(stress, strike_deg, dip_deg, *, friction: float = 0.4):
    """Rake of the largest resolved shear on fixed planes, and the Coulomb stress for it.

    On a receiver of fixed strike and dip the shear traction is a vector in the plane;
    slip parallel to it maximises the shear and hence ``dCFS`` (Coulomb 3's "optimum
    rake" on a specified fault, King et al. 1994). With ``s0``/``s90`` the shear resolved
    in the rake 0 (left-lateral) and rake 90 (reverse) directions::

        rake = atan2(s90, s0),   dcfs = sqrt(s0**2 + s90**2) + friction * normal

    Parameters
    ----------
    stress : ndarray, shape (..., 3, 3)
        Stress change tensor (Pa, tension positive), east/north/up.
    strike_deg, dip_deg : float or ndarray broadcastable to ``stress.shape[:-2]``
    friction : float
        Effective friction coefficient ``mu'``.

    Returns
    -------
    rake_deg, dcfs : ndarray
        Rake in (-180, 180] degrees (right-hand rule) and ``dCFS`` (Pa) on that rake.
    """
    _, s0, normal = resolve_on_planes(stress, strike_deg, dip_deg, 0.0, friction=friction)
    _, s90, _ = resolve_on_planes(stress, strike_deg, dip_deg, 90.0, friction=friction)
    return np.degrees(np.arctan2(s90, s0)), np.hypot(s0, s90) + friction * normal


def regional_stress_tensor(principal):
    """Regional stress tensor from principal stresses given Coulomb-style.

    Parameters
    ----------
    principal : sequence of 3 tuples ``(azimuth_deg, plunge_deg, magnitude_pa)``
        Axis azimuth clockwise from north, plunge positive downward, magnitude with
        **compression positive** (Coulomb 3's S1/S2/S3 convention).

    Returns
    -------
    ndarray, shape (3, 3)
        Tensor in east/north/up, tension positive (i.e. ``-sum m_k a_k a_k^T``).
    """
    out = np.zeros((3, 3))
    for az, pl, mag in principal:
        a, p = np.radians(az), np.radians(pl)
        v = np.array([np.sin(a) * np.cos(p), np.cos(a) * np.cos(p), -np.sin(p)])
        out -= mag * np.outer(v, v)
    return out


#: The two conjugate optimal planes tie when their dCFS differ by at most this share of the larger |dCFS| ...
TIE_RTOL = 1e-6
#: ... plus this share of the total stress's magnitude (Frobenius norm): the rounding of its eigenvectors.
TIE_STRESS_RTOL = 1e-9
#: Angles (degrees) closer than this are equal when the planes are put in order.
ORDER_TOL_DEG = 1e-6


def optimal_planes(stress, regional, *, friction: float = 0.4, n_search: int = 0):
    """Coulomb stress change on optimally oriented planes (King et al. 1994).

    The total stress (regional + change) is diagonalised at each point; the optimal
    planes contain the intermediate axis and make the angle
    ``theta = 0.5 atan(1/mu')`` with the most compressive axis. The change is resolved on
    both conjugate planes, with the slip direction the total shear drives, as in Coulomb 3's
    "optimally oriented faults".

    **Which plane.** At that angle the two conjugate planes have the same dCFS in exact
    arithmetic: in the frame of the total stress's axes, the term of the change's
    ``s1``-``s3`` shear enters the two planes with the factor ``+-(mu' sin 2 theta - cos 2 theta)``,
    which is zero when ``tan 2 theta = 1/mu'``. Rounding then picks a plane at random (the
    sign of an eigenvector, the CPU, the library), and with it the shear and normal stress.
    The rule, the same everywhere:

    1. the plane with the larger dCFS, unless the two differ by at most
       ``TIE_RTOL x max(|dCFS|) + TIE_STRESS_RTOL x |total stress|`` (a tie: always, up to
       rounding, at the optimal angle);
    2. on a tie, the plane with the gentler dip; at equal dips (within :data:`ORDER_TOL_DEG`),
       the one whose dip direction has the smaller azimuth clockwise from north in [0, 360);
       two vertical planes: the one whose strike is the smaller in [0, 180) (an azimuth
       within :data:`ORDER_TOL_DEG` below 360, or 180, counts as 0).

    The returned dCFS is the larger of the two planes' values, whichever plane is returned
    (it does not depend on the rule); the plane's own dCFS differs from it by less than the
    tolerance.

    Parameters
    ----------
    stress : ndarray, shape (..., 3, 3)
        Stress change (Pa, tension positive).
    regional : ndarray, shape (3, 3)
        Regional stress (Pa, tension positive), e.g. from :func:`regional_stress_tensor`.
    friction : float
        Effective friction.

    Returns
    -------
    dcfs, strike_deg, dip_deg, rake_deg : ndarray, shape ``stress.shape[:-2]``
        Coulomb stress change (Pa) on the optimal planes, and the orientation of the plane
        chosen by the rule above.
    """
    s = np.asarray(stress, float)
    total = s + np.asarray(regional, float)
    ok = np.isfinite(total).all(axis=(-2, -1))  # points on a source edge (NaN) stay NaN
    total = np.where(ok[..., None, None], total, 0.0)
    with one_blas_thread():  # OpenBLAS's eigh of a 3 x 3 follows its thread count in the last bits otherwise
        w, v = np.linalg.eigh(total)  # ascending: w[...,0] most compressive (tension positive)
    theta = 0.5 * np.arctan2(1.0, friction)
    s1 = v[..., :, 0]
    s3 = v[..., :, 2]
    planes = []
    for sign in (1.0, -1.0):
        # plane normal at (90 - theta) from s1 in the s1-s3 plane
        nrm = np.sin(theta) * s1 * sign + np.cos(theta) * s3
        nrm = nrm / np.linalg.norm(nrm, axis=-1, keepdims=True)
        nrm = np.where(nrm[..., 2:3] < 0, -nrm, nrm)  # normal toward the hanging wall (up)
        t_tot = np.einsum("...ij,...j->...i", total, nrm)
        shear_vec = t_tot - np.einsum("...i,...i->...", t_tot, nrm)[..., None] * nrm
        slip = shear_vec / np.maximum(np.linalg.norm(shear_vec, axis=-1, keepdims=True), 1e-300)
        t_chg = np.einsum("...ij,...j->...i", s, nrm)
        dcfs = np.einsum("...i,...i->...", t_chg, slip) + friction * np.einsum("...i,...i->...", t_chg, nrm)
        planes.append((dcfs, nrm, slip))
    (da, na, sa), (db, nb, sb) = planes
    take_a = pick_conjugate(da, db, na, nb, np.sqrt(np.einsum("...ij,...ij->...", total, total)))
    nrm = np.where(take_a[..., None], na, nb)
    slip = np.where(take_a[..., None], sa, sb)
    strike, dip, rake = _plane_from_vectors(nrm, slip)
    return tuple(np.where(ok, a, np.nan) for a in (np.maximum(da, db), strike, dip, rake))


def _contiguous(a):
    """``a`` as a C-contiguous array, so that numpy's arctan2 takes one code path whatever the caller's
    memory layout, with ``a``'s own shape (``np.ascontiguousarray`` turns a 0-d array into shape (1,))."""
    return np.ascontiguousarray(a).reshape(np.shape(a))


def pick_conjugate(dcfs_a, dcfs_b, normal_a, normal_b, total_scale_pa):
    """True where plane ``a`` is the optimal plane :func:`optimal_planes` returns, False for ``b``.

    ``dcfs_a``, ``dcfs_b``: the planes' dCFS (Pa); ``normal_a``, ``normal_b`` ``(..., 3)``: their
    upward unit normals (east, north, up); ``total_scale_pa``: the magnitude of the total stress
    (Frobenius norm). The larger dCFS wins unless the two tie (:data:`TIE_RTOL`,
    :data:`TIE_STRESS_RTOL`); ties go to the plane that comes first (gentler dip, then dip
    direction, vertical planes by strike; :data:`ORDER_TOL_DEG`).
    """
    da, db = np.asarray(dcfs_a, float), np.asarray(dcfs_b, float)
    tie = np.abs(da - db) <= TIE_RTOL * np.maximum(np.abs(da), np.abs(db)) + TIE_STRESS_RTOL * np.asarray(
        total_scale_pa, float)
    return np.where(tie, _comes_first(np.asarray(normal_a, float), np.asarray(normal_b, float)), da > db)


def _comes_first(na, nb):
    """True where the plane of upward normal ``na`` comes before that of ``nb`` in the order of
    :func:`optimal_planes` (gentler dip; dip direction; strike of vertical planes)."""
    def angles(n):
        nz = np.clip(n[..., 2], -1.0, 1.0)
        dip = np.degrees(np.arccos(nz))
        dipdir = np.degrees(np.arctan2(_contiguous(n[..., 0]), _contiguous(n[..., 1]))) % 360.0
        strike = (dipdir - 90.0) % 180.0
        return dip, np.where(dipdir > 360.0 - ORDER_TOL_DEG, dipdir - 360.0, dipdir), \
            np.where(strike > 180.0 - ORDER_TOL_DEG, strike - 180.0, strike)

    dip_a, dd_a, st_a = angles(na)
    dip_b, dd_b, st_b = angles(nb)
    vertical = (dip_a > 90.0 - ORDER_TOL_DEG) & (dip_b > 90.0 - ORDER_TOL_DEG)
    azimuth_a = np.where(vertical, st_a, dd_a)
    azimuth_b = np.where(vertical, st_b, dd_b)
    same_dip = np.abs(dip_a - dip_b) <= ORDER_TOL_DEG
    return np.where(same_dip, azimuth_a <= azimuth_b + ORDER_TOL_DEG, dip_a < dip_b)


def _plane_from_vectors(normal, slip):
    """Strike, dip, rake (degrees) from an upward normal and a unit slip vector."""
    nz = np.clip(normal[..., 2], -1.0, 1.0)
    dip = np.degrees(np.arccos(nz))
    strike = np.degrees(np.arctan2(-normal[..., 1], _contiguous(normal[..., 0]))) % 360.0
    phi = np.radians(strike)
    sv = np.stack([np.sin(phi), np.cos(phi), np.zeros_like(phi)], axis=-1)
    along = np.einsum("...i,...i->...", slip, sv)
    up = slip - along[..., None] * sv
    updip_sign = np.sign(up[..., 2])
    rake = np.degrees(np.arctan2(updip_sign * np.linalg.norm(up, axis=-1), along))
    return strike, dip, rake


def coulomb_at_points(east_m, north_m, depth_m, sources, *, strike_deg=None, dip_deg=None, rake_deg=None,
                      regional=None, shear_modulus_pa: float = 3.2e10, poisson: float = 0.25,
                      friction: float = 0.4, share_corners: bool = True, progress=None):
    """Coulomb stress change at points from Okada sources, on given or optimal receivers.

    Parameters
    ----------
    east_m, north_m : array_like
        Points (projected metres), any shape.
    depth_m : float or array_like
        Calculation depth (m, positive down).
    sources : ndarray (n_sources, 11)
        Okada source table (:meth:`faults.Faults.table`).
    strike_deg, dip_deg, rake_deg : float or array_like, optional
        Receiver orientation; when ``None`` the optimally oriented planes under
        ``regional`` (3x3 tensor, Pa, tension positive) are used.
    shear_modulus_pa, poisson, friction : float
    share_corners : bool
        Passed to :func:`okada.okada_gradients` (exact plane-by-plane corner sharing, vectorised over
        the points; ``False`` sums DC3D patch by patch).

    Returns
    -------
    dict of ndarray (shape of the points)
        ``dcfs_pa``, ``shear_pa``, ``normal_pa`` (positive = unclamping); for a fixed
        receiver also ``opt_rake_deg`` and ``opt_dcfs_pa`` (:func:`optimal_rake_on_planes`),
        and for optimal planes ``strike_deg``, ``dip_deg``, ``rake_deg``.
    """
    depth = np.asarray(depth_m, float)
    if np.any(depth < 0):
        raise GeohazardError(f"depth_m must be >= 0, got min {np.nanmin(depth)}")
    grad = okada_gradients(east_m, north_m, sources, up_m=-depth, poisson=poisson, share_corners=share_corners,
                           progress=progress)
    sig = stress_from_gradient(grad, shear_modulus_pa=shear_modulus_pa, poisson=poisson)
    if strike_deg is None:
        if regional is None:
            raise GeohazardError("give either a receiver orientation (strike_deg, dip_deg, rake_deg) or a "
                                 "regional stress for optimally oriented planes")
        dcfs, st, dp, rk = optimal_planes(sig, regional, friction=friction)
        n, r = receiver_vectors(st, dp, rk)
        t = np.einsum("...ij,...j->...i", sig, n)
        out = {"dcfs_pa": dcfs, "shear_pa": np.einsum("...i,...i->...", t, r),
               "normal_pa": np.einsum("...i,...i->...", t, n), "strike_deg": st, "dip_deg": dp, "rake_deg": rk}
    else:
        dcfs, shear, normal = resolve_on_planes(sig, strike_deg, dip_deg, rake_deg, friction=friction)
        opt_rake, opt_dcfs = optimal_rake_on_planes(sig, strike_deg, dip_deg, friction=friction)
        out = {"dcfs_pa": dcfs, "shear_pa": shear, "normal_pa": normal, "opt_rake_deg": opt_rake,
               "opt_dcfs_pa": opt_dcfs}
    # a singular station's NaN runs through negations and products whose order differs by path: one NaN
    return {k: canonical_nan(np.array(v, dtype=float)) for k, v in out.items()}
