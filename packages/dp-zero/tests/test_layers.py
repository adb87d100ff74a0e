"""Ghost / instantiated per-sample norms and book-kept clipped sums equal explicit per-sample
gradients from torch.func (vmap) for every supported layer, fp32, rtol 1e-5."""

import copy

import pytest
import torch
from torch import nn

from core_utils import InputError
from dp_zero.engine import DPZeroEngine
from dp_zero.layers.base import clipped_matrix_sum, instantiate_is_cheaper, matrix_sq_norms
from dp_zero.reference import layer_groups, per_sample_grads, reference_clipped_sum


class Seq(nn.Module):
    """Wrap a layer and reduce its output to one scalar per sample with a fixed random readout."""

    def __init__(self, layer, out_shape):
        super().__init__()
        self.layer = layer
        self.register_buffer("readout", torch.randn(out_shape, dtype=torch.float64).float())

    def forward(self, x):
        out = self.layer(x)
        return (out * self.readout).flatten(1).sum(1, keepdim=True)


def mse(out, y):
    return ((out.squeeze(1) - y) ** 2).sum()


CASES = {
    "linear-2d": (lambda: nn.Linear(5, 3), lambda: torch.randn(6, 5), (3,)),
    "linear-seq-ghost": (lambda: nn.Linear(16, 12), lambda: torch.randn(6, 4, 16), (4, 12)),
    "linear-seq-instantiated": (lambda: nn.Linear(3, 2), lambda: torch.randn(6, 9, 3), (9, 2)),
    "linear-no-bias": (lambda: nn.Linear(5, 4, bias=False), lambda: torch.randn(6, 3, 5), (3, 4)),
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), lambda: torch.randn(6, 3, 11), (4, 6)),
    "conv2d": (lambda: nn.Conv2d(2, 3, 3, padding=1, dilation=1), lambda: torch.randn(6, 2, 5, 5), (3, 5, 5)),
    "conv2d-strided": (lambda: nn.Conv2d(2, 3, (2, 3), stride=2), lambda: torch.randn(6, 2, 6, 7), (3, 3, 3)),
    "embedding": (lambda: nn.Embedding(7, 4), lambda: torch.randint(0, 7, (6, 10)), (10, 4)),
    "embedding-padding": (
        lambda: nn.Embedding(7, 4, padding_idx=0),
        lambda: torch.randint(0, 7, (6, 10)),
        (10, 4),
    ),
    "layernorm": (lambda: nn.LayerNorm(6), lambda: torch.randn(6, 5, 6), (5, 6)),
    "groupnorm": (lambda: nn.GroupNorm(2, 4), lambda: torch.randn(6, 4, 3, 3), (4, 3, 3)),
}


def _perturb(model):
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))


@pytest.mark.parametrize("case", sorted(CASES))
def test_per_sample_norms_equal_vmap_norms(case):
    torch.manual_seed(0)
    make_layer, make_x, out_shape = CASES[case]
    model = Seq(make_layer(), out_shape)
    _perturb(model)
    x, y = make_x(), torch.randn(6)
    gs = per_sample_grads(model, mse, x, y)
    want = sum(g.flatten(1).square().sum(1) for g in gs.values())

    conv = copy.deepcopy(model)
    eng = DPZeroEngine(
        batch_size=6,
        sample_size=100,
        noise_multiplier=0.0,
        clipping_fn="abadi",
        max_grad_norm=1e6,
        loss_reduction="sum",
    )
    eng.convert(conv)
    mse(conv(x), y).backward()
    # huge threshold: C = 1, so the recorded clipped norms are the raw per-sample norms
    got = eng.clipped_sample_norms().square()
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    # and the book-kept sum is the ordinary batch gradient
    for n, p in conv.named_parameters():
        torch.testing.assert_close(p.grad * 6, gs[n].sum(0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fn", ["abadi", "automatic"])
def test_layerwise_clipped_sum_equals_explicit_clipping(case, fn):
    torch.manual_seed(1)
    make_layer, make_x, out_shape = CASES[case]
    model = nn.Sequential(Seq(make_layer(), out_shape), nn.Linear(1, 1))
    _perturb(model)
    x, y = make_x(), torch.randn(6)
    want = reference_clipped_sum(model, mse, x, y, max_grad_norm=0.5, clipping_fn=fn)
    conv = copy.deepcopy(model)
    eng = DPZeroEngine(
        batch_size=6,
        sample_size=100,
        noise_multiplier=0.0,
        clipping_fn=fn,
        max_grad_norm=0.5,
        loss_reduction="sum",
    )
    eng.convert(conv)
    mse(conv(x), y).backward()
    assert len(layer_groups(model)) == 2
    for n, p in conv.named_parameters():
        torch.testing.assert_close(p.grad * 6, want[n], rtol=1e-5, atol=1e-6)


def test_all_layer_clipping_equals_explicit_clipping():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.LayerNorm(8), nn.Linear(8, 1))
    x, y = torch.randn(7, 4), torch.randn(7)
    want = reference_clipped_sum(
        model, mse, x, y, max_grad_norm=0.3, clipping_fn="abadi", clipping_style="all-layer"
    )
    conv = copy.deepcopy(model)
    eng = DPZeroEngine(
        batch_size=7,
        sample_size=100,
        noise_multiplier=0.0,
        clipping_fn="abadi",
        max_grad_norm=0.3,
        clipping_style="all-layer",
        loss_reduction="sum",
    )
    eng.convert(conv)
    mse(conv(x), y).backward()
    for n, p in conv.named_parameters():
        torch.testing.assert_close(p.grad * 7, want[n], rtol=1e-5, atol=1e-6)
    assert eng.clipped_sample_norms().max() <= 0.3 + 1e-6


def test_input_gradients_are_unchanged_by_conversion():
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv1d(2, 3, 3), nn.GroupNorm(1, 3), nn.Flatten(), nn.Linear(3 * 6, 4), nn.LayerNorm(4)
    )
    conv = copy.deepcopy(model)
    DPZeroEngine(batch_size=5, sample_size=100, noise_multiplier=0.0).convert(conv)
    x1 = torch.randn(5, 2, 8, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    model(x1).sum().backward()
    conv(x2).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-5, atol=1e-6)


