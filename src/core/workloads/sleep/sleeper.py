"""The purest I/O-bound task: time.sleep(seconds), which releases the GIL, in three forms.

Run by Concurrency Lab's python-* models for the `sleep` workload: reads a JSON job on stdin
({"mode", "workers", "switch_interval_s", "tasks": [{"id": i, "ms": m}, ...]}) and prints one
JSON line per event (hello, start, finish, done). A finish carries the measured sleep, which the
app checks against the request. Standard library only.
"""
import time

from labcommon import emit, main


def run_task(task, worker):
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    time.sleep(task["ms"] / 1000.0)
    t1 = time.monotonic()
    emit({"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "t": t1,
          "cpu_s": time.thread_time() - c0, "slept_ms": (t1 - t0) * 1000.0})
    return task["id"]


if __name__ == "__main__":
    main(run_task)
