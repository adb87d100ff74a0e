"""Search spaces, the supernet, genotypes and the discrete network built from a genotype.

Two macro-architectures are provided (QuantNAS Sec. 4.1, official ``sr_models/search_cells.py``):

``basic`` (ESPCN-like, the 2022 code)
    head: 2 blocks (3 -> C, C -> C); body: ``cells`` cells, each ``ADQ(x, a(b(x)) + skip(x))`` and one
    global ADQ residual around all cells; upsample: 1 block (C -> 3 s^2) + PixelShuffle(s);
    tail: 2 blocks (3 -> 3) at high resolution inside an ADQ residual.
``rfdn`` (RFDN-like, the 2023 code)
    input tiled to C channels; ``cells`` distillation cells, each 3 residual body blocks (C -> C),
    a last body block (C -> C/2) and 3 distillation blocks (C -> C/2), concatenated, fused by a fixed
    8-bit 1x1 conv and a fixed 8-bit ESA attention, all inside ADQ; cell outputs concatenated,
    fused by fixed 8-bit 1x1 and 3x3 convs plus a global residual; upsample 1 block + PixelShuffle;
    tail 1 block (3 -> 3) + residual.

When ``image_residual`` is true (default) the output is ``bicubic(x) + g * net(x)`` with a learnable
scalar ``g`` initialised to 0 (our addition, not in the paper: it costs no convolution, starts
training from the bicubic up-sampler and lets tiny CPU budgets beat bicubic; BitOps count
convolutions only).

Declare your own space in TOML (see the README)::

    [space]
    arch = "basic"
    channels = 12
    cells = 1
    bits = [4, 8]
    [space.ops]
    head = ["conv3", "conv5"]
    body = ["conv3", "fac3"]
    skip = ["conv1"]
    upsample = ["conv3"]
    tail = ["conv3_g3", "conv1"]

or build a :class:`SearchSpace` in Python; new operations are added with
:func:`quantnas.ops.register_op`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core_utils import InputError
from core_utils.cli import load_toml
from quantnas.adq import ADQ
from quantnas.ops import MixedBlock, QConv2d, available_ops, build_op
from quantnas.quantizers import check_bits

SCALES = (2, 3, 4)
ARCH_PARTS = {
    "basic": ("head", "body", "skip", "upsample", "tail"),
    "rfdn": ("body", "distill", "upsample", "tail"),
}

BASIC_OPS = {
    "head": ["conv3", "conv5", "conv3_g3", "conv5_g3"],
    "body": ["fac5", "fac3", "conv3", "conv5"],
    "skip": ["conv1", "conv3", "conv5"],
    "upsample": ["conv3_g3", "conv5_g3", "conv3", "conv5"],
    "tail": ["conv1", "conv3", "conv5", "conv3_g3", "conv5_g3"],
}
RFDN_OPS = {
    "body": ["conv1", "conv3", "conv5", "growth1", "growth3", "growth5", "conv1_g2", "conv3_g2", "conv5_g2"],
    "distill": [
        "conv1",
        "conv3",
        "conv5",
        "growth1",
        "growth3",
        "growth5",
        "conv1_g2",
        "conv3_g2",
        "conv5_g2",
    ],
    "upsample": ["conv1", "conv3", "conv5", "growth1", "growth3", "growth5"],
    "tail": ["conv1", "conv3", "conv5", "growth1", "growth3", "growth5"],
}


@dataclass(frozen=True)
class BlockSpec:
    """One searchable position: its name, part (which op list it uses) and channels."""

    name: str
    part: str
    cin: int
    cout: int


@dataclass
class SearchSpace:
    """A search space: macro-architecture, width, depth, candidate bit-widths and ops per part.

    Defaults are the basic space of the official code (36 channels, 3 cells, bits {4, 8}, x4).
    """

    arch: str = "basic"
    channels: int = 36
    cells: int = 3
    bits: tuple[int, ...] = (4, 8)
    scale: int = 4
    ops: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in BASIC_OPS.items()})
    image_residual: bool = True

    def __post_init__(self) -> None:
        if self.arch not in ARCH_PARTS:
            raise InputError(f"space arch must be one of {list(ARCH_PARTS)}, got {self.arch!r}")
        if self.scale not in SCALES:
            raise InputError(f"scale must be one of {list(SCALES)}, got {self.scale!r}")
        self.bits = tuple(check_bits(b, what="space bits") for b in self.bits)
        if not self.bits or len(set(self.bits)) != len(self.bits):
            raise InputError(f"space bits must be a non-empty list without repeats, got {list(self.bits)}")
        if self.channels < 3 or self.channels % 3:
            raise InputError(f"channels must be a positive multiple of 3, got {self.channels}")
        if self.arch == "rfdn" and self.channels % 6:
            raise InputError(f"the rfdn space needs channels divisible by 6 (C/2 split), got {self.channels}")
        if self.cells < 1:
            raise InputError(f"cells must be >= 1, got {self.cells}")
        parts = ARCH_PARTS[self.arch]
        missing = [p for p in parts if p not in self.ops]
        extra = [p for p in self.ops if p not in parts]
        if missing or extra:
            raise InputError(
                f"space ops for arch {self.arch!r} need parts {list(parts)} (missing {missing}, unknown {extra})"
            )
        known = set(available_ops())
        for part, names in self.ops.items():
            if not names:
                raise InputError(f"space part {part!r} has an empty operation list")
            bad = [n for n in names if n not in known]
            if bad:
                raise InputError(f"space part {part!r}: unknown operations {bad}; known: {sorted(known)}")
        self.ops = {k: list(v) for k, v in self.ops.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        d = dataclasses.asdict(self)
        d["bits"] = list(self.bits)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchSpace:
        """Build from a mapping (unknown keys rejected by name)."""
        names = {f.name for f in dataclasses.fields(cls)}
        bad = [k for k in data if k not in names]
        if bad:
            raise InputError(f"unknown search-space keys {bad}; known: {sorted(names)}")
        data = dict(data)
        if "bits" in data:
            data["bits"] = tuple(data["bits"])
        return cls(**data)

    def block_specs(self) -> list[BlockSpec]:
        """All searchable positions in forward order."""
        c, s = self.channels, self.scale
        specs: list[BlockSpec] = []
        if self.arch == "basic":
            specs += [BlockSpec("head.0", "head", 3, c), BlockSpec("head.1", "head", c, c)]
            for i in range(self.cells):
                specs += [
                    BlockSpec(f"cell{i}.a", "body", c, c),
                    BlockSpec(f"cell{i}.b", "body", c, c),
                    BlockSpec(f"cell{i}.skip", "skip", c, c),
                ]
            specs += [BlockSpec("upsample", "upsample", c, 3 * s * s)]
            specs += [BlockSpec("tail.0", "tail", 3, 3), BlockSpec("tail.1", "tail", 3, 3)]
        else:
            for i in range(self.cells):
                specs += [BlockSpec(f"cell{i}.body{j}", "body", c, c) for j in range(3)]
                specs += [BlockSpec(f"cell{i}.body3", "body", c, c // 2)]
                specs += [BlockSpec(f"cell{i}.distill{j}", "distill", c, c // 2) for j in range(3)]
            specs += [BlockSpec("upsample", "upsample", c, 3 * s * s), BlockSpec("tail", "tail", 3, 3)]
        return specs


def preset(name: str, **overrides: Any) -> SearchSpace:
    """The ``basic`` or ``rfdn`` preset, with field overrides (e.g. ``channels=12``)."""
    if name == "basic":
        base: dict[str, Any] = {"arch": "basic", "channels": 36, "cells": 3, "ops": BASIC_OPS}
    elif name == "rfdn":
        base = {"arch": "rfdn", "channels": 48, "cells": 4, "ops": RFDN_OPS}
    else:
        raise InputError(f"unknown search-space preset {name!r}; presets: basic, rfdn (or a TOML file)")
    base["ops"] = {k: list(v) for k, v in base["ops"].items()}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return SearchSpace.from_dict(base)


def load_space(spec: str | os.PathLike[str], **overrides: Any) -> SearchSpace:
    """A preset name (``basic``/``rfdn``) or a TOML file with a ``[space]`` table."""
    if str(spec) in ("basic", "rfdn"):
        return preset(str(spec), **overrides)
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"search space {spec!r} is neither a preset (basic, rfdn) nor an existing TOML file")
    data = load_toml(path)
    data = data.get("space", data)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return SearchSpace.from_dict(data)


class _ESA(nn.Module):
    """Enhanced spatial attention of RFDN (Liu et al. 2020), fixed 8-bit convs, f = C/4."""

    def __init__(self, c: int, bits: int = 8) -> None:
        super().__init__()
        f = max(c // 4, 1)
        self.c1 = QConv2d(c, f, kernel_size=(1, 1), bits=bits)
        self.c2 = QConv2d(f, f, kernel_size=(3, 3), bits=bits)
        self.c3 = QConv2d(f, f, kernel_size=(3, 3), bits=bits)
        self.cf = QConv2d(f, f, kernel_size=(1, 1), bits=bits)
        self.c4 = QConv2d(f, c, kernel_size=(1, 1), bits=bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c1 = self.c1(x)
        c2 = F.max_pool2d(self.c2(c1), kernel_size=3, stride=2, padding=1)
        c3 = F.interpolate(self.c3(c2), size=x.shape[-2:], mode="bilinear", align_corners=False)
        return x * torch.sigmoid(self.c4(c3 + self.cf(c1)))


class _BasicCell(nn.Module):
    def __init__(self, a: nn.Module, b: nn.Module, skip: nn.Module) -> None:
        super().__init__()
        self.a, self.b, self.skip = a, b, skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x)) + self.skip(x)


class _RFDNCellBody(nn.Module):
    def __init__(self, body: list[nn.Module], distill: list[nn.Module], c: int) -> None:
        super().__init__()
        self.body, self.distill = nn.ModuleList(body), nn.ModuleList(distill)
        self.fuse = QConv2d(2 * c, c, kernel_size=(1, 1), bits=8)
        self.esa = _ESA(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = []
        for j in range(3):
            feats.append(self.distill[j](x))
            x = x + self.body[j](x)
        feats.append(self.body[3](x))
        return self.esa(self.fuse(torch.cat(feats, 1)))


class _Sequential(nn.Sequential):
    pass


class SRNet(nn.Module):
    """The network of a search space; ``make_block(spec)`` supplies each searchable block.

    The supernet passes :class:`~quantnas.ops.MixedBlock` factories, the final model discrete ops.
    Input: LR images ``(B, 3, h, w)`` in ``[0, 1]``; output: ``(B, 3, s h, s w)``.
    """

    def __init__(self, space: SearchSpace, make_block: Any, *, adq: bool = True) -> None:
        super().__init__()
        self.space, self.adq = space, adq
        c, s = space.channels, space.scale
        specs = {sp.name: sp for sp in space.block_specs()}
        blk = {name: make_block(sp) for name, sp in specs.items()}
        self.block_names = list(specs)
        if space.arch == "basic":
            self.head = _Sequential(blk["head.0"], blk["head.1"])
            cells = [
                ADQ(c, _BasicCell(blk[f"cell{i}.a"], blk[f"cell{i}.b"], blk[f"cell{i}.skip"]), enabled=adq)
                for i in range(space.cells)
            ]
            self.body = ADQ(c, _Sequential(*cells), enabled=adq)
            self.upsample = _Sequential(blk["upsample"], nn.PixelShuffle(s))
            self.tail = ADQ(3, _Sequential(blk["tail.0"], blk["tail.1"]), enabled=adq)
        else:
            self.cells = nn.ModuleList(
                ADQ(
                    c,
                    _RFDNCellBody(
                        [blk[f"cell{i}.body{j}"] for j in range(4)],
                        [blk[f"cell{i}.distill{j}"] for j in range(3)],
                        c,
                    ),
                    enabled=adq,
                )
                for i in range(space.cells)
            )
            self.fuse1 = QConv2d(space.cells * c, c, kernel_size=(1, 1), bits=8)
            self.fuse3 = QConv2d(c, c, kernel_size=(3, 3), bits=8)
            self.upsample = _Sequential(blk["upsample"], nn.PixelShuffle(s))
            self.tail = ADQ(3, blk["tail"], enabled=adq)
        if space.image_residual:
            # ReZero-style gain: the network starts as the bicubic up-sampler and learns a correction
            self.gain = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.space.scale
        if self.space.arch == "basic":
            y = self.tail(self.upsample(self.body(self.head(x))))
        else:
            h = x.repeat(1, self.space.channels // 3, 1, 1)
            outs = []
            z = h
            for cell in self.cells:
                z = cell(z)
                outs.append(z)
            z = self.fuse3(self.fuse1(torch.cat(outs, 1))) + h
            y = self.tail(self.upsample(z))
        if self.space.image_residual:
            y = self.gain * y + F.interpolate(x, scale_factor=s, mode="bicubic", align_corners=False)
        return y


class SuperNet(SRNet):
    """The differentiable supernet over joint (op, bit-width) choices (QuantNAS Sec. 3.1).

    Parameters
    ----------
    space : SearchSpace
    mode : {"noise", "shared", "fp"}
        Quantization simulation during search (see :class:`~quantnas.ops.MixedConv2d`).
    noise_kind : {"uniform", "gaussian"}
    adq : bool
        ADQ residuals on (True) or plain residuals (ablation).
    """

    def __init__(
        self, space: SearchSpace, *, mode: str = "noise", noise_kind: str = "uniform", adq: bool = True
    ):
        def make(sp: BlockSpec) -> nn.Module:
            return MixedBlock(
                sp.name, sp.cin, sp.cout, space.ops[sp.part], space.bits, mode=mode, noise_kind=noise_kind
            )

        super().__init__(space, make, adq=adq)
        self.mode, self.noise_kind = mode, noise_kind

    def mixed_blocks(self) -> list[MixedBlock]:
        """Searchable blocks in forward order."""
        return [m for m in self.modules() if isinstance(m, MixedBlock)]

    def alphas(self) -> list[nn.Parameter]:
        """Architecture parameters (keep them out of the weight optimizer)."""
        return [b.alpha for b in self.mixed_blocks()]

    def weights(self) -> list[nn.Parameter]:
        """All parameters except the architecture logits."""
        ids = {id(a) for a in self.alphas()}
        return [p for p in self.parameters() if id(p) not in ids]

    def genotype(self) -> Genotype:
        """Argmax genotype (QuantNAS step 3)."""
        return Genotype(self.space, {b.name: b.choice() for b in self.mixed_blocks()}, adq=self.adq)


@dataclass
class Genotype:
    """The discrete choice: for each block name, ``(op, bits)``; plus the space and the ADQ switch."""

    space: SearchSpace
    blocks: dict[str, tuple[str, int]]
    adq: bool = True

    def __post_init__(self) -> None:
        self.blocks = {k: (str(v[0]), int(v[1])) for k, v in self.blocks.items()}
        self.validate(self.space)

    def validate(self, space: SearchSpace) -> None:
        """Raise :class:`InputError` if this genotype does not fit ``space``."""
        specs = {sp.name: sp for sp in space.block_specs()}
        missing = [n for n in specs if n not in self.blocks]
        extra = [n for n in self.blocks if n not in specs]
        if missing or extra:
            raise InputError(
                f"genotype does not match the search space: missing blocks {missing}, unknown blocks {extra}"
            )
        for name, (op, bits) in self.blocks.items():
            part = specs[name].part
            if op not in space.ops[part]:
                raise InputError(
                    f"genotype block {name!r}: op {op!r} is not in the space's {part!r} ops {space.ops[part]}"
                )
            if bits not in space.bits:
                raise InputError(
                    f"genotype block {name!r}: bits {bits} not in the space's bits {list(space.bits)}"
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "space": self.space.to_dict(),
            "adq": self.adq,
            "blocks": {k: [op, b] for k, (op, b) in self.blocks.items()},
        }

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """JSON text; written to ``path`` if given."""
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        if path is not None:
            from core_utils.records import atomic_write_text

            atomic_write_text(path, text)
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any], space: SearchSpace | None = None) -> Genotype:
        try:
            own = SearchSpace.from_dict(data["space"])
            blocks = {k: (v[0], v[1]) for k, v in data["blocks"].items()}
            adq = bool(data.get("adq", True))
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            raise InputError(f"malformed genotype: {exc!r}") from None
        geno = cls(own, blocks, adq=adq)
        if space is not None:
            if space.to_dict() != own.to_dict():
                raise InputError(
                    "genotype does not match the search space: it was searched in a different space"
                )
            geno.validate(space)
        return geno

    @classmethod
    def from_json(cls, path_or_text: str | os.PathLike[str], space: SearchSpace | None = None) -> Genotype:
        """Read a genotype from a JSON file (or JSON text)."""
        text = str(path_or_text)
        if not text.lstrip().startswith("{"):
            p = Path(path_or_text)
            if not p.is_file():
                raise InputError(f"genotype file {p} does not exist")
            text = p.read_text()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"genotype is not valid JSON: {exc}") from None
        return cls.from_dict(data, space)

    def bits_histogram(self) -> dict[int, int]:
        """How many blocks use each bit-width."""
        out: dict[int, int] = {}
        for _, b in self.blocks.values():
            out[b] = out.get(b, 0) + 1
        return out


class DiscreteNet(SRNet):
    """The final quantized network of a genotype (QConv2d units: LSQ weights, HWGQ activations)."""

    def __init__(self, genotype: Genotype) -> None:
        def make(sp: BlockSpec) -> nn.Module:
            op, bits = genotype.blocks[sp.name]

            def factory(ci: int, co: int, *, kernel_size: tuple[int, int], groups: int = 1) -> nn.Module:
                return QConv2d(ci, co, kernel_size=kernel_size, groups=groups, bits=bits)

            return build_op(op, sp.cin, sp.cout, factory)

        super().__init__(genotype.space, make, adq=genotype.adq)
        self.genotype = genotype


def uniform_genotype(space: SearchSpace, bits: int, *, op: str | None = None, adq: bool = True) -> Genotype:
    """A fixed architecture at one bit-width (the "uniform quantization" baseline).

    Every block uses ``op`` if its part offers it, else ``conv3`` if offered, else the part's first op.
    """
    blocks = {}
    for sp in space.block_specs():
        cands = space.ops[sp.part]
        choice = op if op in cands else ("conv3" if "conv3" in cands else cands[0])
        blocks[sp.name] = (choice, bits)
    return Genotype(space, blocks, adq=adq)
