"""End-to-end runs: search -> train -> evaluate, and the paper's baselines, as one call each."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quantnas.bitops import bitops, count_params
from quantnas.evaluation import bicubic_baseline, evaluate_model
from quantnas.export import export_model
from quantnas.search import SearchConfig, search
from quantnas.space import Genotype, uniform_genotype
from quantnas.train import TrainConfig, train

BASELINES = ("bicubic", "uniform4", "uniform8", "mixed", "direct")


@dataclass
class RunSummary:
    """One evaluated model."""

    label: str
    genotype: Genotype | None
    psnr: float
    ssim: float
    bitops: float
    params: int
    export_psnr: float | None = None
    history: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in dataclasses.asdict(self).items() if k not in ("genotype", "history")}
        d["genotype"] = self.genotype.to_dict() if self.genotype is not None else None
        return d


def train_and_evaluate(
    label: str,
    genotype: Genotype,
    tcfg: TrainConfig,
    train_images: list[tuple[str, np.ndarray]],
    eval_images: list[tuple[str, np.ndarray]],
    *,
    seed: int,
    eval_crop: int | None = None,
    out_dir: str | Path | None = None,
    device: str = "cpu",
    quiet: bool = True,
    bitops_hw: int = 32,
    check_export: bool = True,
) -> RunSummary:
    """QAT-train ``genotype`` and evaluate the fake-quant model and (optionally) its integer export."""
    res = train(genotype, tcfg, train_images, seed=seed, out_dir=out_dir, device=device, quiet=quiet)
    scale = genotype.space.scale
    ev = evaluate_model(res.model, eval_images, scale, eval_crop)
    exp_psnr = None
    if check_export:
        exp_psnr = float(evaluate_model(export_model(res.model), eval_images, scale, eval_crop)["psnr"])
    return RunSummary(
        label,
        genotype,
        float(ev["psnr"]),
        float(ev["ssim"]),
        float(bitops(res.model, (bitops_hw, bitops_hw))),
        count_params(res.model),
        exp_psnr,
        {"train": res.history},
    )


def search_train_evaluate(
    label: str,
    scfg: SearchConfig,
    tcfg: TrainConfig,
    train_images: list[tuple[str, np.ndarray]],
    eval_images: list[tuple[str, np.ndarray]],
    *,
    seed: int,
    eval_crop: int | None = None,
    out_dir: str | Path | None = None,
    device: str = "cpu",
    quiet: bool = True,
) -> RunSummary:
    """Search a genotype, train it from scratch with QAT, evaluate it."""
    sdir = Path(out_dir) / "search" if out_dir is not None else None
    tdir = Path(out_dir) / "train" if out_dir is not None else None
    sres = search(scfg, train_images, seed=seed, out_dir=sdir, device=device, quiet=quiet)
    summary = train_and_evaluate(
        label,
        sres.genotype,
        tcfg,
        train_images,
        eval_images,
        seed=seed,
        eval_crop=eval_crop,
        out_dir=tdir,
        device=device,
        quiet=quiet,
        bitops_hw=scfg.bitops_hw,
    )
    summary.history = {"search": sres.history, **(summary.history or {})}
    return summary


def run_baseline(
    kind: str,
    scfg: SearchConfig,
    tcfg: TrainConfig,
    train_images: list[tuple[str, np.ndarray]],
    eval_images: list[tuple[str, np.ndarray]],
    *,
    seed: int,
    eval_crop: int | None = None,
    out_dir: str | Path | None = None,
    device: str = "cpu",
    quiet: bool = True,
) -> RunSummary:
    """One of the paper's baselines.

    ``bicubic``; ``uniform4``/``uniform8`` (fixed architecture, every block ``conv3`` where offered,
    one bit-width, QAT); ``mixed`` (EdMIPS-style: the same fixed architecture, only bit-widths
    searched); ``direct`` (the search with direct shared-weight LSQ/HWGQ quantization in the loop).
    """
    space = scfg.build_space()
    if kind == "bicubic":
        ev = bicubic_baseline(eval_images, space.scale, eval_crop)
        return RunSummary("bicubic", None, float(ev["psnr"]), float(ev["ssim"]), 0.0, 0)
    if kind in ("uniform4", "uniform8"):
        geno = uniform_genotype(space, int(kind[-1]), adq=scfg.adq)
        return train_and_evaluate(
            kind,
            geno,
            tcfg,
            train_images,
            eval_images,
            seed=seed,
            eval_crop=eval_crop,
            out_dir=out_dir,
            device=device,
            quiet=quiet,
            bitops_hw=scfg.bitops_hw,
        )
    if kind == "mixed":
        cfg = dataclasses.replace(scfg, fixed_op="conv3")
    elif kind == "direct":
        cfg = dataclasses.replace(scfg, mode="shared")
    else:
        from core_utils import InputError

        raise InputError(f"baseline must be one of {list(BASELINES)}, got {kind!r}")
    return search_train_evaluate(
        kind,
        cfg,
        tcfg,
        train_images,
        eval_images,
        seed=seed,
        eval_crop=eval_crop,
        out_dir=out_dir,
        device=device,
        quiet=quiet,
    )
