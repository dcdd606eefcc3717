"""The seed's web scraper (threading + requests), offline and standard library only.

Run by Concurrency Lab's python-* models: reads a JSON job on stdin
({"mode": "sequential" | "threads" | "processes", "workers": W, "switch_interval_s": S,
  "tasks": [{"id": i, "url": u, "connect_timeout_s": c, "timeout_s": t, "max_body_bytes": m}, ...]})
and prints one JSON line per event on stdout: hello, start, finish, done. Each finish reports
the HTTP status, the body size, its SHA-256 and the X-Lab-Size / X-Lab-Seed headers of the
lab's own server, so the app can verify every byte; a failure carries the same error category
the app's native client would give (see httpclient.h).

The rules are the native client's: http and https only, also on redirects; at most 5 redirects;
a connect timeout and a total timeout over the whole request (redirects included); a body limit;
a body shorter than its Content-Length, or a Content-Length that is not a number, is an error.
http.client is used directly (requests is not installed, and urllib's openers would follow
file:, ftp: and data: URLs and apply the timeout per read).
"""
import hashlib
import http.client
import re
import socket
import ssl
import threading
import time
import urllib.parse

from labcommon import emit, main

MAX_REDIRECTS = 5
DEFAULT_MAX_BODY = 64 * 1024 * 1024
CHUNK = 65536
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_REDIRECTS = (301, 302, 303, 307, 308)


class Failure(Exception):
    def __init__(self, category, message):
        super().__init__(message)
        self.category = category


def check_url(url):
    """What must never reach the network is refused here, as checkUrl() does in the app."""
    m = _SCHEME.match(url)
    if not m:
        raise Failure("malformed-url", 'malformed URL "%s": no scheme (expected http:// or https://)' % url)
    scheme = m.group(1).lower()
    if scheme not in ("http", "https"):
        raise Failure("unsupported-scheme", 'scheme "%s" refused: only http and https are allowed' % scheme)
    if any(c in url for c in " \t\r\n"):
        raise Failure("malformed-url", 'malformed URL "%s": white space' % url)
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise Failure("malformed-url", 'malformed URL "%s": %s' % (url, e)) from None
    if not parts.hostname:
        raise Failure("malformed-url", 'malformed URL "%s": no host' % url)
    return scheme, parts.hostname, port, (parts.path or "/") + ("?" + parts.query if parts.query else "")


class Deadline:
    """The total timeout: every blocking call gets what is left of it, and a watchdog shuts the
    socket down when it passes, so no drip of bytes (header or body) stretches it."""

    def __init__(self, seconds):
        self.at = time.monotonic() + seconds
        self.seconds = seconds
        self.expired = False
        self._sock = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self):
        self.expired = True
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def watch(self, sock):
        self._sock = sock
        if self.expired:
            self._expire()

    def left(self):
        left = self.at - time.monotonic()
        if left <= 0:
            self.expired = True
        return left

    def cancel(self):
        self._timer.cancel()


def content_length(response):
    values = response.msg.get_all("Content-Length") or []
    if not values:
        return None
    distinct = {v.strip() for v in values}
    if len(distinct) != 1 or not next(iter(distinct)).isdigit():
        # libcurl refuses these as a weird server reply, which the app files under "network"
        raise Failure("network", "invalid Content-Length: %s" % ", ".join(sorted(distinct)))
    return int(next(iter(distinct)))


