#pragma once
#include "executionmodel.h"

namespace lab {

// One thread, one curl_multi handle, at most W transfers in flight: what asyncio + aiohttp
// give Python. I/O workloads only. Cancel is seen within one poll interval (<= 50 ms) and
// closes every transfer still running.
class AsyncModel : public ExecutionModel {
public:
    QString id() const override { return QStringLiteral("async"); }
    void run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record) override;
};

} // namespace lab
