"""BitOps: hand-computed convolutions, scaling laws, and the supernet expectation."""

import pytest
import torch

from quantnas.bitops import annotate_supernet, bitops, count_macs, expected_bitops, uniform_bitops
from quantnas.ops import QConv2d
from quantnas.space import DiscreteNet, SuperNet, preset


class _Wrap(torch.nn.Module):
    """A 3-channel stem so the hook counter can run a single conv of arbitrary width."""

    def __init__(self, conv):
        super().__init__()
        self.stem = torch.nn.Identity()
        self.conv = conv
        self.cin = conv.in_channels

    def forward(self, x):
        return self.conv(x[:, :1].repeat(1, self.cin, 1, 1))


def test_hand_computed_conv_bitops_match_counter():
    conv = QConv2d(36, 36, kernel_size=(3, 3), bits=8)
    model = _Wrap(conv)
    assert count_macs(model, (32, 32)) - 0 == 11_943_936 + 0
    # the stem has no conv; BitOps = MACs * 8 * 8
    assert bitops(model, (32, 32)) == 764_411_904


def test_grouped_5x5_macs():
    assert count_macs(_Wrap(QConv2d(36, 36, kernel_size=(5, 5), groups=3)), (32, 32)) == 11_059_200


def test_bitops_scale_with_area_and_bit_product():
    b8 = bitops(_Wrap(QConv2d(12, 12, kernel_size=(3, 3), bits=8)), (16, 16))
    assert bitops(_Wrap(QConv2d(12, 12, kernel_size=(3, 3), bits=8)), (32, 32)) == 4 * b8
    assert bitops(_Wrap(QConv2d(12, 12, kernel_size=(3, 3), bits=4)), (16, 16)) * 4 == b8


@pytest.mark.parametrize("arch", ["basic", "rfdn"])
def test_expected_bitops_at_one_hot_equals_discrete_model(arch):
    space = preset(arch, channels=12 if arch == "rfdn" else 6, cells=1)
    net = SuperNet(space, mode="fp")
    annotate_supernet(net, (16, 16))
    torch.manual_seed(0)
    with torch.no_grad():
        for blk in net.mixed_blocks():
            blk.alpha.copy_(torch.randn_like(blk.alpha) * 3)
    geno = net.genotype()
    one_hot = []
    for blk in net.mixed_blocks():
        p = torch.zeros_like(blk.alpha)
        op, bits = geno.blocks[blk.name]
        p[blk.op_names.index(op), blk.bits.index(bits)] = 1.0
        one_hot.append(p)
    assert float(expected_bitops(net, one_hot)) == pytest.approx(
        bitops(DiscreteNet(geno), (16, 16)), rel=1e-6
    )


def test_expected_bitops_is_linear_in_softmax_weights():
    net = SuperNet(preset("basic", channels=6, cells=1), mode="fp")
    annotate_supernet(net, (8, 8))
    torch.manual_seed(1)
    p1 = [torch.softmax(torch.randn(b.alpha.numel()), 0).view_as(b.alpha) for b in net.mixed_blocks()]
    p2 = [torch.softmax(torch.randn(b.alpha.numel()), 0).view_as(b.alpha) for b in net.mixed_blocks()]
    lam = 0.3
    mix = [lam * a + (1 - lam) * b for a, b in zip(p1, p2, strict=True)]
    e1, e2, em = (float(expected_bitops(net, p)) for p in (p1, p2, mix))
    assert em == pytest.approx(lam * e1 + (1 - lam) * e2, rel=1e-6)
    assert uniform_bitops(net) == pytest.approx(
        float(expected_bitops(net).detach()), rel=1e-6
    )  # alpha = 0 is uniform
