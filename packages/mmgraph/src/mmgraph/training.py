"""Training and evaluation of blueprints on a :class:`~mmgraph.datasets.Task` (full batch or mini-batches of graphs)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core_utils import InputError, load_checkpoint, progress, save_checkpoint, seed_everything
from mmgraph.datasets import Task
from mmgraph.validation import check_labels


@dataclass
class FitResult:
    """Loss history and the test metric (accuracy, or R^2 for regression)."""

    losses: list[float] = field(default_factory=list)
    metric: float = float("nan")
    metric_name: str = "accuracy"
    train_metric: float = float("nan")


def _loss(kind: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if kind == "node-regression":
        return nn.functional.mse_loss(out, y)
    return nn.functional.cross_entropy(out, y)


def _metric(kind: str, out: torch.Tensor, y: torch.Tensor) -> float:
    if kind == "node-regression":
        sst = ((y - y.mean(0)) ** 2).sum()
        return float(1 - ((out - y) ** 2).sum() / sst)
    return float((out.argmax(1) == y).float().mean())


def _labels(g: Any, task: Task) -> Any:
    """The store holding ``y``/``train_mask``/``test_mask`` (the data, or a ``HeteroData`` target)."""
    from mmgraph.hetero import is_hetero, label_store

    return label_store(g, task.modalities) if is_hetero(g) else g


def _check_task(task: Task) -> None:
    if task.kind.endswith("classification"):
        if isinstance(task.data, list):
            ys = torch.cat([g.y for i, g in enumerate(task.data) if i in set(task.train_idx)])
        else:
            lab = _labels(task.data, task)
            ys = lab.y[lab.train_mask]
        check_labels(ys, "training labels")
    if isinstance(task.data, list):
        if not task.train_idx or not task.test_idx:
            raise InputError(f"task {task.name!r} has an empty train or test split")
    elif int(_labels(task.data, task).train_mask.sum()) == 0:
        raise InputError(f"task {task.name!r} has no training nodes")


def prepare_task(model: nn.Module, task: Task) -> list[Any]:
    """Apply the model's static topology to every graph of the task (structure phase)."""
    return [model.prepare(g) for g in task.graphs]


def fit(
    model: nn.Module,
    task: Task,
    *,
    epochs: int = 100,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    batch_size: int = 32,
    seed: int = 0,
    device: str = "cpu",
    quiet: bool = True,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 50,
    prepared: list[Any] | None = None,
    num_neighbors: list[int] | None = None,
) -> FitResult:
    """Train ``model`` on ``task`` with Adam and report the test metric.

    Node tasks on one graph train full-batch on ``train_mask``; tasks over many graphs use PyG's
    ``DataLoader`` with ``batch_size`` graphs. With ``checkpoint`` the model and optimiser are
    saved atomically every ``checkpoint_every`` epochs and training resumes from the file.
    With ``num_neighbors`` (one count per hop, ``-1`` = all) a node task on one graph trains in
    mini-batches of ``batch_size`` training nodes with sampled neighbourhoods
    (:func:`mmgraph.sampling.neighbor_loader`); evaluation stays full batch.
    """
    from torch_geometric.loader import DataLoader

    _check_task(task)
    if epochs < 1:
        raise InputError(f"epochs must be >= 1, got {epochs}")
    gens = seed_everything(seed)
    graphs = prepared if prepared is not None else prepare_task(model, task)
    graphs = [g.to(device) for g in graphs]
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    result = FitResult(metric_name="R2" if task.kind == "node-regression" else "accuracy")
    start = 0
    if checkpoint is not None and Path(checkpoint).is_file():
        state = load_checkpoint(checkpoint)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        start, result.losses = int(state["epoch"]), list(state["losses"])
    multi = isinstance(task.data, list)
    loader = None
    sampled = num_neighbors is not None and not multi
    if sampled:
        from mmgraph.hetero import is_hetero
        from mmgraph.sampling import neighbor_loader

        if is_hetero(graphs[0]):
            raise InputError("neighbour sampling works on homogeneous Data, not HeteroData")
        loader = neighbor_loader(
            graphs[0].cpu(),
            list(num_neighbors or []),
            input_nodes=graphs[0].train_mask.cpu(),
            batch_size=batch_size,
            shuffle=True,
            generator=gens.torch,
        )
    if multi:
        train_graphs = [graphs[i] for i in task.train_idx]
        loader = DataLoader(train_graphs, batch_size=batch_size, shuffle=True, generator=gens.torch)
    bar = progress(range(start, epochs), total=epochs - start, desc=f"train {task.name}", quiet=quiet)
    for epoch in bar:
        model.train()
        if sampled:
            total, count = 0.0, 0
            for batch in loader:
                batch = batch.to(device)
                bs = int(batch.batch_size)
                opt.zero_grad()
                loss = _loss(task.kind, model(batch)[:bs], batch.y[:bs])
                loss.backward()
                opt.step()
                total, count = total + loss.item() * bs, count + bs
            result.losses.append(total / count)
        elif multi:
            total, count = 0.0, 0
            for batch in loader:
                opt.zero_grad()
                loss = _loss(task.kind, model(batch), batch.y)
                loss.backward()
                opt.step()
                total, count = total + loss.item() * batch.num_graphs, count + batch.num_graphs
            result.losses.append(total / count)
        else:
            g = graphs[0]
            lab = _labels(g, task)
            opt.zero_grad()
            out = model(g)
            loss = _loss(task.kind, out[lab.train_mask], lab.y[lab.train_mask])
            loss.backward()
            opt.step()
            result.losses.append(loss.item())
        bar.set_postfix(loss=result.losses[-1])
        if checkpoint is not None and (epoch + 1) % checkpoint_every == 0:
            save_checkpoint(
                checkpoint,
                {
                    "model": model.state_dict(),
                    "optim": opt.state_dict(),
                    "epoch": epoch + 1,
                    "losses": result.losses,
                },
            )
    result.metric = evaluate(model, task, prepared=graphs, split="test")
    result.train_metric = evaluate(model, task, prepared=graphs, split="train")
    return result


@torch.no_grad()
def predict(
    model: nn.Module, task: Task, *, prepared: list[Any] | None = None, split: str = "test"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Model outputs and targets on the ``split`` nodes (or graphs)."""
    from torch_geometric.data import Batch

    model.eval()
    graphs = prepared if prepared is not None else prepare_task(model, task)
    if isinstance(task.data, list):
        idx = task.test_idx if split == "test" else task.train_idx
        batch = Batch.from_data_list([graphs[i] for i in idx])
        return model(batch), batch.y
    g = graphs[0]
    lab = _labels(g, task)
    mask = lab.test_mask if split == "test" else lab.train_mask
    return model(g)[mask], lab.y[mask]


def evaluate(
    model: nn.Module, task: Task, *, prepared: list[Any] | None = None, split: str = "test"
) -> float:
    """Accuracy (classification) or R^2 (regression) on the ``split``."""
    out, y = predict(model, task, prepared=prepared, split=split)
    return _metric(task.kind, out, y)
