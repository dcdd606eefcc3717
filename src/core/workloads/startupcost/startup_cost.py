"""What it costs CPython to get a worker: threading.Thread start + join, os.fork + os._exit,
os.posix_spawn of /bin/true, and multiprocessing.Process with the start methods fork, spawn and
forkserver, each started and joined one after another.

Run by Concurrency Lab's python-sequential model for the `startup-cost` workload: reads a JSON
job on stdin ({"tasks": [{"id", "mechanism", "count", "program"}]}) and prints JSON lines
(hello, start, finish, done). A finish carries "us" (one time per start, µs), "completed"
(threads that ran, children that exited with code 0) and "verified". Standard library only.
"""
import multiprocessing
import os
import threading
import time

from labcommon import emit, main


def noop():
    pass


def exited_ok(status):
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def start_thread(ran, _program, _ctx):
    def body():
        ran.append(1)
    t = threading.Thread(target=body)
    t.start()
    t.join()
    return True


def start_fork(_ran, _program, _ctx):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return exited_ok(os.waitpid(pid, 0)[1])


def start_posix_spawn(_ran, program, _ctx):
    pid = os.posix_spawn(program, [program], os.environ)
    return exited_ok(os.waitpid(pid, 0)[1])


def start_process(_ran, _program, ctx):
    p = ctx.Process(target=noop)
    p.start()
    p.join()
    return p.exitcode == 0


MECHANISMS = {"thread": start_thread, "fork": start_fork, "posix-spawn": start_posix_spawn,
              "mp-fork": start_process, "mp-spawn": start_process, "mp-forkserver": start_process}


def run_task(task, worker):
    emit({"event": "start", "task": task["id"], "worker": worker, "t": time.monotonic()})
    t0, c0 = time.monotonic(), time.process_time()
    mechanism = task["mechanism"]
    count = int(task["count"])
    ctx = multiprocessing.get_context(mechanism[3:]) if mechanism.startswith("mp-") else None
    ran, us, completed, error = [], [], 0, None
    try:
        start = MECHANISMS[mechanism]
        for _ in range(count):
            s = time.perf_counter()
            ok = start(ran, task.get("program", "/bin/true"), ctx)
            us.append(round((time.perf_counter() - s) * 1e6, 2))
            if not ok:
                error = "a child of %s did not exit with code 0" % mechanism
                break
            completed += 1
    except (OSError, KeyError, ValueError) as e:
        error = "%s: %s" % (type(e).__name__, e)
    if mechanism == "thread":
        completed = len(ran)
    finish = {"event": "finish", "task": task["id"], "worker": worker, "t0": t0, "t": time.monotonic(),
              "cpu_s": time.process_time() - c0, "us": us, "completed": completed,
              "verified": error is None and completed == count and len(us) == count}
    if error is not None:
        finish["error"] = error
    emit(finish)


if __name__ == "__main__":
    main(run_task)
