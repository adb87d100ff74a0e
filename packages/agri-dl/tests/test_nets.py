"""Network shapes, local weights loading and its errors."""

import pytest
import torch

from agri_dl.nets import ARCHITECTURES, build_model, load_weights
from core_utils import InputError


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("size", [32, 64])
def test_every_architecture_maps_images_to_class_logits(arch, size):
    net = build_model(arch, 3, width=8).eval()
    assert net(torch.zeros(2, 3, size, size)).shape == (2, 3)


def test_local_weights_round_trip(tmp_path):
    a, b = build_model("resnet", 3, width=8), build_model("resnet", 3, width=8)
    torch.save(a.state_dict(), tmp_path / "w.pt")
    load_weights(b, tmp_path / "w.pt")
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(v, w), k


@pytest.mark.parametrize(
    ("other", "match"), [(("vgg", 3, 8), "missing"), (("resnet", 5, 8), "shape mismatch")]
)
def test_weights_of_another_architecture_are_refused(tmp_path, other, match):
    arch, n, w = other
    torch.save(build_model(arch, n, width=w).state_dict(), tmp_path / "w.pt")
    with pytest.raises(InputError, match=match):
        load_weights(build_model("resnet", 3, width=8), tmp_path / "w.pt")


def test_missing_or_garbage_weights_file_is_named(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_weights(build_model("cnn", 3), tmp_path / "nope.pt")
    (tmp_path / "bad.pt").write_text("garbage")
    with pytest.raises(InputError, match="cannot read"):
        load_weights(build_model("cnn", 3), tmp_path / "bad.pt")


def test_unknown_architecture_is_named():
    with pytest.raises(InputError, match="unknown architecture"):
        build_model("alexnet-xl", 3)
