"""Subsampled Fourier operator: adjointness, unitarity, masks, input validation."""

import math

import numpy as np
import pytest
import torch

from core_utils import InputError
from mri_linf.operators import (
    SubsampledFourier,
    cartesian_mask,
    gaussian_mask,
    make_mask,
    radial_mask,
)


def _crandn(shape, gen):
    return torch.complex(
        torch.randn(shape, generator=gen, dtype=torch.float64),
        torch.randn(shape, generator=gen, dtype=torch.float64),
    )


@pytest.mark.parametrize("kind", ["radial", "cartesian", "gaussian"])
def test_adjoint_identity_holds_for_every_mask(kind, rng):
    op = SubsampledFourier(make_mask(kind, (24, 20), spokes=7, accel=3.0))
    x, y = _crandn((24, 20), rng), _crandn((op.m,), rng)
    lhs = torch.vdot(op.A(x), y)
    rhs = torch.vdot(x.flatten(), op.A_adj(y).flatten())
    assert abs(lhs - rhs) < 1e-12 * abs(lhs)


def test_A_Astar_is_identity_and_norm_is_one(rng):
    op = SubsampledFourier(radial_mask(32, 10))
    y = _crandn((3, op.m), rng)
    assert torch.allclose(op.A(op.A_adj(y)), y, atol=1e-12)
    x = _crandn((32, 32), rng)
    assert torch.linalg.vector_norm(op.A(x)) <= torch.linalg.vector_norm(x)


def test_full_mask_is_unitary(rng):
    op = SubsampledFourier(torch.ones(16, 16, dtype=torch.bool))
    x = _crandn((16, 16), rng)
    assert torch.isclose(torch.linalg.vector_norm(op.A(x)), torch.linalg.vector_norm(x), rtol=1e-12)
    assert torch.allclose(op.A_adj(op.A(x)), x, atol=1e-12)


@pytest.mark.parametrize(
    "mask", [radial_mask(33, 5), cartesian_mask(32, 4, seed=3), gaussian_mask(32, 6, seed=2)]
)
def test_generated_masks_contain_dc(mask):
    assert bool(mask[0, 0])
    SubsampledFourier(mask)


def test_radial_mask_samples_grow_with_spokes_and_match_reference_count():
    counts = [SubsampledFourier(radial_mask(128, s)).m for s in (6, 14, 30)]
    assert counts[0] < counts[1] < counts[2]
    # 30 golden-angle spokes at 128^2 give n^2 / m close to 3.7 (spec Sec. 1 reproduction)
    assert 3.5 < 128**2 / counts[2] < 3.9


def test_radial_spokes_are_symmetric_lines_through_the_centre():
    centred = np.fft.fftshift(radial_mask(64, 1).numpy())
    assert centred[32].all() and centred.sum() == 64  # one horizontal line


def test_cartesian_mask_keeps_whole_rows_at_the_requested_rate():
    mask = cartesian_mask(64, 4, seed=0).numpy()
    rows = mask.any(axis=1)
    assert (mask[rows].all(axis=1)).all()
    assert rows.sum() == 16


def test_gaussian_mask_rate_and_centre_density():
    mask = np.fft.fftshift(gaussian_mask(64, 4, seed=0).numpy())
    assert abs(mask.sum() - 64 * 64 / 4) <= 1
    assert mask[24:40, 24:40].mean() > mask.mean()


def test_mask_without_dc_is_refused():
    mask = radial_mask(16, 4).clone()
    mask[0, 0] = False
    with pytest.raises(InputError, match="DC"):
        SubsampledFourier(mask)


def test_centred_mask_flag_unshifts():
    centred = np.zeros((8, 8), dtype=bool)
    centred[4, 4] = True
    op = SubsampledFourier(centred, centred=True)
    assert op.m == 1 and bool(op.mask[0, 0])
    with pytest.raises(InputError, match="DC"):
        SubsampledFourier(centred)


def test_shape_mismatch_is_refused():
    op = SubsampledFourier(radial_mask(16, 4))
    with pytest.raises(InputError, match="does not match"):
        op.A(torch.zeros(16, 15, dtype=torch.complex128))


@pytest.mark.parametrize(
    ("y", "msg"),
    [
        (torch.zeros(5, dtype=torch.float64), "complex"),
        (torch.full((5,), complex(math.nan, 0)), "NaN"),
        (torch.zeros(4, dtype=torch.complex128), "samples"),
    ],
)
def test_bad_measurements_are_refused(y, msg):
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[0, :5] = True
    op = SubsampledFourier(mask)
    with pytest.raises(InputError, match=msg):
        op.check_measurements(y)


def test_unknown_mask_kind_and_bad_sizes_are_refused():
    with pytest.raises(InputError, match="mask kind"):
        make_mask("spiral", 16)
    with pytest.raises(InputError, match="shape"):
        radial_mask(1, 3)
    with pytest.raises(InputError, match="accel"):
        gaussian_mask(16, 0.5)
