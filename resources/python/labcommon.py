"""What every Concurrency Lab Python script shares: the JSON-line events on stdout and the
sequential / threads / processes pool that runs one function over the job's tasks.

Extracted next to the scripts by the python-* models, so `import labcommon` finds it.
Standard library only.
"""
import json
import multiprocessing
import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def emit(obj):
    # One write per line: lines from pool processes sharing this pipe never interleave.
    os.write(1, (json.dumps(obj, separators=(",", ":")) + "\n").encode())


def read_job():
    """The JSON job on stdin, with its GIL switch interval applied."""
    job = json.load(sys.stdin)
    sys.setswitchinterval(float(job.get("switch_interval_s", 0.005)))
    return job


def emit_hello():
    """The first line, once the job's own fields are read."""
    emit({"event": "hello", "python": sys.version.split()[0], "pid": os.getpid(), "t": time.monotonic()})


def emit_done():
    """The last line: CPU and peak RSS of this process and its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    emit({"event": "done", "t": time.monotonic(),
          "cpu_s": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
          "maxrss_kb": own.ru_maxrss + kids.ru_maxrss})


_local = threading.local()
_next_worker = iter(range(1 << 30))
_next_lock = threading.Lock()


def _run_in_thread(run_task, task):
    if not hasattr(_local, "index"):
        with _next_lock:
            _local.index = next(_next_worker)
    return run_task(task, _local.index)


def _run_in_process(run_task, task):
    identity = multiprocessing.current_process()._identity
    return run_task(task, identity[0] - 1 if identity else 0)


class _Bound:
    """run_task bound to a pool runner; picklable when run_task is a module-level function."""

    def __init__(self, runner, run_task):
        self.runner, self.run_task = runner, run_task

    def __call__(self, task):
        return self.runner(self.run_task, task)


def run_tasks(job, run_task):
    """Emits hello, then runs run_task(task, worker_index) over job["tasks"] in the job's mode."""
    mode = job.get("mode", "sequential")
    workers = max(1, int(job.get("workers", 1)))
    tasks = job["tasks"]
    emit_hello()
    if mode == "sequential":
        for task in tasks:
            run_task(task, 0)
    elif mode == "threads":
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_Bound(_run_in_thread, run_task), tasks))
    elif mode == "processes":
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            list(pool.imap_unordered(_Bound(_run_in_process, run_task), tasks))
    else:
        raise SystemExit("unknown mode %r" % mode)


def main(run_task):
    """A whole pool script: job in, hello, one start/finish pair per task, done."""
    run_tasks(read_job(), run_task)
    emit_done()
