"""The seed's number cruncher, sum(i * i for i in range(n)), in three forms.

Run by Concurrency Lab's python-* models: reads a JSON job on stdin
({"mode": "sequential" | "threads" | "processes", "workers": W,
  "switch_interval_s": S, "tasks": [{"id": i, "n": n}, ...]})
and prints one JSON line per event on stdout: hello, start, finish, done.
Times are time.monotonic() (CLOCK_MONOTONIC, the app's clock too).
Standard library only.
"""
import time

from labcommon import emit, main


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


if __name__ == "__main__":
    main(run_task)
