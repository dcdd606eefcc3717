"""The seed's number cruncher, sum(i * i for i in range(n)), in three forms.

Run by Concurrency Lab's python-* models: reads a JSON job on stdin
({"mode": "sequential" | "threads" | "processes", "workers": W,
  "switch_interval_s": S, "tasks": [{"id": i, "n": n}, ...]})
and prints one JSON line per event on stdout: hello, start, finish, done.
Times are time.monotonic() (CLOCK_MONOTONIC, the app's clock too).
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


def cpu_bound_task(number):
    return sum(i * i for i in range(number))


def run_task(task, worker):
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    value = cpu_bound_task(task["n"])
    emit({"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "t": time.monotonic(),
          "cpu_s": time.thread_time() - c0, "value": str(value)})
    return task["id"]


_local = threading.local()
_next_worker = iter(range(1 << 30))
_next_lock = threading.Lock()


def thread_worker_index():
    if not hasattr(_local, "index"):
        with _next_lock:
            _local.index = next(_next_worker)
    return _local.index


def run_in_thread(task):
    return run_task(task, thread_worker_index())


def run_in_process(task):
    identity = multiprocessing.current_process()._identity
    return run_task(task, identity[0] - 1 if identity else 0)


def main():
    job = json.load(sys.stdin)
    sys.setswitchinterval(float(job.get("switch_interval_s", 0.005)))
    mode = job.get("mode", "sequential")
    workers = max(1, int(job.get("workers", 1)))
    tasks = job["tasks"]
    emit({"event": "hello", "python": sys.version.split()[0], "pid": os.getpid(), "t": time.monotonic()})
    if mode == "sequential":
        for task in tasks:
            run_task(task, 0)
    elif mode == "threads":
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run_in_thread, tasks))
    elif mode == "processes":
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            list(pool.imap_unordered(run_in_process, tasks))
    else:
        raise SystemExit("unknown mode %r" % mode)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    emit({"event": "done", "t": time.monotonic(),
          "cpu_s": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
          "maxrss_kb": own.ru_maxrss + kids.ru_maxrss})


if __name__ == "__main__":
    main()
