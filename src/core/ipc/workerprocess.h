#pragma once
#include "framedecoder.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSocketNotifier>
#include <QString>
#include <QStringList>

#include <csignal>
#include <deque>
#include <memory>

#include <sys/types.h>

// The process pool's children. A WorkerProcess is what the pool needs of QProcess, and no more:
// stdin and stdout are one end of a Unix socket pair, stderr a pipe, and the exit is watched
// through a pidfd (so a signal can never reach a recycled pid). A write goes to the socket at
// once (QProcess queues it for the next turn of the event loop). It is started either by
// posix_spawn (start()) or as a fork of a ForkServer (ForkServer::spawn()).
// Both live in the thread that creates them and signal from its event loop.
namespace lab::ipc {

class ForkServer;

class WorkerProcess : public QObject {
    Q_OBJECT
public:
    explicit WorkerProcess(QObject *parent = nullptr);
    // A child still running is killed (SIGKILL) and reaped: none outlives its object.
    ~WorkerProcess() override;

    // posix_spawn(program, args) with fds 0/1 the socket and 2 the pipe; false with a reason.
    bool start(const QString &program, const QStringList &arguments, QString *error);

    qint64 pid() const { return m_pid; }           // 0 until known
    bool isRunning() const { return m_state == State::Forking || m_state == State::Running; }
    bool isForking() const { return m_state == State::Forking; }
    int exitCode() const { return m_exitCode; }
    bool crashed() const { return m_crashed; }      // then exitCode() is the signal

    void write(const QByteArray &data);
    // Shuts the socket's write side once what is queued has gone out: the child reads EOF.
    void closeWriteChannel();
    QByteArray readAll();                           // stdout, whatever has arrived
    // The same without a copy or an allocation: what has arrived is swapped into `buffer`,
    // whose old bytes are dropped and whose memory takes the next reads (readAll() gave each
    // read a fresh 64 KiB buffer, which a reader of many messages a second then copied twice).
    void swapInput(QByteArray &buffer);
    // Room for `bytes` of input, its pages touched now rather than by the first reads.
    void reserveInput(qsizetype bytes);
    // Its stderr: the last 2 KiB of it at most (what a failure message quotes).
    QByteArray readAllStandardError();
    QString lastStderrLine();                       // of what it wrote so far, trimmed
    void kill() { sendSignal(SIGKILL); }
    void terminate() { sendSignal(SIGTERM); }
    // Blocks up to ms, reading the child's output and writing to it meanwhile (a child blocked
    // on a full socket could not exit); true once it has exited and been reaped.
    bool waitForFinished(int ms);
    // Blocks up to ms for output or the exit (then handled as the event loop would).
    bool waitForReadyRead(int ms);

    // CPU seconds of the child so far, from /proc (-1 when gone).
    double cpuSeconds() const;

Q_SIGNALS:
    void readyRead();
    void readyReadStandardError();
    void finished(int exitCode, bool crashed);
    void failedToStart(const QString &why);

private:
    friend class ForkServer;
    enum class State { NotStarted, Forking, Running, Finished };

    bool open(QString *error);    // the socket pair and the pipe, both ends
    void closeChildEnds();
    bool adopt(pid_t pid, QString *error);  // the child exists: watch it
    // A forked child's first message, its handshake, names its pid. It may come before the
    // fork server's answer, or instead of it when the server died between the fork and the
    // answer: then the child is adopted from it (if it is ours), never left to be a zombie.
    void adoptFromHandshake();
    // The fork server died with this fork unanswered (`why`): the child exists if its
    // handshake comes, and does not if the socket reaches EOF first.
    void serverLost(const QString &why);
    void failIfNeverForked();     // lost server, EOF and no handshake: failedToStart
    void forkFailed(const QString &why);
    void sendSignal(int sig);
    bool reap(bool block);        // true when reaped; emits finished()
    void flushOut();
    bool drainIo();               // true if anything arrived
    bool drainErr();              // keeps the last kStderrTail bytes
    // One poll() over the exit, output and (if queued) input; false on timeout.
    bool pollOnce(int ms);
    void closeAll();

    State m_state = State::NotStarted;
    pid_t m_pid = 0;
    int m_io = -1;                // our end of the socket pair
    int m_err = -1;               // read end of the child's stderr
    int m_childIo = -1;           // the child's ends, until handed over
    int m_childErr = -1;
    int m_pidfd = -1;
    int m_pendingSignal = 0;      // asked for while it was being forked
    bool m_ioEof = false;
    bool m_errEof = false;
    bool m_closeWrite = false;
    bool m_writeClosed = false;
    int m_exitCode = 0;
    bool m_crashed = false;
    QByteArray m_in;
    QByteArray m_head;            // while Forking: its first bytes (the handshake)
    QByteArray m_errIn;
    QByteArray m_out;
    qsizetype m_outPos = 0;
    std::unique_ptr<QSocketNotifier> m_ioRead;
    std::unique_ptr<QSocketNotifier> m_ioWrite;
    std::unique_ptr<QSocketNotifier> m_errRead;
    std::unique_ptr<QSocketNotifier> m_exit;
    QPointer<ForkServer> m_server;  // while Forking
    QString m_serverLost;           // while Forking with no server to answer: why
};

// A concurrency-lab-worker in --fork-server mode (protocol.h, "forked"). Each spawn() is a fork
// of that one process: the new worker is a child of this process (CLONE_PARENT), runs exactly
// as a worker started on its own, and costs a fork instead of an exec and a dynamic link.
class ForkServer : public QObject {
    Q_OBJECT
public:
    explicit ForkServer(QObject *parent = nullptr);
    // close(2000, 1000) if it has not been closed.
    ~ForkServer() override;

    // Starts `program <workerArguments> --fork-server`; its handshake is checked when it comes.
    bool start(const QString &program, const QStringList &workerArguments, QString *error);
    // Asynchronous: `child` gets its pid (then runs) or emits failedToStart.
    void spawn(WorkerProcess *child);
    // Closes the server's stdin and waits up to answerMs for the forks it was sent (each answer
    // names a child of ours to adopt); those it did not answer fail. Then the server has
    // answerMs to exit, graceMs more after SIGTERM, then SIGKILL; it is reaped.
    void close(int answerMs, int graceMs);
    // Why the server is unusable (its handshake, its exit); empty while it works.
    QString failure() const { return m_failure; }
    qint64 pid() const { return m_proc.pid(); }
    double cpuSeconds() const { return m_proc.cpuSeconds(); }

private:
    friend class WorkerProcess;
    void onReadyRead();
    void onFinished(int code, bool crashed);
    void fail(const QString &why);
    void sendQueued();
    bool pump(int ms);            // waits for the server's answers (blocking), false on timeout

    WorkerProcess m_proc;
    FrameDecoder m_decoder;
    bool m_ready = false;
    QString m_failure;
    std::deque<QPointer<WorkerProcess>> m_queued;   // not sent yet
    std::deque<QPointer<WorkerProcess>> m_waiting;  // sent, answer pending
};

// "SIGKILL", or "signal N" for a number without a name.
QString signalAbbrev(int sig);
// "signal 9 (SIGKILL)", or "signal N".
QString signalName(int sig);
// "exited with code N" / "was killed by signal 9 (SIGKILL)".
QString describeExit(int code, bool crashed);

} // namespace lab::ipc
