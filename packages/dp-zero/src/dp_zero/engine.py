"""The privacy engine users call (spec section 6, ``engine.py``).

:class:`DPZeroEngine` holds the privacy parameters, converts a model's layers into private ones
(:mod:`dp_zero.private`), computes the clipped and noised gradient of each layer inside its
backward, and keeps the privacy account. Backends (:mod:`dp_zero.backends`) only tell it how they
scale and reduce gradients (:class:`BackendScaling`).

For a logical batch of expected size ``B`` over ``W`` ranks the update is (spec section 1)
``g = (1/B) * (sum_i C_i g_i + sigma R xi)``, ``xi ~ N(0, I)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from core_utils import InputError
from dp_zero.accounting import ACCOUNTANTS, PrivacyAccountant, get_noise_multiplier
from dp_zero.clipping import get_clipping_fn, layer_thresholds
from dp_zero.noise import RankNoise, assign_owners
from dp_zero.private import PrivateLayer, convert_model

CLIPPING_STYLES = ("layer-wise", "all-layer")
LOSS_REDUCTIONS = ("mean", "sum")


@dataclass(frozen=True)
class BackendScaling:
    """How a backend turns the raw backprop into the update (spec step 6-7).

    Attributes
    ----------
    world_size, rank
        Data-parallel group.
    loss_scale
        Static loss scale the backend multiplies the loss by (fp16); undone per sample and
        re-applied to the private gradient so the backend's unscaling is exact.
    loss_divisor
        Factor the backend divides the loss by (DeepSpeed: gradient accumulation steps).
    averages_ranks
        The backend divides the summed gradients by ``world_size`` (DeepSpeed, FSDP, DDP).
    name
        Backend name, for messages.
    """

    world_size: int = 1
    rank: int = 0
    loss_scale: float = 1.0
    loss_divisor: float = 1.0
    averages_ranks: bool = False
    name: str = "local"


class DPZeroEngine:
    """DP-SGD / DP-Adam gradients inside (ZeRO) data parallelism.

    Parameters
    ----------
    batch_size : int
        Expected logical (global) batch size ``B`` over all ranks and micro-steps.
    sample_size : int
        Dataset size ``n``; the sample rate is ``q = B / n``.
    epochs : float, optional
        Planned epochs (``steps = epochs / q``); needed with ``target_epsilon``.
    noise_multiplier : float, optional
        ``sigma``; exactly one of ``noise_multiplier`` and ``target_epsilon``.
    target_epsilon : float, optional
        Calibrate ``sigma`` so that the planned run spends this epsilon.
    target_delta : float, optional
        Default ``1 / (2 n)`` (the official stage-2/3 engine); must be ``< 1 / n``.
    max_grad_norm : float
        Total sensitivity ``R``; layer-wise thresholds are ``R / sqrt(L)``.
    clipping_fn : {"automatic", "abadi", "global"}
        Default ``automatic`` (official default).
    clipping_style : {"layer-wise", "all-layer"}
        ``all-layer`` needs every layer's norm before clipping, so it is single-process only.
    loss_reduction : {"mean", "sum"}
        Reduction of the user's loss over the local micro-batch.
    noise_mode : {"sharded", "independent", "shared"}
        How the ranks share the noise (default ``sharded``: each parameter is noised by one owner
        rank); see :class:`dp_zero.noise.RankNoise`. All give per-coordinate std ``sigma R`` once.
    accounting : {"rdp", "prv"}
    seed : int
        Seeds the noise: ``(seed, rank, step, parameter index)``.
    """

    def __init__(
        self,
        *,
        batch_size: int,
        sample_size: int,
        epochs: float | None = None,
        noise_multiplier: float | None = None,
        target_epsilon: float | None = None,
        target_delta: float | None = None,
        max_grad_norm: float = 1.0,
        clipping_fn: str = "automatic",
        clipping_style: str = "layer-wise",
        loss_reduction: str = "mean",
        noise_mode: str = "sharded",
        accounting: str = "rdp",
        seed: int = 0,
    ) -> None:
        if sample_size < 1:
            raise InputError(f"sample_size must be >= 1, got {sample_size}")
        if not 1 <= batch_size <= sample_size:
            raise InputError(f"batch_size must be in [1, n={sample_size}], got {batch_size}")
        if epochs is not None and epochs <= 0:
            raise InputError(f"epochs must be > 0, got {epochs}")
        if (noise_multiplier is None) == (target_epsilon is None):
            raise InputError("give exactly one of noise_multiplier and target_epsilon")
        delta = 1.0 / (2 * sample_size) if target_delta is None else float(target_delta)
        if not 0 < delta < 1.0 / sample_size:
            raise InputError(f"target_delta must be in (0, 1/n = {1 / sample_size:.3g}), got {delta}")
        if max_grad_norm <= 0:
            raise InputError(f"max_grad_norm must be > 0, got {max_grad_norm}")
        if clipping_style not in CLIPPING_STYLES:
            raise InputError(
                f"clipping_style must be one of {', '.join(CLIPPING_STYLES)}, got {clipping_style!r}"
            )
        if loss_reduction not in LOSS_REDUCTIONS:
            raise InputError(f"loss_reduction must be 'mean' or 'sum', got {loss_reduction!r}")
        if accounting not in ACCOUNTANTS:
            raise InputError(f"accounting must be one of {', '.join(ACCOUNTANTS)}, got {accounting!r}")
        self.batch_size = int(batch_size)
        self.sample_size = int(sample_size)
        self.sample_rate = batch_size / sample_size
        self.epochs = epochs
        self.target_delta = delta
        if noise_multiplier is None:
            if epochs is None:
                raise InputError("target_epsilon needs epochs to plan the number of steps")
            noise_multiplier = get_noise_multiplier(
                target_epsilon, delta, self.sample_rate, epochs=epochs, accounting=accounting
            )
        if noise_multiplier < 0:
            raise InputError(f"noise_multiplier must be >= 0, got {noise_multiplier}")
        self.noise_multiplier = float(noise_multiplier)
        self.target_epsilon = target_epsilon
        self.max_grad_norm = float(max_grad_norm)
        self.clip = get_clipping_fn(clipping_fn)
        self.clipping_fn = clipping_fn
        self.clipping_style = clipping_style
        self.loss_reduction = loss_reduction
        self.noise_mode = noise_mode
        self.seed = int(seed)
        self.accountant = PrivacyAccountant(accounting)
        self.scaling = BackendScaling()
        self.noise = RankNoise(self.noise_multiplier, self.seed, 0, 1, noise_mode)
        self.layers: list[PrivateLayer] = []
        self.param_sizes: list[int] = []  # full size of each private parameter, by parameter index
        self.layer_threshold = self.max_grad_norm
        self.step = 0
        self.skipped_steps = 0
        self._noised: set[int] = set()
        self._pending: list[
            tuple[PrivateLayer, dict[str, Any], torch.Tensor, dict[str, torch.Tensor], float]
        ] = []
        self._clipped_sq: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # layer -> (C_i, ||g_i||^2)

    # ------------------------------------------------------------------ setup
    def convert(self, model: nn.Module) -> nn.Module:
        """Convert ``model``'s trainable layers in place (see :func:`dp_zero.private.convert_model`)."""
        if self.layers:
            raise InputError("this engine already converted a model")
        self.layers = convert_model(model, self)
        sizes = {
            idx: getattr(p, "ds_numel", p.numel())  # ds_numel: full size of a ZeRO-3 partitioned parameter
            for layer in self.layers
            for n, idx in layer.param_index.items()
            for p in (getattr(layer.module, n),)
        }
        self.param_sizes = [sizes[i] for i in range(len(sizes))]
        self.noise = self._rank_noise()
        self.layer_threshold = (
            layer_thresholds(self.max_grad_norm, len(self.layers))
            if self.clipping_style == "layer-wise"
            else self.max_grad_norm
        )
        return model

    def attach(self, scaling: BackendScaling) -> None:
        """Tell the engine how the backend scales and reduces gradients."""
        if scaling.world_size < 1 or not 0 <= scaling.rank < scaling.world_size:
            raise InputError(f"bad rank {scaling.rank} / world size {scaling.world_size}")
        if self.clipping_style == "all-layer" and scaling.world_size > 1:
            raise InputError(
                f"clipping_style='all-layer' breaks the backward/communication overlap of the "
                f"{scaling.name} backend: use 'layer-wise'"
            )
        if scaling.loss_scale <= 0 or scaling.loss_divisor <= 0:
            raise InputError("loss_scale and loss_divisor must be > 0")
        self.scaling = scaling
        self.noise = self._rank_noise()

    def _rank_noise(self) -> RankNoise:
        s = self.scaling
        owners = assign_owners(self.param_sizes, s.world_size) if self.noise_mode == "sharded" else ()
        return RankNoise(self.noise_multiplier, self.seed, s.rank, s.world_size, self.noise_mode, owners)

    @property
    def planned_steps(self) -> int | None:
        return None if self.epochs is None else int(self.epochs / self.sample_rate)

    # --------------------------------------------------------------- backward
    def _scales(self, local_batch: int) -> tuple[float, float]:
        s = self.scaling
        scale_in = (local_batch if self.loss_reduction == "mean" else 1) * s.loss_divisor / s.loss_scale
        scale_out = (s.world_size if s.averages_ranks else 1) * s.loss_scale / self.batch_size
        return scale_in, scale_out

    def _private_grads(
        self, layer: PrivateLayer, x: torch.Tensor, grad_out: torch.Tensor, params: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """Clipped sum (+ noise once per step) of one layer, as the backend expects it in ``.grad``."""
        if not layer.trainable:
            return {}
        scale_in, scale_out = self._scales(grad_out.shape[0])
        # per-sample dL_i/ds = scale_in * grad_out (spec steps 2, 7); the scale is folded into the
        # norms and the clipping factors instead of a pass over the activations
        state, sq = self._norms(layer, x, grad_out, params)
        if scale_in != 1.0:
            sq = sq * (scale_in * scale_in)
        if self.clipping_style == "all-layer":
            if not self._pending:  # clip once the whole backward has run (single process only)
                torch.autograd.Variable._execution_engine.queue_callback(self.finalize)
            self._pending.append((layer, state, sq, params, scale_in))
            return {}
        c = self.clip(sq.sqrt(), self.layer_threshold)
        self._clipped_sq[layer.index] = (c, sq)
        grads = layer.rule.clipped_sum(state, c * scale_in if scale_in != 1.0 else c, layer.trainable)
        return self._finish(layer, grads, params, scale_out)

    def _norms(self, layer, x, grad_out, params):
        """Per-sample state and squared norms from a sanitised ``grad_out`` (spec step 7).

        ``nan_to_num`` keeps one overflowed sample (inf / NaN backprop) from poisoning the whole
        clipped sum: its norm becomes infinite and its clipping factor 0. An fp32 backprop on the
        CPU is checked instead of copied: a non-finite entry always makes that sample's norm
        non-finite (its own product appears on the diagonal of the ghost / Gram terms), so only
        then is the sanitised copy made and the norms recomputed. Elsewhere the copy is always
        made (half precision needs the fp32 promotion anyway; on an accelerator a check would
        synchronise the stream).
        """
        rule, trainable = layer.rule, layer.trainable
        if grad_out.dtype == torch.float32 and grad_out.device.type == "cpu":
            state = rule.prepare(layer.module, x, grad_out, params)
            sq = rule.per_sample_sq_norms(state, trainable)
            if math.isfinite(float(sq.sum())):  # any inf / NaN norm makes the sum non-finite
                return state, sq
            g = torch.nan_to_num(grad_out)
        elif grad_out.dtype == torch.float32:
            g = torch.nan_to_num(grad_out)
        else:
            g = grad_out.float().nan_to_num_()
        state = rule.prepare(layer.module, x, g, params)
        # a norm that is still not finite (inf - inf in a ghost product) counts as infinite: the
        # sample is clipped to nothing instead of turning the sum into NaN
        inf = float("inf")
        return state, torch.nan_to_num(rule.per_sample_sq_norms(state, trainable), nan=inf, posinf=inf)

    def _finish(self, layer, grads, params, scale_out):
        """Add this step's noise to the clipped sum, scale it for the backend, cast to the parameter dtype."""
        out = {}
        for n, gsum in grads.items():
            idx = layer.param_index[n]
            if self.noise_multiplier > 0 and idx not in self._noised:
                self._noised.add(idx)  # once per optimizer step, also on ranks that do not draw it
                if self.noise.draws(idx):
                    noise = self.noise.sample(gsum.shape, self.max_grad_norm, self.step, idx, gsum.device)
                    gsum = gsum.add_(noise)
            if scale_out != 1.0:
                gsum = gsum.mul_(scale_out)
            out[n] = gsum if gsum.dtype == params[n].dtype else gsum.to(params[n].dtype)
        return out

    def finalize(self) -> None:
        """All-layer clipping: combine the pending layers' norms, clip, write ``.grad``."""
        if not self._pending:
            return
        total = sum(sq for _, _, sq, _, _ in self._pending)
        c = self.clip(total.sqrt(), self.max_grad_norm)
        _, scale_out = self._scales(0)
        for layer, state, sq, params, scale_in in self._pending:
            self._clipped_sq[layer.index] = (c, sq)
            grads = layer.rule.clipped_sum(state, c * scale_in, layer.trainable)
            for n, gr in self._finish(layer, grads, params, scale_out).items():
                p = getattr(layer.module, n)
                p.grad = gr if p.grad is None else p.grad + gr
        self._pending.clear()

    def clipped_sample_norms(self) -> torch.Tensor:
        """Norm of each sample's clipped contribution in the last backward (all layers)."""
        return torch.stack([(c * c * sq).detach() for c, sq in self._clipped_sq.values()]).sum(0).sqrt()

    def step_done(self, *, skipped: bool = False) -> None:
        """Close an optimizer step: count it in the account (skipped steps too: they saw data)."""
        self.finalize()
        self.accountant.step(noise_multiplier=self.noise_multiplier, sample_rate=self.sample_rate)
        self.step += 1
        self.skipped_steps += int(skipped)
        self._noised.clear()

    # -------------------------------------------------------------- account
    def get_privacy_spent(self, delta: float | None = None) -> tuple[float, float]:
        """``(epsilon, delta)`` spent so far."""
        delta = self.target_delta if delta is None else delta
        return self.accountant.get_epsilon(delta), delta

    def planned_epsilon(self) -> float:
        """Epsilon the planned ``epochs`` will spend."""
        steps = self.planned_steps
        if steps is None:
            raise InputError("no planned epochs")
        acc = PrivacyAccountant(self.accountant.accounting)
        acc.step(noise_multiplier=self.noise_multiplier, sample_rate=self.sample_rate, n=steps)
        return acc.get_epsilon(self.target_delta)

    def state_dict(self) -> dict[str, Any]:
        """Accountant, step counter and noise seed (the noise RNG is a function of them)."""
        return {
            "accountant": self.accountant.state_dict(),
            "step": self.step,
            "skipped_steps": self.skipped_steps,
            "seed": self.seed,
            "noise_multiplier": self.noise_multiplier,
            "sample_rate": self.sample_rate,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if (
            abs(state["sample_rate"] - self.sample_rate) > 1e-12
            or state["noise_multiplier"] != self.noise_multiplier
        ):
            raise InputError("checkpoint was written with a different sample rate or noise multiplier")
        self.accountant.load_state_dict(state["accountant"])
        self.step = int(state["step"])
        self.skipped_steps = int(state["skipped_steps"])
        self.seed = int(state["seed"])
        self.noise = self._rank_noise()

    # ------------------------------------------------------ Opacus-style API
    def make_private(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        data_loader: Any,
        *,
        poisson_sampling: bool = True,
    ) -> tuple[nn.Module, DPOptimizer, Any]:
        """Single-process private training, in the style of Opacus' ``make_private``.

        Returns the converted module, a :class:`DPOptimizer` whose ``step`` closes the private
        step, and a Poisson-sampling loader over the same dataset (sample rate ``B / n``).
        """
        from dp_zero.sampling import poisson_loader

        self.convert(module)
        self.attach(BackendScaling())
        loader = (
            poisson_loader(data_loader.dataset, self.sample_rate, seed=self.seed)
            if poisson_sampling
            else data_loader
        )
        return module, DPOptimizer(optimizer, self), loader


class DPOptimizer:
    """Wraps a torch optimizer: ``step`` finalises the private gradient and counts the step."""

    def __init__(self, optimizer: torch.optim.Optimizer, engine: DPZeroEngine) -> None:
        self.optimizer = optimizer
        self.engine = engine

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.engine.finalize()
        self.optimizer.step()
        self.engine.step_done()

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict(), "engine": self.engine.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.engine.load_state_dict(state["engine"])
