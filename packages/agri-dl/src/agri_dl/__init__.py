"""Deep learning vs classical image analysis in agriculture, with the survey's catalogue.

Paper: Kamilaris, Prenafeta-Boldu. Deep learning in agriculture: A survey. Computers and Electronics in
Agriculture 147:70-90 (2018) (arXiv:1807.11809).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
