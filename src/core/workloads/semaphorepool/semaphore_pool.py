"""The seed's scraper behind a semaphore: at most k downloads in flight, however many workers.

Run by Concurrency Lab's python-* models for the semaphore-pool workload: reads a JSON job on
stdin ({"mode", "workers", "permits": k (0: no limit), "tasks": [{"id", "url",
"connect_timeout_s", "timeout_s", "max_body_bytes"}, ...]}) and prints JSON lines: hello,
start/finish per download, done. threading.Semaphore guards the downloads of the threads
mode, multiprocessing.Semaphore (inherited through fork) those of the processes mode. Each
finish carries web_scraper.py's download fields and a "trace": the permit wait when it
blocked (with the task whose release it got) and the permits in use after every change, on
time.monotonic() like the app's own traces. Standard library only.
"""
import multiprocessing
import threading
import time

from labcommon import emit, read_job, run_tasks, emit_done
from web_scraper import fetch

SEMAPHORE = 0  # index of the semaphore among the run's primitives


class Permits:
    """The semaphore plus what the trace needs: permits in use, who released last and when.
    The books are kept under their own lock; in use goes up after a permit is taken and down
    before it is given back, so it never shows more than k."""

    def __init__(self, permits, processes):
        self.limited = permits > 0
        if processes:
            self.sem = multiprocessing.Semaphore(permits) if self.limited else None
            self.lock = multiprocessing.Lock()
            self.books = multiprocessing.Array("d", [0.0, -1.0, 0.0], lock=False)
        else:
            self.sem = threading.Semaphore(permits) if self.limited else None
            self.lock = threading.Lock()
            self.books = [0.0, -1.0, 0.0]  # in use, last releaser, its release time

    def acquire(self, task, spans, events):
        if self.limited and not self.sem.acquire(False):
            start = time.monotonic()
            self.sem.acquire()
            end = time.monotonic()
            with self.lock:
                culprit, released = int(self.books[1]), self.books[2]
            wake = end - released if released and end >= released else None
            spans.append(["semaphore", SEMAPHORE, start, end, culprit, wake])
        with self.lock:
            self.books[0] += 1
            events.append([SEMAPHORE, time.monotonic(), int(self.books[0]), task])

    def release(self, task, events):
        with self.lock:
            self.books[0] -= 1
            now = time.monotonic()
            self.books[1], self.books[2] = float(task), now
            events.append([SEMAPHORE, now, int(self.books[0]), task])
        if self.limited:
            self.sem.release()


PERMITS = None


def download(task, worker):
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    spans, events = [], []
    PERMITS.acquire(task["id"], spans, events)
    out = {"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "url": task["url"]}
    try:
        fetch(task, out)
    finally:
        PERMITS.release(task["id"], events)
    out["cpu_s"] = time.thread_time() - c0
    out["trace"] = {"spans": spans, "events": events}
    out["t"] = time.monotonic()
    emit(out)
    return task["id"]


def main():
    global PERMITS
    job = read_job()
    # Made before the pool forks, so every pool process shares the same semaphore.
    PERMITS = Permits(int(job.get("permits", 0)), job.get("mode") == "processes")
    run_tasks(job, download)
    emit_done()


if __name__ == "__main__":
    main()
