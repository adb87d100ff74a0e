"""TV decoders: operator identities, agreement with cvxpy, exact recovery, gradients, warm starts."""

import functools

import numpy as np
import pytest
import torch

from core_utils import InputError
from mri_linf.operators import SubsampledFourier, radial_mask
from mri_linf.phantoms import shepp_logan
from mri_linf.tv import TVADMM, TVPrimalDual, grad, grad_adj, laplacian_symbol, tv_norm


def _crandn(shape, gen):
    return torch.complex(
        torch.randn(shape, generator=gen, dtype=torch.float64),
        torch.randn(shape, generator=gen, dtype=torch.float64),
    )


def test_grad_adjoint_identity(rng):
    x, z = _crandn((9, 7), rng), _crandn((2, 9, 7), rng)
    lhs = torch.vdot(grad(x).flatten(), z.flatten())
    rhs = torch.vdot(x.flatten(), grad_adj(z).flatten())
    assert abs(lhs - rhs) < 1e-12 * abs(lhs)


def test_laplacian_symbol_diagonalises_grad_adj_grad(rng):
    x = _crandn((10, 6), rng)
    direct = grad_adj(grad(x))
    via_fft = torch.fft.ifft2(laplacian_symbol((10, 6)) * torch.fft.fft2(x, norm="ortho"), norm="ortho")
    assert torch.allclose(direct, via_fft, atol=1e-12)


def test_admm_x_update_solves_the_normal_equations(rng):
    """The Fourier-diagonal x-update equals the exact solve of (A*A + rho grad* grad) x = rhs."""
    op = SubsampledFourier(radial_mask(12, 4))
    solver = TVADMM(0.05, 0.3)
    y = _crandn((op.m,), rng)
    consts = solver._consts(y, op)
    z, u = _crandn((2, 12, 12), rng), _crandn((2, 12, 12), rng)
    x, _, _ = solver._step(consts, None, z, u)
    lhs = op.A_adj(op.A(x)) + solver.rho * grad_adj(grad(x))
    rhs = op.A_adj(y) + solver.rho * grad_adj(z - u)
    assert torch.allclose(lhs, rhs, atol=1e-12)


@functools.cache
def _problem16():
    gen = torch.Generator().manual_seed(0)
    x0 = torch.from_numpy(shepp_logan(16)).to(torch.complex128)
    op = SubsampledFourier(radial_mask(16, 5))
    return op, op.A(x0) + 0.02 * _crandn((op.m,), gen)


@functools.cache
def _cvxpy_reference(isotropic):
    op, y = _problem16()
    return _cvxpy_tv(op.embed(y).numpy(), op.mask.numpy().astype(float), 0.02, isotropic)


def _cvxpy_tv(y_full, mask, lam, isotropic):
    cp = pytest.importorskip("cvxpy")
    n = mask.shape[0]
    f = np.fft.fft(np.eye(n), norm="ortho")
    s = np.roll(np.eye(n), -1, axis=0)  # (s @ X)[i] = X[i + 1]
    X = cp.Variable((n, n), complex=True)
    r = cp.multiply(mask, f @ X @ f.T) - y_full
    dv, dh = s @ X - X, X @ s.T - X
    if isotropic:
        stack = cp.vstack(
            [
                cp.vec(cp.real(dv), order="F"),
                cp.vec(cp.imag(dv), order="F"),
                cp.vec(cp.real(dh), order="F"),
                cp.vec(cp.imag(dh), order="F"),
            ]
        )
        tv = cp.sum(cp.norm(stack, 2, axis=0))
    else:
        tv = sum(cp.sum(cp.abs(g(d))) for d in (dv, dh) for g in (cp.real, cp.imag))
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(r) + lam * tv))
    prob.solve(solver=cp.CLARABEL)
    return X.value, prob.value


@pytest.mark.parametrize("isotropic", [False, True])
@pytest.mark.parametrize("method", ["admm", "pdhg"])
def test_tv_solvers_agree_with_cvxpy(method, isotropic):
    """16^2, 5 spokes, noisy y, lam = 0.02 (spec oracle 2): objective 1e-6, solution 1e-4."""
    op, y = _problem16()
    lam = 0.02
    x_ref, f_ref = _cvxpy_reference(isotropic)
    if method == "admm":
        solver = TVADMM(lam, 0.2, n_iter=2000, isotropic=isotropic)
    else:
        solver = TVPrimalDual(lam, n_iter=2000, isotropic=isotropic)
    x, _ = solver.solve(y, op)
    f = float(solver.objective(x, y, op))
    assert abs(f - f_ref) <= 1e-6 * abs(f_ref)
    x_ref = torch.from_numpy(x_ref)
    assert torch.linalg.vector_norm(x - x_ref) <= 1e-4 * torch.linalg.vector_norm(x_ref)


