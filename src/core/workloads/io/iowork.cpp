#include "iowork.h"

#include "httpclient.h"
#include "util/sysinfo.h"

#include <QJsonArray>
#include <cmath>
#include <map>

namespace lab {

namespace {

// Poll granularity of a blocking transfer: the bound on how late a cancel is seen.
constexpr int kPollMs = 50;

// Per-thread libcurl state. Even a single transfer goes through a multi handle so the thread
// wakes every kPollMs to check for cancel (the progress callback alone may fire only once a
// second on an idle connection). The multi handle owns the connection cache, so requests of
// one thread reuse their connections, as a requests.Session per thread would.
struct ThreadCurl {
    CURLM *multi = nullptr;
    CURL *easy = nullptr;
    ThreadCurl()
    {
        ensureCurlInitialized();
        multi = curl_multi_init();
        easy = curl_easy_init();
    }
    ~ThreadCurl()
    {
        if (easy)
            curl_easy_cleanup(easy);
        if (multi)
            curl_multi_cleanup(multi);
    }
    ThreadCurl(const ThreadCurl &) = delete;
    ThreadCurl &operator=(const ThreadCurl &) = delete;
};

} // namespace

void runIoTask(const TaskSpec &task, const std::atomic<bool> &cancel, ExecHooks &hooks, TaskResult &result)
{
    thread_local ThreadCurl tc;
    HttpTransfer transfer(HttpRequest::fromTask(task), &hooks);
    auto publish = [&] {
        // Keep the times and CPU fields executeTask owns; take everything I/O.
        const TaskResult &t = transfer.result();
        result.url = t.url;
        result.ok = t.ok;
        result.verified = t.verified;
        result.cancelled = t.cancelled;
        result.error = t.error;
        result.errorCategory = t.errorCategory;
        result.bytes = t.bytes;
        result.httpStatus = t.httpStatus;
        result.ttfb_s = t.ttfb_s;
        result.checksum = t.checksum;
    };
    if (!tc.multi || !tc.easy) {
        transfer.result().errorCategory = QString::fromLatin1(ioerror::kNetwork);
        transfer.result().error = QStringLiteral("libcurl could not create a handle");
        return publish();
    }
    curl_easy_reset(tc.easy);
    if (!transfer.setup(tc.easy))
        return publish();
    if (cancel.load()) {
        transfer.markCancelled();
        return publish();
    }
    curl_multi_add_handle(tc.multi, tc.easy);
    bool done = false;
    CURLcode code = CURLE_OK;
    {
        BlockingSection blocking(hooks);
        while (!cancel.load(std::memory_order_relaxed)) {
            int running = 0;
            curl_multi_perform(tc.multi, &running);
            int queued = 0;
            while (CURLMsg *msg = curl_multi_info_read(tc.multi, &queued)) {
                if (msg->msg == CURLMSG_DONE && msg->easy_handle == tc.easy) {
                    done = true;
                    code = msg->data.result;
                }
            }
            if (done)
                break;
            curl_multi_poll(tc.multi, nullptr, 0, kPollMs, nullptr);
        }
    }
    if (done)
        transfer.finish(code);
    else
        transfer.markCancelled();
    curl_multi_remove_handle(tc.multi, tc.easy);  // a transfer still running is closed here
    publish();
}

} // namespace lab
