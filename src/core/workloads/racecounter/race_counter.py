"""The lost update in real CPython: tasks add 1 to one shared counter many times each.

Run by Concurrency Lab's python-* models for the `race-counter` workload. Reads a JSON job on
stdin ({"mode", "workers", "method", "increments", "racers", "tasks": [{"id"}, ...]}) and prints
one JSON line per event (labcommon). Methods:
  unsynchronised  threads: `counter += 1` on a global; processes: multiprocessing.Value('q', lock=False)
  mutex           threads: threading.Lock; processes: a Value with its own lock (get_lock())
  local-sums      each task sums privately; the sum travels back in its finish line (a pipe)
CPython has no atomic add, so the app never asks for "atomic". Standard library only.
"""
import multiprocessing
import threading
import time

from labcommon import emit, emit_done, read_job, run_tasks

counter = 0
lock = threading.Lock()
shared = None      # processes: the multiprocessing.Value, made before the pool forks
gate = None        # the start line: all racers count at the same time
METHOD = "mutex"
K = 0


def count_threads(k):
    global counter
    if METHOD == "unsynchronised":
        for _ in range(k):
            counter += 1
    elif METHOD == "mutex":
        for _ in range(k):
            with lock:
                counter += 1
    return 0


def count_processes(k):
    v = shared
    if METHOD == "unsynchronised":
        for _ in range(k):
            v.value += 1
    elif METHOD == "mutex":
        guard = v.get_lock()
        for _ in range(k):
            with guard:
                v.value += 1
    return 0


def count_local(k):
    local = 0
    for _ in range(k):
        local += 1
    return local


def read_counter(processes):
    return shared.value if processes else counter


def run_task(task, worker):
    t_start = time.monotonic()
    emit({"event": "start", "task": task["id"], "worker": worker, "t": t_start})
    c0 = time.thread_time()
    if gate is not None:
        try:
            gate.wait(5.0)
        except threading.BrokenBarrierError:
            pass  # fewer racers than tasks got going: count alone
    processes = shared is not None
    loop_t0 = time.monotonic()
    if METHOD == "local-sums":
        local = count_local(K)
    elif processes:
        local = count_processes(K)
    else:
        local = count_threads(K)
    loop_t1 = time.monotonic()
    emit({"event": "finish", "task": task["id"], "worker": worker, "t0": t_start, "t": time.monotonic(),
          "cpu_s": time.thread_time() - c0, "done": K, "local": local,
          "after": read_counter(processes), "loop_t0": loop_t0, "loop_t1": loop_t1})
    return task["id"]


def main():
    global shared, gate, METHOD, K
    job = read_job()
    METHOD = job["method"]
    K = int(job["increments"])
    mode = job.get("mode", "sequential")
    racers = min(int(job.get("racers", 1)), max(1, int(job.get("workers", 1))), len(job["tasks"]))
    if mode == "processes":
        ctx = multiprocessing.get_context("fork")
        shared = ctx.Value("q", 0, lock=(METHOD == "mutex"))
        if racers > 1:
            gate = ctx.Barrier(racers)
    elif mode == "threads" and racers > 1:
        gate = threading.Barrier(racers)
    run_tasks(job, run_task)
    emit_done()


if __name__ == "__main__":
    main()
