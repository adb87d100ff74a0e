"""k-space attacks causing localized l-infinity artifacts in TV and DNN MRI reconstruction.

Paper: Alaifari, Alberti, Gauksson. Localized adversarial artifacts for compressed sensing MRI. arXiv:2206.05289, 2022.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
