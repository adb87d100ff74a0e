"""Candidate ops and the mixed block: registry, one-hot reduction, gradient flow."""

import pytest
import torch

from core_utils import InputError
from quantnas.ops import MixedBlock, QConv2d, available_ops, build_op, register_op


def _one_hot_alpha(blk, o, b):
    with torch.no_grad():
        blk.alpha.fill_(-1e9)
        blk.alpha[o, b] = 0.0


def test_joint_softmax_sums_to_one():
    blk = MixedBlock("b", 6, 6, ["conv1", "conv3", "fac3"], (4, 8))
    with torch.no_grad():
        blk.alpha.normal_()
    assert float(blk.probs().detach().sum()) == pytest.approx(1.0, abs=1e-6)
    assert blk.probs().shape == (3, 2)


@pytest.mark.parametrize(
    ("op", "o", "bits", "b"), [("conv3", 1, 8, 1), ("fac3", 2, 4, 0), ("conv1", 0, 4, 0)]
)
def test_one_hot_shared_block_equals_the_single_discrete_op(op, o, bits, b):
    torch.manual_seed(0)
    blk = MixedBlock("b", 6, 6, ["conv1", "conv3", "fac3"], (4, 8), mode="shared")
    _one_hot_alpha(blk, o, b)
    x = torch.randn(2, 6, 8, 8)
    y = blk(x)

    def factory(ci, co, *, kernel_size, groups=1):
        return QConv2d(ci, co, kernel_size=kernel_size, groups=groups, bits=bits)

    ref = build_op(op, 6, 6, factory)
    mixed_units = [m for m in blk.ops[o].modules() if hasattr(m, "wqs")]
    ref_units = [m for m in ref.modules() if isinstance(m, QConv2d)]
    for mu, ru in zip(mixed_units, ref_units, strict=True):
        ru.weight.data.copy_(mu.weight.data)
        ru.bias.data.copy_(mu.bias.data)
        ru.wq.init_from(mu.weight)
    assert torch.allclose(y, ref(x), atol=1e-6)


def test_noise_mode_gives_gradients_to_weights_and_alpha():
    torch.manual_seed(0)
    blk = MixedBlock("b", 6, 6, ["conv3", "conv5"], (4, 8), mode="noise")
    blk(torch.randn(2, 6, 8, 8)).pow(2).mean().backward()
    assert blk.alpha.grad is not None and blk.alpha.grad.abs().sum() > 0
    for op in blk.ops:
        assert op.weight.grad.abs().sum() > 0


def test_noise_mode_weight_gradient_equals_fp_gradient_of_the_noisy_input():
    # w_bar = w + detached noise, so dL/dw is the fp gradient evaluated at w_bar (not scaled down)
    torch.manual_seed(0)
    blk = MixedBlock("b", 3, 3, ["conv3"], (8,), mode="noise")
    x = torch.randn(2, 3, 6, 6)
    torch.manual_seed(5)
    blk(x).sum().backward()
    g_noise = blk.ops[0].weight.grad.clone()
    assert g_noise.abs().mean() > 0.1 * x.abs().mean()


def test_registry_refuses_duplicate_names():
    assert "conv3" in available_ops()
    with pytest.raises(ValueError, match="already registered"):
        register_op("conv3")(lambda cin, cout, conv: conv(cin, cout, kernel_size=(3, 3)))


def test_unknown_op_and_bad_groups_are_input_errors():
    with pytest.raises(InputError, match="unknown operation"):
        build_op("conv7", 3, 3, lambda *a, **k: None)
    with pytest.raises(InputError, match="divisible by groups=3"):
        MixedBlock("head.1", 4, 4, ["conv3_g3"], (8,))
    with pytest.raises(InputError, match="empty operation list"):
        MixedBlock("x", 3, 3, [], (8,))


def test_argmax_choice_is_deterministic_first_on_ties():
    blk = MixedBlock("b", 3, 3, ["conv1", "conv3"], (4, 8))
    assert blk.choice() == ("conv1", 4)
    _one_hot_alpha(blk, 1, 1)
    assert blk.choice() == ("conv3", 8)


def test_candidates_of_a_block_read_the_same_noisy_input():
    # a real quantized block quantizes its input once per bit-width: every candidate sees that tensor
    torch.manual_seed(0)
    blk = MixedBlock("b", 6, 6, ["conv3", "conv5", "fac3"], (4, 8), mode="noise")
    seen = []
    for op in blk.ops:
        unit = next(m for m in op.modules() if hasattr(m, "shared_input"))
        unit._conv = lambda x, w, _u=unit: seen.append(x) or type(_u)._conv(_u, x, w)
    x = torch.randn(2, 6, 8, 8)
    blk(x)
    assert len(seen) == 3
    assert not torch.equal(seen[0], torch.relu(x))  # noise was added
    assert torch.equal(seen[0], seen[1]) and torch.equal(seen[0], seen[2])
    assert all(u.shared_input is None for us in blk._units for u in us)  # nothing kept after forward
