"""The training loop behind ``dp-zero train`` and ``dp-zero demo`` (any backend, any rank).

Each logical step draws one Poisson sample of the training set (rate ``q = B / n``, spec
"Pitfalls"), splits it across ranks and into ``grad_accum`` micro-batches, and closes one private
optimizer step. The run plans ``steps = epochs / q`` steps, the number the accountant calibrates
``sigma`` for, and reports the accountant's epsilon for the steps actually taken.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from core_utils import InputError, derive_seed, load_checkpoint, progress, save_checkpoint, seed_everything
from dp_zero.backends.base import BACKENDS
from dp_zero.data import load_dataset
from dp_zero.engine import DPZeroEngine
from dp_zero.models import mlp


@dataclass
class TrainConfig:
    """Configuration of a private training run (defaults: spec section 1 "Official defaults"
    and section 4 for digits)."""

    dataset: str = "digits"
    backend: str = "local"
    stage: int = 2
    nproc: int = 1
    precision: str = "fp32"
    epochs: float = 15.0
    batch_size: int = 64
    grad_accum: int = 1
    lr: float = 2e-3
    optimizer: str = "adam"  # DP-Adam; "sgd" for DP-SGD
    target_epsilon: float | None = 8.0
    noise_multiplier: float | None = None
    delta: float | None = None  # default 1/(2n)
    max_grad_norm: float = 1.0
    clipping_fn: str = "automatic"
    clipping_style: str = "layer-wise"
    accounting: str = "rdp"
    private: bool = True
    hidden: int = 128
    seed: int = 0
    checkpoint_every: int = 0  # steps; 0 = only at the end
    out: str | None = None
    resume: bool = False
    stop_after: int | None = None  # stop (with a checkpoint) after this many steps: interruption drills
    quiet: bool = True
    device: str = "cpu"  # local backend: "cpu" or "cuda" (DeepSpeed places the model itself)
    deepspeed_config: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Refuse bad settings before any work (issue: "Bad input")."""
        if self.backend not in BACKENDS:
            raise InputError(f"--backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.precision not in ("fp32", "bf16", "fp16"):
            raise InputError(f"--precision must be fp32, bf16 or fp16, got {self.precision!r}")
        if self.backend == "deepspeed" and self.stage not in (1, 2, 3):
            raise InputError(f"--stage must be 1, 2 or 3, got {self.stage}")
        if self.backend == "local" and self.nproc != 1:
            raise InputError("--backend local runs one process: use --nproc 1")
        if self.backend == "zero-optimizer" and self.precision != "fp32":
            raise InputError("--backend zero-optimizer trains in fp32 only (use deepspeed or fsdp for bf16)")
        if self.backend != "deepspeed" and self.precision == "fp16":
            raise InputError("fp16 is supported with --backend deepspeed only (static loss scale)")
        if self.nproc < 1 or self.grad_accum < 1:
            raise InputError("--nproc and --grad-accum must be >= 1")
        if self.epochs <= 0:
            raise InputError(f"--epochs must be > 0, got {self.epochs}")
        if self.batch_size % (self.nproc * self.grad_accum):
            raise InputError(
                f"--batch-size {self.batch_size} must be divisible by nproc x grad-accum = "
                f"{self.nproc * self.grad_accum}"
            )
        if self.lr <= 0:
            raise InputError(f"--lr must be > 0, got {self.lr}")
        if self.optimizer not in ("adam", "sgd"):
            raise InputError(f"--optimizer must be adam or sgd, got {self.optimizer!r}")
        if self.private and (self.target_epsilon is None) == (self.noise_multiplier is None):
            raise InputError("give exactly one of --target-epsilon and --noise-multiplier")
        if self.clipping_style == "all-layer" and (self.backend != "local" or self.nproc > 1):
            raise InputError(
                "--clipping-style all-layer breaks ZeRO's overlap of backward and communication: "
                "it is available with --backend local only; use layer-wise"
            )
        if self.resume and not self.out:
            raise InputError("--resume needs --out (the folder holding the checkpoint)")
        if self.backend == "deepspeed":
            from dp_zero.backends.deepspeed import validate_user_config

            validate_user_config(self.deepspeed_config)


def make_engine(cfg: TrainConfig, n: int) -> DPZeroEngine | None:
    """The privacy engine of a run (``None`` for the non-private baseline)."""
    if not cfg.private:
        return None
    return DPZeroEngine(
        batch_size=cfg.batch_size,
        sample_size=n,
        epochs=cfg.epochs,
        noise_multiplier=cfg.noise_multiplier,
        target_epsilon=cfg.target_epsilon,
        target_delta=cfg.delta,
        max_grad_norm=cfg.max_grad_norm,
        clipping_fn=cfg.clipping_fn,
        clipping_style=cfg.clipping_style,
        loss_reduction="sum",
        accounting=cfg.accounting,
        seed=cfg.seed,
    )


def _optimizer_factory(cfg: TrainConfig):
    def make(params):
        if cfg.optimizer == "adam":
            return torch.optim.Adam(params, lr=cfg.lr)
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9)

    return make


