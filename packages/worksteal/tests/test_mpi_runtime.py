"""Real MPI (mpiexec from the environment, 4 ranks oversubscribed on the host): exactly-once
execution under every policy, A2WS against the exact optimum, atomics, errors and the user API.

Each test launches one small MPI job with a wall-clock limit (no hang can block the suite).
"""

import json
import subprocess
import sys
import textwrap

import pytest

from worksteal.mpi.launch import LaunchError, find_mpiexec, launch

POLICIES = ["static", "random", "ctws", "a2ws", "master"]


def _cfg(**kw):
    cfg = {"policies": ["a2ws"], "n_tasks": 60, "speeds": [1, 1, 2, 4], "task_s": 0.005, "radius": 2}
    cfg.update(kw)
    return cfg


def test_mpiexec_is_available_from_the_environment():
    assert find_mpiexec() is not None, "install the test extra (it pulls the mpich wheel)"


def test_every_task_runs_exactly_once_under_all_policies_with_a_rank_slowed_mid_run():
    # rank 0 (the fastest) becomes 4x slower 50 ms into each run
    payload = launch(_cfg(policies=POLICIES, perturbations=[[0, 0.05, 4.0]]), 4, timeout_s=150)
    assert payload["n_ranks"] == 4 and not payload["fell_back"]
    assert [r["policy"] for r in payload["runs"]] == POLICIES
    for run in payload["runs"]:
        executed = sorted(t for rank in run["ranks"] for t, _, _ in rank["trace"])
        assert executed == list(range(60)), run["policy"]
        assert run["summary"]["results_ok"], run["policy"]
    by = {r["policy"]: r["summary"] for r in payload["runs"]}
    assert by["static"]["tasks_per_rank"] == [15, 15, 15, 15]
    assert by["master"]["tasks_per_rank"][0] == 0  # rank 0 only schedules
    assert by["a2ws"]["tasks_stolen"] > 0


def test_a2ws_within_five_percent_of_c_star_on_4_ranks_and_ratio_to_random(capsys):
    # speeds 1,1,2,4 with 10 ms sleep tasks, 200 tasks (C* = 0.73 s); random and a2ws
    # alternate twice so that a change of host load hits both. The oracle is the nominal C*.
    # The schedule is judged by its count makespan max_i n_i tau_i, which depends on the
    # tasks each rank ran, not on how late the host woke the sleeping ranks; the wall-clock
    # makespan also counts scheduling overhead and idling and gets a looser sanity bound
    # (static partitioning is 2.8 x C* here). Sleeps pay back their own lateness
    # (EmulatedWorkload), so the nominal task times hold on a loaded host.
    payload = launch(
        _cfg(policies=["random", "a2ws", "random", "a2ws"], n_tasks=200, task_s=0.01), 4, timeout_s=150
    )
    by: dict[str, list[dict]] = {"random": [], "a2ws": []}
    for run in payload["runs"]:
        by[run["policy"]].append(run["summary"])

    def mean(policy, key):
        return sum(s[key] for s in by[policy]) / len(by[policy])

    a2_count = mean("a2ws", "count_makespan_over_c_star")
    a2_wall = mean("a2ws", "makespan_over_c_star")
    with capsys.disabled():
        print(
            f"\n[real MPI 4 ranks, 200 tasks] a2ws count makespan/C* = {a2_count:.3f}, "
            f"wall makespan/C* = {a2_wall:.3f}; random/a2ws: count "
            f"{mean('random', 'count_makespan') / mean('a2ws', 'count_makespan'):.3f}, wall "
            f"{mean('random', 'makespan') / mean('a2ws', 'makespan'):.3f}"
        )
    assert a2_count <= 1.05
    assert a2_wall <= 1.10
    # No "better than random" assertion here: on 4 ranks the two are equal within noise
    # (README, reproduction table); the simulator test at 256 ranks checks that claim.


@pytest.mark.parametrize("policy", ["a2ws", "master"])
def test_task_exception_is_reported_with_its_index_and_all_ranks_stop(policy):
    with pytest.raises(LaunchError, match=r"task 13 failed on rank \d: RuntimeError: emulated failure"):
        launch(_cfg(policies=[policy], fail_on=13), 4, timeout_s=90)


