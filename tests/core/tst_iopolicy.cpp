// One I/O policy for every model: the same table of URLs (the project's own server, plus small
// misbehaving servers on 127.0.0.1 started here) runs on every model that does I/O, native and
// CPython, and each row must end the same way everywhere: same outcome, same error category.
// No outside name is ever resolved.
#include "experiment/runner.h"
#include "models/executionmodel.h"
#include "models/pythonmodel.h"
#include "testutil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace lab;
using namespace lab::test;

namespace {

// A listener on 127.0.0.1 that answers each connection with fn(request path, socket) on its
// own thread. Plain sockets on background threads: the test thread is busy inside Runner::run.
class TinyServer {
public:
    using Handler = std::function<void(const std::string &path, int fd, const std::atomic<bool> &stop)>;

    explicit TinyServer(Handler handler) : m_handler(std::move(handler))
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 || ::listen(m_fd, 64) != 0
            || ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&a), &len) != 0)
            return;
        m_port = ntohs(a.sin_port);
        m_acceptor = std::thread([this] { acceptLoop(); });
    }
    ~TinyServer()
    {
        m_stop = true;
        if (m_acceptor.joinable())
            m_acceptor.join();
        std::lock_guard lock(m_mutex);
        for (std::thread &t : m_connections)
            t.join();
        ::close(m_fd);
    }
    quint16 port() const { return m_port; }
    int accepted() const { return m_accepted.load(); }

private:
    void acceptLoop()
    {
        while (!m_stop) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0)
                continue;
            const int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0)
                continue;
            ++m_accepted;
            std::lock_guard lock(m_mutex);
            m_connections.emplace_back([this, c] {
                m_handler(readRequestPath(c), c, m_stop);
                ::close(c);
            });
        }
    }
    static std::string readRequestPath(int fd)
    {
        std::string req;
        char buf[2048];
        while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 2000) <= 0)
                break;
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                break;
            req.append(buf, size_t(n));
        }
        const size_t a = req.find(' '), b = a == std::string::npos ? a : req.find(' ', a + 1);
        return b == std::string::npos ? std::string() : req.substr(a + 1, b - a - 1);
    }

    Handler m_handler;
    int m_fd = -1;
    quint16 m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_accepted{0};
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<std::thread> m_connections;
};

void sendAll(int fd, const std::string &s)
{
    size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        off += size_t(n);
    }
}

