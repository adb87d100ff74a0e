"""The four-component blueprint for multimodal graph learning, on PyTorch Geometric.

Paper: Ektefaie, Dasoulas, Noori, Farhat, Zitnik. Multimodal learning with graphs. Nature Machine Intelligence 5, 2023 (arXiv:2209.03299).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
