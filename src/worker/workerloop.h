#pragma once

namespace lab::worker {

// The whole life of a worker process: handshake on stdout, tasks from stdin, one at a time.
// Two threads, the calling one and one more, take turns as the reader of stdin and the runner
// of tasks (workerloop.cpp, Worker), so that a cancel reaches a running task. Returns the exit code: 0 after stdin EOF or "bye",
// 1 on an I/O or protocol failure, 2 on bad arguments, 3 when the parent is already gone.
// With --fork-server it forks such workers on request instead (ipc/protocol.h, "forked"); each
// returns from its fork into the same life as a worker started on its own.
int run(int argc, char *argv[]);

} // namespace lab::worker
