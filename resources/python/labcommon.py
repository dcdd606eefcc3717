"""What every Concurrency Lab Python script shares: the JSON-line events on stdout and the
sequential / threads / processes pool that runs one function over the job's tasks.

Extracted next to the scripts by the python-* models, so `import labcommon` finds it.
Standard library only.
"""
import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

_PR_SET_PDEATHSIG = 1


_emit_lock = threading.Lock()
os.register_at_fork(after_in_child=lambda: globals().__setitem__("_emit_lock", threading.Lock()))
_sink = None  # in a supervised pool worker: its pipe to the pool, which writes the lines


def emit(obj):
    """One JSON line on stdout, whole. A line longer than PIPE_BUF (a finish with its trace) is
    not written atomically, so threads take turns and every byte is written; a pool worker hands
    its lines to the pool process, the only writer of stdout (no lock shared across processes,
    which a worker killed mid-write would leave held)."""
    data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
    if _sink is not None:
        _sink.send(("line", data))
        return
    with _emit_lock:
        _write_all(data)


def _write_all(data):
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def die_with_parent(parent_pid):
    """Asks Linux to SIGKILL this process when its parent dies (a killed interpreter must not
    leave pool workers or an echo peer running under PID 1), then closes the race of a parent
    that died before the request was made."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError, ImportError):
        pass  # not Linux, or no ctypes: the app still kills the whole process group
    if os.getppid() != parent_pid:
        os._exit(1)


def read_job():
    """The JSON job on stdin, with its GIL switch interval applied."""
    job = json.load(sys.stdin)
    sys.setswitchinterval(float(job.get("switch_interval_s", 0.005)))
    return job


def emit_hello():
    """The first line, once the job's own fields are read."""
    emit({"event": "hello", "python": sys.version.split()[0], "pid": os.getpid(), "t": time.monotonic()})


def emit_done():
    """The last line: CPU and peak RSS of this process and its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    emit({"event": "done", "t": time.monotonic(),
          "cpu_s": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
          "maxrss_kb": own.ru_maxrss + kids.ru_maxrss})


def emit_failed(task_id, worker, t0, category, error):
    """A task that produced no finish line: the app records it as failed with this category."""
    emit({"event": "failed", "task": task_id, "worker": worker, "t0": t0, "t": time.monotonic(),
          "category": category, "error": error})


_local = threading.local()
_next_worker = iter(range(1 << 30))
_next_lock = threading.Lock()


def _run_in_thread(run_task, task):
    if not hasattr(_local, "index"):
        with _next_lock:
            _local.index = next(_next_worker)
    return run_task(task, _local.index)


class _Bound:
    """run_task bound to a pool runner; picklable when run_task is a module-level function."""

    def __init__(self, runner, run_task):
        self.runner, self.run_task = runner, run_task

    def __call__(self, task):
        return self.runner(self.run_task, task)


def _signal_text(exitcode):
    if exitcode is not None and exitcode < 0:
        try:
            return "was killed by signal %d (%s)" % (-exitcode, signal.Signals(-exitcode).name)
        except ValueError:
            return "was killed by signal %d" % -exitcode
    return "exited with code %s" % exitcode


def _pool_worker(conn, run_task, slot, parent_pid):
    global _sink
    die_with_parent(parent_pid)
    _sink = conn
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if task is None:
            os._exit(0)
        run_task(task, slot)
        conn.send(task["id"])


class _Slot:
    """One pool worker process, fed one task at a time over its own pipe."""

    def __init__(self, ctx, index, run_task):
        self.index = index
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_pool_worker, args=(child, run_task, index, os.getpid()), daemon=True)
        self.proc.start()
        child.close()
        self.task = None
        self.t0 = 0.0
        self.deadline = None

    def give(self, task):
        self.task = task
        self.t0 = time.monotonic()
        limit = task.get("deadline_s")
        self.deadline = self.t0 + float(limit) if limit else None
        try:
            self.conn.send(task)
        except OSError:
            pass  # the worker died between two tasks: its sentinel reports it, with this task

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass


def _supervised_pool(tasks, workers, run_task):
    """multiprocessing workers supervised here instead of by Pool.imap_unordered, which waits for
    ever on a task whose worker was killed or stopped: a dead worker's task is reported failed
    (with its signal), a task past its deadline_s gets its worker SIGKILLed and is reported
    timed-out; either way the slot gets a fresh worker and the run goes on."""
    ctx = multiprocessing.get_context("fork")
    pending = deque(tasks)
    slots = []
    for i in range(min(workers, len(pending))):
        slots.append(_Slot(ctx, i, run_task))
        slots[-1].give(pending.popleft())

    def recover(slot):
        # The slot's worker is dead (or killed just now): a fresh one takes the next task.
        slot.close()
        slot.proc.join()
        slot.task = None
        if pending:
            fresh = _Slot(ctx, slot.index, run_task)
            slots[slots.index(slot)] = fresh
            fresh.give(pending.popleft())

    def next_or_retire(slot):
        if pending:
            slot.give(pending.popleft())
        else:
            slot.task = None
            try:
                slot.conn.send(None)
            except OSError:
                pass

    while any(s.task is not None for s in slots):
        busy = [s for s in slots if s.task is not None]
        deadlines = [s.deadline for s in busy if s.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = set(multiprocessing.connection.wait([s.conn for s in busy] + [s.proc.sentinel for s in busy],
                                                    timeout))
        for slot in busy:
            if slot.conn in ready:
                try:
                    message = slot.conn.recv()
                    if isinstance(message, tuple):  # a line the worker emitted: still busy
                        with _emit_lock:
                            _write_all(message[1])
                        continue
                    next_or_retire(slot)
                    continue
                except (EOFError, OSError):
                    pass  # died mid-task: its sentinel tells how
            if slot.conn in ready or slot.proc.sentinel in ready:
                slot.proc.join()
                task = slot.task
                emit_failed(task["id"], slot.index, slot.t0, "worker-died",
                            "pool worker %d (pid %d) %s during task %d"
                            % (slot.index, slot.proc.pid, _signal_text(slot.proc.exitcode), task["id"]))
                recover(slot)
            elif slot.deadline is not None and time.monotonic() >= slot.deadline:
                pid = slot.proc.pid
                try:
                    os.kill(pid, signal.SIGKILL)  # also ends a SIGSTOPped worker
                except ProcessLookupError:
                    pass
                task = slot.task
                emit_failed(task["id"], slot.index, slot.t0, "timed-out",
                            "task %d missed its deadline of %.3g s; pool worker %d (pid %d) was killed"
                            % (task["id"], float(task["deadline_s"]), slot.index, pid))
                recover(slot)
    for slot in slots:
        slot.close()
    for slot in slots:
        slot.proc.join(2.0)
        if slot.proc.exitcode is None:
            slot.proc.kill()
            slot.proc.join()


def run_tasks(job, run_task):
    """Emits hello, then runs run_task(task, worker_index) over job["tasks"] in the job's mode."""
    mode = job.get("mode", "sequential")
    workers = max(1, int(job.get("workers", 1)))
    tasks = job["tasks"]
    emit_hello()
    if mode == "sequential":
        for task in tasks:
            run_task(task, 0)
    elif mode == "threads":
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_Bound(_run_in_thread, run_task), tasks))
    elif mode == "processes":
        _supervised_pool(tasks, workers, run_task)
    else:
        raise SystemExit("unknown mode %r" % mode)


def main(run_task):
    """A whole pool script: job in, hello, one start/finish pair per task, done."""
    run_tasks(read_job(), run_task)
    emit_done()
