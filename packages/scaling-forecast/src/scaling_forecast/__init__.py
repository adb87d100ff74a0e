"""Forecasting benchmark scores from training compute, with backtests.

Paper: Owen. How predictable is language model benchmark performance? arXiv:2401.04757, 2024.

Quick start::

    from scaling_forecast import load_bbh, backtest, forecast
    table = load_bbh("cot")                      # 73 open models x 27 BBH subtasks
    res = backtest(table.aggregate(), horizons=(1.0,))
    print(res.mae("sigmoid", 1.0))               # ~6.5 pp (paper: ~6 pp)
    print(forecast(table, 1e25).center)          # aggregate BBH-CoT accuracy at 1e25 FLOP
"""

__version__ = "0.1.0"

from scaling_forecast.backtest import METHODS, BacktestResult, backtest, register_method
from scaling_forecast.compute import HOFFMANN_2022, TOKENS_PER_PARAM_20, ChinchillaLaw, train_flop
from scaling_forecast.curves import ClippedLinearCurve, LinearCurve, SigmoidCurve, bootstrap_band
from scaling_forecast.data import BenchmarkTable, load_bbh, load_table
from scaling_forecast.forecast import family_residuals, fit_task, forecast
from scaling_forecast.synth import make_synthetic

__all__ = [
    "HOFFMANN_2022",
    "METHODS",
    "TOKENS_PER_PARAM_20",
    "BacktestResult",
    "BenchmarkTable",
    "ChinchillaLaw",
    "ClippedLinearCurve",
    "LinearCurve",
    "SigmoidCurve",
    "__version__",
    "backtest",
    "bootstrap_band",
    "family_residuals",
    "fit_task",
    "forecast",
    "load_bbh",
    "load_table",
    "make_synthetic",
    "register_method",
    "train_flop",
]
