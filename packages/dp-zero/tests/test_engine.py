"""Engine: bad input refused before work, noise exactly once per optimizer step, loss-scale
handling, clipping bound, Opacus-style make_private, checkpointed noise/accountant state."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from core_utils import InputError
from dp_zero.accounting import get_epsilon
from dp_zero.engine import BackendScaling, DPZeroEngine


def _engine(**kw):
    args = dict(batch_size=8, sample_size=100, noise_multiplier=1.0) | kw
    return DPZeroEngine(**args)


@pytest.mark.parametrize(("kw", "match"), [
    (dict(target_delta=0.01), "target_delta"),
    (dict(target_delta=0.5), "target_delta"),
    (dict(batch_size=101), "batch_size"),
    (dict(noise_multiplier=1.0, target_epsilon=3.0, epochs=1), "exactly one"),
    (dict(noise_multiplier=None), "exactly one"),
    (dict(epochs=0), "epochs"),
    (dict(epochs=-1), "epochs"),
    (dict(noise_multiplier=None, target_epsilon=3.0), "needs epochs"),
    (dict(clipping_fn="median"), "clipping_fn"),
    (dict(clipping_style="per-sample"), "clipping_style"),
    (dict(max_grad_norm=0.0), "max_grad_norm"),
])  # fmt: skip
def test_bad_engine_input_is_refused_by_name(kw, match):
    with pytest.raises(InputError, match=match):
        _engine(**kw)


def test_default_delta_is_one_over_2n_and_target_epsilon_is_met():
    eng = _engine(noise_multiplier=None, target_epsilon=3.0, epochs=2)
    assert eng.target_delta == pytest.approx(1 / 200)
    assert eng.planned_epsilon() <= 3.0
    assert eng.planned_epsilon() > 2.9


def test_all_layer_clipping_is_refused_with_a_distributed_backend():
    eng = _engine(clipping_style="all-layer")
    eng.convert(nn.Linear(3, 2))
    with pytest.raises(InputError, match="all-layer"):
        eng.attach(BackendScaling(world_size=2, rank=0, averages_ranks=True, name="DeepSpeed ZeRO-2"))


def _noise_update(gas, sigma=1.0, R=0.5, world=1, rank=0, mode="sharded"):
    torch.manual_seed(0)
    model = nn.Linear(40, 50)
    eng = DPZeroEngine(
        batch_size=8, sample_size=100, noise_multiplier=sigma, max_grad_norm=R, seed=5, noise_mode=mode
    )
    eng.convert(model)
    eng.attach(BackendScaling(world_size=world, rank=rank))
    before = copy.deepcopy(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x in torch.randn(8, 40).chunk(gas):
        (model(x).sum() * 0).backward()  # zero data gradient: the update is pure noise
    opt.step()
    eng.step_done()
    return torch.cat([(before[k] - v).flatten() for k, v in model.state_dict().items()]) * 8 / 0.1


@pytest.mark.parametrize("gas", [1, 4])
def test_noise_is_added_once_per_step_with_std_sigma_r(gas):
    upd = _noise_update(gas)
    n = upd.numel()
    se = 0.5 / math.sqrt(2 * n)  # standard error of a sample std
    std = upd.std().item()
    assert abs(std - 0.5) < 4 * se
    # the wrong calibrations are rejected: once per micro-step (sqrt(gas)), per rank (sqrt(W))
    for wrong in (0.5 * math.sqrt(2), 0.5 / math.sqrt(2)):
        assert abs(std - wrong) > 10 * se


def test_per_rank_noise_shares_compose_to_sigma_r():
    shares = [_noise_update(1, world=4, rank=r, mode="independent") for r in range(4)]
    # each rank's share has std sigma R / sqrt(W); the backend sums them (then averages, here /1)
    assert shares[0].std().item() == pytest.approx(0.25, rel=0.05)
    assert sum(shares).std().item() == pytest.approx(0.5, rel=0.05)


def test_sharded_noise_shares_compose_to_sigma_r_with_each_coordinate_noised_once():
    shares = [_noise_update(gas, world=2, rank=r) for r in range(2) for gas in (1, 2)]
    # weight (2000 numbers) and bias (50) have different owners; every coordinate is noised by
    # exactly one rank, with the full std sigma R, also under gradient accumulation
    for a, b in (shares[0:2], shares[2:4]):
        torch.testing.assert_close(a, b)  # accumulation: the same noise once per step
    r0, r1 = shares[0], shares[2]
    assert torch.equal((r0 != 0) ^ (r1 != 0), torch.ones_like(r0, dtype=torch.bool))
    assert (r0 != 0).sum().item() == 2000 and (r1 != 0).sum().item() == 50
    assert (r0 + r1).std().item() == pytest.approx(0.5, rel=0.05)


def test_loss_scale_is_undone_and_reapplied():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    grads = {}
    for scale in (1.0, 1024.0):
        m = copy.deepcopy(model)
        eng = _engine(noise_multiplier=0.0, clipping_fn="abadi", max_grad_norm=0.1)
        eng.convert(m)
        eng.attach(BackendScaling(loss_scale=scale))
        (F.cross_entropy(m(x), y) * scale).backward()
        grads[scale] = [p.grad.clone() / scale for p in m.parameters()]
    for a, b in zip(grads[1.0], grads[1024.0]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-8)


def test_fp16_parameters_with_a_static_loss_scale_give_the_fp32_update():
    # the DeepSpeed fp16 path without DeepSpeed: half-precision layers, backprop multiplied by a
    # static loss scale; the engine promotes to fp32, undoes the scale for clipping, re-applies it
    # to the private gradient and casts it to the parameters' fp16
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.LayerNorm(16), nn.Linear(16, 3))
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    ref = copy.deepcopy(model)
    _engine(noise_multiplier=0.0, clipping_fn="abadi", max_grad_norm=0.5).convert(ref)
    F.cross_entropy(ref(x), y).backward()
    half = copy.deepcopy(model).half()
    eng = _engine(noise_multiplier=0.0, clipping_fn="abadi", max_grad_norm=0.5)
    eng.convert(half)
    eng.attach(BackendScaling(loss_scale=256.0))
    (F.cross_entropy(half(x.half()).float(), y) * 256.0).backward()
    for a, b in zip(half.parameters(), ref.parameters()):
        assert a.grad.dtype == torch.float16
        torch.testing.assert_close(a.grad.float() / 256.0, b.grad, rtol=2e-2, atol=2e-3)


def test_automatic_clipping_is_invariant_to_the_loss_scale_up_to_gamma():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    out = {}
    for k in (1.0, 1000.0):  # an un-undone scale k: C_i g_i = R k g_i / (k |g_i| + gamma)
        m = copy.deepcopy(model)
        _engine(noise_multiplier=0.0, clipping_fn="automatic").convert(m)
        (F.cross_entropy(m(x), y) * k).backward()
        out[k] = torch.cat([p.grad.flatten() for p in m.parameters()])
    rel = ((out[1.0] - out[1000.0]).norm() / out[1000.0].norm()).item()
    assert 0 < rel < 0.05
    # Abadi clipping with an inactive threshold is not invariant: the update grows with k
    norms = []
    for k in (1.0, 1000.0):
        m = copy.deepcopy(model)
        _engine(noise_multiplier=0.0, clipping_fn="abadi", max_grad_norm=1e9).convert(m)
        (F.cross_entropy(m(x), y) * k).backward()
        norms.append(torch.cat([p.grad.flatten() for p in m.parameters()]).norm().item())
    assert norms[1] / norms[0] == pytest.approx(1000.0, rel=1e-4)


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_a_non_finite_sample_is_clipped_to_nothing_not_spread_to_the_batch(bad):
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.LayerNorm(6), nn.Linear(6, 3))
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    loss_scale = torch.ones(8)
    loss_scale[3] = bad  # sample 3's backprop is inf / NaN everywhere
    got, want = copy.deepcopy(model), copy.deepcopy(model)
    for m, keep in ((got, slice(None)), (want, [i for i in range(8) if i != 3])):
        _engine(noise_multiplier=0.0, clipping_fn="abadi", max_grad_norm=0.5, loss_reduction="sum").convert(m)
        per_sample = F.cross_entropy(m(x[keep]), y[keep], reduction="none")
        (per_sample * loss_scale[keep]).sum().backward()
    for a, b in zip(got.parameters(), want.parameters()):
        assert torch.isfinite(a.grad).all()
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-7)  # = the batch without it


def test_each_sample_contribution_has_norm_at_most_r():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Embedding(20, 8), nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 4))
    for fn in ("abadi", "automatic", "global"):
        m = copy.deepcopy(model)
        eng = _engine(noise_multiplier=0.0, clipping_fn=fn, max_grad_norm=0.7, loss_reduction="sum",
                      batch_size=1)  # fmt: skip
        eng.convert(m)
        for _ in range(10):
            idx, y = torch.randint(0, 20, (1, 6)), torch.randint(0, 4, (1,))
            m.zero_grad()
            (10 * F.cross_entropy(m(idx).mean(1), y, reduction="sum")).backward()
            total = math.sqrt(sum(float(p.grad.square().sum()) for p in m.parameters()))
            assert total <= 0.7 * (1 + 1e-6)
        assert len(eng.layers) == 4


def test_make_private_trains_and_accounts_like_opacus_api():
    torch.manual_seed(4)
    x = torch.randn(200, 6)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=20)
    eng = DPZeroEngine(batch_size=20, sample_size=200, noise_multiplier=0.8, max_grad_norm=1.0, seed=1)
    model, dp_opt, dp_loader = eng.make_private(model, opt, loader)
    assert eng.get_privacy_spent()[0] == 0.0
    for _ in range(3):
        for xb, yb in dp_loader:
            dp_opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            dp_opt.step()
    assert eng.step == 30
    eps, delta = eng.get_privacy_spent()
    assert eps == pytest.approx(get_epsilon(0.1, 0.8, 30, delta))
    acc = (model(x).argmax(1) == y).float().mean().item()
    assert acc > 0.8


def test_skipped_steps_still_spend_privacy():
    eng = _engine()
    eng.step_done(skipped=True)
    eng.step_done()
    assert eng.accountant.steps == 2 and eng.skipped_steps == 1


def test_state_dict_restores_accountant_and_noise_stream():
    def run(eng, model, steps):
        outs = []
        for _ in range(steps):
            model.zero_grad()
            (model(torch.ones(8, 3)).sum() * 0).backward()
            outs.append(model.weight.grad.clone())
            eng.step_done()
        return outs

    torch.manual_seed(0)
    a_model = nn.Linear(3, 4, bias=False)
    a = _engine(seed=9)
    a.convert(a_model)
    full = run(a, a_model, 5)

    b_model = nn.Linear(3, 4, bias=False)
    b = _engine(seed=9)
    b.convert(b_model)
    run(b, b_model, 2)
    state = b.state_dict()
    c_model = nn.Linear(3, 4, bias=False)
    c = _engine(seed=0)
    c.convert(c_model)
    c.load_state_dict(state)
    rest = run(c, c_model, 3)
    for x, y in zip(full[2:], rest):
        torch.testing.assert_close(x, y)
    assert c.get_privacy_spent() == a.get_privacy_spent()
    with pytest.raises(InputError, match="different"):
        _engine(noise_multiplier=2.0).load_state_dict(state)
