"""Benchmarks, all reported as ratios against a baseline measured in the same run.

1. TV reconstruction time per iteration at 128^2 and 256^2: our FFT-diagonal ADMM (complex64,
   one thread) against sigpy's ``TotalVariationRecon`` (primal-dual hybrid gradient, numpy).
2. Time to reach a relative objective gap of 1e-4 at 128^2: ours (ADMM, PDHG) vs sigpy, each on
   its own objective (sigpy's TV takes the complex modulus of each difference, ours the real and
   imaginary parts separately: the two problems differ slightly, so each solver is measured
   against its own long-run optimum).
3. One 128^2 attack (Adam steps x unrolled iterations) wall time vs one clean 500-iteration solve.
4. Autograd memory of a long unrolled attack step with and without checkpointing (peak RSS of a
   fresh subprocess each).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from core_utils import progress
from mri_linf.attack import TVDecoder, disk_weight, localized_attack
from mri_linf.operators import SubsampledFourier, radial_mask
from mri_linf.phantoms import shepp_logan
from mri_linf.tv import TVADMM, TVPrimalDual

LAM, RHO = 2e-3, 5e-2


def _problem(n: int, spokes: int, dtype=torch.complex64):
    x = torch.from_numpy(shepp_logan(n)).to(dtype)
    op = SubsampledFourier(radial_mask(n, spokes))
    return x, op, op.A(x)


def _sigpy_app(x: np.ndarray, mask: np.ndarray, lam: float, max_iter: int):
    import sigpy as sp
    import sigpy.mri as mr

    mask_c = np.fft.fftshift(mask).astype(np.float64)
    y = (sp.fft(x.astype(np.complex128), axes=(-2, -1)) * mask_c)[None]
    mps = np.ones((1, *x.shape), dtype=np.complex128)
    return mr.app.TotalVariationRecon(y, mps, lam, weights=mask_c, max_iter=max_iter, show_pbar=False)


def _sigpy_objective(app, lam: float) -> float:
    import sigpy as sp

    a = app.A
    x = app.x
    g = sp.linop.FiniteDifference(a.ishape)
    r = a(x) - app.y
    return float(0.5 * np.vdot(r, r).real + lam * np.abs(g(x)).sum())


def time_per_iteration(
    n: int, *, iters: int = 50, spokes: int | None = None, peer: bool = True
) -> dict[str, float]:
    """ms per iteration of our ADMM and PDHG (complex64) and of sigpy's PDHG (complex128)."""
    spokes = spokes or max(8, round(30 * n / 128))
    x, op, y = _problem(n, spokes)
    out = {}
    for name, solver in (
        ("ours_admm", TVADMM(LAM, RHO, n_iter=iters)),
        ("ours_pdhg", TVPrimalDual(LAM, n_iter=iters)),
    ):
        solver.solve(y, op, n_iter=5)  # warm-up (FFT plans)
        t0 = time.perf_counter()
        with torch.no_grad():
            solver.solve(y, op)
        out[f"{name}_ms"] = 1e3 * (time.perf_counter() - t0) / iters
    if not peer:
        return out
    try:
        app = _sigpy_app(x.real.numpy(), op.mask.numpy(), LAM, iters)
    except ImportError:
        out["sigpy_ms"] = float("nan")
        return out
    app.alg.update()  # warm-up
    t0 = time.perf_counter()
    for _ in range(iters):
        app.alg.update()
    out["sigpy_ms"] = 1e3 * (time.perf_counter() - t0) / iters
    out["speedup_admm_vs_sigpy"] = out["sigpy_ms"] / out["ours_admm_ms"]
    return out


def _iters_to_gap(step_fn, objective_fn, f_star: float, gap: float, max_iter: int) -> tuple[int, float]:
    t_total = 0.0
    for k in range(1, max_iter + 1):
        t0 = time.perf_counter()
        step_fn()
        t_total += time.perf_counter() - t0
        if k % 5 == 0 and (objective_fn() - f_star) / abs(f_star) <= gap:
            return k, t_total
    return max_iter, float("inf")


def iterations_to_gap(
    n: int = 128, *, gap: float = 1e-4, max_iter: int = 3000, ref_iter: int = 4000, peer: bool = True
) -> dict:
    """Iterations and seconds to a relative objective gap, each solver vs its own optimum."""
    x, op, y = _problem(n, round(30 * n / 128), torch.complex128)
    out: dict[str, float] = {"gap": gap}
    with torch.no_grad():
        for name, solver in (("ours_admm", TVADMM(LAM, RHO)), ("ours_pdhg", TVPrimalDual(LAM))):
            x_ref, _ = solver.solve(y, op, n_iter=ref_iter)
            f_star = float(solver.objective(x_ref, y, op))
            consts = solver._consts(y, op)
            st = solver._init(y, op)
            state = [st.x, st.z, st.u]

            def step(solver=solver, consts=consts, state=state):
                state[:] = solver._step(consts, *state)

            def obj(solver=solver, state=state):
                return float(solver.objective(state[0], y, op))

            k, t = _iters_to_gap(step, obj, f_star, gap, max_iter)
            out[f"{name}_iters"], out[f"{name}_s"] = k, t
    if not peer:
        return out
    try:
        app = _sigpy_app(x.real.numpy(), op.mask.numpy(), LAM, ref_iter)
    except ImportError:
        return out
    for _ in range(ref_iter):
        app.alg.update()
    f_star = _sigpy_objective(app, LAM)
    app = _sigpy_app(x.real.numpy(), op.mask.numpy(), LAM, max_iter)
    k, t = _iters_to_gap(app.alg.update, lambda: _sigpy_objective(app, LAM), f_star, gap, max_iter)
    out["sigpy_iters"], out["sigpy_s"] = k, t
    out["time_ratio_sigpy_over_admm"] = t / out["ours_admm_s"] if out["ours_admm_s"] > 0 else float("nan")
    return out


