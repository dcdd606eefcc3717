"""What moving bytes costs in CPython: between two threads, and between two processes over
multiprocessing.Pipe, multiprocessing.Queue, socket.socketpair and
multiprocessing.shared_memory.

Run by Concurrency Lab's python-sequential model for the `ipc-cost` workload: reads a JSON job
on stdin ({"tasks": [{"id", "transport", "payload_bytes", "messages"}]}) and prints JSON lines
(hello, start, finish, done). Each task sends messages + 1 payloads (the first is an untimed
warm-up); the partner answers each with the sequence number it found in the first 8 bytes and
the adler32 of the other bytes, which the sender checks. The finish "value" is
{"transport", "payload_bytes", "messages", "requested", "seconds", "expected", "actual"}.
Standard library only.
"""
import json
import multiprocessing
import os
import queue
import socket
import struct
import threading
import time
import zlib
from multiprocessing import shared_memory

from labcommon import die_with_parent, emit, main

ACK = struct.Struct("<QQ")
MASK = (1 << 64) - 1


def pattern(n):
    return bytearray((i * 131 + (i >> 11) * 7 + 29) & 0xFF for i in range(n)) if n <= 1 << 16 else \
        bytearray((bytes(pattern(1 << 16)) * (n // (1 << 16) + 1))[:n])


def mix(seq, rest_sum):
    return (rest_sum + (seq << 32)) & MASK


def answer(view):
    """What the partner sends back for one message it holds in `view`."""
    return ACK.pack(int.from_bytes(view[:8], "little"), zlib.adler32(view[8:]))


# --- partners (forked processes) -------------------------------------------------------------

def pipe_partner(data_r, ack_w, parent):
    die_with_parent(parent)
    while True:
        try:
            msg = data_r.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        ack_w.send_bytes(answer(memoryview(msg)))


def queue_partner(data_q, ack_q, parent):
    die_with_parent(parent)
    while True:
        msg = data_q.get()
        if msg is None:
            os._exit(0)
        ack_q.put(answer(memoryview(msg)))


def recv_exactly(sock, view):
    got = 0
    while got < len(view):
        k = sock.recv_into(view[got:])
        if k == 0:
            return False
        got += k
    return True


def socket_partner(sock, n, parent):
    die_with_parent(parent)
    buf = bytearray(n)
    view = memoryview(buf)
    while recv_exactly(sock, view):
        sock.sendall(answer(view))
    os._exit(0)


def shm_partner(buf, n, sig_r, ack_w, parent):
    die_with_parent(parent)
    view = buf[:n]
    while True:
        try:
            sig_r.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        ack_w.send_bytes(answer(view))


# --- the sender --------------------------------------------------------------------------------

class Measure:
    def __init__(self, n, messages):
        self.n, self.messages = n, messages
        self.msg = pattern(n)
        self.rest_sum = zlib.adler32(memoryview(self.msg)[8:])
        self.expected = self.actual = 0
        self.done = 0
        self.t0 = self.seconds = 0.0
        self.error = None

    def stamp(self, seq):
        self.msg[:8] = seq.to_bytes(8, "little")

    def check(self, seq, ack):
        echo, rest = ACK.unpack(ack)
        self.expected = (self.expected + mix(seq, self.rest_sum)) & MASK
        self.actual = (self.actual + mix(echo, rest)) & MASK
        if echo != seq:
            self.error = "message %d came back as number %d: out of order" % (seq - 1, echo - 1)
        elif rest != self.rest_sum:
            self.error = "message %d arrived with a different checksum: bytes changed on the way" % (seq - 1)
        if seq == 1:
            self.t0 = time.perf_counter()
        elif self.error is None:
            self.done += 1
            self.seconds = time.perf_counter() - self.t0
        return self.error is None

    def each(self):
        for seq in range(1, self.messages + 2):
            self.stamp(seq)
            yield seq


def fork_partner(target, *args):
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=target, args=args + (os.getpid(),), daemon=True)
    p.start()
    return p


def end_partner(p):
    p.join(1.0)
    if p.exitcode is None:
        p.kill()
        p.join()


def run_thread(m):
    buf = bytearray(m.n)
    to_partner, to_sender = queue.Queue(), queue.Queue()

    def partner():
        view = memoryview(buf)
        while True:
            seq = to_partner.get()
            if seq is None:
                return
            to_sender.put(answer(view))

    t = threading.Thread(target=partner, daemon=True)
    t.start()
    try:
        for seq in m.each():
            buf[:] = m.msg
            to_partner.put(seq)
            if not m.check(seq, to_sender.get()):
                break
    finally:
        to_partner.put(None)
        t.join()


def run_pipe(m):
    data_r, data_w = multiprocessing.Pipe(duplex=False)
    ack_r, ack_w = multiprocessing.Pipe(duplex=False)
    p = fork_partner(pipe_partner, data_r, ack_w)
    data_r.close()
    ack_w.close()
    try:
        for seq in m.each():
            data_w.send_bytes(m.msg)
            if not m.check(seq, ack_r.recv_bytes()):
                break
    finally:
        data_w.close()
        ack_r.close()
        end_partner(p)


def run_queue(m):
    ctx = multiprocessing.get_context("fork")
    data_q, ack_q = ctx.Queue(), ctx.Queue()
    p = fork_partner(queue_partner, data_q, ack_q)
    try:
        for seq in m.each():
            data_q.put(bytes(m.msg))  # put() pickles later, in its feeder thread: an immutable copy
            if not m.check(seq, ack_q.get()):
                break
    finally:
        data_q.put(None)
        end_partner(p)
        data_q.close()
        ack_q.close()


def run_socket(m):
    mine, theirs = socket.socketpair()
    p = fork_partner(socket_partner, theirs, m.n)
    theirs.close()
    ack = bytearray(ACK.size)
    try:
        for seq in m.each():
            mine.sendall(m.msg)
            if not recv_exactly(mine, memoryview(ack)):
                m.error = "the partner process closed its socket"
                break
            if not m.check(seq, bytes(ack)):
                break
    finally:
        mine.close()
        end_partner(p)


def run_shm(m):
    shm = shared_memory.SharedMemory(create=True, size=m.n)
    # The forked partner inherits the mapping: the name can go at once, so a killed run leaves
    # nothing in /dev/shm.
    shm.unlink()
    sig_r, sig_w = multiprocessing.Pipe(duplex=False)
    ack_r, ack_w = multiprocessing.Pipe(duplex=False)
    view = shm.buf[:m.n]
    try:
        p = fork_partner(shm_partner, shm.buf, m.n, sig_r, ack_w)
        sig_r.close()
        ack_w.close()
        try:
            for seq in m.each():
                view[:] = m.msg
                sig_w.send_bytes(b"s")
                if not m.check(seq, ack_r.recv_bytes()):
                    break
        finally:
            sig_w.close()
            ack_r.close()
            end_partner(p)
    finally:
        view.release()
        shm.close()


TRANSPORTS = {"thread": run_thread, "pipe": run_pipe, "queue": run_queue, "socket": run_socket, "shm": run_shm}


def run_task(task, worker):
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0, c0 = time.monotonic(), time.process_time()
    transport = task["transport"]
    m = Measure(int(task["payload_bytes"]), int(task["messages"]))
    try:
        TRANSPORTS[transport](m)
    except (OSError, EOFError, KeyError, ValueError, BufferError) as e:
        m.error = "%s: %s" % (type(e).__name__, e)
    value = {"transport": transport, "payload_bytes": m.n, "messages": m.done, "requested": m.messages,
             "seconds": m.seconds, "expected": "%016x" % m.expected, "actual": "%016x" % m.actual}
    finish = {"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "t": time.monotonic(),
              "cpu_s": time.process_time() - c0, "value": json.dumps(value, separators=(",", ":"), sort_keys=True),
              "verified": m.error is None and m.done == m.messages}
    if m.error is not None:
        finish["error"] = m.error
    emit(finish)


if __name__ == "__main__":
    main(run_task)
