"""Search spaces, genotypes (JSON round trip, validation) and the networks built from them."""

import pytest
import torch

from core_utils import InputError
from quantnas.space import DiscreteNet, Genotype, SearchSpace, SuperNet, load_space, preset, uniform_genotype


@pytest.mark.parametrize(("arch", "channels"), [("basic", 6), ("rfdn", 12)])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_networks_upscale_by_scale(arch, channels, scale):
    space = preset(arch, channels=channels, cells=1, scale=scale)
    x = torch.rand(2, 3, 8, 10)
    assert SuperNet(space, mode="fp")(x).shape == (2, 3, 8 * scale, 10 * scale)
    assert DiscreteNet(uniform_genotype(space, 8))(x).shape == (2, 3, 8 * scale, 10 * scale)


def test_rezero_gain_makes_initial_network_the_bicubic_upsampler():
    space = preset("basic", channels=6, cells=1)
    x = torch.rand(2, 3, 8, 8)
    ref = torch.nn.functional.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.allclose(DiscreteNet(uniform_genotype(space, 4)).eval()(x), ref, atol=1e-6)


def test_genotype_json_round_trip(tmp_path):
    net = SuperNet(preset("basic", channels=6, cells=2), mode="fp")
    torch.manual_seed(0)
    with torch.no_grad():
        for a in net.alphas():
            a.normal_()
    geno = net.genotype()
    path = tmp_path / "g.json"
    geno.to_json(path)
    back = Genotype.from_json(path)
    assert back.blocks == geno.blocks and back.adq == geno.adq
    assert back.space.to_dict() == geno.space.to_dict()
    assert Genotype.from_json(geno.to_json()).blocks == geno.blocks


def test_genotype_that_does_not_match_the_space_is_refused():
    space = preset("basic", channels=6, cells=1)
    geno = uniform_genotype(space, 8)
    bad = dict(geno.blocks)
    bad["head.0"] = ("growth3", 8)
    with pytest.raises(InputError, match="not in the space's 'head' ops"):
        Genotype(space, bad)
    bad = dict(geno.blocks)
    del bad["tail.1"]
    with pytest.raises(InputError, match="missing blocks"):
        Genotype(space, bad)
    with pytest.raises(InputError, match="bits 2 not in"):
        Genotype(space, {**geno.blocks, "upsample": ("conv3", 2)})
    with pytest.raises(InputError, match="different space"):
        Genotype.from_dict(geno.to_dict(), preset("basic", channels=9, cells=1))


def test_user_space_from_toml(tmp_path):
    f = tmp_path / "space.toml"
    f.write_text(
        '[space]\narch = "basic"\nchannels = 6\ncells = 1\nbits = [2, 8]\nscale = 2\n'
        '[space.ops]\nhead = ["conv3"]\nbody = ["conv3", "fac3"]\nskip = ["conv1"]\n'
        'upsample = ["conv3"]\ntail = ["conv1", "conv3_g3"]\n'
    )
    space = load_space(f)
    assert space.bits == (2, 8) and space.ops["body"] == ["conv3", "fac3"]
    net = SuperNet(space)
    assert [len(b.op_names) * len(b.bits) for b in net.mixed_blocks()][:2] == [2, 2]


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"scale": 5}, "scale must be one of"),
        ({"bits": (4, 9)}, "bits must be one of"),
        ({"channels": 8}, "multiple of 3"),
        ({"ops": {"head": ["conv3"]}}, "need parts"),
        ({"arch": "unet"}, "arch must be one of"),
    ],
)
def test_bad_space_settings_are_input_errors(kwargs, msg):
    with pytest.raises(InputError, match=msg):
        SearchSpace(**kwargs)


def test_unknown_preset_or_missing_file():
    with pytest.raises(InputError, match="neither a preset"):
        load_space("nope.toml")
    with pytest.raises(InputError, match="unknown search-space keys"):
        SearchSpace.from_dict({"width": 3})
