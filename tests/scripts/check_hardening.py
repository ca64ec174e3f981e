#!/usr/bin/python3
"""Bad inputs and interrupted jobs, checked from outside tessera.

  check_hardening.py signals MPIEXEC TESSERA WORK   SIGTERM, SIGINT, SIGUSR1 mid-to_hdf5 (kept
                                                    resumable, or removed when compressed) and
                                                    mid-spill, on 1 and 3 ranks
  check_hardening.py leftovers MPIEXEC TESSERA WORK what a SIGKILL leaves, found and removed by
                                                    the next job and by `tessera clean`
  check_hardening.py hdf5 MPIEXEC TESSERA WORK      broken and unusual HDF5 files (h5py makes
                                                    them): one message, no HDF5 diagnostics
"""
import glob
import h5py
import numpy as np
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

# Long enough to be interrupted (tens of seconds uninterrupted), small enough to start at once.
WRITE = """x = random.random((12000, 12000), chunks=1000, seed=3)
to_hdf5(argv[1], {"y": (sin(x) * cos(x) + exp(-x) * 2 + 1).T})
"""
# Compressed outputs are not resumable: an interrupted one is removed.
WRITE_GZIP = """x = random.random((8000, 8000), chunks=1000, seed=3)
to_hdf5(argv[1], {"y": (sin(x) * 2 + 1).T}, gzip=1)
"""
SPILL = """x = random.random((12000, 12000), chunks=1000, seed=4)
y = (x * 2 + 1).persist()
print(y.sum())
"""


def fail(message, stderr=""):
    sys.exit(f"{message}\nstderr:\n{stderr}")


