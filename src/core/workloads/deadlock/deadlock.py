"""The deadlock in real CPython: task i takes lock i, holds it a moment, then asks for lock i+1.

Run by Concurrency Lab's python-* models for the `deadlock` workload. Reads a JSON job on stdin
({"mode", "workers", "order", "hold_ms", "timeout_ms", "n", "tasks": [{"id"}, ...]}) and prints
JSON event lines (labcommon). A waiting task asks for its lock with acquire(timeout=...) in short
slices; between them it reads who holds what and who waits for what (a table beside the locks:
plain lists under threads, shared arrays between processes) and when it finds itself on a cycle
of the wait-for graph it gives up and reports the cycle. "ordered" takes the locks in one global
order and finishes. Standard library only.
"""
import multiprocessing
import threading
import time

from labcommon import emit, emit_done, read_job, run_tasks

SLICE_S = 0.01
locks = []
holder = None      # holder[lock] = task or -1
waits_for = None   # waits_for[task] = lock or -1
gate = None
broken = None      # broken[0] = 1 once a task found the cycle: every task on it backs off
job = {}


def lock_name(i):
    return "lock " + chr(ord("A") + i)


def find_cycle(me):
    """The cycle through `me` in the wait-for graph, as (tasks, locks waited for), or None."""
    tasks, waited = [], []
    t = me
    for _ in range(len(waits_for) + 1):
        lk = waits_for[t]
        if lk < 0:
            return None
        tasks.append(t)
        waited.append(lk)
        t = holder[lk]
        if t < 0:
            return None
        if t == me:
            start = tasks.index(min(tasks))
            return tasks[start:] + tasks[:start], waited[start:] + waited[:start]
    return None


def take(me, lk, timeout_s, spans):
    """(taken, cycle or None, wait start); a wait that blocked goes into spans (the trace)."""
    if locks[lk].acquire(False):  # positional: threading and multiprocessing locks name it differently
        holder[lk] = me
        return True, None, None
    start = time.monotonic()
    waits_for[me] = lk
    seen = holder[lk]
    taken = False
    try:
        taken, cycle = _wait(me, lk, timeout_s, start)
        return taken, cycle, start
    finally:
        waits_for[me] = -1
        # A wait that ended with the lock was ended by the holder it waited for; one that gave
        # up was ended by nobody.
        spans.append(["lock", lk, start, time.monotonic(), seen if taken else -1, None])


def _wait(me, lk, timeout_s, start):
    while time.monotonic() - start < timeout_s:
        if locks[lk].acquire(True, SLICE_S):
            if broken[0]:
                locks[lk].release()  # handed over by a task that backed off: back off too
                return False, None
            holder[lk] = me
            return True, None
        if broken[0]:
            return False, None
        cycle = find_cycle(me)
        if cycle is not None:
            broken[0] = 1  # before letting go, so the next holder sees it
            return False, cycle
    return False, None


def give(lk):
    holder[lk] = -1
    locks[lk].release()


def run_task(task, worker):
    me = task["id"]
    n = int(job["n"])
    t_start = time.monotonic()
    emit({"event": "start", "task": me, "worker": worker, "t": t_start})
    c0 = time.thread_time()
    if gate is not None:
        try:
            gate.wait(5.0)
        except threading.BrokenBarrierError:
            pass
    first, second = me, (me + 1) % n
    if job["order"] == "ordered":
        first, second = min(first, second), max(first, second)
    timeout_s = float(job["timeout_ms"]) / 1000.0
    finish = {"event": "finish", "task": me, "worker": worker, "t0": t_start}
    spans = []
    ok, cycle, wait_start = take(me, first, timeout_s, spans)
    if ok:
        time.sleep(float(job["hold_ms"]) / 1000.0)
        ok, cycle, wait_start = take(me, second, timeout_s, spans)
        if ok:
            give(second)
            finish.update({"ok": True, "took": "took %s then %s" % (lock_name(first), lock_name(second))})
        else:
            waited = second
        give(first)
    else:
        waited = first
    if not ok:
        finish["ok"] = False
        if wait_start is not None:
            finish["wait_start"] = wait_start
        if cycle is not None:
            finish.update({"cycle_tasks": cycle[0], "cycle_locks": [lock_name(x) for x in cycle[1]],
                           "detected_at": time.monotonic()})
        elif broken[0]:
            finish["error"] = "backed off from %s: another task found the deadlock" % lock_name(waited)
        else:
            finish["error"] = "gave up waiting for %s after %g ms" % (lock_name(waited), float(job["timeout_ms"]))
    finish.update({"t": time.monotonic(), "cpu_s": time.thread_time() - c0,
                   "trace": {"spans": spans, "events": []}})
    emit(finish)
    return me


def main():
    global locks, holder, waits_for, gate, broken, job
    job = read_job()
    n = int(job["n"])
    mode = job.get("mode", "sequential")
    racers = min(n, max(1, int(job.get("workers", 1))), len(job["tasks"]))
    if mode == "processes":
        ctx = multiprocessing.get_context("fork")
        locks = [ctx.Lock() for _ in range(n)]
        holder = ctx.Array("i", [-1] * n, lock=False)
        waits_for = ctx.Array("i", [-1] * n, lock=False)
        broken = ctx.Array("i", [0], lock=False)
        if racers > 1:
            gate = ctx.Barrier(racers)
    else:
        locks = [threading.Lock() for _ in range(n)]
        holder = [-1] * n
        waits_for = [-1] * n
        broken = [0]
        if mode == "threads" and racers > 1:
            gate = threading.Barrier(racers)
    run_tasks(job, run_task)
    emit_done()


if __name__ == "__main__":
    main()
