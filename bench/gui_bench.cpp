// gui-bench: the app's own footprint (idle CPU of the real app over 30 s), drawing cost of the
// per-core chart (replots and live frames) and of the timeline at 256 lanes x 100,000 tasks,
// event-loop lag under load and memory of long sampling, all measured in one run.
// `gui-bench --render DIR [--dark]` writes every chart with realistic synthetic data as
// PNG/SVG/PDF, to look at. `gui-bench --idle-only` measures only the idle app.
#include "charts/chartexport.h"
#include "charts/chartstyle.h"
#include "charts/comparisonchart.h"
#include "charts/cpuchart.h"
#include "charts/throughputchart.h"
#include "charts/timelinechart.h"
#include "sampling/procstat.h"
#include "sampling/cpusampler.h"
#include "util/lagmeter.h"
#include "util/sysinfo.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <qcustomplot.h>
#include <random>
#include <thread>
#include <unistd.h>

using namespace lab;

namespace {

// Per-core-like data: each core sits on a 0 % or 100 % plateau for a few seconds, +-20 % noise.
class SyntheticCpu {
public:
    SyntheticCpu(int cores, double noise, unsigned seed = 42) : m_rng(seed), m_noise(noise), m_level(size_t(cores), 0.0),
                                                               m_until(size_t(cores), 0.0) {}
    CpuSample next(double t)
    {
        CpuSample s;
        s.t = t;
        s.perCore.resize(m_level.size());
        std::uniform_real_distribution<double> u(0, 1);
        std::normal_distribution<double> n(0, m_noise);
        double sum = 0;
        for (size_t c = 0; c < m_level.size(); ++c) {
            if (t >= m_until[c]) {
                m_level[c] = u(m_rng) < 0.5 ? 100.0 : 0.0;
                m_until[c] = t + 1 + 6 * u(m_rng);
            }
            const double v = std::clamp(m_level[c] + n(m_rng), 0.0, 100.0);
            s.perCore[c] = v;
            sum += v;
        }
        s.total = m_level.empty() ? 0 : sum / double(m_level.size());
        return s;
    }

private:
    std::mt19937 m_rng;
    double m_noise;
    std::vector<double> m_level, m_until;
};

// Foreign load matters on a shared 2-core box: printed with the figures.
QString loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("?");
    return QString::fromLatin1(f.readAll()).section(QLatin1Char(' '), 0, 2);
}

long vmRssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLong();
    return -1;
}

