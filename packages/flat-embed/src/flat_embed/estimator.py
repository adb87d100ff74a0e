"""scikit-learn style estimator ``FlatEmbedding(...).fit(...).transform(...)``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from core_utils import InputError, load_checkpoint, save_checkpoint
from flat_embed.encoders import ConvEncoder, MLPDecoder, MLPEncoder, build_encoder
from flat_embed.manifolds import ParametricManifold
from flat_embed.pairs import PairBatch, PairDataset, PairSampler, knn_pairs
from flat_embed.train import TrainConfig, TrainResult, fit_encoder

__all__ = ["FlatEmbedding"]


def _validate(est: Any, X: Any, *, reset: bool) -> np.ndarray:
    """scikit-learn input validation (finite 2-D float array, feature count), as an InputError."""
    try:
        if reset:
            return validate_data(est, X, dtype=np.float64, ensure_min_samples=2)
        return validate_data(est, X, dtype=np.float64, reset=False)
    except InputError:
        raise
    except ValueError as e:
        raise InputError(str(e)) from e


class FlatEmbedding(TransformerMixin, BaseEstimator):
    """Low-bending, low-distortion encoder (Braunsmann, Rajković, Rumpf, Wirth 2021/2024).

    Trains an encoder φ: R^n -> R^l alone (no decoder) on the pair loss
    W(|φ(x) − φ(y)|/d) + λ|φ(av(x,y)) − ½(φ(x)+φ(y))|²/d⁴ (see
    :mod:`flat_embed.losses`), so that φ is nearly isometric and flat on the data
    manifold and linear latent interpolation approximates geodesic interpolation.

    Parameters
    ----------
    n_components : int
        Latent dimension l (>= the intrinsic dimension).
    encoder : {"mlp", "cnn"}
        MLP, or a small CNN for square images (flattened rows).
    hidden : tuple of int
        MLP hidden widths.
    activation : str
        ``elu``, ``softplus``, ``tanh`` or ``silu``.
    lam, w, steps, batch_size, lr, eps_start, eps_end, warm_steps, n_neighbors, dtype :
        See :class:`~flat_embed.train.TrainConfig`.
    init : {"isomap", "spectral", "none"}
        Warm start (``TrainConfig.warm_start``): regress φ onto scikit-learn
        Isomap / SpectralEmbedding coordinates before the pair loss, or start
        from the random initialisation. Named ``init`` as in
        :class:`sklearn.manifold.TSNE`, because scikit-learn reserves
        ``warm_start`` for "continue from the previous fit".
    decoder : bool
        After training φ, also fit a decoder on reconstruction (latent frozen),
        giving :meth:`inverse_transform`.
    decoder_steps : int
        Adam steps of that decoder fit.
    knn_pairs : int
        Number of kNN pairs built when ``fit`` receives raw samples.
    knn_hops : tuple of int
        Graph-hop range (lo, hi) of those kNN pairs, see :func:`~flat_embed.pairs.knn_pairs`.
    random_state : int
    device : str
        ``cpu`` or ``cuda``.

    Attributes
    ----------
    encoder_ : torch.nn.Module
    decoder_ : torch.nn.Module or None
    history_ : list of dict
        Loss, distortion, bending and ε every ``log_every`` steps.
    n_features_in_ : int
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        encoder: str = "mlp",
        hidden: tuple[int, ...] = (64, 64),
        activation: str = "elu",
        lam: float = 1.0,
        w: str = "sq2",
        steps: int = 4000,
        batch_size: int = 256,
        lr: float = 3e-3,
        eps_start: float | None = None,
        eps_end: float | None = None,
        init: str = "isomap",
        warm_steps: int = 1500,
        n_neighbors: int = 10,
        dtype: str = "float32",
        decoder: bool = False,
        decoder_steps: int = 2000,
        knn_pairs: int = 20000,
        knn_hops: tuple[int, int] = (4, 8),
        random_state: int = 0,
        device: str = "cpu",
    ) -> None:
        self.n_components = n_components
        self.encoder = encoder
        self.hidden = hidden
        self.activation = activation
        self.lam = lam
        self.w = w
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.eps_start = eps_start
        self.eps_end = eps_end
        self.init = init
        self.warm_steps = warm_steps
        self.n_neighbors = n_neighbors
        self.dtype = dtype
        self.decoder = decoder
        self.decoder_steps = decoder_steps
        self.knn_pairs = knn_pairs
        self.knn_hops = knn_hops
        self.random_state = random_state
        self.device = device

    def _config(self) -> TrainConfig:
        return TrainConfig(
            steps=self.steps,
            batch_size=self.batch_size,
            lr=self.lr,
            lam=self.lam,
            w=self.w,
            eps_start=self.eps_start,
            eps_end=self.eps_end,
            warm_start=self.init,  # type: ignore[arg-type]
            warm_steps=self.warm_steps,
            n_neighbors=self.n_neighbors,
            dtype=self.dtype,  # type: ignore[arg-type]
        )

    def _source(self, X: Any) -> Any:
        if isinstance(X, ParametricManifold):
            return PairSampler(X)
        if isinstance(X, (PairSampler, PairDataset)):
            return X
        if isinstance(X, PairBatch):
            return PairDataset(X, eps_max=float(X.d.max()))
        X = _validate(self, X, reset=True)
        return knn_pairs(
            X,
            n_neighbors=self.n_neighbors,
            n_pairs=self.knn_pairs,
            hops=tuple(self.knn_hops),
            seed=self.random_state,
            intrinsic_dim=None,
        )

    def fit(self, X: Any, y: Any = None, *, checkpoint: str | Path | None = None, quiet: bool = True):
        """Train the encoder.

        Parameters
        ----------
        X : ParametricManifold, PairSampler, PairDataset, PairBatch or array (n_samples, n_features)
            Exact geometry (manifold or pairs with distances and midpoints), or
            raw samples (approximate kNN pairs, see :func:`~flat_embed.pairs.knn_pairs`).
        y : ignored
        checkpoint : path, optional
            ``.pt`` checkpoint for resumable training.
        """
        if not isinstance(self.n_components, (int, np.integer)) or self.n_components < 1:
            raise InputError(f"n_components must be a positive integer, got {self.n_components!r}")
        if self.encoder not in ("mlp", "cnn"):
            raise InputError(f"encoder must be 'mlp' or 'cnn', got {self.encoder!r}")
        cfg = self._config()
        source = self._source(X)
        n_in = source.ambient_dim
        torch.manual_seed(self.random_state)  # the initial weights are part of the seeded run
        if self.encoder == "mlp":
            enc = MLPEncoder(n_in, self.n_components, self.hidden, self.activation)
        else:
            enc = ConvEncoder(n_in, self.n_components, activation=self.activation)
        self.result_: TrainResult = fit_encoder(
            enc, source, cfg, seed=self.random_state, device=self.device, checkpoint=checkpoint, quiet=quiet
        )
        self.encoder_ = enc
        self.history_ = self.result_.history
        self.n_features_in_ = n_in
        self.decoder_ = None
        if self.decoder:
            pts = source.points(max(2000, self.batch_size), np.random.default_rng(self.random_state))
            self.decoder_ = self._fit_decoder(pts)
        return self

    def _dt(self) -> torch.dtype:
        return torch.float64 if self.dtype == "float64" else torch.float32

    def _fit_decoder(self, pts: np.ndarray) -> torch.nn.Module:
        dec = MLPDecoder(self.n_components, pts.shape[1], self.hidden, self.activation).to(
            self.device, self._dt()
        )
        Z = torch.as_tensor(self.transform(pts), dtype=self._dt(), device=self.device)
        Xt = torch.as_tensor(pts, dtype=self._dt(), device=self.device)
        opt = torch.optim.Adam(dec.parameters(), lr=self.lr)
        g = torch.Generator().manual_seed(self.random_state)
        for _ in range(self.decoder_steps):
            idx = torch.randint(len(pts), (min(self.batch_size, len(pts)),), generator=g)
            loss = ((dec(Z[idx]) - Xt[idx]) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        dec.eval()
        return dec

    def transform(self, X: Any) -> np.ndarray:
        """Latent coordinates φ(X), shape (n_samples, n_components)."""
        check_is_fitted(self, "encoder_")
        X = _validate(self, X, reset=False)
        p = next(self.encoder_.parameters())
        out = []
        with torch.no_grad():
            for s in range(0, len(X), 4096):
                # torch.tensor copies: X may be a read-only array (memmap), which torch refuses to alias
                out.append(self.encoder_(torch.tensor(X[s : s + 4096], dtype=p.dtype, device=p.device)))
        return torch.cat(out).double().cpu().numpy()

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Decode latent points (needs ``decoder=True``)."""
        check_is_fitted(self, "encoder_")
        if self.decoder_ is None:
            raise InputError("inverse_transform needs a decoder: construct FlatEmbedding(decoder=True)")
        Z = check_array(Z, dtype=np.float64)
        p = next(self.decoder_.parameters())
        with torch.no_grad():
            return self.decoder_(torch.as_tensor(Z, dtype=p.dtype, device=p.device)).double().cpu().numpy()

    # -- persistence ------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model (parameters, networks, history) atomically to a ``.pt`` file."""
        check_is_fitted(self, "encoder_")
        state = {
            "params": self.get_params(),
            "encoder_config": self.encoder_.config,
            "encoder": self.encoder_.state_dict(),
            "decoder_config": None if self.decoder_ is None else self.decoder_.config,
            "decoder": None if self.decoder_ is None else self.decoder_.state_dict(),
            "history": self.history_,
            "train_config": asdict(self._config()),
        }
        return save_checkpoint(path, state)

    @classmethod
    def load(cls, path: str | Path) -> FlatEmbedding:
        """Load a model written by :meth:`save`."""
        state = load_checkpoint(path)
        if not isinstance(state, dict) or "encoder_config" not in state:
            raise InputError(f"{path} is not a flat-embed model file")
        params = dict(state["params"])
        if "warm_start" in params:  # model files written before the parameter was renamed to init
            params["init"] = params.pop("warm_start")
        params.setdefault("knn_hops", (4, 8))
        est = cls(**params)
        dt = est._dt()
        est.encoder_ = build_encoder(state["encoder_config"]).to(dtype=dt)
        est.encoder_.load_state_dict(state["encoder"])
        est.encoder_.eval()
        est.decoder_ = None
        if state["decoder_config"] is not None:
            est.decoder_ = build_encoder(state["decoder_config"]).to(dtype=dt)
            est.decoder_.load_state_dict(state["decoder"])
            est.decoder_.eval()
        est.history_ = state["history"]
        est.n_features_in_ = int(state["encoder_config"]["in_dim"])
        return est