def test_hybrid_rule_ghost_and_instantiated_agree():
    torch.manual_seed(4)
    a, b = torch.randn(3, 6, 5), torch.randn(3, 6, 4)
    explicit = torch.bmm(b.transpose(1, 2), a).square().sum((1, 2))
    ghost = (torch.bmm(a, a.transpose(1, 2)) * torch.bmm(b, b.transpose(1, 2))).sum((1, 2))
    torch.testing.assert_close(matrix_sq_norms(a, b), explicit)
    torch.testing.assert_close(ghost, explicit, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("t,d,p", [(6, 5, 4), (32, 128, 128), (9, 3, 2), (4, 16, 12)])
def test_hybrid_branches_give_the_same_norms_and_clipped_sums(t, d, p):
    torch.manual_seed(5)
    a, b, c = torch.randn(4, t, d), torch.randn(4, t, p), torch.rand(4)
    explicit = torch.bmm(b.transpose(1, 2), a)
    want_sq, want_sum = explicit.square().sum((1, 2)), (c[:, None, None] * explicit).sum(0)
    ghost_state, inst_state = {}, {}
    ghost = matrix_sq_norms(a, b, ghost_state, instantiate=False)
    inst = matrix_sq_norms(a, b, inst_state, instantiate=True)
    assert "G" not in ghost_state and inst_state["G"].shape == (4, p * d)
    torch.testing.assert_close(ghost, want_sq, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(inst, want_sq, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(clipped_matrix_sum(a, b, c), want_sum, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(clipped_matrix_sum(a, b, c, inst_state["G"]), want_sum, rtol=1e-5, atol=1e-5)


def test_hybrid_rule_picks_the_cheaper_branch():
    from dp_zero.layers import base

    w = base.INSTANTIATED_PASS_COST
    for n, t, d, p in [
        (16, 32, 128, 128),
        (16, 32, 128, 512),
        (8, 9, 3, 2),
        (8, 4, 16, 12),
        (4, 256, 64, 64),
    ]:
        ghost = t * t * (d + p) + t * d * p
        inst = t * d * p + 2 * w * d * p
        assert instantiate_is_cheaper(n, t, d, p) == (inst < ghost)
    assert instantiate_is_cheaper(8, 9, 3, 2)  # long sequence, narrow layer: instantiate
    assert not instantiate_is_cheaper(8, 4, 16, 12)  # short sequence, wide layer: ghost norm
    assert not instantiate_is_cheaper(8, 1, 3, 2)  # T = 1: Goodfellow's trick
    # memory cap: a layer whose per-sample gradients would exceed the cap is never instantiated
    assert not instantiate_is_cheaper(base.MAX_INSTANTIATED_ELEMENTS, 512, 2, 2)
    # the default cases of the norm test take both branches
    state: dict = {}
    matrix_sq_norms(torch.randn(6, 9, 3), torch.randn(6, 9, 2), state)
    assert "G" in state
    state = {}
    matrix_sq_norms(torch.randn(6, 4, 16), torch.randn(6, 4, 12), state)
    assert "G" not in state


def test_unsupported_trainable_layers_are_refused_by_name():
    model = nn.Sequential(
        nn.Linear(3, 3), nn.MultiheadAttention(3, 1), nn.Conv2d(2, 2, 3, groups=2), nn.BatchNorm1d(3)
    )
    eng = DPZeroEngine(batch_size=4, sample_size=100, noise_multiplier=1.0)
    with pytest.raises(InputError) as err:
        eng.convert(model)
    msg = str(err.value)
    assert "1 (MultiheadAttention)" in msg and "2 (Conv2d)" in msg and "3 (BatchNorm1d)" in msg
    assert "0 (Linear)" not in msg


def test_frozen_unsupported_layers_are_allowed():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    for p in model[1].parameters():
        p.requires_grad_(False)
    eng = DPZeroEngine(batch_size=4, sample_size=100, noise_multiplier=1.0)
    eng.convert(model)
    assert len(eng.layers) == 1


@pytest.mark.gpu
def test_cuda_per_sample_norms_equal_vmap_norms():
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    torch.manual_seed(0)
    model = Seq(nn.Linear(16, 12), (4, 12)).cuda()
    x, y = torch.randn(6, 4, 16, device="cuda"), torch.randn(6, device="cuda")
    want = sum(g.flatten(1).square().sum(1) for g in per_sample_grads(model, mse, x, y).values())
    eng = DPZeroEngine(batch_size=6, sample_size=100, noise_multiplier=1.0, max_grad_norm=1e6, clipping_fn="abadi",
                       loss_reduction="sum")  # fmt: skip
    conv = copy.deepcopy(model)
    eng.convert(conv)
    mse(conv(x), y).backward()
    torch.testing.assert_close(eng.clipped_sample_norms().square(), want, rtol=1e-4, atol=1e-5)