def attack_time(n: int = 128, *, steps: int = 100, unroll: int = 100) -> dict[str, float]:
    """Wall time of one attack and its ratio to one clean 500-iteration TV solve."""
    x, op, y = _problem(n, round(30 * n / 128))
    solver = TVADMM(LAM, RHO, n_iter=500)
    t0 = time.perf_counter()
    dec = TVDecoder.warm_started(solver, op, y, clean_iter=500, n_iter=unroll)
    t_clean = time.perf_counter() - t0
    phi = disk_weight(op.shape, (n // 2, round(0.344 * n)), 3.0, dtype=torch.float32)
    t0 = time.perf_counter()
    res = localized_attack(dec, y, phi, 0.01, steps=steps)
    t_attack = time.perf_counter() - t0
    return {
        "steps": steps,
        "unroll": unroll,
        "attack_s": t_attack,
        "clean_solve_s": t_clean,
        "attack_over_clean_solve": t_attack / t_clean,
        "linf_in": res.metrics["linf_in"],
    }


_MEM_SNIPPET = """
import json, resource, sys, torch
torch.set_num_threads(1)
from mri_linf.benchmark import _problem
from mri_linf.tv import TVADMM
n, k, seg = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
x, op, y = _problem(n, round(30 * n / 128), torch.complex128)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {}
# checkpointed first: peak RSS only grows, so the plain run's peak is measured after it
for name, every in (("checkpointed", seg), ("plain", None)):
    e = torch.zeros_like(y, requires_grad=True)
    xr, _ = TVADMM(2e-3, 5e-2, checkpoint_every=every).solve(y + e, op, n_iter=k)
    xr.abs().sum().backward()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out[name] = {"delta_mb": (peak - base) / 1024, "grad": e.grad}
    del xr, e
diff = float((out["plain"]["grad"] - out["checkpointed"]["grad"]).norm() / out["plain"]["grad"].norm())
print(json.dumps({"plain_mb": out["plain"]["delta_mb"], "checkpointed_mb": out["checkpointed"]["delta_mb"],
                  "grad_rel_diff": diff}))
"""


def unroll_memory(n: int = 128, k: int = 300, segment: int = 20) -> dict[str, float]:
    """Peak-RSS growth of one backward pass through ``k`` unrolled iterations (complex128),
    checkpointed (segments of ``segment`` iterations) and plain, in one fresh subprocess."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEM_SNIPPET, str(n), str(k), str(segment)],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "unrolled_iters": k,
        **res,
        "memory_ratio_plain_over_checkpointed": res["plain_mb"] / max(res["checkpointed_mb"], 1e-3),
    }


def run_benchmarks(
    out: Path, *, quick: bool = False, peer: bool = True, quiet: bool = True
) -> tuple[dict, str]:
    """All benchmarks; ``quick`` shrinks every problem (for tests), ``peer=False`` skips sigpy."""
    sizes = (32, 64) if quick else (128, 256)
    metrics: dict[str, object] = {}
    tasks = ["iter", "gap", "attack", "memory"]
    for task in progress(tasks, desc="bench", quiet=quiet):
        if task == "iter":
            for n in sizes:
                metrics[f"tv_{n}"] = time_per_iteration(n, iters=10 if quick else 100, peer=peer)
        elif task == "gap":
            metrics["gap"] = iterations_to_gap(
                32 if quick else 128,
                max_iter=100 if quick else 3000,
                ref_iter=200 if quick else 4000,
                peer=peer,
            )
        elif task == "attack":
            metrics["attack"] = attack_time(
                32 if quick else 128, steps=3 if quick else 100, unroll=5 if quick else 100
            )
        else:
            metrics["memory"] = unroll_memory(32 if quick else 128, 40 if quick else 300, 10 if quick else 20)
    big = metrics[f"tv_{sizes[-1]}"]
    peer_txt = (
        f" ({big['speedup_admm_vs_sigpy']:.1f}x sigpy's speed)" if "speedup_admm_vs_sigpy" in big else ""
    )
    head = (
        f"TV ADMM {big['ours_admm_ms']:.2f} ms/iter at {sizes[-1]}^2{peer_txt}; "
        f"attack {metrics['attack']['attack_s']:.0f} s; unrolled-backward memory plain/checkpointed "
        f"{metrics['memory']['memory_ratio_plain_over_checkpointed']:.1f}x"
    )
    return metrics, head
