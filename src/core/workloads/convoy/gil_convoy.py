"""CPython's convoy effect (bpo-7946), measured: an I/O thread doing short blocking round trips
on a socketpair, first beside CPU-bound threads, then alone.

Run by Concurrency Lab's python-threads model: reads a JSON job on stdin
({"round_trips": N, "cpu_threads": K, "chunk_n": C, "echo_us": E, "switch_interval_s": S})
and prints JSON lines: hello, start/finish for the I/O task (id 0) and each CPU task
(ids 1..K), done. The I/O task's "value" is
{"beside": {"n", "cpu_threads", "p50_us", "p99_us", "mean_us", "max_us"}, "alone": {...}}.
The echo peer is a forked process (no GIL shared with us) that takes E us to answer: a peer
answering in ~5 us beats the woken CPU thread to the GIL and hides the convoy.
Standard library only.
"""
import json
import os
import socket
import threading
import time

from labcommon import die_with_parent, emit, emit_done, emit_hello, read_job

PAYLOAD = 64


def precise_sleeps():
    # A timer slack of 1 ns (PR_SET_TIMERSLACK): a sleep ends on time, not up to 50 us late.
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(29, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def echo_forever(sock, service_s):
    # The peer's service time is slept, as a peer on another machine uses none of our cores (a
    # spinning peer held one, and a CPU thread woken onto it missed the window: no convoy).
    precise_sleeps()
    while True:
        data = sock.recv(PAYLOAD)
        if not data:
            os._exit(0)
        if service_s > 0:
            time.sleep(service_s)
        sock.sendall(data)


def recv_exactly(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("echo peer closed the socket")
        buf += chunk
    return buf


def percentile(sorted_values, p):
    # nearest rank, like the app's lab::percentile
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def phase(values_us, cpu_threads):
    v = sorted(values_us)
    out = {"n": len(v), "cpu_threads": cpu_threads}
    if v:
        out.update({"p50_us": round(percentile(v, 50), 1), "p99_us": round(percentile(v, 99), 1),
                    "mean_us": round(sum(v) / len(v), 1), "max_us": round(v[-1], 1)})
    return out


def main():
    job = read_job()
    round_trips = int(job.get("round_trips", 1000))
    cpu_threads = int(job.get("cpu_threads", 1))
    chunk_n = int(job.get("chunk_n", 100000))
    echo_us = int(job.get("echo_us", 25))
    emit_hello()

    mine, peer = socket.socketpair()
    parent = os.getpid()
    child = os.fork()
    if child == 0:
        mine.close()
        die_with_parent(parent)
        echo_forever(peer, echo_us * 1e-6)
    peer.close()

    stop = threading.Event()
    expected = chunk_n * (chunk_n - 1) * (2 * chunk_n - 1) // 6
    running = []
    running_lock = threading.Lock()

    def cpu(task_id):
        emit({"event": "start", "task": task_id, "worker": task_id, "t": time.monotonic()})
        t0, c0 = time.monotonic(), time.thread_time()
        with running_lock:
            running.append(task_id)
        chunks, good = 0, True
        while not stop.is_set():
            good = good and sum(i * i for i in range(chunk_n)) == expected
            chunks += 1
        with running_lock:
            running.remove(task_id)
        emit({"event": "finish", "task": task_id, "worker": task_id, "t0": t0, "t": time.monotonic(),
              "cpu_s": time.thread_time() - c0, "value": "%d chunks of n=%d" % (chunks, chunk_n),
              "verified": good})

    def round_trip_latencies():
        out = []
        for i in range(round_trips):
            msg = bytes([97 + i % 26]) * PAYLOAD
            t0 = time.perf_counter()
            mine.sendall(msg)
            back = recv_exactly(mine, PAYLOAD)
            out.append((time.perf_counter() - t0) * 1e6)
            if back != msg:
                raise ValueError("the echo differs from what was sent")
        return out

    emit({"event": "start", "task": 0, "worker": 0, "t": time.monotonic()})
    t0, c0 = time.monotonic(), time.thread_time()
    threads = [threading.Thread(target=cpu, args=(k + 1,)) for k in range(cpu_threads)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 0.3
    while len(running) < cpu_threads and time.monotonic() < deadline:
        time.sleep(0.0002)
    cpu_at_start = len(running)
    beside = round_trip_latencies()
    cpu_at_end = len(running)
    stop.set()
    for t in threads:
        t.join()
    alone = round_trip_latencies()
    value = {"beside": phase(beside, min(cpu_at_start, cpu_at_end)), "alone": phase(alone, len(running))}
    emit({"event": "finish", "task": 0, "worker": 0, "t0": t0, "t": time.monotonic(),
          "cpu_s": time.thread_time() - c0, "value": json.dumps(value, separators=(",", ":"), sort_keys=True),
          "bytes": (len(beside) + len(alone)) * PAYLOAD * 2, "verified": True})
    mine.close()
    os.waitpid(child, 0)
    emit_done()


if __name__ == "__main__":
    main()
