"""Command-line interface of ``worksteal`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from core_utils import (
    InputError,
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    measure,
    resolve_config,
    write_result,
)
from worksteal import __version__

CITATION = "Fernandes, de Assis, Martins, Barros, Xavier-de-Souza. Adaptive Asynchronous Work-Stealing for distributed load-balancing in heterogeneous systems. arXiv:2401.04494, 2024."
PACKAGES = ["worksteal", "mpi4py", "mpich", "matplotlib"]
EXIT_JOB_FAILED = 1
SIZING_HELP = (
    "A2WS steal size: ideal share of the victim-thief pair (pairwise, default) or of all known ranks"
)


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _speeds(text: str | None) -> list[float] | None:
    from worksteal.emulate import parse_speeds

    return None if text is None else parse_speeds(text)


def _policies(text: str | None) -> list[str] | None:
    return None if text is None else [p for p in text.split(",") if p]


def _job_failed(exc: Exception) -> int:
    print(f"worksteal: error: {exc}", file=sys.stderr)
    return EXIT_JOB_FAILED


def _run(args: argparse.Namespace) -> int:
    from worksteal.experiments import MPIConfig, run_mpi
    from worksteal.gantt import plot_gantt
    from worksteal.mpi.launch import LaunchError

    opts = common_options(args)
    flags = {
        "np": args.np,
        "policies": _policies(args.policy),
        "tasks": args.tasks,
        "speeds": _speeds(args.speeds),
        "task_ms": args.task_ms,
        "kind": args.kind,
        "radius": args.radius,
        "sizing": args.sizing,
        "slowdown": args.slowdown,
        "timeout_s": args.timeout,
        "checkpoint": args.checkpoint,
        "resume": True if args.resume else None,
        "checkpoint_every_s": args.checkpoint_every,
        "seed": opts.seed,
    }
    cfg = resolve_config(MPIConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    cfg.validate()
    try:
        with measure() as m:
            stats, summaries, info = run_mpi(cfg)
    except LaunchError as exc:
        return _job_failed(exc)
    out = opts.out
    lines = [
        f"{s['policy']}: makespan {s['makespan']:.3f} s = {s['makespan_over_c_star']:.3f} x C* "
        f"({s['c_star']:.3f} s)"
        + (
            f", {s['makespan_over_c_star_measured']:.3f} x C*(measured)"
            if s.get("makespan_over_c_star_measured")
            else ""
        )
        for s in summaries
    ]
    if not opts.quiet or args.json:
        print(json.dumps(summaries, indent=1) if args.json else "\n".join(lines))
    if out is not None:
        for st in stats:
            plot_gantt(st, out / f"gantt_{st.policy}.png")
        write_result(
            out,
            command=["worksteal", *sys.argv[1:]],
            config=cfg,
            seed=opts.seed,
            metrics={"runs": summaries, **info},
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=lines[-1],
        )
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from worksteal.experiments import SimConfig, run_sim
    from worksteal.gantt import plot_ratios

    opts = common_options(args)
    flags = {
        "ranks": args.ranks,
        "tasks_per_rank": args.tasks_per_rank,
        "policies": _policies(args.policy),
        "speeds": _speeds(args.speeds),
        "radius": args.radius,
        "sizing": args.sizing,
        "latency": args.latency,
        "slowdown": args.slowdown,
    }
    cfg = resolve_config(SimConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    with measure() as m:
        results = run_sim(cfg, seed=opts.seed)
    summaries = [s.summary() | {"sim_wall_s": w} for s, w in results]
    for s in summaries:
        s.pop("tasks_per_rank")
    lines = [
        f"{s['policy']}: makespan {s['makespan']:.2f} = {s['makespan_over_c_star']:.4f} x C*"
        for s in summaries
    ]
    if not opts.quiet:
        print("\n".join(lines))
    if opts.out is not None:
        plot_ratios(
            [s["policy"] for s in summaries],
            [s["makespan_over_c_star"] for s in summaries],
            opts.out / "ratios.png",
            title=f"simulated, {cfg.ranks} ranks",
        )
        write_result(
            opts.out,
            command=["worksteal", *sys.argv[1:]],
            config=cfg,
            seed=opts.seed,
            metrics={"runs": summaries},
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=f"{cfg.ranks} simulated ranks: " + "; ".join(lines),
        )
    return 0


def _oracle(args: argparse.Namespace) -> int:
    from worksteal.emulate import parse_speeds
    from worksteal.oracle import fluid_bound, optimal_makespan, static_makespan
    from worksteal.policy import ideal_distribution

    opts = common_options(args)
    if args.tasks < 1:
        raise InputError(f"--tasks must be a positive integer, got {args.tasks}")
    taus = [args.task_time * f for f in parse_speeds(args.speeds, args.np)]
    metrics = {
        "c_star": optimal_makespan(taus, args.tasks),
        "fluid_bound": fluid_bound(taus, args.tasks),
        "static_makespan": static_makespan(taus, args.tasks),
        "ideal_distribution": ideal_distribution(args.tasks, taus).round(3).tolist(),
    }
    print(json.dumps(metrics) if args.json or opts.quiet is False else "")
    if opts.out is not None:
        write_result(
            opts.out,
            command=["worksteal", *sys.argv[1:]],
            config={"speeds": taus, "tasks": args.tasks},
            metrics=metrics,
            packages=PACKAGES,
            headline=f"C* = {metrics['c_star']:g} (fluid bound {metrics['fluid_bound']:.4g})",
        )
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from worksteal.diagnose import doctor
    from worksteal.mpi.launch import LaunchError

    opts = common_options(args)
    try:
        report = doctor(timeout_s=args.timeout)
    except LaunchError as exc:
        return _job_failed(exc)
    print(json.dumps(report, indent=1))
    if opts.out is not None:
        write_result(
            opts.out,
            command=["worksteal", "doctor"],
            metrics=report,
            packages=PACKAGES,
            headline="RMA progress ok" if report["ok"] else report.get("problem"),
        )
    return 0 if report["ok"] else EXIT_JOB_FAILED


def _bench(args: argparse.Namespace) -> int:
    from worksteal.experiments import benchmark, markdown_table, paired_table
    from worksteal.gantt import plot_ratios
    from worksteal.mpi.launch import LaunchError

    opts = common_options(args)
    try:
        with measure() as m:
            res = benchmark(quick=args.quick, seed=opts.seed, timeout_s=args.timeout, quiet=opts.quiet)
    except LaunchError as exc:
        return _job_failed(exc)
    table = markdown_table(res["rows"])
    if res["paired"]:
        table += "\n\n" + paired_table(res["paired"])
    if not opts.quiet:
        print(table)
    out = opts.out
    if out is not None:
        mpi4 = [r for r in res["rows"] if r["mode"] == "mpi" and r["n_ranks"] == 4]
        if mpi4:
            plot_ratios(
                [r["policy"] for r in mpi4],
                [r["makespan_over_c_star"] for r in mpi4],
                out / "bench_mpi4.png",
                title="real MPI, 4 ranks",
            )
        (out / "bench_table.md").parent.mkdir(parents=True, exist_ok=True)
        (out / "bench_table.md").write_text(table + "\n", encoding="utf-8")
        a2 = [r for r in res["rows"] if r["policy"] == "a2ws"]
        write_result(
            out,
            command=["worksteal", *sys.argv[1:]],
            config={"quick": args.quick},
            seed=opts.seed,
            metrics=res,
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline="A2WS makespan/C*: "
            + ", ".join(f"{r['mode']} P={r['n_ranks']}: {r['makespan_over_c_star']:.3f}" for r in a2),
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from worksteal.experiments import MPIConfig, SimConfig, run_mpi, run_sim
    from worksteal.gantt import plot_gantt, plot_ratios
    from worksteal.mpi.launch import LaunchError, find_mpiexec

    opts = common_options(args)
    out = opts.out
    if out is None:
        raise InputError("demo needs --out DIR")
    parts, metrics = [], {}
    with measure() as m:
        if find_mpiexec() is not None:
            cfg = MPIConfig(
                np=4, policies=["static", "random", "ctws", "a2ws", "master"], tasks=200, timeout_s=120
            )
            try:
                stats, summaries, info = run_mpi(cfg)
            except LaunchError as exc:
                return _job_failed(exc)
            metrics["mpi"] = {"runs": summaries, **info}
            for st in stats:
                plot_gantt(st, out / f"gantt_mpi_{st.policy}.png")
            plot_ratios(
                [s["policy"] for s in summaries],
                [s["makespan_over_c_star"] for s in summaries],
                out / "ratios_mpi.png",
                title="real MPI, 4 ranks, speeds 1,1,2,4",
            )
            r = {s["policy"]: s["makespan_over_c_star"] for s in summaries}
            parts.append(
                f"4 MPI ranks: A2WS {r['a2ws']:.3f} x C* (random {r['random']:.3f}, ctws {r['ctws']:.3f}, master {r['master']:.3f}, static {r['static']:.2f})"
            )
        else:
            print("warning: mpiexec not found; the demo runs the simulator only", file=sys.stderr)
        sim = run_sim(
            SimConfig(ranks=256, policies=["static", "random", "a2ws"]), seed=opts.seed, trace=False
        )
        metrics["sim"] = [s.summary() | {"sim_wall_s": w} for s, w in sim]
        for d in metrics["sim"]:
            d.pop("tasks_per_rank")
        rs = {s.policy: s.ratio for s, _ in sim}
        parts.append(f"256 simulated ranks: A2WS {rs['a2ws']:.4f} x C* (random {rs['random']:.4f})")
        plot_ratios(list(rs), list(rs.values()), out / "ratios_sim256.png", title="simulated, 256 ranks")
    headline = "; ".join(parts)
    if not opts.quiet:
        print(headline)
    write_result(
        out,
        command=["worksteal", *sys.argv[1:]],
        config={"mpi": "np=4 tasks=200 task_ms=10 speeds=1,1,2,4", "sim": "ranks=256 tasks_per_rank=100"},
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=headline,
    )
    return 0


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--np", type=int, default=None, help="number of MPI ranks (default 4)")
    p.add_argument(
        "--policy", default=None, help="a2ws|adaptive|random|ctws|static|master, comma-separated for several"
    )
    p.add_argument("--tasks", type=int, default=None, help="number of identical tasks (default 200)")
    p.add_argument(
        "--speeds", default=None, help="per-rank slowdown factors, repeated cyclically (default 1,1,2,4)"
    )
    p.add_argument("--task-ms", type=float, default=None, help="base task time in ms (default 10)")
    p.add_argument("--kind", choices=["sleep", "compute"], default=None, help="task body (default sleep)")
    p.add_argument("--radius", type=int, default=None, help="A2WS information radius R (default 2)")
    p.add_argument("--sizing", choices=["pairwise", "ideal"], default=None, help=SIZING_HELP)
    p.add_argument(
        "--slowdown",
        action="append",
        default=None,
        metavar="RANK@S*F",
        help="rank RANK becomes F times slower after S seconds (repeatable)",
    )
    p.add_argument(
        "--timeout", type=float, default=None, help="kill the MPI job after this many seconds (default 300)"
    )
    p.add_argument("--json", action="store_true", help="print the summaries as JSON")
    p.add_argument(
        "--checkpoint", default=None, metavar="DIR", help="save completed results atomically into DIR"
    )
    p.add_argument("--resume", action="store_true", help="continue the run saved in --checkpoint DIR")
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=None,
        metavar="S",
        help="minimal seconds between two saves of one rank (default 10)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``worksteal`` argument parser."""
    parser, sub = make_parser(
        "worksteal",
        version=__version__,
        description="Adaptive asynchronous work stealing over MPI (mpi4py) on heterogeneous nodes.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)

    p = sub.add_parser("run", help="run emulated heterogeneous tasks under mpiexec with a policy")
    _add_run_args(p)
    add_common_options(p)
    p.set_defaults(func=_run)

    p = sub.add_parser("simulate", help="discrete-event simulation of the policies at scale")
    p.add_argument(
        "--ranks", "--nodes", dest="ranks", type=int, default=None, help="simulated ranks (default 1024)"
    )
    p.add_argument("--tasks-per-rank", type=int, default=None, help="tasks per rank (default 100)")
    p.add_argument(
        "--policy", default=None, help="comma-separated policies (default static,random,ctws,a2ws)"
    )
    p.add_argument("--speeds", default=None, help="slowdown factors, repeated cyclically (default 1,1,2,4)")
    p.add_argument("--radius", type=int, default=None, help="A2WS radius R (default 2)")
    p.add_argument("--sizing", choices=["pairwise", "ideal"], default=None, help=SIZING_HELP)
    p.add_argument(
        "--latency", type=float, default=None, help="one-way steal latency in task units (default 1e-3)"
    )
    p.add_argument("--slowdown", action="append", default=None, metavar="RANK@T*F", help="mid-run slowdown")
    add_common_options(p)
    p.set_defaults(func=_simulate)

    p = sub.add_parser("oracle", help="exact optimal makespan C*, fluid bound and ideal shares")
    p.add_argument("--speeds", default="1,1,2,4", help="slowdown factors (default 1,1,2,4)")
    p.add_argument("--np", type=int, default=None, help="repeat the factors cyclically to this many ranks")
    p.add_argument("--tasks", type=int, required=True, help="number of identical tasks")
    p.add_argument("--task-time", type=float, default=1.0, help="base task time (default 1)")
    p.add_argument("--json", action="store_true", help="print JSON (the default unless --quiet)")
    add_common_options(p)
    p.set_defaults(func=_oracle)

    p = sub.add_parser("bench", help="makespan / C* of every policy: real MPI (4, 8 ranks) and simulated")
    p.add_argument("--quick", action="store_true", help="4 MPI ranks and 64-256 simulated ranks only")
    p.add_argument("--timeout", type=float, default=300.0, help="limit per MPI job in seconds")
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("doctor", help="check MPI and one-sided progress on a busy rank")
    p.add_argument("--timeout", type=float, default=60.0, help="limit for the probe in seconds")
    add_common_options(p)
    p.set_defaults(func=_doctor)

    p = sub.add_parser("demo", help="4 real MPI ranks with speeds 1,1,2,4 plus 256 simulated ranks")
    add_common_options(p)
    p.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``worksteal`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
