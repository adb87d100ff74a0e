"""Export: integer weights + scales reproduce the fake-quant model."""

import torch

from quantnas.export import IntConv2d, export_model, export_summary, load_exported, save_exported
from quantnas.space import DiscreteNet, Genotype, preset


def _trained_like_model():
    space = preset("basic", channels=6, cells=1)
    blocks = {}
    for i, sp in enumerate(space.block_specs()):
        blocks[sp.name] = (space.ops[sp.part][i % len(space.ops[sp.part])], (4, 8)[i % 2])
    model = DiscreteNet(Genotype(space, blocks))
    torch.manual_seed(0)
    model.train()
    model(torch.rand(2, 3, 12, 12))  # initialise LSQ steps and BN statistics
    with torch.no_grad():
        model.gain.fill_(1.0)
    return model.eval()


def test_exported_integer_model_matches_fake_quant_model():
    model = _trained_like_model()
    exported = export_model(model)
    assert any(isinstance(m, IntConv2d) for m in exported.modules())
    x = torch.rand(2, 3, 10, 12)
    with torch.no_grad():
        a, b = model(x), exported(x)
    assert torch.allclose(a, b, atol=1e-4)


def test_integer_accumulator_is_integral_and_codes_in_range():
    exported = export_model(_trained_like_model())
    conv = next(m for m in exported.modules() if isinstance(m, IntConv2d))
    acc = conv.integer_accumulator(torch.rand(1, conv.in_channels, 6, 6) * 5)
    assert torch.equal(acc, torch.round(acc))
    lo, hi = -(2 ** (conv.bits - 1)), 2 ** (conv.bits - 1) - 1
    assert conv.w_codes.dtype == torch.int8
    assert int(conv.w_codes.min()) >= lo and int(conv.w_codes.max()) <= hi


def test_save_and_load_exported_round_trip(tmp_path):
    model = _trained_like_model()
    save_exported(model, tmp_path / "m.pt")
    loaded = load_exported(tmp_path / "m.pt")
    x = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.allclose(loaded(x), export_model(model)(x), atol=1e-6)
    s = export_summary(model)
    assert 0 < s["weight_bytes_packed"] < sum(p.numel() for p in model.parameters()) * 4 / 3
