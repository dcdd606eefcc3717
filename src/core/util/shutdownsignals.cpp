#include "shutdownsignals.h"

#include <QSocketNotifier>

#include <cerrno>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace lab {

namespace {

int g_pipe[2] = {-1, -1};

void onSignal(int sig)
{
    // Only async-signal-safe calls here; errno is the interrupted code's.
    const int saved = errno;
    const char c = char(sig);
    [[maybe_unused]] const ssize_t n = ::write(g_pipe[1], &c, 1);
    errno = saved;
}

} // namespace

ShutdownSignals::ShutdownSignals(const QList<int> &signalNumbers, QObject *parent)
    : QObject(parent), m_signals(signalNumbers)
{
    if (g_pipe[0] >= 0 || ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        char buf[32];
        ssize_t n = 0;
        while ((n = ::read(g_pipe[0], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; ++i) {
                m_last = int(static_cast<unsigned char>(buf[i]));
                Q_EMIT signalReceived(m_last);
            }
        }
    });
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    // A signal ignored when the program started stays ignored: nohup's SIGHUP, the SIGINT of a
    // background job started by a shell without job control.
    QList<int> handled;
    for (int sig : std::as_const(m_signals)) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        ::sigaction(sig, &sa, nullptr);
        handled << sig;
    }
    m_signals = handled;
}

ShutdownSignals::~ShutdownSignals()
{
    if (!m_notifier)
        return;
    for (int sig : m_signals)
        ::signal(sig, SIG_DFL);
    delete m_notifier;
    m_notifier = nullptr;
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
}

} // namespace lab