def wait_for(pattern, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if glob.glob(pattern):
            return
        if proc.poll() is not None:
            fail(f"the job ended (exit {proc.returncode}) before {pattern} appeared", proc.stderr.read())
        time.sleep(0.05)
    proc.kill()
    fail(f"{pattern} did not appear within {seconds} s")


def tessera_pids(root):
    """The tessera processes of the job rooted at `root` (itself, or mpirun's children)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if comm == "tessera" and (ppid == root or int(entry) == root):
            pids.append(int(entry))
    return sorted(pids)


def start(mpiexec, tessera, ranks, work, script, *args, options=()):
    path = os.path.join(work, "job.tsr")
    with open(path, "w") as f:
        f.write(script)
    # One thread per rank: the job lasts long enough for mpirun's 3 s before it passes SIGTERM on.
    command = [tessera, "run", *options, "--threads", "1", "--progress", "none", "--local-dir", work, "--memory-limit", "100MB", path, *args]
    if ranks > 1:
        command = [mpiexec, "-n", str(ranks), "--oversubscribe", *command]
    return subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def fresh(work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)


def interrupt(mpiexec, tessera, work, ranks, sig, script, waits_for, kept=()):
    """Sends `sig` to the job: to the one process, or to mpirun, which passes it to every rank as
    srun, scancel and qdel do (a signal from its launcher makes a worker stay quiet). A job with a
    resumable output drains, keeps `kept` and exits 75; any other exits 128 + the signal's number
    with nothing left behind."""
    fresh(work)
    out = os.path.join(work, "out.h5")
    proc = start(mpiexec, tessera, ranks, work, script, out)
    wait_for(os.path.join(work, waits_for), proc)
    pids = tessera_pids(proc.pid)
    if len(pids) != ranks:
        proc.kill()
        fail(f"expected {ranks} tessera processes, found {pids}")
    os.kill(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail(f"the job did not end within 30 s of {sig.name}")
    name = sig.name
    lines = [line for line in err.splitlines() if "interrupted" in line]
    if len(lines) != 1 or f"tessera: interrupted by {name} at " not in lines[0] or "job.tsr:" not in lines[0]:
        fail(f"expected one line 'tessera: interrupted by {name} at job.tsr:N ...'", err)
    want = 75 if kept else 128 + sig.value
    # mpirun exits 1 when it is itself sent SIGTERM, whatever its ranks' codes; it passes on
    # SIGUSR1 and SIGUSR2 and then reports theirs.
    if (ranks == 1 or (kept and sig != signal.SIGTERM)) and proc.returncode != want:
        fail(f"expected exit code {want}, got {proc.returncode}", err)
    if proc.returncode == 0:
        fail("the interrupted job exited 0", err)
    if kept and (f"exit code {want}" not in lines[0] or "rerun with --resume" not in lines[0]):
        fail("the message does not say how to resume", err)
    left = sorted(os.listdir(work))
    if left != sorted(["job.tsr", *kept]):
        fail(f"{sig.name} on {ranks} rank(s) left {left} in {work}", err)
    print(f"{ranks} rank(s), {name} while waiting on {waits_for}: exit {proc.returncode}; {lines[0]}")
    if kept:  # and the rerun finishes it
        proc = start(mpiexec, tessera, ranks, work, script, out, options=["--resume"])
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0 or sorted(os.listdir(work)) != ["job.tsr", "out.h5"]:
            fail(f"the resumed job exited {proc.returncode} leaving {sorted(os.listdir(work))}", err)


def signals(mpiexec, tessera, work):
    resumable = ["out.h5.partial", "out.h5.partial.ledger"]
    for ranks, sig in [(1, signal.SIGTERM), (1, signal.SIGINT), (3, signal.SIGUSR1), (3, signal.SIGTERM)]:
        interrupt(mpiexec, tessera, work, ranks, sig, WRITE, "out.h5.partial", resumable)
    interrupt(mpiexec, tessera, work, 1, signal.SIGTERM, WRITE_GZIP, "out.h5.tessera-tmp-*")
    for ranks in [1, 3]:
        interrupt(mpiexec, tessera, work, ranks, signal.SIGTERM, SPILL, "tessera-spill-*/*.chunk")


def leftovers(mpiexec, tessera, work):
    fresh(work)
    proc = start(mpiexec, tessera, 1, work, SPILL)
    wait_for(os.path.join(work, "tessera-spill-*/*.chunk"), proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    left = glob.glob(os.path.join(work, "tessera-spill-*"))
    if len(left) != 1:
        fail(f"expected SIGKILL to leave one spill directory, found {left}")
    # `tessera clean` keeps what a running process owns and what another host made.
    host = socket.gethostname()
    mine = os.path.join(work, f"tessera-spill-{host}-{os.getpid()}-rank1")
    other = os.path.join(work, "tessera-spill-elsewhere-7-rank2")
    temporary = os.path.join(work, f"out.h5.tessera-tmp-{host}-{left[0].split('-')[-2]}")
    for d in [mine, other]:
        os.makedirs(d)
    open(temporary, "w").write("partial")
    listed = subprocess.run([tessera, "clean", work, "--dry-run"], capture_output=True, text=True)
    if listed.returncode != 0 or listed.stdout.count("would remove") != 2 or listed.stdout.count("kept") != 2:
        fail(f"tessera clean --dry-run listed:\n{listed.stdout}", listed.stderr)
    cleaned = subprocess.run([tessera, "clean", work], capture_output=True, text=True)
    remaining = sorted(os.listdir(work))
    if cleaned.returncode != 0 or remaining != sorted(["job.tsr", os.path.basename(mine), os.path.basename(other)]):
        fail(f"tessera clean left {remaining}:\n{cleaned.stdout}", cleaned.stderr)
    print(cleaned.stdout, end="")
    # A SIGKILLed job's spill is removed by the next job's workers as they start.
    proc = start(mpiexec, tessera, 1, work, SPILL)
    wait_for(os.path.join(work, "tessera-spill-*/*.chunk"), proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    killed = set(glob.glob(os.path.join(work, "tessera-spill-*"))) - {mine, other}
    with open(os.path.join(work, "small.tsr"), "w") as f:
        f.write("print(ones(10).sum())\n")
    done = subprocess.run([mpiexec, "-n", "3", "--oversubscribe", tessera, "run", "--local-dir", work,
                           os.path.join(work, "small.tsr")], capture_output=True, text=True)
    if done.returncode != 0 or any(os.path.exists(k) for k in killed) or not os.path.exists(mine):
        fail(f"the next job left {sorted(os.listdir(work))} (the killed job's: {sorted(killed)})", done.stderr)
    print(f"the next job removed {[os.path.basename(k) for k in killed]} and kept the live and foreign ones")
    shutil.rmtree(work, ignore_errors=True)


REGRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "regressions", "hdf5")


def hdf5(mpiexec, tessera, work):
    fresh(work)
    good = os.path.join(work, "kinds.h5")
    with h5py.File(good, "w") as f:
        f.create_dataset("null", shape=None, dtype="f8")
        f["scalar"] = 3.5
        f["strings"] = np.array([b"ab", b"cd"])
        f["compound"] = np.zeros(3, dtype=[("a", "i4"), ("b", "f8")])
        f["u64"] = np.arange(4, dtype=np.uint64)
        f["x"] = np.arange(12.0).reshape(3, 4)
    truncated = os.path.join(work, "truncated.h5")
    with open(good, "rb") as f, open(truncated, "wb") as g:
        g.write(f.read(3000))
    text = os.path.join(work, "text.h5")
    open(text, "w").write("not HDF5\n")
    cases = [
        (good, "null", "has a null dataspace"),
        (good, "strings", "has an unsupported element type"),
        (good, "compound", "has an unsupported element type"),
        (good, "u64", "holds unsigned 64-bit integers"),
        (good, "missing", "no dataset 'missing'"),
        (truncated, "x", "truncated file"),
        (text, "x", "is not an HDF5 file"),
        # Found by the fuzzer (tests/fuzz): an extent whose element count overflows 64 bits.
        (os.path.join(REGRESSIONS, "extent-overflow.h5"), "x", "overflows 64 bits"),
    ]
    for ranks, checked in [(1, cases), (3, cases[:1] + cases[4:6])]:  # workers open files too
        for path, name, expect in checked:
            code = f"x = from_hdf5('{path}', '{name}')\nprint(x.sum())"
            command = [tessera, "run", "-e", code]
            if ranks > 1:
                command = [mpiexec, "-n", str(ranks), "--oversubscribe", *command]
            r = subprocess.run(command, capture_output=True, text=True, timeout=120)
            errors = [line for line in r.stderr.splitlines() if "error:" in line]
            if r.returncode != 1 or len(errors) != 1 or expect not in errors[0] or "HDF5-DIAG" in r.stderr:
                fail(f"{path}:{name} on {ranks} rank(s): exit {r.returncode}, expected one error with '{expect}'",
                     r.stderr)
        r = subprocess.run([tessera, "run", "-e", f"x = from_hdf5('{good}', 'scalar')\nprint(x.shape, x + 1)"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or r.stdout.strip() != "() 4.5":
            fail(f"the scalar dataset printed {r.stdout!r}", r.stderr)
    listing = subprocess.run([tessera, "info", good], capture_output=True, text=True)
    if listing.returncode != 0 or "/null  dataset () float64, null dataspace" not in listing.stdout:
        fail(f"tessera info listed:\n{listing.stdout}", listing.stderr)
    for path in [truncated, text]:
        r = subprocess.run([tessera, "info", path], capture_output=True, text=True)
        if r.returncode != 1 or r.stderr.count("error:") != 1 or "HDF5-DIAG" in r.stderr:
            fail(f"tessera info {path}: exit {r.returncode}", r.stderr)
    # What the fuzzer found lists (marking what cannot be read) or fails with one message.
    for path in glob.glob(os.path.join(REGRESSIONS, "*")):
        r = subprocess.run([tessera, "info", path], capture_output=True, text=True)
        if r.returncode not in (0, 1) or r.stderr.count("error:") > 1 or "HDF5-DIAG" in r.stderr:
            fail(f"tessera info {path}: exit {r.returncode}", r.stderr)
    print(f"{len(cases)} broken or unreadable datasets refused with one message (3 of them on 3 ranks); "
          "the scalar read; the listing marks the null dataspace")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    {"signals": signals, "leftovers": leftovers, "hdf5": hdf5}[sys.argv[1]](*sys.argv[2:])
