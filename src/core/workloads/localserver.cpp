#include "localserver.h"

namespace lab {

// Placeholder until the HTTP server lands: refuses clearly.
struct LocalServer::Private {};

LocalServer::LocalServer() : d(std::make_unique<Private>()) {}
LocalServer::~LocalServer() = default;

bool LocalServer::start(QString *error)
{
    *error = QStringLiteral("the built-in HTTP server is not available in this build");
    return false;
}

void LocalServer::stop() {}
bool LocalServer::isRunning() const { return false; }
QString LocalServer::hostPort() const { return {}; }
qint64 LocalServer::pid() const { return 0; }
double LocalServer::cpuSeconds() const { return 0; }

} // namespace lab
