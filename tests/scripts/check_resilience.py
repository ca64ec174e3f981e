#!/usr/bin/python3
"""Batch-job resilience, checked from outside tessera against NumPy and h5py.

  check_resilience.py resume RANKS MPIEXEC TESSERA WORK    SIGKILL of a 3-rank job at about half
                                                           its blocks, resumed on RANKS ranks: only
                                                           the unrecorded blocks are computed, the
                                                           output equals an uninterrupted run bit
                                                           for bit; a changed script or input is
                                                           refused
  check_resilience.py walltime RANKS MPIEXEC TESSERA WORK  --walltime at half the run: exit 75 in
                                                           time, and the resume finishes
  check_resilience.py stall RANKS MPIEXEC TESSERA WORK     a worker that stops (SIGSTOP): the job
                                                           ends within the heartbeat timeout,
                                                           naming it, and every rank exits
  check_resilience.py retries RANKS MPIEXEC TESSERA WORK   transient I/O errors are retried; a
                                                           lasting one and a task failure end the
                                                           job with one message and no output
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

SHAPE, CHUNK = (6000, 6000), 500
BLOCKS = (SHAPE[0] // CHUNK) * (SHAPE[1] // CHUNK)
HEAD_BLOCKS = SHAPE[1] // CHUNK  # of the small output
# A small output first, then the big one the job is killed in; argv: input, small, big.
SCRIPT = """x = from_hdf5(argv[1], "x", chunks=%d)
to_hdf5(argv[2], {"head": x[:10] + 1})
to_hdf5(argv[3], {"y": (sin(x) * 2 + 1).T})
""" % CHUNK


def fail(message, stderr=""):
    sys.exit(f"{message}\nstderr:\n{stderr}")


def command(mpiexec, tessera, ranks, work, *options, script=SCRIPT, outputs=("head.h5", "out.h5")):
    path = os.path.join(work, "job.tsr")
    with open(path, "w") as f:
        f.write(script)
    args = [os.path.join(work, "in.h5"), *[os.path.join(work, o) for o in outputs]]
    # One thread per rank: the job lasts long enough to be interrupted mid-way.
    return [mpiexec, "-n", str(ranks), "--oversubscribe", tessera, "run", "--progress", "none", "--threads", "1",
            "--local-dir", work, *options, path, *args]


def run(cmd, env=None, timeout=300):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def prepare(work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    x = np.random.default_rng(7).standard_normal(SHAPE)
    with h5py.File(os.path.join(work, "in.h5"), "w") as f:
        f.create_dataset("x", data=x, chunks=(CHUNK, CHUNK))
    return x


def read(path, name="y"):
    with h5py.File(path, "r") as f:
        return f[name][...]


def recorded(ledger):
    """Blocks the ledger records: the lines after its header's 'end', each complete."""
    text = open(ledger).read()
    return text.split("\nend\n", 1)[1].count("\n") if "\nend\n" in text else 0


def writes(stderr):
    m = re.search(r"array\.h5_write: (\d+) calls", stderr)
    return int(m.group(1)) if m else 0


