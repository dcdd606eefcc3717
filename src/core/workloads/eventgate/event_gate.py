"""One event, W waiters, one starter: how fast does one set() reach every waiter?

Run by Concurrency Lab's python-* models for the event-gate workload: reads a JSON job on stdin
({"mode", "workers", "waiters": W, "rounds": R, "settle_us", "arrive_timeout_ms",
"tasks": [{"id": 0, "role": "starter"}, {"id": 1, "role": "waiter"}, ...]}) and prints JSON
lines: hello, start/finish per task, done. threading.Event in the threads mode,
multiprocessing.Event (made before the pool forks) in the processes mode; a fresh event each
round. A waiter's finish "value" lists its wake-up latency per round in µs (null when it came
after the set); its "trace" has the blocked waits (culprit: the starter) and the starter's the
gate's state. Standard library only.
"""
import json
import multiprocessing
import threading
import time

from labcommon import emit, emit_done, read_job, run_tasks


# One line at a time, across threads or pool processes: a line longer than PIPE_BUF (a finish
# with its trace) is not written atomically, and another writer's line could land inside it.
EMIT_LOCK = threading.Lock()


def emit_whole(obj):
    with EMIT_LOCK:
        emit(obj)

GATE = 0
G = None


class Gate:
    def __init__(self, rounds, processes):
        if processes:
            self.events = [multiprocessing.Event() for _ in range(rounds)]
            self.arrived = multiprocessing.Array("i", rounds)
            self.passed = multiprocessing.Array("i", rounds)
            self.set_at = multiprocessing.Array("d", rounds)
        else:
            self.events = [threading.Event() for _ in range(rounds)]
            self.arrived = [0] * rounds
            self.passed = [0] * rounds
            self.set_at = [0.0] * rounds
            self._lock = threading.Lock()
        self.processes = processes

    def bump(self, counts, r):
        lock = counts.get_lock() if self.processes else self._lock
        with lock:
            counts[r] += 1


def starter(job, task, events):
    waiters, rounds = int(job["waiters"]), int(job["rounds"])
    settle = int(job.get("settle_us", 500)) / 1e6
    arrive = int(job.get("arrive_timeout_ms", 5000)) / 1000.0
    missing = 0
    for r in range(rounds):
        until = time.monotonic() + arrive
        while G.arrived[r] < waiters and time.monotonic() < until:
            time.sleep(0.0001)
        missing = waiters - G.arrived[r]
        if settle:
            time.sleep(settle)
        G.set_at[r] = time.monotonic()
        G.events[r].set()
        events.append([GATE, G.set_at[r], 1, task["id"]])
        if missing > 0:
            for k in range(r + 1, rounds):  # the waiters that do run must not hang
                G.set_at[k] = time.monotonic()
                G.events[k].set()
            break
        while G.passed[r] < waiters:
            time.sleep(0.00005)
        G.events[r].clear()
        events.append([GATE, time.monotonic(), 0, task["id"]])
    out = {"value": json.dumps({"role": "starter", "rounds": rounds}), "verified": missing == 0}
    if missing:
        out["error"] = ("only %d of %d waiters reached the gate within %g ms: the model must run all %d tasks "
                        "at once (workers at least waiters + 1)" % (waiters - missing, waiters, arrive * 1000,
                                                                    waiters + 1))
    return out


def waiter(job, task, spans):
    rounds = int(job["rounds"])
    wake_us = []
    for r in range(rounds):
        called = time.monotonic()
        G.bump(G.arrived, r)
        ev = G.events[r]
        if not ev.is_set():
            start = time.monotonic()
            ev.wait()
            end = time.monotonic()
            set_at = G.set_at[r]
            spans.append(["event", GATE, start, end, 0, end - set_at if set_at and end >= set_at else None])
        woke = time.monotonic()
        set_at = G.set_at[r]
        wake_us.append(round((woke - set_at) * 1e6, 1) if set_at >= called else None)
        G.bump(G.passed, r)
    return {"value": json.dumps({"role": "waiter", "passed": rounds, "wake_us": wake_us}), "verified": True}


JOB = None


def run_task(task, worker):
    emit_whole({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    spans, events = [], []
    if task["role"] == "starter":
        out = starter(JOB, task, events)
    else:
        out = waiter(JOB, task, spans)
    out.update({"event": "finish", "task": task["id"], "worker": worker, "t0": t0,
                "cpu_s": time.thread_time() - c0, "trace": {"spans": spans, "events": events},
                "t": time.monotonic()})
    emit_whole(out)
    return task["id"]


def main():
    global G, JOB, EMIT_LOCK
    JOB = read_job()
    if JOB.get("mode") == "processes":
        EMIT_LOCK = multiprocessing.Lock()
    G = Gate(int(JOB["rounds"]), JOB.get("mode") == "processes")
    run_tasks(JOB, run_task)
    emit_done()


if __name__ == "__main__":
    main()
