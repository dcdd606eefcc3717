#include "workload.h"

#include "conditionqueue/conditionqueueworkload.h"
#include "convoy/convoyworkload.h"
#include "cpu/cpuworkload.h"
#include "deadlock/deadlockworkload.h"
#include "eventgate/eventgateworkload.h"
#include "faultisolation/faultisolationworkload.h"
#include "io/ioworkload.h"
#include "ipccost/ipccostworkload.h"
#include "lockcontention/lockcontentionworkload.h"
#include "racecounter/racecounterworkload.h"
#include "semaphorepool/semaphorepoolworkload.h"
#include "sleep/sleepworkload.h"
#include "startupcost/startupcostworkload.h"

namespace lab {

// Every workload, in the order the panel lists them. A new workload: its folder, one line here.
const std::vector<std::unique_ptr<Workload>> &workloadRegistry()
{
    static const std::vector<std::unique_ptr<Workload>> registry = [] {
        std::vector<std::unique_ptr<Workload>> r;
        r.push_back(std::make_unique<CpuWorkload>());
        r.push_back(std::make_unique<IoWorkload>());
        r.push_back(std::make_unique<ConvoyWorkload>());
        r.push_back(std::make_unique<SleepWorkload>());
        r.push_back(std::make_unique<RaceCounterWorkload>());
        r.push_back(std::make_unique<LockContentionWorkload>());
        r.push_back(std::make_unique<DeadlockWorkload>());
        r.push_back(std::make_unique<SemaphorePoolWorkload>());
        r.push_back(std::make_unique<EventGateWorkload>());
        r.push_back(std::make_unique<ConditionQueueWorkload>());
        r.push_back(std::make_unique<FaultIsolationWorkload>());
        r.push_back(std::make_unique<IpcCostWorkload>());
        r.push_back(std::make_unique<StartupCostWorkload>());
        return r;
    }();
    return registry;
}

} // namespace lab
