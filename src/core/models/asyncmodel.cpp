#include "asyncmodel.h"

#include "util/sysinfo.h"
#include "workloads/io/httpclient.h"

#include <deque>
#include <memory>

namespace lab {

namespace {

constexpr int kPollMs = 50;

struct Slot {
    CURL *easy = nullptr;
    std::unique_ptr<HttpTransfer> transfer;
    const TaskSpec *task = nullptr;
    double start = 0;
    int cpuStart = -1;
};

} // namespace

void AsyncModel::run(const std::vector<TaskSpec> &tasks, RunContext &ctx, RunRecord &record)
{
    ensureCurlInitialized();
    const int inFlight = std::max(1, ctx.workers);
    record.workers = inFlight;
    const double cpu0 = threadCpuSeconds();

    CURLM *multi = curl_multi_init();
    if (!multi) {
        record.error = QStringLiteral("libcurl could not create a multi handle");
        return;
    }
    // Slot i is "worker" i in the timeline: the i-th transfer that can be in flight.
    std::vector<Slot> transfers(static_cast<size_t>(inFlight));
    std::deque<int> freeSlots;
    for (int i = 0; i < inFlight; ++i)
        freeSlots.push_back(i);
    std::vector<TaskResult> results;
    results.reserve(tasks.size());

    auto complete = [&](int s, TaskResult r, double end) {
        Slot &slot = transfers[size_t(s)];
        r.worker = s;
        r.start_s = slot.start - ctx.t0;
        r.end_s = end - ctx.t0;
        r.compute_s = end - slot.start;
        r.cpu_start = slot.cpuStart;
        r.cpu_end = currentCpu();
        ctx.live.push({LiveEvent::TaskFinished, r.id, s, end, r.ok, r.bytes, r.cpu_end});
        results.push_back(std::move(r));
        slot.transfer.reset();
        slot.task = nullptr;
        freeSlots.push_back(s);
    };

    size_t next = 0;
    int active = 0;
    while (!ctx.cancel.load(std::memory_order_relaxed)) {
        // Fill free slots. A URL refused before any I/O completes at once and frees its slot.
        while (next < tasks.size() && !freeSlots.empty()) {
            const int s = freeSlots.front();
            freeSlots.pop_front();
            Slot &slot = transfers[size_t(s)];
            slot.task = &tasks[next++];
            slot.start = monotonicSeconds();
            slot.cpuStart = currentCpu();
            ctx.live.push({LiveEvent::TaskStarted, slot.task->id, s, slot.start, false, 0, slot.cpuStart});
            if (!slot.easy)
                slot.easy = curl_easy_init();
            else
                curl_easy_reset(slot.easy);
            slot.transfer = std::make_unique<HttpTransfer>(HttpRequest::fromTask(*slot.task), nullptr);
            if (!slot.easy || !slot.transfer->setup(slot.easy)) {
                TaskResult r = slot.transfer->result();
                if (!slot.easy) {
                    r.errorCategory = QString::fromLatin1(ioerror::kNetwork);
                    r.error = QStringLiteral("libcurl could not create a handle");
                }
                complete(s, std::move(r), monotonicSeconds());
                continue;
            }
            curl_easy_setopt(slot.easy, CURLOPT_PRIVATE, reinterpret_cast<void *>(qintptr(s)));
            curl_multi_add_handle(multi, slot.easy);
            ++active;
        }
        if (active == 0 && next >= tasks.size())
            break;

        int running = 0;
        curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            void *priv = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            const int s = int(reinterpret_cast<qintptr>(priv));
            const CURLcode code = msg->data.result;
            CURL *easy = msg->easy_handle;
            transfers[size_t(s)].transfer->finish(code);
            curl_multi_remove_handle(multi, easy);  // invalidates msg
            --active;
            complete(s, transfers[size_t(s)].transfer->result(), monotonicSeconds());
        }
        if (active > 0 && (next >= tasks.size() || freeSlots.empty()))
            curl_multi_poll(multi, nullptr, 0, kPollMs, nullptr);
    }

    // Cancelled: close what is still in flight; unfinished transfers are not results.
    for (Slot &slot : transfers) {
        if (slot.transfer) {
            curl_multi_remove_handle(multi, slot.easy);
            slot.transfer.reset();
        }
        if (slot.easy)
            curl_easy_cleanup(slot.easy);
    }
    curl_multi_cleanup(multi);

    std::sort(results.begin(), results.end(), [](const TaskResult &a, const TaskResult &b) { return a.id < b.id; });
    record.tasks = std::move(results);
    record.cpu_s = threadCpuSeconds() - cpu0;
    record.spawn_us_median = -1;  // one thread, nothing is started per worker: no spawn cost
}

} // namespace lab