def make_trainer(cfg: TrainConfig, model, engine):
    micro = max(1, cfg.batch_size // (cfg.nproc * cfg.grad_accum))
    if cfg.backend == "deepspeed":
        from dp_zero.backends import deepspeed

        return deepspeed.initialize(
            model, _optimizer_factory(cfg), engine, stage=cfg.stage, precision=cfg.precision,
            micro_batch_size=micro, gradient_accumulation_steps=cfg.grad_accum,
            user_config=cfg.deepspeed_config,
        )  # fmt: skip
    if cfg.backend == "zero-optimizer":
        from dp_zero.backends import zero_optimizer

        return zero_optimizer.initialize(
            model, _optimizer_factory(cfg), engine, gradient_accumulation_steps=cfg.grad_accum
        )
    if cfg.backend == "fsdp":
        from dp_zero.backends import fsdp

        return fsdp.initialize(
            model,
            _optimizer_factory(cfg),
            engine,
            precision=cfg.precision,
            gradient_accumulation_steps=cfg.grad_accum,
        )
    from dp_zero.backends import local

    return local.initialize(
        model, _optimizer_factory(cfg), engine, gradient_accumulation_steps=cfg.grad_accum
    )


def poisson_indices(n: int, q: float, seed: int, step: int, rank: int, world: int) -> torch.Tensor:
    """This rank's share of step ``step``'s Poisson sample (same mask on every rank)."""
    gen = torch.Generator().manual_seed(derive_seed(seed, "poisson", step))
    selected = (torch.rand(n, generator=gen) < q).nonzero().flatten()
    return selected[rank::world]


@torch.no_grad()
def evaluate(trainer, x: torch.Tensor, y: torch.Tensor, dtype: torch.dtype, device=None) -> float:
    """Test accuracy (every rank runs the forward: stage 3 gathers parameters collectively)."""
    trainer.model.eval()
    correct = 0
    for xb, yb in zip(x.split(512), y.split(512)):
        correct += int((trainer.model(xb.to(device, dtype)).argmax(1).cpu() == yb).sum())
    trainer.model.train()
    return correct / len(y)


def train(cfg: TrainConfig, *, rank: int = 0, world_size: int = 1) -> dict[str, Any]:
    """Run private (or, with ``private=False``, ordinary) training and return its metrics."""
    cfg.validate()
    if world_size != cfg.nproc:
        raise InputError(f"config asks for {cfg.nproc} processes but {world_size} are running")
    seed_everything(cfg.seed)
    data = load_dataset(cfg.dataset, cfg.seed)
    if cfg.batch_size > data.n:
        raise InputError(f"--batch-size {cfg.batch_size} exceeds the training set size n = {data.n}")
    engine = make_engine(cfg, data.n)
    q = cfg.batch_size / data.n
    total_steps = int(cfg.epochs / q)
    model = mlp(data.num_features, data.num_classes, cfg.hidden)
    if cfg.backend == "local":
        model.to(cfg.device)
    trainer = make_trainer(cfg, model, engine)
    dtype = trainer.dtype
    device = next(trainer.model.parameters()).device
    start = 0
    out = Path(cfg.out) if cfg.out else None
    if cfg.resume and out is not None:
        start = _load(trainer, engine, out)
    # sum-reduced loss: the engine undoes nothing; the non-private baseline divides by B here so
    # that backends that average over ranks and micro-steps yield (1/B) sum_i grad l_i
    base_scale = 1.0 / cfg.batch_size
    if cfg.backend != "local":
        base_scale *= world_size * (cfg.grad_accum if cfg.backend == "deepspeed" else 1)
    curve: list[tuple[int, float]] = []
    t0 = time.perf_counter()
    steps = range(start, total_steps)
    for step in progress(steps, total=len(steps), desc="train", quiet=cfg.quiet or rank != 0):
        idx = poisson_indices(data.n, q, cfg.seed, step, rank, world_size)
        loss_sum = 0.0
        for micro in torch.tensor_split(idx, cfg.grad_accum):
            out_logits = trainer.model(data.x_train[micro].to(device, dtype))
            loss = F.cross_entropy(out_logits.float(), data.y_train[micro].to(device), reduction="sum")
            loss_sum += float(loss.detach())
            trainer.backward(loss if engine is not None else loss * base_scale)
            trainer.step()
        curve.append((step, loss_sum / max(1, len(idx))))
        done = step + 1
        if (
            out is not None
            and cfg.checkpoint_every
            and done % cfg.checkpoint_every == 0
            and done < total_steps
        ):
            _save(trainer, engine, out, done)
        if cfg.stop_after is not None and done >= cfg.stop_after and done < total_steps:
            if out is not None:
                _save(trainer, engine, out, done)
            total_steps = done
            break
    wall = time.perf_counter() - t0
    acc = evaluate(trainer, data.x_test, data.y_test, dtype, device)
    if out is not None and cfg.stop_after is None:
        _save(trainer, engine, out, total_steps)
    result: dict[str, Any] = {
        "config": asdict(cfg),
        "n": data.n,
        "sample_rate": q,
        "steps": total_steps,
        "steps_this_run": total_steps - start,
        "test_accuracy": acc,
        "train_wall_s": wall,
        "loss_curve": curve,
    }
    if engine is not None:
        eps, delta = engine.get_privacy_spent()
        result.update(
            epsilon=eps, delta=delta, noise_multiplier=engine.noise_multiplier,
            accountant_steps=engine.accountant.steps, skipped_steps=engine.skipped_steps,
        )  # fmt: skip
    trainer.close()
    return result


def _save(trainer, engine, out: Path, step: int) -> None:
    """Atomic checkpoint of the model, optimizer, privacy engine and step (collective)."""
    state = {
        "step": step,
        "dp": engine.state_dict() if engine is not None else None,
        "backend": _backend_of(trainer),
    }
    if hasattr(trainer, "ds"):
        trainer.ds.save_checkpoint(str(out / "deepspeed_checkpoint"), tag="last", client_state=state)
        return
    full = trainer.checkpoint_state()  # gathered on rank 0 by the distributed backends
    if full is not None:
        out.mkdir(parents=True, exist_ok=True)
        save_checkpoint(out / "checkpoint.pt", {**state, **full})
    _barrier()  # no rank runs on (or exits) before the file is complete


def _load(trainer, engine, out: Path) -> int:
    if hasattr(trainer, "ds"):
        path, state = trainer.ds.load_checkpoint(str(out / "deepspeed_checkpoint"))
        if path is None:
            raise InputError(f"no DeepSpeed checkpoint under {out}")
    else:
        if not (out / "checkpoint.pt").is_file():
            raise InputError(f"no checkpoint at {out / 'checkpoint.pt'}")
        state = load_checkpoint(out / "checkpoint.pt")
        trainer.load_checkpoint_state(state)
    if engine is not None:
        engine.load_state_dict(state["dp"])
    return int(state["step"])


def _backend_of(trainer) -> str:
    return {
        "DeepSpeedTrainer": "deepspeed",
        "FSDPTrainer": "fsdp",
        "ZeroOptimizerTrainer": "zero-optimizer",
    }.get(type(trainer).__name__, "local")


def check_resumable(cfg: TrainConfig) -> None:
    """Refuse ``--resume`` before any process starts when ``cfg.out`` holds no checkpoint of this
    backend (each backend stores model and optimizer state in its own layout)."""
    if not cfg.resume or cfg.out is None:
        return
    out = Path(cfg.out)
    if cfg.backend == "deepspeed":
        if not (out / "deepspeed_checkpoint").is_dir():
            raise InputError(f"--resume: no DeepSpeed checkpoint under {out}")
        return
    path = out / "checkpoint.pt"
    if not path.is_file():
        raise InputError(f"--resume: no checkpoint at {path}")
    written_by = load_checkpoint(path).get("backend", "local")
    if written_by != cfg.backend:
        raise InputError(
            f"--resume: {path} was written by the {written_by} backend; resume with --backend {written_by}"
        )


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def run(cfg: TrainConfig, *, timeout: float = 1800.0) -> dict[str, Any]:
    """Run ``cfg`` in this process (local backend) or launch ``nproc`` workers."""
    cfg.validate()
    check_resumable(cfg)
    if cfg.backend == "local":
        return train(cfg)
    from dp_zero.launch import launch

    return launch(
        {"task": "train", "backend": cfg.backend, "config": asdict(cfg)}, nproc=cfg.nproc, timeout=timeout
    )


def planned_epsilon(cfg: TrainConfig, n: int) -> float:
    engine = make_engine(cfg, n)
    return math.nan if engine is None else engine.planned_epsilon()
