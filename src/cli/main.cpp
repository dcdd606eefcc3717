#include "clicommands.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("concurrency-lab-cli"));
    return lab::cli::main(QCoreApplication::arguments());
}
