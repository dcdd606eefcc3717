"""Producers and consumers around one bounded queue: queue.Queue between threads,
multiprocessing.Queue between processes.

Run by Concurrency Lab's python-* models for the condition-queue workload: reads a JSON job on
stdin ({"mode", "workers", "producers": P, "consumers": C, "items": M, "capacity": K,
"stall_timeout_ms", "tasks": [{"id", "role": "producer" | "consumer", "index"}, ...]}) and prints
JSON lines: hello, start/finish per task, done. Producer i puts the ids i, i+P, ... below M as
(id, producer task, put time); the last producer to finish puts one None per consumer. A
consumer's "value" has its count, the sum of its ids and the sum of their splitmix64 hashes
(as the app computes them), so the app can check that every item arrived exactly once. The
"trace" has the blocked puts and gets (a get's culprit: the item's producer; the first 2000, the
rest counted) and a sample of the queue's depth. Standard library only.
"""
import json
import multiprocessing
import queue
import threading
import time

from labcommon import emit, emit_done, read_job, run_tasks


# One line at a time, across threads or pool processes: a line longer than PIPE_BUF (a finish
# with its trace) is not written atomically, and another writer's line could land inside it.
EMIT_LOCK = threading.Lock()


def emit_whole(obj):
    with EMIT_LOCK:
        emit(obj)

QUEUE = 0
MASK = (1 << 64) - 1
MAX_EVENTS = 2000
MAX_SPANS = 2000  # a sample: the finish line stays small; the rest are counted as dropped
JOB = None
Q = None
LEFT = None
LEFT_LOCK = None
STALL_S = 5.0


def id_hash(i):
    z = (i + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def depth():
    try:
        return Q.qsize()
    except NotImplementedError:  # macOS's multiprocessing.Queue
        return -1


def stall_error():
    p, c = int(JOB["producers"]), int(JOB["consumers"])
    return ("no item moved for %d ms: the %d producers and %d consumers must all run at once (workers at least %d)"
            % (int(STALL_S * 1000), p, c, p + c))


class Spans(list):
    dropped = 0


def record(spans, span):
    if len(spans) < MAX_SPANS:
        spans.append(span)
    else:
        spans.dropped += 1


def put(item, task, spans, events, n):
    try:
        Q.put_nowait(item)
    except queue.Full:
        start = time.monotonic()
        Q.put(item, timeout=STALL_S)  # raises queue.Full when nobody takes anything
        record(spans, ["queue-full", QUEUE, start, time.monotonic(), -1, None])
    if n % max(1, int(JOB["items"]) // MAX_EVENTS) == 0 and len(events) < MAX_EVENTS:
        events.append([QUEUE, time.monotonic(), depth(), task])


def producer(task, spans, events):
    p, m = int(JOB["producers"]), int(JOB["items"])
    count = 0
    try:
        for i in range(int(task["index"]), m, p):
            put((i, task["id"], time.monotonic()), task["id"], spans, events, count)
            count += 1
        with LEFT_LOCK:
            LEFT.value -= 1
            last = LEFT.value == 0
        if last:
            for _ in range(int(JOB["consumers"])):
                put(None, task["id"], spans, events, 0)
        if JOB.get("mode") == "processes":
            # A pool worker leaves with os._exit: first the queue's feeder thread must have
            # written everything this process put into the pipe.
            Q.close()
            Q.join_thread()
    except ValueError:
        return {"verified": False, "value": json.dumps({"role": "producer", "count": count}),
                "error": "a pool process ran two producers (its queue was closed after the first): "
                         "run with at least %d workers" % (int(JOB["producers"]) + int(JOB["consumers"]))}
    except queue.Full:
        return {"verified": False, "error": stall_error(), "value": json.dumps({"role": "producer", "count": count})}
    return {"verified": True, "value": json.dumps({"role": "producer", "count": count})}


def consumer(task, spans, events):
    count = total = hashed = 0
    while True:
        try:
            item = Q.get_nowait()
        except queue.Empty:
            start = time.monotonic()
            try:
                item = Q.get(timeout=STALL_S)
            except queue.Empty:
                return {"verified": False, "error": stall_error(),
                        "value": json.dumps({"role": "consumer", "count": count, "sum": str(total),
                                             "hash": str(hashed)})}
            end = time.monotonic()
            culprit, put_at = (item[1], item[2]) if item is not None else (-1, None)
            record(spans, ["queue-empty", QUEUE, start, end, culprit,
                           end - put_at if put_at is not None and end >= put_at else None])
        if item is None:
            break
        count += 1
        total = (total + item[0]) & MASK
        hashed = (hashed + id_hash(item[0])) & MASK
        if count % max(1, int(JOB["items"]) // MAX_EVENTS) == 0 and len(events) < MAX_EVENTS:
            events.append([QUEUE, time.monotonic(), depth(), task["id"]])
    return {"verified": True,
            "value": json.dumps({"role": "consumer", "count": count, "sum": str(total), "hash": str(hashed)})}


def run_task(task, worker):
    emit_whole({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    spans, events = Spans(), []
    out = producer(task, spans, events) if task["role"] == "producer" else consumer(task, spans, events)
    out.update({"event": "finish", "task": task["id"], "worker": worker, "t0": t0,
                "cpu_s": time.thread_time() - c0, "trace": {"spans": spans, "events": events, "dropped_spans": spans.dropped},
                "t": time.monotonic()})
    emit_whole(out)
    return task["id"]


class _Left:
    value = 0


def main():
    global JOB, Q, LEFT, LEFT_LOCK, STALL_S, EMIT_LOCK
    JOB = read_job()
    STALL_S = int(JOB.get("stall_timeout_ms", 5000)) / 1000.0
    capacity = int(JOB["capacity"])
    # Made before the pool forks: every pool process shares the queue and the count.
    if JOB.get("mode") == "processes":
        Q = multiprocessing.Queue(maxsize=capacity)
        LEFT = multiprocessing.Value("i", int(JOB["producers"]), lock=False)
        LEFT_LOCK = multiprocessing.Lock()
        EMIT_LOCK = multiprocessing.Lock()
    else:
        Q = queue.Queue(maxsize=capacity)
        LEFT = _Left()
        LEFT.value = int(JOB["producers"])
        LEFT_LOCK = threading.Lock()
    run_tasks(JOB, run_task)
    emit_done()


if __name__ == "__main__":
    main()
