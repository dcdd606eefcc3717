#pragma once
#include <atomic>

namespace lab {

// Points where an execution model can step into a running task. For native threads they do
// nothing; the emulated GIL uses checkpoint() as CPython's eval-breaker check and brackets
// blocking calls like Py_BEGIN/END_ALLOW_THREADS.
class ExecHooks {
public:
    virtual ~ExecHooks() = default;
    virtual void attach() {}       // the worker thread starts running tasks (takes the GIL)
    virtual void detach() {}       // the worker thread is done (releases the GIL)
    virtual void checkpoint() {}
    virtual void beginBlocking() {}
    virtual void endBlocking() {}
};

// RAII for a blocking section (I/O, sleeps).
class BlockingSection {
public:
    explicit BlockingSection(ExecHooks &hooks) : m_hooks(hooks) { m_hooks.beginBlocking(); }
    ~BlockingSection() { m_hooks.endBlocking(); }
    BlockingSection(const BlockingSection &) = delete;
    BlockingSection &operator=(const BlockingSection &) = delete;

private:
    ExecHooks &m_hooks;
};

} // namespace lab
