"""The seed's web scraper (threading + requests), offline and standard library only.

Run by Concurrency Lab's python-* models: reads a JSON job on stdin
({"mode": "sequential" | "threads" | "processes", "workers": W, "switch_interval_s": S,
  "tasks": [{"id": i, "url": u, "timeout_s": t}, ...]})
and prints one JSON line per event on stdout: hello, start, finish, done. Each finish reports
the HTTP status, the body size, its SHA-256 and the X-Lab-Size / X-Lab-Seed headers of the
lab's own server, so the app can verify every byte. Uses urllib (requests is not installed).
"""
import hashlib
import time
import urllib.error
import urllib.request

from labcommon import emit, main


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


if __name__ == "__main__":
    # The seed starts one threading.Thread per site; a pool of W threads is the same when
    # W equals the number of sites (the default for I/O experiments).
    main(download_from_site)
