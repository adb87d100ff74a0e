"""``dp-zero verify``: the spec's oracles 1-5 and 7 in one command (spec section 3).

Each row is ``(check, measured, tolerance, passed)``; the distributed rows come from one launch of
``nproc`` workers on the chosen backend.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dp_zero.accounting import get_epsilon, get_noise_multiplier
from dp_zero.engine import DPZeroEngine
from dp_zero.reference import per_sample_grads

#: spec section 3, oracle 7 (Opacus 1.6.0 RDP accountant, delta 1e-5)
RDP_ORACLE = ((256 / 60000, 1.1, 14100, 2.6003), (0.01, 4.0, 10000, 1.0355), (1024 / 50000, 1.0, 147, 2.074))

LAYERS = {
    "Linear 2-D": (lambda: nn.Linear(6, 4), lambda: torch.randn(8, 6)),
    "Linear sequence": (lambda: nn.Linear(12, 10), lambda: torch.randn(8, 5, 12)),
    "Conv1d": (lambda: nn.Conv1d(3, 4, 3), lambda: torch.randn(8, 3, 9)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3, padding=1), lambda: torch.randn(8, 2, 5, 5)),
    "Embedding": (lambda: nn.Embedding(9, 4), lambda: torch.randint(0, 9, (8, 6))),
    "LayerNorm": (lambda: nn.LayerNorm(5), lambda: torch.randn(8, 3, 5)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), lambda: torch.randn(8, 4, 3)),
}


class _Readout(nn.Module):
    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x).float().flatten(1).sin().sum(1, keepdim=True)


def _loss(out, y):
    return ((out.squeeze(1) - y) ** 2).sum()


def norm_rows() -> list[tuple[str, float, float, bool]]:
    """Oracle 1: per-sample norms equal explicit (vmap) norms, relative error, rtol 1e-5."""
    rows = []
    for name, (make, make_x) in LAYERS.items():
        torch.manual_seed(0)
        model = _Readout(make())
        x, y = make_x(), torch.randn(8)
        want = sum(g.flatten(1).square().sum(1) for g in per_sample_grads(model, _loss, x, y).values())
        conv = copy.deepcopy(model)
        eng = DPZeroEngine(batch_size=8, sample_size=100, noise_multiplier=0.0, clipping_fn="abadi",
                           max_grad_norm=1e9, loss_reduction="sum")  # fmt: skip
        eng.convert(conv)
        _loss(conv(x), y).backward()
        err = float(((eng.clipped_sample_norms().square() - want).abs() / want.clamp(min=1e-12)).max())
        rows.append((f"ghost norm = vmap norm: {name}", err, 1e-5, err <= 1e-5))
    return rows


def clipping_row(max_grad_norm: float = 1.0) -> tuple[str, float, float, bool]:
    """Oracle 3: each sample's clipped contribution (all layers) has norm <= R, by one-sample steps."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.LayerNorm(16), nn.Linear(16, 3))
    eng = DPZeroEngine(batch_size=1, sample_size=100, noise_multiplier=0.0, clipping_fn="abadi",
                       max_grad_norm=max_grad_norm, loss_reduction="sum")  # fmt: skip
    eng.convert(model)
    worst = 0.0
    for _ in range(16):
        x, y = 5 * torch.randn(1, 6), torch.randint(0, 3, (1,))
        model.zero_grad()
        F.cross_entropy(model(x), y, reduction="sum").backward()
        norm = math.sqrt(sum(float(p.grad.square().sum()) for p in model.parameters()))
        worst = max(worst, norm)
    return (
        "max per-sample clipped norm / R",
        worst / max_grad_norm,
        1.0,
        worst <= max_grad_norm * (1 + 1e-6),
    )


def accountant_rows() -> list[tuple[str, float, float, bool]]:
    """Oracle 7: RDP epsilon against the spec's Opacus numbers; calibration inverts the account."""
    rows = []
    for q, sigma, steps, want in RDP_ORACLE:
        eps = get_epsilon(q, sigma, steps, 1e-5, "rdp")
        rel = abs(eps - want) / want
        rows.append((f"RDP eps(q={q:.4g}, sigma={sigma}, T={steps})", eps, want, rel < 1e-3))
    sigma = get_noise_multiplier(2.0, 1e-5, 1024 / 50000, epochs=3)
    rows.append(
        ("calibrated sigma (eps=2, q=1024/50000, 3 epochs)", sigma, 1.0156, abs(sigma - 1.0156) < 1e-3)
    )
    return rows


def distributed_rows(
    backend: str, nproc: int, stages: tuple[int, ...], timeout: float
) -> list[tuple[str, float, float, bool]]:
    """Oracles 2, 4, 5 under ``backend`` with ``nproc`` gloo processes."""
    from dp_zero.checks import BATCH, MAX_GRAD_NORM, reference_update
    from dp_zero.launch import launch

    if backend == "deepspeed":
        updates = [["deepspeed", s, "fp32", 1] for s in stages] + [["deepspeed", stages[-1], "fp32", 2]]
        noise = [["deepspeed", stages[-1], 2]]
    else:
        updates, noise = [[backend, 0, "fp32", 1], [backend, 0, "fp32", 2]], [[backend, 0, 2]]
    res = launch({"task": "check", "backend": backend, "config": {"updates": updates, "noise": noise}},
                 nproc=nproc, timeout=timeout)  # fmt: skip
    ref = reference_update()
    rows = []
    for key, upd in res["updates"].items():
        err = max(float((torch.tensor(upd[n]) - ref[n]).abs().max()) for n in ref)
        rows.append((f"sigma=0 update = reference: {key}", err, 1e-6, err <= 1e-6))
    for key, vals in res["noise"].items():
        std = float(torch.tensor(vals).std())
        n = len(vals)
        tol = 4 * MAX_GRAD_NORM / math.sqrt(2 * n)  # 4 standard errors of a sample std
        rows.append((f"noise std / (sigma R) ({key}, B={BATCH})", std / MAX_GRAD_NORM, tol / MAX_GRAD_NORM,
                     abs(std - MAX_GRAD_NORM) <= tol))  # fmt: skip
    return rows


def run_verify(
    *, backend: str = "deepspeed", nproc: int = 2, stages: tuple[int, ...] = (1, 2, 3), timeout: float = 300.0
) -> dict[str, Any]:
    rows = norm_rows() + [clipping_row()] + accountant_rows()
    if backend != "none":
        rows += distributed_rows(backend, nproc, stages, timeout)
    return {
        "rows": [list(r) for r in rows],
        "passed": sum(r[3] for r in rows),
        "failed": sum(not r[3] for r in rows),
    }