void processEventsFor(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

// A run record as a model would produce it: tasks spread over workers, optional GIL spans.
RunRecord syntheticRun(const QString &model, int workers, double t0, double taskSeconds, int tasks, bool gil,
                       unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> jitter(0.85, 1.2);
    RunRecord r;
    r.model = model;
    r.workers = workers;
    r.t0 = t0;
    std::vector<double> free(size_t(workers), 0.002);
    for (int i = 0; i < tasks; ++i) {
        const auto w = size_t(std::min_element(free.begin(), free.end()) - free.begin());
        TaskResult t;
        t.id = i;
        t.worker = int(w);
        t.start_s = free[w] + 0.0003;
        // Two GIL threads share one core's worth of bytecode: each task takes twice as long.
        t.end_s = t.start_s + taskSeconds * jitter(rng) * (gil ? 2.0 : 1.0);
        t.cpu_start = int(w % 2);
        t.cpu_end = int((w + i) % 2);
        t.ok = t.verified = true;
        free[w] = t.end_s;
        r.tasks.push_back(t);
    }
    r.wall_s = *std::max_element(free.begin(), free.end()) + 0.002;
    if (gil) {
        // 5 ms tenures alternating between the workers.
        int holder = 0;
        GilStats g;
        for (double t = 0.002; t < r.wall_s; t += 0.005) {
            g.spans.push_back({holder, t, std::min(r.wall_s, t + 0.005)});
            holder = (holder + 1) % workers;
        }
        r.gil = g;
    }
    const double parallel = gil ? 1.0 : std::min(workers, 2);
    r.cpu_s = r.wall_s * parallel * 0.97;
    r.finalize();
    return r;
}

int render(const QString &dir, bool dark)
{
    QDir().mkpath(dir);
    const double origin = monotonicSeconds() - 100;  // "app started 100 s ago"
    auto save = [&](QCustomPlot *plot, const QString &name, QSize size) {
        QString error;
        for (const char *ext : {".png", ".svg", ".pdf"}) {
            const QString path = dir + QLatin1Char('/') + name + QLatin1String(ext);
            if (!exportPlot(plot, path, size, 96, false, &error))
                std::fprintf(stderr, "export failed: %s\n", qPrintable(error));
        }
        std::printf("wrote %s/%s.{png,svg,pdf}\n", qPrintable(dir), qPrintable(name));
    };

    // Runs as they would have happened over the last 100 s.
    std::vector<RunRecord> runs;
    runs.push_back(syntheticRun(QStringLiteral("sequential"), 1, origin + 62, 0.06, 40, false, 1));
    runs.push_back(syntheticRun(QStringLiteral("threads"), 2, origin + 68, 0.06, 40, false, 2));
    runs.push_back(syntheticRun(QStringLiteral("processes"), 2, origin + 72, 0.065, 40, false, 3));
    runs.push_back(syntheticRun(QStringLiteral("gil-threads"), 2, origin + 76, 0.06, 40, true, 4));
    const double seqWall = runs[0].wall_s;
    for (RunRecord &r : runs) {
        r.speedup = seqWall / r.wall_s;
        r.efficiency = r.speedup / r.workers;
    }

    for (int cores : {2, 16, 128}) {
        CpuChart chart;
        chart.resize(1280, 480);
        chart.show();
        chart.setTimeOrigin(origin);
        chart.setDark(dark);
        chart.setWindowSeconds(cores == 2 ? 30 : 120);
        SyntheticCpu cpu(cores, cores == 2 ? 8 : 20, unsigned(cores));
        for (int i = 0; i < 1000; ++i) {
            const double t = origin + i * 0.1;
            CpuSample s = cpu.next(t);
            if (cores == 2) {
                // Idle machine, then the runs saturate one or both cores.
                const double rel = t - origin;
                double level[2] = {4, 3};
                for (const RunRecord &r : runs) {
                    if (t >= r.t0 && t <= r.t0 + r.wall_s) {
                        level[0] = 97;
                        level[1] = r.model == QStringLiteral("sequential") ? 5 : r.model == QStringLiteral("gil-threads") ? 50 : 96;
                    }
                }
                for (int c = 0; c < 2; ++c)
                    s.perCore[size_t(c)] = std::clamp(level[c] + (s.perCore[size_t(c)] - 50) * 0.1, 0.0, 100.0);
                s.total = (s.perCore[0] + s.perCore[1]) / 2;
                Q_UNUSED(rel);
            }
            chart.addSample(s);
        }
        for (const RunRecord &r : runs) {
            chart.markRunStarted(r.t0, r.model);
            chart.markRunFinished(r.t0 + r.wall_s);
        }
        chart.setCursorTime(cores == 2 ? 77.3 : 50.0);  // as if hovered
        chart.renderNow();
        save(chart.plot(), QStringLiteral("cpu-%1cores").arg(cores), QSize(1280, 480));
    }

    {
        ThroughputChart chart;
        chart.resize(1280, 480);
        chart.show();
        chart.setDark(dark);
        for (const RunRecord &r : runs)
            chart.setRunRecord(r);
        chart.setReferenceRate(runs[0].tasks_ok / runs[0].wall_s);
        save(chart.plot(), QStringLiteral("throughput"), QSize(1280, 480));
    }
    {
        TimelineChart chart;
        chart.resize(1280, 480);
        chart.show();
        chart.setTimeOrigin(origin);
        chart.setDark(dark);
        for (const RunRecord &r : runs)
            chart.addRun(r);
        chart.zoomToRun();
        chart.setTimeRange(runs[0].t0 - origin - 0.2, runs.back().t0 + runs.back().wall_s - origin + 0.2);
        save(chart.plot(), QStringLiteral("timeline"), QSize(1280, 480));
        chart.zoomToRun();
        save(chart.plot(), QStringLiteral("timeline-gil"), QSize(1280, 480));
    }
    {
        // I/O: requests/s and MB/s per model (64 workers for the async model).
        std::vector<RunRecord> io;
        io.push_back(syntheticRun(QStringLiteral("sequential"), 1, origin + 10, 0.05, 60, false, 5));
        io.push_back(syntheticRun(QStringLiteral("threads"), 16, origin + 14, 0.05, 60, false, 6));
        io.push_back(syntheticRun(QStringLiteral("async"), 64, origin + 16, 0.05, 60, false, 7));
        for (RunRecord &r : io) {
            for (TaskResult &t : r.tasks)
                t.bytes = 2 * 1024 * 1024;
            r.finalize();
        }
        ThroughputChart chart;
        chart.resize(1280, 480);
        chart.show();
        chart.setDark(dark);
        chart.setIoMode(true);
        for (const RunRecord &r : io)
            chart.setRunRecord(r);
        chart.setReferenceRate(io[0].tasks_ok / io[0].wall_s);
        save(chart.plot(), QStringLiteral("throughput-io"), QSize(1280, 480));
        TimelineChart timeline;
        timeline.resize(1280, 700);
        timeline.show();
        timeline.setTimeOrigin(origin);
        timeline.setDark(dark);
        timeline.addRun(io[2]);
        timeline.zoomToRun();
        save(timeline.plot(), QStringLiteral("timeline-64"), QSize(1280, 700));
    }
    {
        ComparisonChart chart;
        chart.resize(1280, 720);
        chart.show();
        chart.setDark(dark);
        chart.setRuns(runs);
        save(chart.plot(), QStringLiteral("comparison"), QSize(1280, 720));
    }
    return 0;
}

double medianOf(std::vector<double> v)
{
    return median(std::move(v));
}

// Replot time of a chart with `cores` of noisy data filling a 10 min window at 10 Hz.
void benchReplot(int cores, double *medianMs, double *p90Ms, bool *heatmap)
{
    CpuChart chart;
    chart.resize(1280, 480);
    chart.show();
    chart.setWindowSeconds(600);
    SyntheticCpu cpu(cores, 20, 7);
    const double t0 = monotonicSeconds() - 600;
    chart.setTimeOrigin(t0);
    int i = 0;
    for (; i < 6000; ++i)
        chart.addSample(cpu.next(t0 + i * 0.1));
    chart.markRunStarted(t0 + 300, QStringLiteral("threads"));
    chart.markRunFinished(t0 + 360);
    chart.renderNow();  // warm-up: fonts, layout
    std::vector<double> times;
    for (int frame = 0; frame < 40; ++frame) {
        chart.addSample(cpu.next(t0 + (i++) * 0.1));
        times.push_back(chart.renderNow());
    }
    *medianMs = medianOf(times);
    *p90Ms = percentile(times, 90);
    *heatmap = chart.isHeatmap();
}

// Event-loop lag while `load` saturates both cores; the loop runs a live chart fed by the real
// sampler plus a 16-core synthetic chart with a 10 min window fed at 10 Hz (the heavy case).
double lagUnder(const std::function<void()> &startLoad, const std::function<void()> &stopLoad, int seconds,
                double *maxMs, double *replotMedian)
{
    CpuChart live;
    live.resize(1280, 420);
    live.show();
    CpuSampler sampler;
    QObject::connect(&sampler, &CpuSampler::sampleTaken, &live, &CpuChart::addSample);
    sampler.start();
    CpuChart heavy;
    heavy.resize(1280, 420);
    heavy.show();
    heavy.setWindowSeconds(600);
    SyntheticCpu cpu(16, 20, 9);
    const double t0 = monotonicSeconds() - 600;
    for (int i = 0; i < 6000; ++i)
        heavy.addSample(cpu.next(t0 + i * 0.1));
    QTimer feed;
    feed.setInterval(100);
    QObject::connect(&feed, &QTimer::timeout, &heavy, [&] { heavy.addSample(cpu.next(monotonicSeconds())); });
    feed.start();
    std::vector<double> replots;
    QObject::connect(heavy.plot(), &QCustomPlot::afterReplot, &heavy, [&] { replots.push_back(heavy.lastReplotMs()); });
    processEventsFor(500);

    startLoad();
    processEventsFor(300);
    LagMeter meter;
    meter.beginRecording();
    processEventsFor(seconds * 1000);
    *maxMs = meter.maxMs();
    const double p99 = meter.endRecording();
    stopLoad();
    sampler.stop();
    *replotMedian = medianOf(replots);
    return p99;
}

// utime + stime of a process (not its children) from /proc/PID/stat, in seconds; -1 if gone.
double processCpuOf(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = f.readAll();
    const int close = int(text.lastIndexOf(')'));
    if (close < 0)
        return -1;
    // Fields after the comm start at 3 (state); utime is 14, stime 15.
    const QList<QByteArray> fields = text.mid(close + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    return (fields[11].toDouble() + fields[12].toDouble()) / ticks;
}

// The real app, idle on its default experiment (sampler at 10 Hz, every chart live) at
// 1920x1080: its own CPU over `seconds`, read from /proc/PID/stat before and after (the X
// server's CPU is not the app's). Under a display (scripts/bench.sh runs this under xvfb-run)
// the app draws through xcb; without one, offscreen.
bool benchIdleApp(int seconds, double *percent, double *otherCores, QString *platform, QString *error)
{
    const QString app = siblingExecutable(QStringLiteral("concurrency-lab"));
    if (app.isEmpty()) {
        *error = QStringLiteral("concurrency-lab not found beside gui-bench");
        return false;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    *platform = env.contains(QStringLiteral("DISPLAY")) ? QStringLiteral("xcb") : QStringLiteral("offscreen");
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), *platform);
    QProcess proc;
    proc.setProcessEnvironment(env);
    proc.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    proc.setStandardOutputFile(QProcess::nullDevice());
    proc.start(app, {QStringLiteral("--no-settings"), QStringLiteral("--size"), QStringLiteral("1920x1080")});
    if (!proc.waitForStarted(5000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(app, proc.errorString());
        return false;
    }
    const qint64 pid = proc.processId();
    QThread::sleep(5);  // start-up: first layout, fonts, the first samples
    const auto stat0 = readProcStat();
    const double cpu0 = processCpuOf(pid);
    const double selfCpu0 = processCpuSeconds();
    const double t0 = monotonicSeconds();
    QThread::sleep(unsigned(seconds));
    const double cpu1 = processCpuOf(pid);
    const double t1 = monotonicSeconds();
    const auto stat1 = readProcStat();
    const double selfCpu1 = processCpuSeconds();
    const bool alive = proc.state() == QProcess::Running && cpu1 >= 0;
    proc.terminate();
    if (!proc.waitForFinished(5000)) {
        proc.kill();
        proc.waitForFinished(3000);
    }
    if (!alive || cpu0 < 0) {
        *error = QStringLiteral("the app exited during the measurement");
        return false;
    }
    *percent = 100.0 * (cpu1 - cpu0) / (t1 - t0);
    *otherCores = std::max(0.0, machineBusyCores(stat0, stat1) - (cpu1 - cpu0) / (t1 - t0) -
                                    (selfCpu1 - selfCpu0) / (t1 - t0));
    return true;
}

// Timeline redraw cost: `tasks` tasks over `lanes` workers in a width x height chart; the
// whole run in view, then a tenth of it. Median of `frames` synchronous replots.
void benchTimeline(int lanes, int tasks, QSize size, int frames, double *fullMs, double *zoomMs, int *groupSize,
                   int *spans, double *emptyMs)
{
    {
        // The same chart without data: what a replot costs anyway (axes, labels, composition).
        TimelineChart empty;
        empty.resize(size);
        empty.show();
        processEventsFor(200);
        empty.renderNow();
        std::vector<double> t;
        for (int i = 0; i < frames; ++i)
            t.push_back(empty.renderNow());
        *emptyMs = median(t);
    }
    TimelineChart chart;
    chart.resize(size);
    chart.show();
    processEventsFor(200);
    const double origin = monotonicSeconds() - 100;
    chart.setTimeOrigin(origin);
    // 5 ms tasks: 100,000 of them keep 256 workers busy for about 2 s.
    const RunRecord r = syntheticRun(QStringLiteral("threads"), lanes, origin + 10, 0.005, tasks, false, 21);
    chart.addRun(r);
    chart.setTimeRange(10 - 0.05, 10 + r.wall_s + 0.05);
    chart.renderNow();  // warm-up and grouping
    std::vector<double> times;
    for (int i = 0; i < frames; ++i)
        times.push_back(chart.renderNow());
    *fullMs = median(times);
    *groupSize = chart.groupSize();
    *spans = chart.lastSpanCount();
    chart.setTimeRange(10 + 0.45 * r.wall_s, 10 + 0.55 * r.wall_s);
    chart.renderNow();
    times.clear();
    for (int i = 0; i < frames; ++i)
        times.push_back(chart.renderNow());
    *zoomMs = median(times);
}

// The default live case: 2 cores, 30 s window at 10 Hz. A replot, and a live frame (a new
// sample within the current step: only the new segment and its strip of pixels).
void benchLiveCpu(int cores, QSize size, double *replotMs, double *frameMs, int *tailFrames)
{
    CpuChart chart;
    chart.resize(size);
    chart.show();
    processEventsFor(300);  // exposed: a repaint paints
    SyntheticCpu cpu(cores, 8, 5);
    const double t0 = monotonicSeconds() - 60;
    chart.setTimeOrigin(t0);
    int i = 0;
    for (; i < 600; ++i)
        chart.addSample(cpu.next(t0 + i * 0.1));
    chart.renderNow();
    std::vector<double> replots, frames;
    for (int k = 0; k < 30; ++k) {
        chart.addSample(cpu.next(t0 + (i++) * 0.1));
        replots.push_back(chart.renderNow());
    }
    const int tails0 = chart.tailFrameCount();
    for (int k = 0; k < 60; ++k) {
        chart.addSample(cpu.next(t0 + (i++) * 0.1));
        frames.push_back(chart.renderLiveNow());  // 2 of 3 s steps: mostly tail frames
    }
    *replotMs = median(replots);
    *frameMs = median(frames);
    *tailFrames = chart.tailFrameCount() - tails0;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int renderAt = int(args.indexOf(QStringLiteral("--render")));
    if (renderAt > 0) {
        if (renderAt + 1 >= args.size()) {
            std::fprintf(stderr, "usage: gui-bench [--render DIR [--dark]] [--idle-only | --timeline-only | --replot-loop CORES]\n");
            return 2;
        }
        return render(args.at(renderAt + 1), args.contains(QStringLiteral("--dark")));
    }
    const int profileAt = int(args.indexOf(QStringLiteral("--replot-loop")));
    if (profileAt > 0 && profileAt + 1 < args.size()) {
        // For profilers: N cores, 10 min window, 200 redraws.
        CpuChart chart;
        chart.resize(1280, 480);
        chart.show();
        chart.setWindowSeconds(600);
        SyntheticCpu cpu(args.at(profileAt + 1).toInt(), 20, 7);
        const double t0 = monotonicSeconds() - 600;
        int i = 0;
        for (; i < 6000; ++i)
            chart.addSample(cpu.next(t0 + i * 0.1));
        std::vector<double> times;
        for (int frame = 0; frame < 200; ++frame) {
            chart.addSample(cpu.next(t0 + (i++) * 0.1));
            times.push_back(chart.renderNow());
        }
        std::printf("median %.2f ms\n", medianOf(times));
        return 0;
    }
    std::printf("gui-bench: QCustomPlot %s, software raster, platform %s, %d cores, load average %s\n",
                QCUSTOMPLOT_VERSION_STR, qPrintable(QGuiApplication::platformName()), onlineCores(),
                qPrintable(loadAverage()));
    const bool idleOnly = args.contains(QStringLiteral("--idle-only"));
    const bool timelineOnly = args.contains(QStringLiteral("--timeline-only"));  // for profilers

    if (!idleOnly) {
        // 0. The live CPU chart as it runs by default, and the timeline at scale.
        double replotMs = 0, frameMs = 0;
        int tails = 0;
        benchLiveCpu(2, QSize(1100, 420), &replotMs, &frameMs, &tails);
        std::printf("cpu chart 2 cores, 30 s at 10 Hz, 1100x420: replot median %.2f ms; live frame median %.3f ms "
                    "(%d of 60 frames drew only the new samples)\n",
                    replotMs, frameMs, tails);
        struct Case {
            int lanes, tasks;
            QSize size;
        };
        for (const Case &c : {Case{256, 100000, QSize(1600, 480)}, Case{256, 100000, QSize(1000, 300)},
                              Case{32, 100000, QSize(1600, 600)}}) {
            double full = 0, zoom = 0, empty = 0;
            int group = 0, spans = 0;
            benchTimeline(c.lanes, c.tasks, c.size, 15, &full, &zoom, &group, &spans, &empty);
            std::printf("timeline %d lanes x %d tasks, %dx%d (%d lanes per row, %d spans drawn): redraw median %.2f ms "
                        "whole run, %.2f ms a tenth of it (the empty chart: %.2f ms)  [target <= 16 ms: %s]\n",
                        c.lanes, c.tasks, c.size.width(), c.size.height(), group, spans, full, zoom, empty,
                        std::max(full, zoom) <= 16 ? "ok" : "MISSED");
        }
        std::fflush(stdout);
        if (timelineOnly)
            return 0;
    }

    {
        double percent = 0, other = 0;
        QString platform, error;
        const int seconds = 30;
        if (benchIdleApp(seconds, &percent, &other, &platform, &error))
            std::printf("app idle, default experiment, sampler 10 Hz, charts live, 1920x1080 (%s): %.2f %% of a core "
                        "over %d s (/proc/PID/stat)  [target <= 1 %%: %s]; other load meanwhile %.2f cores%s\n",
                        qPrintable(platform), percent, seconds, percent <= 1.0 ? "ok" : "MISSED", other,
                        other > 0.3 ? " (disturbed)" : "");
        else
            std::printf("app idle: not measured: %s\n", qPrintable(error));
        std::fflush(stdout);
    }
    if (idleOnly)
        return 0;

    // 1. Replot cost at projector styling, 1280x480 widget, 10 min at 10 Hz of noisy data.
    for (int cores : {16, 128}) {
        double med = 0, p90 = 0;
        bool heat = false;
        benchReplot(cores, &med, &p90, &heat);
        std::printf("replot %3d cores (%s), 6000 samples in view: median %.2f ms, p90 %.2f ms  [target <= 16 ms: %s]\n",
                    cores, heat ? "heatmap" : "lines", med, p90, med <= 16 ? "ok" : "MISSED");
    }
    std::fflush(stdout);

    // 2. Event-loop lag p99: idle, 2 native threads, 2 child processes.
    const int seconds = 6;
    double maxMs = 0, replotMed = 0;
    const double idle = lagUnder([] {}, [] {}, seconds, &maxMs, &replotMed);
    std::printf("lag p99 idle:                 %.2f ms (max %.2f ms; live charts replot median %.2f ms)\n", idle, maxMs,
                replotMed);
    std::fflush(stdout);

    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    std::atomic<quint64> sink{0};
    const double threadsP99 = lagUnder(
        [&] {
            for (int i = 0; i < 2; ++i)
                threads.emplace_back([&] {
                    quint64 x = 0;
                    while (!stop.load(std::memory_order_relaxed))
                        for (int k = 0; k < 100000; ++k)
                            x += quint64(k) * quint64(k);
                    sink += x;
                });
        },
        [&] {
            stop = true;
            for (auto &t : threads)
                t.join();
        },
        seconds, &maxMs, &replotMed);
    std::printf("lag p99, 2 busy threads:      %.2f ms (max %.2f ms; replot median %.2f ms)  [target <= 30 ms: %s]\n",
                threadsP99, maxMs, replotMed, threadsP99 <= 30 ? "ok" : "MISSED");
    std::fflush(stdout);

    std::vector<std::unique_ptr<QProcess>> procs;
    const double procsP99 = lagUnder(
        [&] {
            for (int i = 0; i < 2; ++i) {
                auto p = std::make_unique<QProcess>();
                p->start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("while :; do :; done")});
                p->waitForStarted();
                procs.push_back(std::move(p));
            }
        },
        [&] {
            for (auto &p : procs) {
                p->kill();
                p->waitForFinished(3000);
            }
        },
        seconds, &maxMs, &replotMed);
    std::printf("lag p99, 2 busy processes:    %.2f ms (max %.2f ms; replot median %.2f ms)  [target <= 30 ms: %s]\n",
                procsP99, maxMs, replotMed, procsP99 <= 30 ? "ok" : "MISSED");
    std::fflush(stdout);

    // 3. Memory: 1 minute vs 1 hour of 10 Hz sampling fed into a chart (ring buffers).
    for (int cores : {16, 128}) {
        const long rssBefore = vmRssKb();
        CpuChart chart;
        chart.resize(1280, 480);
        chart.show();
        chart.setWindowSeconds(600);
        SyntheticCpu cpu(cores, 20, 11);
        const double t0 = monotonicSeconds();
        chart.setTimeOrigin(t0);
        int i = 0;
        for (; i < 600; ++i)
            chart.addSample(cpu.next(t0 + i * 0.1));
        chart.renderNow();
        const long rssMinute = vmRssKb();
        for (; i < 36000; ++i) {
            chart.addSample(cpu.next(t0 + i * 0.1));
            if (i % 600 == 0)
                chart.renderNow();
        }
        chart.renderNow();
        const long rssHour = vmRssKb();
        std::printf("memory %3d cores: VmRSS before the chart %ld kB, after 1 min %ld kB, after 1 h (36000 samples) %ld kB, "
                    "1 h - 1 min %+ld kB; ring %zu kB (pre-allocated), %d samples kept\n",
                    cores, rssBefore, rssMinute, rssHour, rssHour - rssMinute, chart.bufferBytes() / 1024,
                    chart.sampleCount());
    }
    std::printf("load average at the end: %s\n", qPrintable(loadAverage()));
    return 0;
}
