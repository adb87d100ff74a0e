"""l1-wavelet decoder: Haar orthonormality, agreement with cvxpy, exact recovery of a Haar-sparse image."""

import numpy as np
import pytest
import torch

from core_utils import InputError
from mri_linf.operators import SubsampledFourier, radial_mask
from mri_linf.wavelet import L1WaveletADMM, haar_forward, haar_inverse


def test_haar_is_orthonormal_and_inverted(rng):
    x = torch.complex(
        torch.randn(3, 16, 8, generator=rng, dtype=torch.float64),
        torch.randn(3, 16, 8, generator=rng, dtype=torch.float64),
    )
    c = haar_forward(x, 3)
    assert torch.allclose(torch.linalg.vector_norm(c), torch.linalg.vector_norm(x))
    assert torch.allclose(haar_inverse(c, 3), x, atol=1e-12)
    const = torch.ones(8, 8, dtype=torch.float64)
    assert int((haar_forward(const, 3).abs() > 1e-12).sum()) == 1  # a constant is 1-sparse


def test_l1_wavelet_agrees_with_cvxpy():
    cp = pytest.importorskip("cvxpy")
    gen = torch.Generator().manual_seed(5)
    n, lam = 8, 0.02
    op = SubsampledFourier(radial_mask(n, 3))
    x0 = torch.zeros(n, n, dtype=torch.complex128)
    x0[2:6, 2:4] = 1.0
    y = op.A(x0) + 0.01 * torch.complex(
        torch.randn(op.m, generator=gen, dtype=torch.float64),
        torch.randn(op.m, generator=gen, dtype=torch.float64),
    )
    w = (
        haar_forward(torch.eye(n * n, dtype=torch.float64).reshape(-1, n, n), 2)
        .reshape(n * n, n * n)
        .T.numpy()
    )
    f = np.fft.fft(np.eye(n), norm="ortho")
    amat = np.kron(f, f)[op.mask.numpy().ravel()]  # row-major vec: F2 = kron(F, F)
    xv = cp.Variable(n * n, complex=True)
    c = w @ xv
    obj = 0.5 * cp.sum_squares(amat @ xv - y.numpy()) + lam * (
        cp.sum(cp.abs(cp.real(c))) + cp.sum(cp.abs(cp.imag(c)))
    )
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver=cp.CLARABEL)
    solver = L1WaveletADMM(lam, 0.2, levels=2, n_iter=2000)
    x, _ = solver.solve(y, op)
    f_ours = float(solver.objective(x, y, op))
    assert abs(f_ours - prob.value) <= 1e-6 * abs(prob.value)
    x_ref = torch.from_numpy(xv.value.reshape(n, n))
    assert torch.linalg.vector_norm(x - x_ref) <= 1e-4 * torch.linalg.vector_norm(x_ref)


def test_haar_sparse_image_is_recovered_exactly():
    n = 32
    x0 = torch.zeros(n, n, dtype=torch.complex128)
    x0[8:16, 8:24] = 1.0
    x0[16:24, 16:24] = 0.5
    op = SubsampledFourier(radial_mask(n, 10))
    x, _ = L1WaveletADMM(1e-4, 1e-2, n_iter=1500).solve(op.A(x0), op)
    assert torch.linalg.vector_norm(x - x0) < 1e-2 * torch.linalg.vector_norm(x0)
    assert torch.linalg.vector_norm(op.A_adj(op.A(x0)) - x0) > 0.1 * torch.linalg.vector_norm(x0)


def test_bad_levels_are_refused():
    with pytest.raises(InputError, match="divisible"):
        haar_forward(torch.zeros(12, 12), 3)
    with pytest.raises(InputError, match="positive"):
        L1WaveletADMM(0.0)
