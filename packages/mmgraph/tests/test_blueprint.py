"""The blueprint: describe(), config round-trip (Python, TOML, saved folder), dimension checks."""

import numpy as np
import pytest
import torch

from core_utils import InputError
from mmgraph.blueprint import MGLBlueprint, load_config

CFG = {
    "entities": {"dim": 8},
    "topology": {"kind": "knn", "k": 4, "on": "a"},
    "propagation": {"kind": "sage", "hidden": 8},
    "mixing": {"kind": "attention"},
    "head": {"hidden": 8},
}


def _model(cfg=CFG):
    torch.manual_seed(0)
    return MGLBlueprint.from_config(cfg, in_dims={"a": 5, "b": 3}, out_dim=3)


def test_describe_names_the_four_components(toy):
    text = _model().describe()
    for slot, word in [
        ("entities", "linear encoders"),
        ("topology", "kNN (k=4) on a"),
        ("propagation", "GraphSAGE"),
        ("mixing", "attention"),
    ]:
        assert slot in text and word in text


def test_config_round_trip_gives_identical_outputs(toy):
    model = _model()
    clone = MGLBlueprint.from_config(model.to_config())
    clone.load_state_dict(model.state_dict())
    model.eval(), clone.eval()
    assert torch.equal(model(model.prepare(toy)), clone(clone.prepare(toy)))


def test_saved_blueprint_loads_with_identical_outputs(toy, tmp_path):
    model = _model(
        {
            **CFG,
            "propagation": {
                "kind": "branches",
                "hidden": 8,
                "branches": [{"kind": "mlp"}, {"kind": "gat", "heads": 2}],
            },
            "topology": {"kind": "latent", "k": 4},
        }
    )
    model.save(tmp_path / "m")
    loaded = MGLBlueprint.load(tmp_path / "m")
    model.eval(), loaded.eval()
    assert loaded.to_config() == model.to_config()
    assert torch.equal(model(model.prepare(toy)), loaded(loaded.prepare(toy)))


def test_model_assembles_from_a_user_toml_file(toy, tmp_path):
    path = tmp_path / "bp.toml"
    path.write_text(
        '[entities]\ndim = 8\n[topology]\nkind = "gaussian"\nk = 4\non = "all"\n'
        '[propagation]\nkind = "gcn"\nhidden = 8\n[mixing]\nkind = "product"\n[head]\nhidden = 0\n'
    )
    model = MGLBlueprint.from_config(load_config(path), in_dims={"a": 5, "b": 3}, out_dim=3)
    assert model(model.prepare(toy)).shape == (30, 3)
    assert "element-wise product" in model.describe()


def test_prepare_does_not_modify_the_input(toy):
    model = _model()
    model.prepare(toy)
    assert "edge_index" not in toy


def test_masked_modality_does_not_change_node_outputs(toy):
    """Changing a missing modality's raw features must not change any output (the mask holds)."""
    model = _model({**CFG, "propagation": {"kind": "mlp", "hidden": 8}})
    model.eval()
    other = toy.clone()
    other.x_b[~toy.mask_b] = 100.0
    assert torch.equal(model(model.prepare(toy)), model(model.prepare(other)))


@pytest.mark.parametrize(
    "cfg, match",
    [
        ({**CFG, "mixing": {"kind": "none"}}, "needs one channel"),
        ({**CFG, "mixing": {"kind": "sum", "in_dim": 5}}, "mixer in_dim"),
        ({**CFG, "propagation": {"kind": "gcn", "in_dim": 4}}, "in_dim=4"),
        ({**CFG, "mixing": {"kind": "blend"}}, "unknown mixing component 'blend'"),
        ({k: v for k, v in CFG.items() if k != "topology"}, r"lacks the \[topology\]"),
        ({**CFG, "propagation": {"kind": "gcn", "colour": 1}}, "bad parameters"),
    ],
)
def test_inconsistent_configs_are_rejected(cfg, match):
    with pytest.raises(InputError, match=match):
        _model(cfg)


def test_unparsable_config_file_is_rejected(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[entities\n")
    with pytest.raises(InputError, match="cannot be parsed"):
        load_config(p)


def test_gcn_blueprint_equals_dense_formula(toy):
    """Spec oracle 2: H' = relu(D^-1/2 (A+I) D^-1/2 (X W_enc) W) in numpy."""
    torch.manual_seed(0)
    model = MGLBlueprint.from_config(
        {
            "entities": {"dim": 4},
            "topology": {"kind": "knn", "k": 3, "on": "a"},
            "propagation": {"kind": "gcn", "hidden": 4, "n_layers": 1},
            "mixing": {"kind": "none"},
            "head": {},
        },
        in_dims={"a": 5},
        out_dim=2,
    )
    model.eval()
    d = model.prepare(toy)
    n = d.num_nodes
    a = np.zeros((n, n))
    a[d.edge_index[1].numpy(), d.edge_index[0].numpy()] = 1
    a += np.eye(n)
    dinv = np.diag(a.sum(1) ** -0.5)
    enc = model.entities.encoders["a"].net
    x = d.x_a.numpy() @ enc.weight.detach().numpy().T + enc.bias.detach().numpy()
    conv = model.propagation.stacks["a"][0]
    h = np.maximum(dinv @ a @ dinv @ x @ conv.lin.weight.detach().numpy().T + conv.bias.detach().numpy(), 0)
    head = model.head.net[1]
    expected = h @ head.weight.detach().numpy().T + head.bias.detach().numpy()
    assert np.allclose(model(d).detach().numpy(), expected, atol=1e-5)