def fetch(task, out):
    url = task["url"]
    connect_timeout = float(task.get("connect_timeout_s", 5))
    max_body = int(task.get("max_body_bytes") or DEFAULT_MAX_BODY)
    deadline = Deadline(float(task.get("timeout_s", 30)))
    digest = hashlib.sha256()
    out["bytes"] = 0
    t0 = time.monotonic()
    try:
        redirects = 0
        while True:
            scheme, host, port, target = check_url(url)
            left = deadline.left()
            if left <= 0:
                raise Failure("timeout", "timed out after 0 bytes")
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            kwargs = {"context": ssl.create_default_context()} if scheme == "https" else {}
            conn = cls(host, port, timeout=min(connect_timeout, left), **kwargs)
            try:
                try:
                    conn.connect()
                except ConnectionRefusedError as e:
                    raise Failure("refused", "connection refused: %s" % e) from None
                except socket.gaierror as e:
                    raise Failure("dns", "DNS lookup failed: %s" % e) from None
                except (socket.timeout, TimeoutError):
                    raise Failure("timeout", "connect timed out after %.3g s" % min(connect_timeout, left)) from None
                except ssl.SSLError as e:
                    raise Failure("tls", "TLS failure: %s" % e) from None
                except OSError as e:
                    raise Failure("connect", "cannot connect: %s" % e) from None
                sock = conn.sock  # http.client drops conn.sock when the reply says Connection: close
                deadline.watch(sock)
                sock.settimeout(max(0.001, deadline.left()))
                conn.request("GET", target, headers={"User-Agent": "concurrency-lab-python",
                                                      "Accept-Encoding": "identity"})
                response = conn.getresponse()
                out["ttfb_s"] = time.monotonic() - t0
                out["status"] = response.status
                if response.status in _REDIRECTS and response.getheader("Location"):
                    redirects += 1
                    if redirects > MAX_REDIRECTS:
                        raise Failure("too-many-redirects", "more than %d redirects" % MAX_REDIRECTS)
                    url = urllib.parse.urljoin(url, response.getheader("Location").strip())
                    try:
                        check_url(url)
                    except Failure as f:
                        if f.category == "unsupported-scheme":
                            raise Failure(f.category, "refused scheme (after a redirect?): %s" % f) from None
                        raise
                    continue
                out["lab_size"] = response.getheader("X-Lab-Size")
                out["lab_seed"] = response.getheader("X-Lab-Seed")
                length = content_length(response)
                if length is not None and length > max_body:
                    raise Failure("too-large", "body larger than the limit of %d bytes" % max_body)
                size = 0
                while True:
                    sock.settimeout(max(0.001, deadline.left()))
                    try:
                        chunk = response.read1(CHUNK)
                    except http.client.IncompleteRead as e:
                        size += len(e.partial)
                        out["bytes"] = size
                        raise Failure("truncated", "body cut short after %d bytes" % size) from None
                    if deadline.expired:
                        raise Failure("timeout", "timed out after %d bytes" % size)
                    if not chunk:
                        break
                    if size + len(chunk) > max_body:
                        raise Failure("too-large", "body larger than the limit of %d bytes (stopped at %d)"
                                      % (max_body, size))
                    digest.update(chunk)
                    size += len(chunk)
                    out["bytes"] = size
                if length is not None and size != length:
                    raise Failure("truncated", "body cut short: %d of %d bytes" % (size, length))
                if response.status >= 400:
                    raise Failure("http", "HTTP %d (%d bytes of body)" % (response.status, size))
                return
            finally:
                conn.close()
    except Failure as f:
        if deadline.expired and f.category in ("truncated", "network"):
            f = Failure("timeout", "timed out after %d bytes" % out["bytes"])
        out["error"], out["category"] = str(f), f.category
    except (socket.timeout, TimeoutError):
        out["error"], out["category"] = "timed out after %d bytes" % out["bytes"], "timeout"
    except ssl.SSLError as e:
        out["error"], out["category"] = "TLS failure: %s" % e, "tls"
    except (http.client.HTTPException, OSError) as e:
        if deadline.expired:
            out["error"], out["category"] = "timed out after %d bytes" % out["bytes"], "timeout"
        elif out["bytes"] > 0:
            out["error"], out["category"] = "body cut short after %d bytes: %s" % (out["bytes"], e), "truncated"
        else:
            out["error"], out["category"] = "connection failed: %s: %s" % (type(e).__name__, e), "network"
    except Exception as e:  # noqa: BLE001 - every failure becomes a readable line, never a dead pool
        out["error"], out["category"] = "transfer failed: %s: %s" % (type(e).__name__, e), "network"
    finally:
        deadline.cancel()
        out["sha256"] = digest.hexdigest()


def download_from_site(task, worker):
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0 = time.monotonic()
    c0 = time.thread_time()
    out = {"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "url": task["url"]}
    fetch(task, out)
    out["cpu_s"] = time.thread_time() - c0
    out["t"] = time.monotonic()
    emit(out)
    return task["id"]


if __name__ == "__main__":
    # The seed starts one threading.Thread per site; a pool of W threads is the same when
    # W equals the number of sites (the default for I/O experiments).
    main(download_from_site)