SCRIPT = """
import json, sys, time
import numpy as np
from mpi4py import MPI
from worksteal.mpi.window import LoadWindow, DONE, QUEUE
from worksteal.queue import owner_take, pack, thief_take
from worksteal.mpi.runtime import run

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
out = {}

# 1. concurrent fetch-and-add on one counter (rank 0 spins in Python meanwhile)
w = LoadWindow(comm, 2)
w.start(pack(0, 600) if rank == 0 else 0)
vals = []
if rank == 0:
    x = 0
    for _ in range(200000):
        x += 1
for _ in range(500):
    vals.append(int(w.fetch_add(0, DONE, np.array([1, 0]))[0]))
comm.Barrier()
allv = comm.gather(vals, root=0)
if rank == 0:
    flat = sorted(v for vs in allv for v in vs)
    out["counter"] = int(w.fetch(0, DONE)[0])
    out["fetched_unique"] = flat == list(range(4 * 500))

# 2. owner takes from the head while three thieves CAS the tail of rank 0's queue; every
# success is followed by a short sleep (a task), so that both sides keep taking even when
# the loaded host deschedules one of them for a while
comm.Barrier()
got = []
if rank == 0:
    while True:
        word = int(w.fetch(0, QUEUE)[0])
        step = owner_take(word)
        if step is None:
            break
        if w.cas(0, QUEUE, word, step[0]) == word:
            got.append(step[1])
            time.sleep(0.0005)
else:
    while True:
        word = int(w.fetch(0, QUEUE)[0])
        step = thief_take(word, 3)
        if step is None:
            break
        if w.cas(0, QUEUE, word, step[0]) == word:
            got.extend(range(*step[1]))
            time.sleep(0.0005)
comm.Barrier()
w.close()
allg = comm.gather(got, root=0)
if rank == 0:
    flat = sorted(t for g in allg for t in g)
    out["queue_exactly_once"] = flat == list(range(600))
    out["owner_got"] = len(allg[0])

# 3. the user API with a task list and a plain function
res = run(len, tasks=["a" * i for i in range(37)], policy="a2ws")
if rank == 0:
    out["results"] = res.results
    out["stats_tasks"] = sum(r.tasks for r in res.stats.ranks)
    json.dump(out, open(sys.argv[1], "w"))
"""


def test_atomics_queue_and_user_api_under_concurrency(tmp_path):
    script = tmp_path / "atomics.py"
    script.write_text(textwrap.dedent(SCRIPT))
    out = tmp_path / "out.json"
    cmd = [find_mpiexec(), "-n", "4", sys.executable, str(script), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(out.read_text())
    assert res["counter"] == 2000 and res["fetched_unique"]
    assert res["queue_exactly_once"] and 0 < res["owner_got"] < 600
    assert res["results"] == list(range(37)) and res["stats_tasks"] == 37


RESUME_SCRIPT = """
import json, os, signal, sys, time
from mpi4py import MPI
from worksteal.mpi.runtime import run

mode, ckdir, out, policy = sys.argv[1:5]

def body(i):
    time.sleep(0.004)
    if mode == "crash" and i == 40:
        os.kill(os.getpid(), signal.SIGKILL)  # a hard crash: no clean-up, no final save
    return {"task": i, "square": i * i, "tag": "x" * (i % 5)}

kw = {} if mode == "plain" else {"checkpoint": ckdir, "resume": mode == "resume", "checkpoint_every_s": 0.0}
res = run(body, 60, policy=policy, **kw)
if MPI.COMM_WORLD.Get_rank() == 0:
    executed = sorted(t for r in res.stats.ranks for t, _, _ in r.trace)
    json.dump({"results": res.results, "restored": res.restored, "executed": executed}, open(out, "w"))
"""


@pytest.mark.parametrize("policy", ["a2ws", "master"])
def test_killed_and_resumed_run_gives_the_results_of_an_uninterrupted_run(policy, tmp_path):
    script = tmp_path / "resume.py"
    script.write_text(textwrap.dedent(RESUME_SCRIPT))
    ck = tmp_path / "ck"
    procs = {}
    for mode in ("plain", "crash", "resume"):
        cmd = [find_mpiexec(), "-n", "4", sys.executable, str(script), mode, str(ck)]
        cmd += [str(tmp_path / f"{mode}.json"), policy]
        procs[mode] = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert procs["plain"].returncode == 0, procs["plain"].stderr[-2000:]
    assert procs["crash"].returncode != 0  # the job really died at task 40
    assert not (tmp_path / "crash.json").exists()
    assert procs["resume"].returncode == 0, procs["resume"].stderr[-2000:]
    plain = json.loads((tmp_path / "plain.json").read_text())
    resumed = json.loads((tmp_path / "resume.json").read_text())
    assert resumed["results"] == plain["results"]
    assert plain["restored"] == 0 and plain["executed"] == list(range(60))
    # the resumed run skipped the saved tasks and ran each missing one exactly once
    assert 0 < resumed["restored"] < 60 and 40 in resumed["executed"]
    assert resumed["restored"] + len(resumed["executed"]) == 60
    assert len(set(resumed["executed"])) == len(resumed["executed"])
