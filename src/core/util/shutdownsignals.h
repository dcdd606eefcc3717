#pragma once
#include <QList>
#include <QObject>

class QSocketNotifier;

namespace lab {

// Turns termination signals (SIGTERM, SIGHUP, SIGINT, ...) into a Qt signal delivered by the
// event loop of the thread that created the object (self-pipe + QSocketNotifier), so a
// front end shuts down the way it does when asked politely: runs cancelled, children reaped,
// temporary folders removed. One instance per process; the destructor restores the default
// dispositions. A signal ignored at start-up (nohup, a background job) is left ignored.
class ShutdownSignals : public QObject {
    Q_OBJECT
public:
    explicit ShutdownSignals(const QList<int> &signalNumbers, QObject *parent = nullptr);
    ~ShutdownSignals() override;

    bool isValid() const { return m_notifier != nullptr; }
    int lastSignal() const { return m_last; }  // 0: none yet

Q_SIGNALS:
    void signalReceived(int signalNumber);

private:
    QList<int> m_signals;
    QSocketNotifier *m_notifier = nullptr;
    int m_last = 0;
};

} // namespace lab
