"""The seed's web scraper (threading + requests), offline and standard library only.

Run by Concurrency Lab's python-* models: reads a JSON job on stdin
({"mode": "sequential" | "threads" | "processes", "workers": W, "switch_interval_s": S,
  "tasks": [{"id": i, "url": u, "timeout_s": t}, ...]})
and prints one JSON line per event on stdout: hello, start, finish, done. Each finish reports
the HTTP status, the body size, its SHA-256 and the X-Lab-Size / X-Lab-Seed headers of the
lab's own server, so the app can verify every byte. Uses urllib (requests is not installed).
"""
import hashlib
import json
import multiprocessing
import os
import resource
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def emit(obj):
    os.write(1, (json.dumps(obj, separators=(",", ":")) + "\n").encode())


def download_from_site(task, worker):
    url = task["url"]
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    out = {"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "url": url}
    digest = hashlib.sha256()
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=float(task.get("timeout_s", 30))) as response:
            out["ttfb_s"] = time.monotonic() - t0
            out["status"] = response.status
            out["lab_size"] = response.headers.get("X-Lab-Size")
            out["lab_seed"] = response.headers.get("X-Lab-Seed")
            while True:
                chunk = response.read(65536)
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
    except urllib.error.HTTPError as e:
        out["status"] = e.code
        out["error"] = "HTTP %d" % e.code
    except Exception as e:  # noqa: BLE001 - every failure becomes a readable line
        out["error"] = "%s: %s" % (type(e).__name__, e)
    out["bytes"] = size
    out["sha256"] = digest.hexdigest()
    out["cpu_s"] = time.thread_time() - c0
    out["t"] = time.monotonic()
    emit(out)
    return task["id"]


_local = threading.local()
_next_worker = iter(range(1 << 30))
_next_lock = threading.Lock()


def run_in_thread(task):
    if not hasattr(_local, "index"):
        with _next_lock:
            _local.index = next(_next_worker)
    return download_from_site(task, _local.index)


def run_in_process(task):
    identity = multiprocessing.current_process()._identity
    return download_from_site(task, identity[0] - 1 if identity else 0)


def main():
    job = json.load(sys.stdin)
    sys.setswitchinterval(float(job.get("switch_interval_s", 0.005)))
    mode = job.get("mode", "sequential")
    workers = max(1, int(job.get("workers", 1)))
    tasks = job["tasks"]
    emit({"event": "hello", "python": sys.version.split()[0], "pid": os.getpid(), "t": time.monotonic()})
    if mode == "sequential":
        for task in tasks:
            download_from_site(task, 0)
    elif mode == "threads":
        # The seed starts one threading.Thread per site; a pool of W threads is the same when
        # W equals the number of sites (the default for I/O experiments).
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
