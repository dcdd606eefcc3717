"""Lock contention in real CPython: 1, 2 or 4 threads take one threading.Lock many times each.

Run by Concurrency Lab's python-threads model for the `lock-contention` workload. Reads a JSON
job on stdin ({"mode", "workers", "ops", "work", "contenders", "tasks": [{"id"}, ...]}) and
prints JSON event lines (labcommon). Each acquisition that finds the lock taken is recorded as a
Lock span (the thread that released it last as culprit, and the time from that release) in the
finish line's "trace"; the first 20,000 per thread, the rest counted. Standard library only.
"""
import threading
import time

from labcommon import emit, emit_done, read_job, run_tasks

MAX_SPANS = 20000
lock = threading.Lock()
counter = 0
released_by = -1
released_at = 0.0
waiting = [0]
start_gate = None
end_gate = None
job = {}


def run_task(task, worker):
    global counter, released_by, released_at
    me = task["id"]
    ops = int(job["ops"])
    rounds = int(job["work"])
    t_start = time.monotonic()
    emit({"event": "start", "task": me, "worker": worker, "t": t_start})
    c0 = time.thread_time()
    if start_gate is not None:
        try:
            start_gate.wait(5.0)
        except threading.BrokenBarrierError:
            pass
    spans = []
    dropped = 0
    wait_s = 0.0
    waits = 0
    x = me + 1
    monotonic = time.monotonic
    loop_t0 = monotonic()
    for _ in range(ops):
        if not lock.acquire(blocking=False):
            t0 = monotonic()
            waiting[0] += 1
            lock.acquire()
            t1 = monotonic()
            waiting[0] -= 1
            wait_s += t1 - t0
            waits += 1
            if len(spans) < MAX_SPANS:
                wake = t1 - released_at if t0 <= released_at <= t1 else None
                spans.append(["lock", 0, t0, t1, released_by, wake])
            else:
                dropped += 1
        counter += 1
        for _ in range(rounds):
            x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        released_by = me
        if waiting[0]:
            released_at = monotonic()
        lock.release()
    loop_t1 = monotonic()
    exact = None
    if end_gate is not None:
        try:
            end_gate.wait(30.0)
            exact = counter == ops * int(job["contenders"])
        except threading.BrokenBarrierError:
            exact = None
    elif int(job["contenders"]) == 1:
        exact = counter == ops
    trace = {"spans": spans, "events": []}
    if dropped:
        trace["dropped_spans"] = dropped
    finish = {"event": "finish", "task": me, "worker": worker, "t0": t_start, "t": monotonic(),
              "cpu_s": time.thread_time() - c0, "done": ops, "wait_ns": wait_s * 1e9, "waits": waits,
              "loop_t0": loop_t0, "loop_t1": loop_t1, "trace": trace}
    if exact is not None:
        finish["exact"] = exact
    emit(finish)
    return me


def main():
    global start_gate, end_gate, job
    job = read_job()
    n = int(job["contenders"])
    racers = min(n, max(1, int(job.get("workers", 1))), len(job["tasks"]))
    if job.get("mode") == "threads" and racers > 1:
        start_gate = threading.Barrier(racers)
    if job.get("mode") == "threads" and racers == n and n > 1:
        end_gate = threading.Barrier(n)  # the count is checked once every thread is done
    run_tasks(job, run_task)
    emit_done()


if __name__ == "__main__":
    main()
