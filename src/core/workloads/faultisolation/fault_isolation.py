"""A crash in a thread vs in a process, in real CPython.

Run by Concurrency Lab's python-* models: reads a JSON job on stdin
({"mode": "sequential" | "threads" | "processes", "workers": W, "switch_interval_s": S,
  "pool": "supervised" | "pool-map" | "executor",
  "tasks": [{"id": i, "n": n, "fault": "none" | "segfault" | "abort" | "hang", "deadline_s": D}, ...]})
and prints one JSON line per event on stdout (labcommon.py). One task faults:
- sequential, threads: the fault kills (or hangs) the interpreter itself, and every unfinished
  task with it; the app reports them.
- processes, "supervised": labcommon's pool, which sees a dead worker, reports its task and
  replaces it (what the native process pool does).
- processes, "pool-map": multiprocessing.Pool.map. Pool replaces the dead worker but never
  learns that its task is gone, so map() waits for ever: cut off at the task deadline.
- processes, "executor": concurrent.futures.ProcessPoolExecutor raises BrokenProcessPool for
  every future not done and the pool is unusable.
Times are time.monotonic(). Standard library only.
"""
import concurrent.futures
import ctypes
import multiprocessing
import os
import resource
import time
from concurrent.futures.process import BrokenProcessPool

from labcommon import die_with_parent, emit, emit_done, emit_failed, emit_hello, read_job, run_tasks


def fault(kind):
    # A crash on purpose leaves no core file behind.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if kind == "segfault":
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif kind == "abort":
        os.abort()
    while True:  # hang, honouring nothing
        pass


def cpu_bound_task(number):
    return sum(i * i for i in range(number))


def run_task(task, worker):
    """One task, its start and finish lines written by whoever runs it (thread or process)."""
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    if task.get("fault", "none") != "none":
        fault(task["fault"])
    value = cpu_bound_task(task["n"])
    emit({"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "t": time.monotonic(),
          "cpu_s": time.thread_time() - c0, "value": str(value)})
    return task["id"]


def pool_worker_index():
    # Pool and ProcessPoolExecutor number their workers 1, 2, ... (replacements go on counting).
    identity = multiprocessing.current_process()._identity
    return identity[0] - 1 if identity else 0


def compute(task):
    """The pools' function: start line from the worker, the value back to the caller."""
    worker = pool_worker_index()
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.process_time()
    if task.get("fault", "none") != "none":
        fault(task["fault"])
    value = str(cpu_bound_task(task["n"]))
    return task["id"], worker, t0, time.monotonic(), time.process_time() - c0, value


def finished(result):
    task_id, worker, t0, t, cpu_s, value = result
    emit({"event": "finish", "task": task_id, "worker": worker, "t0": t0, "t": t, "cpu_s": cpu_s, "value": value})


def pool_map(job):
    """Pool.map returns every result or none: a worker that dies takes its task with it, Pool
    starts a new worker, and map() waits for the lost result for ever."""
    tasks = job["tasks"]
    cut = min(float(t.get("deadline_s", 10)) for t in tasks)
    ctx = multiprocessing.get_context("fork")
    t0 = time.monotonic()
    pool = ctx.Pool(int(job.get("workers", 1)), initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        # map() itself, with a deadline: map_async(...).get() is what map() does, without one.
        results = pool.map_async(compute, tasks, chunksize=1).get(timeout=cut)
    except multiprocessing.TimeoutError:
        results = None
    if results is not None:
        pool.close()
        pool.join()
        for r in results:
            finished(r)
        return
    why = ("Pool.map was still waiting after %.3g s: cut off; a pool worker died mid-task, Pool replaced it "
           "and never gave up on the lost task, and map() returns all results or none" % cut)
    for t in tasks:
        emit_failed(t["id"], -1, t0, "timed-out", why)
    emit_done()
    # Pool.terminate() blocks here too after a worker died (seen on 3.11): kill the workers
    # (they also die with us, PR_SET_PDEATHSIG) and leave without the pool's clean-up.
    for worker in list(getattr(pool, "_pool", [])):
        try:
            worker.kill()
        except (OSError, AttributeError):
            pass
    os._exit(0)


def executor(job):
    """ProcessPoolExecutor notices a dead worker: every future not done yet raises
    BrokenProcessPool, and the pool takes no more work."""
    tasks = job["tasks"]
    ctx = multiprocessing.get_context("fork")
    t0 = time.monotonic()
    done = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=int(job.get("workers", 1)), mp_context=ctx,
                                                initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(compute, t): t for t in tasks}
        for f in concurrent.futures.as_completed(futures):
            try:
                finished(f.result())
                done += 1
            except BrokenProcessPool:
                pass
    lost = [t for f, t in futures.items() if f.exception() is not None]
    why = ("ProcessPoolExecutor raised BrokenProcessPool; a pool worker died mid-task, the pool is unusable and "
           "every future not done failed: %d of %d had completed" % (done, len(tasks)))
    for t in lost:
        emit_failed(t["id"], -1, t0, "worker-died", why)


def main():
    job = read_job()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    pool = job.get("pool", "supervised")
    if job.get("mode") == "processes" and pool in ("pool-map", "executor"):
        emit_hello()
        (pool_map if pool == "pool-map" else executor)(job)
    else:
        run_tasks(job, run_task)
    emit_done()


if __name__ == "__main__":
    main()
