// The worker's input stream: frames (FrameDecoder) carrying protocol messages (decodeTask and
// the other decoders, then the workload's checkTask, as the worker does before running a task).
// Public API only. The first input byte picks the chunk size the stream arrives in, so frames
// split anywhere are covered.
#include "fuzzcheck.h"
#include "ipc/framedecoder.h"
#include "ipc/protocol.h"
#include "workloads/workload.h"

#include <algorithm>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const qsizetype chunk = qsizetype(data[0] % 64) + 1;
    const char *bytes = reinterpret_cast<const char *>(data) + 1;
    const qsizetype total = qsizetype(size) - 1;
    lab::ipc::FrameDecoder decoder;
    int messages = 0;
    for (qsizetype off = 0; off < total && !decoder.hasError(); off += chunk) {
        decoder.feed(bytes + off, std::min(chunk, total - off));
        while (const std::optional<QByteArray> payload = decoder.nextPayload()) {
            ++messages;
            QString error;
            // The lean messages of protocol 3 are read straight from the payload, as the worker
            // and the pool read them; the others through the bounded CBOR decode.
            const lab::ipc::MessageType type = lab::ipc::peekMessageType(*payload);
            if (type == lab::ipc::MessageType::Tasks) {
                lab::ipc::TaskChunk tasks;
                if (lab::ipc::decodeTasks(*payload, &tasks, &error)) {
                    for (size_t i = 0; i < tasks.size(); ++i) {
                        lab::TaskSpec task;
                        if (!lab::ipc::taskAt(tasks, i, &task, &error))
                            LAB_FUZZ_CHECK(!error.isEmpty());
                    }
                } else {
                    LAB_FUZZ_CHECK(!error.isEmpty());
                }
                continue;
            }
            if (type == lab::ipc::MessageType::Results) {
                lab::ipc::ResultsMessage r;
                if (!lab::ipc::decodeResults(*payload, &r, &error, 4096))
                    LAB_FUZZ_CHECK(!error.isEmpty());
                // The direct reading never accepts what the stream reader refuses, nor reads
                // a value differently.
                lab::ipc::ResultsMessage fast, slow;
                if (lab::ipc::detail::decodeResultsFast(*payload, &fast, 4096)) {
                    LAB_FUZZ_CHECK(lab::ipc::detail::decodeResultsByStream(*payload, &slow, &error, 4096));
                    LAB_FUZZ_CHECK(fast.results.size() == slow.results.size());
                    for (size_t i = 0; i < fast.results.size(); ++i) {
                        const lab::TaskResult &a = fast.results[i], &b = slow.results[i];
                        LAB_FUZZ_CHECK(a.id == b.id && a.ok == b.ok && a.cancelled == b.cancelled && a.value == b.value
                                       && a.error == b.error && a.cpu_start == b.cpu_start
                                       && std::memcmp(&a.start_s, &b.start_s, sizeof a.start_s) == 0
                                       && std::memcmp(&a.end_s, &b.end_s, sizeof a.end_s) == 0);
                    }
                }
                continue;
            }
            const std::optional<QCborMap> m = lab::ipc::decodeMessage(*payload, &error);
            if (!m) {
                LAB_FUZZ_CHECK(!error.isEmpty());
                continue;
            }
            switch (lab::ipc::messageType(*m)) {
            case lab::ipc::MessageType::Task: {
                lab::TaskSpec task;
                if (lab::ipc::decodeTask(*m, &task, &error)) {
                    const lab::Workload *w = lab::findWorkload(task.workload);
                    LAB_FUZZ_CHECK(w != nullptr);
                    // What the parent would send back for it must decode to the same task.
                    lab::TaskSpec again;
                    LAB_FUZZ_CHECK(lab::ipc::decodeTask(lab::ipc::encodeTask(task), &again, &error));
                    LAB_FUZZ_CHECK(again.id == task.id && again.workload == task.workload);
                } else {
                    LAB_FUZZ_CHECK(!error.isEmpty());
                }
                break;
            }
            case lab::ipc::MessageType::Hello: {
                lab::ipc::Hello h;
                lab::ipc::decodeHello(*m, &h, &error);
                break;
            }
            case lab::ipc::MessageType::Forked: {
                lab::ipc::Forked f;
                if (lab::ipc::decodeForked(*m, &f, &error))
                    LAB_FUZZ_CHECK(f.pid > 0 || !f.error.isEmpty());
                else
                    LAB_FUZZ_CHECK(!error.isEmpty());
                break;
            }
            case lab::ipc::MessageType::Started: {
                lab::ipc::Started s;
                lab::ipc::decodeStarted(*m, &s, &error);
                break;
            }
            case lab::ipc::MessageType::Result: {
                lab::ipc::ResultMessage r;
                lab::ipc::decodeResult(*m, &r, &error);
                break;
            }
            case lab::ipc::MessageType::Cancel:
                lab::ipc::decodeCancel(*m);
                break;
            case lab::ipc::MessageType::Host: {
                lab::ipc::HostJob job;
                if (lab::ipc::decodeHost(*m, &job, &error)) {
                    // Re-encoded, it must read back the same.
                    lab::ipc::HostJob again;
                    LAB_FUZZ_CHECK(lab::ipc::decodeHost(lab::ipc::encodeHost(job), &again, &error));
                    LAB_FUZZ_CHECK(again.workers == job.workers && again.tasks == job.tasks &&
                                   again.specJson == job.specJson);
                } else {
                    LAB_FUZZ_CHECK(!error.isEmpty());
                }
                break;
            }
            case lab::ipc::MessageType::Tasks:    // handled above
            case lab::ipc::MessageType::Results:
            case lab::ipc::MessageType::Bye:
            case lab::ipc::MessageType::Unknown:
                break;
            }
        }
    }
    LAB_FUZZ_CHECK(!decoder.hasError() || !decoder.errorString().isEmpty());
    (void)messages;
    return 0;
}
