#pragma once
#include <QStringList>

namespace lab::cli {

enum ExitCode { Ok = 0, TaskFailed = 1, BadInput = 2, Cancelled = 130 };

int main(const QStringList &args);

} // namespace lab::cli