def test_exact_recovery_with_enough_spokes_and_failure_with_too_few():
    """128^2 piecewise-constant phantom (spec oracle 1): 14 spokes recover, 6 do not."""
    x0 = torch.from_numpy(shepp_logan(128)).to(torch.complex64)
    errs = {}
    for spokes in (6, 14):
        op = SubsampledFourier(radial_mask(128, spokes))
        x, _ = TVADMM(1e-4, 1e-2, n_iter=600).solve(op.A(x0), op)
        errs[spokes] = float(torch.linalg.vector_norm(x - x0) / torch.linalg.vector_norm(x0))
    assert errs[14] < 1e-2
    assert errs[6] > 0.1


def test_gradcheck_through_30_unrolled_iterations():
    gen = torch.Generator().manual_seed(3)
    op = SubsampledFourier(radial_mask(8, 3))
    y = (0.5 * _crandn((op.m,), gen)).requires_grad_(True)
    solver = TVADMM(0.03, 0.4, n_iter=30)
    assert torch.autograd.gradcheck(
        lambda v: solver.solve(v, op)[0], (y,), eps=1e-7, atol=1e-6, fast_mode=True
    )


def test_checkpointed_unroll_gives_the_same_gradient(rng):
    op = SubsampledFourier(radial_mask(16, 5))
    y = _crandn((op.m,), rng)
    grads = []
    for seg in (None, 7):
        yv = y.clone().requires_grad_(True)
        x, _ = TVADMM(0.01, 0.1, n_iter=20, checkpoint_every=seg).solve(yv, op)
        x.abs().sum().backward()
        grads.append(yv.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-12)


@pytest.mark.parametrize("cls", [TVADMM, TVPrimalDual])
def test_warm_start_continues_exactly(cls, rng):
    op = SubsampledFourier(radial_mask(16, 5))
    y = _crandn((op.m,), rng)
    solver = cls(0.01, n_iter=60)
    x_full, _ = solver.solve(y, op)
    _, half = solver.solve(y, op, n_iter=30)
    x_warm, _ = solver.solve(y, op, init=half, n_iter=30)
    assert torch.allclose(x_full, x_warm, atol=1e-13)


def test_objective_eventually_non_increasing():
    x0 = torch.from_numpy(shepp_logan(32)).to(torch.complex128)
    op = SubsampledFourier(radial_mask(32, 8))
    y = op.A(x0)
    solver = TVADMM(2e-3, 5e-2, n_iter=50)
    state, vals = None, []
    for _ in range(8):
        x, state = solver.solve(y, op, init=state)
        vals.append(float(solver.objective(x, y, op)))
    assert all(b <= a * (1 + 1e-9) for a, b in zip(vals[2:], vals[3:], strict=False))


def test_tol_stops_early_and_tv_norm_of_constant_is_zero():
    x0 = torch.from_numpy(shepp_logan(32)).to(torch.complex128)
    op = SubsampledFourier(radial_mask(32, 12))
    solver = TVADMM(1e-3, 5e-2, n_iter=100000, tol=1e-6)
    x, _ = solver.solve(op.A(x0), op)
    assert torch.linalg.vector_norm(x - x0) < 0.05 * torch.linalg.vector_norm(x0)
    assert float(tv_norm(torch.ones(5, 5, dtype=torch.complex128))) == 0.0


@pytest.mark.parametrize("kwargs", [{"lam": 0.0}, {"lam": -1.0}, {"rho": 0.0}, {"lam": float("nan")}])
def test_nonpositive_lambda_or_rho_is_refused(kwargs):
    with pytest.raises(InputError, match="positive"):
        TVADMM(**{"lam": 1e-3, "rho": 1e-2, **kwargs})


def test_primal_dual_step_condition_is_checked():
    with pytest.raises(InputError, match="tau"):
        TVPrimalDual(1e-3, tau=1.0, sigma=1.0)
