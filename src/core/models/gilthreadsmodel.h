#pragma once
#include "threadpoolmodel.h"

#include <QJsonObject>
#include <memory>

namespace lab {

class EmulatedGil;

// W native threads that must hold one emulated CPython GIL (gil/emulatedgil.h) to run a tick of
// work: attach/detach take and drop it, every CpuWork checkpoint is an eval-breaker check, and
// blocking sections release it like Py_BEGIN/END_ALLOW_THREADS. Interval: spec.gil.
// Fills RunRecord::gil.
class GilThreadsModel : public ThreadPoolModel {
public:
    GilThreadsModel();
    ~GilThreadsModel() override;

    // The GIL's counters and tenure spans once its threads have stopped; span times relative
    // to the GIL's t0 (the run's).
    static GilStats gilStats(const EmulatedGil &gil, double wall_s);

protected:
    std::unique_ptr<ExecHooks> makeHooks(int index, RunContext &ctx) override;
    void beforeRun(RunContext &ctx, int workers) override;
    void afterRun(RunRecord &record) override;

private:
    std::unique_ptr<EmulatedGil> m_gil;
    double m_t0 = 0;
};

} // namespace lab
