"""Candidate operations, the quantized convolution of the final model and the mixed one of the supernet.

Every operation is built from *conv units*; a unit is "activation quantizer (it is also the ReLU)
then convolution with quantized weights", as in the official code's ``QAConv2d``. The same op
builder makes the discrete op (units are :class:`QConv2d` at one bit-width) and the supernet op
(units are :class:`MixedConv2d`, one weight shared by all bit-widths).

Register a new operation with :func:`register_op`; names must be unique.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from core_utils import InputError
from quantnas.quantizers import HWGQQuantizer, LSQQuantizer, add_mixed_noise, check_bits, noise_basis

MODES = ("noise", "shared", "fp")

#: ``factory(cin, cout, kernel_size=(kh, kw), groups=g) -> nn.Module`` builds one conv unit.
ConvFactory = Callable[..., nn.Module]
OpBuilder = Callable[[int, int, ConvFactory], nn.Module]

_OPS: dict[str, OpBuilder] = {}


def register_op(name: str) -> Callable[[OpBuilder], OpBuilder]:
    """Decorator registering ``builder(cin, cout, conv) -> nn.Module`` under ``name``.

    Raises
    ------
    ValueError
        If ``name`` is already registered.
    """

    def deco(builder: OpBuilder) -> OpBuilder:
        if name in _OPS:
            raise ValueError(f"operation {name!r} is already registered")
        _OPS[name] = builder
        return builder

    return deco


def available_ops() -> list[str]:
    """Names of all registered operations."""
    return sorted(_OPS)


def build_op(name: str, cin: int, cout: int, conv: ConvFactory) -> nn.Module:
    """Build operation ``name`` from ``cin`` to ``cout`` channels with conv units from ``conv``."""
    if name not in _OPS:
        raise InputError(f"unknown operation {name!r}; known: {', '.join(available_ops())}")
    return _OPS[name](cin, cout, conv)


def _check_groups(cin: int, cout: int, groups: int) -> None:
    if cin % groups or cout % groups:
        raise InputError(f"grouped conv needs channels divisible by groups={groups}, got {cin}->{cout}")


def _conv_op(k: int, groups: int = 1) -> OpBuilder:
    def builder(cin: int, cout: int, conv: ConvFactory) -> nn.Module:
        _check_groups(cin, cout, groups)
        return conv(cin, cout, kernel_size=(k, k), groups=groups)

    return builder


def _factorized_op(k: int) -> OpBuilder:
    """``k x 1`` then ``1 x k`` (the basic space's body ops)."""

    def builder(cin: int, cout: int, conv: ConvFactory) -> nn.Module:
        return nn.Sequential(conv(cin, cout, kernel_size=(k, 1)), conv(cout, cout, kernel_size=(1, k)))

    return builder


def _growth_op(k: int) -> OpBuilder:
    """Two convs with a x2 channel growth in between (the RFDN-like space's "growth" ops)."""

    def builder(cin: int, cout: int, conv: ConvFactory) -> nn.Module:
        return nn.Sequential(
            conv(cin, 2 * cout, kernel_size=(k, k)), conv(2 * cout, cout, kernel_size=(1, 1))
        )

    return builder


for _k in (1, 3, 5):
    register_op(f"conv{_k}")(_conv_op(_k))
    register_op(f"conv{_k}_g2")(_conv_op(_k, 2))
    register_op(f"conv{_k}_g3")(_conv_op(_k, 3))
    register_op(f"growth{_k}")(_growth_op(_k))
for _k in (3, 5):
    register_op(f"fac{_k}")(_factorized_op(_k))


class _ConvUnit(nn.Module):
    """Shared parameters and geometry of a conv unit (what the BitOps counter reads)."""

    def __init__(self, cin: int, cout: int, kernel_size: tuple[int, int], groups: int) -> None:
        super().__init__()
        kh, kw = kernel_size
        self.in_channels, self.out_channels, self.groups = cin, cout, groups
        self.kernel_size = (kh, kw)
        self.padding = (kh // 2, kw // 2)
        conv = nn.Conv2d(cin, cout, (kh, kw), padding=self.padding, groups=groups)
        self.weight = conv.weight
        self.bias = conv.bias

    def macs(self, out_hw: tuple[int, int]) -> int:
        """``Cin Cout kh kw / groups * Hout Wout`` (bias not counted), the paper's convention."""
        kh, kw = self.kernel_size
        return self.in_channels * self.out_channels * kh * kw // self.groups * out_hw[0] * out_hw[1]

    def _conv(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, w, self.bias, padding=self.padding, groups=self.groups)


class QConv2d(_ConvUnit):
    """Conv unit of the final model: HWGQ activations (also the ReLU) and LSQ weights at ``bits``.

    BitOps of this unit: ``MACs * b_w * b_a`` with ``b_w = b_a = bits``.
    """

    def __init__(
        self, cin: int, cout: int, *, kernel_size: tuple[int, int] = (3, 3), groups: int = 1, bits: int = 8
    ) -> None:
        super().__init__(cin, cout, kernel_size, groups)
        self.bits = check_bits(bits)
        self.act = HWGQQuantizer(bits)
        self.wq = LSQQuantizer(cout, bits)

    @property
    def bit_product(self) -> int:
        """``b_w * b_a`` for BitOps."""
        return self.bits * self.bits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv(self.act(x), self.wq(self.weight))


class MixedConv2d(_ConvUnit):
    """Supernet conv unit: one weight shared by all candidate bit-widths.

    Before each forward the owning :class:`MixedBlock` sets ``bit_probs`` (``pi_b``, summing to one
    over ``bits``). The unit then convolves a mixed activation with a mixed weight (one conv):

    * ``mode="noise"`` (QuantNAS): ``w_bar = w + sum_b pi_b n_b(w)``, ``x_bar = a + sum_b pi_b n_b(a)``,
      ``a = relu(x)``, ``n_b`` the detached quantization noise of :func:`quant_noise`; the weights get
      the full gradient, the architecture gets it through ``pi``. The ``K`` noise draws come from one
      :func:`~quantnas.quantizers.noise_basis` and are mixed by one ``addmm``; a unit that reads its
      block's input reuses the block's ReLU and noise draw (``shared_input``), as all candidates of
      a real quantized block read the same quantized input.
    * ``mode="shared"`` (direct quantization baseline): ``w_bar = sum_b pi_b LSQ_b(w)``,
      ``x_bar = sum_b pi_b HWGQ_b(x)`` (one LSQ step per bit-width, shared weight).
    * ``mode="fp"``: no quantization (ablation).
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        *,
        kernel_size: tuple[int, int] = (3, 3),
        groups: int = 1,
        bits: tuple[int, ...] = (4, 8),
        mode: str = "noise",
        noise_kind: str = "uniform",
    ) -> None:
        super().__init__(cin, cout, kernel_size, groups)
        if mode not in MODES:
            raise InputError(f"search mode must be one of {list(MODES)}, got {mode!r}")
        self.bits = tuple(check_bits(b) for b in bits)
        self.mode, self.noise_kind = mode, noise_kind
        self.bit_probs: torch.Tensor = torch.full((len(self.bits),), 1.0 / len(self.bits))
        #: ``(x, relu(x), noise_basis)`` of the owning block's input, set by :class:`MixedBlock` for
        #: one forward so that the candidate ops reading that input share one noise draw.
        self.shared_input: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        if mode == "shared":
            self.acts = nn.ModuleList(HWGQQuantizer(b) for b in self.bits)
            self.wqs = nn.ModuleList(LSQQuantizer(cout, b) for b in self.bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pi = self.bit_probs
        w = self.weight
        if self.mode == "fp":
            return self._conv(torch.relu(x), w)
        if self.mode == "noise":
            shared = self.shared_input
            if shared is not None and shared[0] is x:
                a, basis = shared[1], shared[2]
            else:
                a = torch.relu(x)
                basis = noise_basis(a, self.bits, self.noise_kind)
            xa = add_mixed_noise(a, pi, basis)
            wa = add_mixed_noise(w, pi, noise_basis(w, self.bits, self.noise_kind))
            return self._conv(xa, wa)
        xa = sum(pi[k] * q(x) for k, q in enumerate(self.acts))
        wa = sum(pi[k] * q(w) for k, q in enumerate(self.wqs))
        return self._conv(xa, wa)


class MixedBlock(nn.Module):
    """A searchable block: softmax over the joint (operation, bit-width) set (QuantNAS Sec. 3.1).

    ``p = softmax(alpha)`` over ``|ops| * |bits|`` entries; output ``sum_o s_o op_o(x)`` with
    ``s_o = sum_b p_{o,b}`` and the units of ``op_o`` mixing bit-widths with ``p_{o,b} / s_o``
    (the shared-weight mixture of the official code). With a one-hot ``p`` this is exactly the
    single chosen op at the chosen bit-width.

    Attributes
    ----------
    alpha : nn.Parameter, shape (n_ops, n_bits)
        Architecture logits (initialised to zero, i.e. uniform ``p_init``).
    op_macs : Tensor, shape (n_ops,)
        MACs of each candidate op (filled by :func:`quantnas.bitops.annotate_supernet`).
    """

    def __init__(
        self,
        name: str,
        cin: int,
        cout: int,
        ops: list[str],
        bits: tuple[int, ...],
        *,
        mode: str = "noise",
        noise_kind: str = "uniform",
    ) -> None:
        super().__init__()
        if not ops:
            raise InputError(f"block {name!r} has an empty operation list")
        self.name, self.op_names, self.bits = name, list(ops), tuple(bits)
        self.mode, self.noise_kind = mode, noise_kind

        def factory(ci: int, co: int, *, kernel_size: tuple[int, int], groups: int = 1) -> nn.Module:
            return MixedConv2d(
                ci,
                co,
                kernel_size=kernel_size,
                groups=groups,
                bits=self.bits,
                mode=mode,
                noise_kind=noise_kind,
            )

        try:
            self.ops = nn.ModuleList(build_op(o, cin, cout, factory) for o in ops)
        except InputError as exc:
            raise InputError(f"block {name!r}: {exc}") from None
        self._units = [[m for m in op.modules() if isinstance(m, MixedConv2d)] for op in self.ops]
        self.alpha = nn.Parameter(torch.zeros(len(ops), len(self.bits)))
        self.register_buffer("op_macs", torch.zeros(len(ops)))

    def probs(self) -> torch.Tensor:
        """Joint softmax ``p`` of shape ``(n_ops, n_bits)`` (sums to one)."""
        return torch.softmax(self.alpha.flatten(), 0).view_as(self.alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.probs()
        units = [u for us in self._units for u in us]
        if self.mode == "noise":
            # The block input is quantized once per bit-width in a real network, whichever candidate
            # reads it: draw its ReLU and its noise once and share them among the candidates.
            a = torch.relu(x)
            shared = (x, a, noise_basis(a, self.bits, self.noise_kind))
            for unit in units:
                unit.shared_input = shared
        out = 0.0
        try:
            for o, op in enumerate(self.ops):
                s = p[o].sum()
                if float(s.detach()) == 0.0:
                    continue
                for unit in self._units[o]:
                    unit.bit_probs = p[o] / s
                out = out + s * op(x)
        finally:
            for unit in units:
                unit.shared_input = None
        return out

    def choice(self) -> tuple[str, int]:
        """Argmax ``(op, bits)`` of the joint logits (first maximum on ties: deterministic)."""
        idx = int(torch.argmax(self.alpha.detach().flatten()))
        o, b = divmod(idx, len(self.bits))
        return self.op_names[o], self.bits[b]