def state(pid):
    """The process's state letter (R, S, T: stopped, Z: exited, not reaped), or X if it is gone."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return "X"
    return stat[stat.rindex(")") + 2]


def running(pid):
    return state(pid) not in "ZX"


def children(pid):
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def kill_at_half(mpiexec, tessera, work):
    """Starts the 3-rank job and SIGKILLs every process of it once half the big output's blocks
    are recorded; returns how many are."""
    ledger = os.path.join(work, "out.h5.partial.ledger")
    proc = subprocess.Popen(command(mpiexec, tessera, 3, work), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 120
    while not (os.path.exists(ledger) and recorded(ledger) >= BLOCKS // 2):
        if proc.poll() is not None:
            fail(f"the job ended (exit {proc.returncode}) before half its blocks were written", proc.stderr.read())
        if time.time() > deadline:
            proc.kill()
            fail("half the blocks were not written within 120 s")
        time.sleep(0.01)
    for pid in children(proc.pid):  # the ranks, as a lost node or the walltime's SIGKILL would
        os.kill(pid, signal.SIGKILL)
    proc.kill()
    proc.communicate()
    done = recorded(ledger)
    if not os.path.exists(os.path.join(work, "out.h5.partial")) or os.path.exists(os.path.join(work, "out.h5")):
        fail(f"after SIGKILL the directory holds {sorted(os.listdir(work))}")
    return done


def resume(ranks, mpiexec, tessera, work):
    x = prepare(work)
    expected = (np.sin(x) * 2 + 1).T
    reference = run(command(mpiexec, tessera, 3, work, outputs=("head.h5", "reference.h5")))
    if reference.returncode != 0:
        fail("the uninterrupted run failed", reference.stderr)
    whole = read(os.path.join(work, "reference.h5"))
    if not np.allclose(whole, expected, rtol=1e-13, atol=1e-13):
        fail("the uninterrupted run differs from NumPy")
    os.remove(os.path.join(work, "head.h5"))

    done = kill_at_half(mpiexec, tessera, work)
    resumed = run(command(mpiexec, tessera, ranks, work, "--resume", "--summary"))
    if resumed.returncode != 0:
        fail(f"the resumed run on {ranks} ranks failed", resumed.stderr)
    if "head.h5 is whole from the interrupted run" not in resumed.stderr:
        fail("the resumed run did not skip the output the interrupted one finished", resumed.stderr)
    if f"resuming {os.path.join(work, 'out.h5')}: {done} of {BLOCKS} blocks" not in resumed.stderr:
        fail(f"the resumed run did not report {done} of {BLOCKS} blocks written", resumed.stderr)
    if writes(resumed.stderr) != BLOCKS - done:
        fail(f"the resumed run wrote {writes(resumed.stderr)} blocks, {BLOCKS - done} were missing", resumed.stderr)
    if not np.array_equal(read(os.path.join(work, "out.h5")), whole):
        fail("the resumed output is not bit for bit the uninterrupted one")
    left = sorted(set(os.listdir(work)) - {"in.h5", "job.tsr", "reference.h5", "head.h5", "out.h5"})
    if left:
        fail(f"the resumed run left {left}")
    print(f"killed with {done} of {BLOCKS} blocks recorded; the resume on {ranks} ranks wrote {BLOCKS - done}, "
          "and its output equals the uninterrupted run's")

    # A changed script, then a changed input, are refused with what changed; without --resume the
    # job starts afresh.
    os.remove(os.path.join(work, "out.h5"))
    kill_at_half(mpiexec, tessera, work)
    changed = run(command(mpiexec, tessera, ranks, work, "--resume", script=SCRIPT.replace("* 2", "* 3")))
    if changed.returncode != 1 or "dataset /y is computed differently" not in changed.stderr:
        fail(f"a changed script was not refused (exit {changed.returncode})", changed.stderr)
    if not os.path.exists(os.path.join(work, "out.h5.partial")):
        fail("the refused resume removed the partial output")
    os.utime(os.path.join(work, "in.h5"))
    touched = run(command(mpiexec, tessera, ranks, work, "--resume"))
    if touched.returncode != 1 or "changed since" not in touched.stderr:
        fail(f"a changed input was not refused (exit {touched.returncode})", touched.stderr)
    afresh = run(command(mpiexec, tessera, ranks, work, "--summary"))
    if afresh.returncode != 0 or writes(afresh.stderr) != HEAD_BLOCKS + BLOCKS:
        fail("the run without --resume did not start afresh", afresh.stderr)
    if not np.array_equal(read(os.path.join(work, "out.h5")), whole):
        fail("the fresh output differs")
    print("a changed script and a changed input were refused:",
          [line for line in changed.stderr.splitlines() if "cannot resume" in line][0])
    shutil.rmtree(work, ignore_errors=True)


def walltime(ranks, mpiexec, tessera, work):
    prepare(work)
    # A heavier expression: the half left after the walltime is seconds, not a scheduling hiccup.
    script = SCRIPT.replace("sin(x) * 2 + 1", "sin(x) * cos(x) + exp(-x * x) * 2 + 1")
    # The walltime counts from the scheduler's start, as the summary's time does; the faster of
    # two runs, so that a slow one on a busy machine does not leave the interrupted run time to end.
    seconds = None
    for _ in range(2):
        reference = run(command(mpiexec, tessera, ranks, work, "--summary", script=script,
                                outputs=("head.h5", "reference.h5")))
        m = re.search(r"tasks in ([0-9.e+-]+) s", reference.stderr)
        if reference.returncode != 0 or not m:
            fail("the uninterrupted run failed", reference.stderr)
        seconds = float(m.group(1)) if seconds is None else min(seconds, float(m.group(1)))
    os.remove(os.path.join(work, "head.h5"))
    limit = seconds / 2
    started = time.time()
    stopped = run(command(mpiexec, tessera, ranks, work, "--walltime", f"{limit:.2f}", script=script))
    took = time.time() - started
    if stopped.returncode != 75:
        fail(f"--walltime {limit:.2f} (the run takes {seconds:.1f} s): exit {stopped.returncode}, not 75",
             stopped.stderr)
    if took > limit + 30:
        fail(f"--walltime {limit:.2f}: the job ended after {took:.1f} s")
    if "stopped before the walltime" not in stopped.stderr or "rerun with --resume" not in stopped.stderr:
        fail("the message does not say why the job stopped and how to resume", stopped.stderr)
    resumed = run(command(mpiexec, tessera, ranks, work, "--resume", script=script))
    if resumed.returncode != 0 or not np.array_equal(read(os.path.join(work, "out.h5")),
                                                     read(os.path.join(work, "reference.h5"))):
        fail("the resume after the walltime did not finish the output", resumed.stderr)
    print(f"the run takes {seconds:.1f} s; with --walltime {limit:.2f} it exited 75 after {took:.1f} s "
          "(from mpirun's start); the resume finished it")
    shutil.rmtree(work, ignore_errors=True)


def stall(ranks, mpiexec, tessera, work):
    prepare(work)
    env = dict(os.environ, TESSERA_INJECT=f"stall:{ranks - 1}:20")
    timeout = 5
    proc = subprocess.Popen(command(mpiexec, tessera, ranks, work, "--heartbeat-timeout", str(timeout)), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The timeout counts from the moment the worker stops (state T), not from the job's start.
    pids, stopped_at = [], None
    deadline = time.time() + 120
    while stopped_at is None and proc.poll() is None and time.time() < deadline:
        pids = children(proc.pid)
        if any(state(p) == "T" for p in pids):
            stopped_at = time.time()
        time.sleep(0.01)
    if stopped_at is None:
        proc.kill()
        fail("no worker stopped", proc.communicate()[1])
    try:
        _, err = proc.communicate(timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        for pid in children(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.kill()
        fail("the job with a stopped worker did not end")
    took = time.time() - stopped_at
    if proc.returncode == 0 or took > timeout + 10:
        fail(f"the job with a stopped worker exited {proc.returncode} {took:.1f} s after it stopped", err)
    if f"rank {ranks - 1} has not answered for" not in err:
        fail(f"the message does not name rank {ranks - 1}", err)
    time.sleep(0.5)
    alive = [p for p in pids if running(p)]
    if alive:
        for p in alive:
            os.kill(p, signal.SIGKILL)
        fail(f"ranks {alive} were still running after the job ended")
    line = [l for l in err.splitlines() if "has not answered" in l][0]
    print(f"a stopped worker ended the job {took:.1f} s after it stopped: {line}")
    shutil.rmtree(work, ignore_errors=True)


def retries(ranks, mpiexec, tessera, work):
    x = prepare(work)
    expected = (np.sin(x) * 2 + 1).T
    flaky = run(command(mpiexec, tessera, ranks, work), env=dict(os.environ, TESSERA_INJECT="ioerror:array.h5_read:5:2"))
    if flaky.returncode != 0 or not np.allclose(read(os.path.join(work, "out.h5")), expected, rtol=1e-13,
                                                atol=1e-13):
        fail("two I/O errors of one read were not got past by the retries", flaky.stderr)
    for name in ["head.h5", "out.h5"]:
        os.remove(os.path.join(work, name))
    lasting = run(command(mpiexec, tessera, ranks, work, "--io-retries", "2"),
                  env=dict(os.environ, TESSERA_INJECT="ioerror:array.h5_read:5:9"))
    if lasting.returncode != 1 or "failed 3 times" not in lasting.stderr:
        fail(f"a lasting I/O error: exit {lasting.returncode}", lasting.stderr)
    failing = run(command(mpiexec, tessera, ranks, work), env=dict(os.environ, TESSERA_INJECT="fail:array.h5_write:3"))
    if failing.returncode != 1 or "injected failure of array.h5_write" not in failing.stderr:
        fail(f"a failing task: exit {failing.returncode}", failing.stderr)
    left = sorted(set(os.listdir(work)) - {"in.h5", "job.tsr", "head.h5"})
    if left:
        fail(f"the failed runs left {left}")
    print("retried: two I/O errors of one read; failed:", lasting.stderr.strip().splitlines()[0])
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    check, ranks, mpiexec, tessera, work = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
    {"resume": resume, "walltime": walltime, "stall": stall, "retries": retries}[check](ranks, mpiexec, tessera, work)
