"""Per-layer mechanics: per-sample gradient norms and book-kept clipped sums (spec section 1, steps 1-4).

One module per layer family, as in Opacus' ``grad_sample/``: a reader finds how Conv2d norms are
computed by file name. Every rule is registered for its module types with :func:`register_rule`,
which refuses duplicates.

A rule works on the layer input ``x`` and the per-sample output gradient ``g`` (``B x ...``) kept
from the single backward pass (book-keeping, Bu et al. ICML 2023) and provides

* ``per_sample_sq_norms(state)``: ``||G_i||_F^2`` summed over the layer's trainable parameters,
  by the ghost norm ``<a_i a_i^T, b_i b_i^T>`` or by instantiating ``G_i``, whichever is cheaper;
* ``clipped_sum(state, c)``: ``sum_i c_i G_i`` as one contraction ``(c * b)^T a``;
* ``grad_input``: the ordinary input gradient.
"""

from dp_zero.layers import conv, embedding, linear, normalization  # noqa: F401  (registration)
from dp_zero.layers.base import RULES, LayerRule, find_rule, register_rule

__all__ = ["RULES", "LayerRule", "find_rule", "register_rule"]