// Bodies the lab's own server never sends: a 1 B/s drip, a body shorter than its
// Content-Length, a negative or non-numeric Content-Length, a redirect to ftp.
void misbehave(const std::string &path, int fd, const std::atomic<bool> &stop, quint16 ftpPort)
{
    if (path == "/drip") {
        sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for (int i = 0; i < 100 && !stop; ++i) {
            sendAll(fd, "x");
            for (int k = 0; k < 20 && !stop; ++k)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    } else if (path == "/short") {
        sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n0123456789");
    } else if (path == "/negative-length") {
        sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\nConnection: close\r\n\r\n0123456789");
    } else if (path == "/bad-length") {
        sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: abc\r\nConnection: close\r\n\r\n0123456789");
    } else if (path == "/to-ftp") {
        sendAll(fd, "HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1:" + std::to_string(ftpPort)
                        + "/x\r\nContent-Length: 0\r\n\r\n");
    } else {
        sendAll(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
}

struct Row {
    QString name;
    QString url;       // "{server}" is the lab's own server, "{tiny}" the misbehaving one
    QString category;  // empty: ok and verified
    int status = -1;   // -1: any
};

struct Group {
    int timeoutMs;
    qint64 maxBody;
    std::vector<Row> rows;
};

} // namespace

class TestIoPolicy : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyModelFollowsTheSamePolicy()
    {
        // Fake FTP: a listener that must never see a connection (it would answer nothing).
        TinyServer ftp([](const std::string &, int, const std::atomic<bool> &) {});
        const quint16 ftpPort = ftp.port();
        TinyServer tiny([ftpPort](const std::string &path, int fd, const std::atomic<bool> &stop) {
            misbehave(path, fd, stop, ftpPort);
        });
        QVERIFY(ftp.port() && tiny.port());
        quint16 closedPort = 0;
        {
            TinyServer probe([](const std::string &, int, const std::atomic<bool> &) {});
            closedPort = probe.port();
        }
        const QString ftpUrl = QStringLiteral("ftp://127.0.0.1:%1/x").arg(ftpPort);
        const qint64 limit = 64ll << 20;
        const std::vector<Group> groups = {
            {10000,
             limit,
             {
                 {QStringLiteral("ok"), QStringLiteral("http://{server}/data?size=50000&seed=3"), {}, 200},
                 {QStringLiteral("5 redirects"), QStringLiteral("http://{server}/redirect/5?size=1000&seed=4"), {}, 200},
                 {QStringLiteral("6 redirects"), QStringLiteral("http://{server}/redirect/6?size=10"),
                  QStringLiteral("too-many-redirects"), 302},
                 {QStringLiteral("404"), QStringLiteral("http://{server}/status/404?size=10"), QStringLiteral("http"), 404},
                 {QStringLiteral("cut"), QStringLiteral("http://{server}/cut?size=100000&at=5000"),
                  QStringLiteral("truncated"), -1},
                 {QStringLiteral("cut chunked"), QStringLiteral("http://{server}/data?size=100000&chunked=1&cut_at=7000"),
                  QStringLiteral("truncated"), -1},
                 {QStringLiteral("over 64 MiB announced"), QStringLiteral("http://{server}/data?size=67108865"),
                  QStringLiteral("too-large"), -1},
                 {QStringLiteral("over 64 MiB chunked"), QStringLiteral("http://{server}/data?size=67108865&chunked=1"),
                  QStringLiteral("too-large"), -1},
                 {QStringLiteral("file URL"), QStringLiteral("file:///etc/passwd"), QStringLiteral("unsupported-scheme"), 0},
                 {QStringLiteral("endless file"), QStringLiteral("file:///dev/zero"), QStringLiteral("unsupported-scheme"), 0},
                 {QStringLiteral("ftp URL"), ftpUrl, QStringLiteral("unsupported-scheme"), 0},
                 {QStringLiteral("redirect to file"), QStringLiteral("http://{server}/redirect-to?url=file:///etc/passwd"),
                  QStringLiteral("unsupported-scheme"), 302},
                 {QStringLiteral("redirect to ftp"), QStringLiteral("http://{tiny}/to-ftp"),
                  QStringLiteral("unsupported-scheme"), 302},
                 {QStringLiteral("short body"), QStringLiteral("http://{tiny}/short"), QStringLiteral("truncated"), -1},
                 {QStringLiteral("negative length"), QStringLiteral("http://{tiny}/negative-length"),
                  QStringLiteral("network"), -1},
                 {QStringLiteral("bad length"), QStringLiteral("http://{tiny}/bad-length"), QStringLiteral("network"), -1},
                 {QStringLiteral("refused"), QStringLiteral("http://127.0.0.1:%1/").arg(closedPort),
                  QStringLiteral("refused"), 0},
                 {QStringLiteral("malformed"), QStringLiteral("http://exa mple.com/"), QStringLiteral("malformed-url"), 0},
             }},
            {10000,
             1000,
             {
                 {QStringLiteral("over the limit"), QStringLiteral("http://{server}/data?size=5000"),
                  QStringLiteral("too-large"), -1},
                 {QStringLiteral("over the limit chunked"), QStringLiteral("http://{server}/data?size=50000&chunked=1"),
                  QStringLiteral("too-large"), -1},
             }},
            {3000,
             limit,
             {
                 {QStringLiteral("drip"), QStringLiteral("http://{tiny}/drip"), QStringLiteral("timeout"), -1},
                 {QStringLiteral("slow first byte"), QStringLiteral("http://{server}/data?size=10&latency_ms=6000"),
                  QStringLiteral("timeout"), -1},
             }},
        };

        const bool python = PythonModel::unavailableReason().isEmpty();
        QStringList checked;
        for (const Group &g : groups) {
            QJsonArray urls;
            for (const Row &row : g.rows)
                urls.append(QString(row.url).replace(QStringLiteral("{tiny}"),
                                                     QStringLiteral("127.0.0.1:%1").arg(tiny.port())));
            QJsonObject w{{QStringLiteral("kind"), QStringLiteral("io")},
                          {QStringLiteral("urls"), urls},
                          {QStringLiteral("timeout_ms"), g.timeoutMs},
                          {QStringLiteral("connect_timeout_ms"), 2000},
                          {QStringLiteral("max_body_bytes"), double(g.maxBody)}};
            const ExperimentSpec spec = specFromJson(QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("policy")},
                                                                               {QStringLiteral("workload"), w},
                                                                               {QStringLiteral("workers"), 4}})
                                                         .toJson());
            QString error;
            const QStringList models = resolveModels(spec, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            for (const QString &m : {QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes"),
                                     QStringLiteral("async")})
                QVERIFY2(models.contains(m), qPrintable(m));
            if (python)
                for (const QString &m : {QStringLiteral("python-sequential"), QStringLiteral("python-threads"),
                                         QStringLiteral("python-processes")})
                    QVERIFY2(models.contains(m), qPrintable(m));
            Runner runner;
            const ExperimentResult r = runner.run(spec);
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QCOMPARE(r.runs.size(), size_t(models.size()));
            for (const RunRecord &run : r.runs) {
                QVERIFY2(run.error.isEmpty(), qPrintable(run.model + QStringLiteral(": ") + run.error));
                QCOMPARE(run.tasks.size(), g.rows.size());
                for (const TaskResult &t : run.tasks) {
                    const Row &row = g.rows.at(size_t(t.id));
                    const QString where = QStringLiteral("%1, %2: ok=%3 category=%4 status=%5 bytes=%6 error=%7")
                                              .arg(run.model, row.name)
                                              .arg(t.ok)
                                              .arg(t.errorCategory)
                                              .arg(t.httpStatus)
                                              .arg(t.bytes)
                                              .arg(t.error);
                    if (row.category.isEmpty()) {
                        QVERIFY2(t.ok && t.verified, qPrintable(where));
                    } else {
                        QVERIFY2(!t.ok && !t.verified, qPrintable(where));
                        QVERIFY2(t.errorCategory == row.category, qPrintable(where));
                        QVERIFY2(!t.error.isEmpty() && !t.error.toString().contains(QLatin1Char('\n')), qPrintable(where));
                    }
                    if (row.status >= 0)
                        QVERIFY2(t.httpStatus == row.status, qPrintable(where));
                    if (row.category == QLatin1String("too-large"))
                        QVERIFY2(t.bytes <= g.maxBody, qPrintable(where));
                    if (row.name == QLatin1String("drip")) {
                        // The total timeout covers the whole request: a drip cannot stretch it.
                        const double took = t.end_s - t.start_s;
                        QVERIFY2(took > 2.5 && took < 6.0, qPrintable(where + QStringLiteral(" took %1 s").arg(took)));
                    }
                }
                checked << run.model;
            }
        }
        QCOMPARE(ftp.accepted(), 0);  // nothing ever spoke FTP
        qInfo("checked: %s", qPrintable(checked.join(QStringLiteral(", "))));
    }
};

QTEST_GUILESS_MAIN(TestIoPolicy)
#include "tst_iopolicy.moc"
