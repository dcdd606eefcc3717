#include "models/executionmodel.h"
#include "chartmodels/redrawclock.h"
#include "chartmodels/timerange.h"
#include "charts/barpanelschart.h"
#include "charts/chartexport.h"
#include "charts/chartstyle.h"
#include "charts/comparisonchart.h"
#include "charts/cpuchart.h"
#include "charts/throughputchart.h"
#include "charts/timelinechart.h"
#include "util/sysinfo.h"
#include "workloads/cpu/cpuworkload.h"

#include <QClipboard>
#include <QFile>
#include <QGuiApplication>
#include <QImage>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <map>
#include <qcustomplot.h>

using namespace lab;

namespace {

CpuSample sample(double t, int cores, double level = 50)
{
    CpuSample s;
    s.t = t;
    s.perCore.assign(size_t(cores), level);
    for (int c = 0; c < cores; ++c)
        s.perCore[size_t(c)] = std::fmod(level + 37.0 * c + t * 10, 100.0);
    s.total = level;
    return s;
}

RunRecord run(const QString &model, int workers, double t0, double wall, int tasks)
{
    RunRecord r;
    r.model = model;
    r.workers = workers;
    r.t0 = t0;
    r.wall_s = wall;
    r.cpu_s = wall * workers * 0.9;
    for (int i = 0; i < tasks; ++i) {
        TaskResult t;
        t.id = i;
        t.worker = i % workers;
        const double per = wall / ((tasks + workers - 1) / workers);
        t.start_s = (i / workers) * per;
        t.end_s = t.start_s + per * 0.95;
        t.cpu_start = t.worker;
        t.cpu_end = t.worker;
        t.ok = t.verified = true;
        r.tasks.push_back(t);
    }
    r.finalize();
    return r;
}

int countPlottables(QCustomPlot *plot, const char *className)
{
    int n = 0;
    for (int i = 0; i < plot->plottableCount(); ++i)
        n += plot->plottable(i)->inherits(className) ? 1 : 0;
    return n;
}

} // namespace

class TestCharts : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void styleColorsAndFonts();
    void addSampleDoesNotReplotSynchronously();
    void heatmapAboveSixteenCores();
    void windowClamps();
    void ringBufferMemoryStaysFlat();
    void dataReducedToPixelColumns();
    void runMarksAreSpans();
    void exportFormats();
    void exportWhiteBackgroundRestoresTheme();
    void exportErrors();
    void timeAxisLinkMovesBoth();
    void oneRedrawClockForAllCharts();
    void comparisonOneBarPerRun();
    void storyPanelsKeepEveryFigureWholeInANarrowDock();
    void variantRowsKeepTheirNamesApart();
    void timelineBarsGilAndTooltip();
    void timelineLiveEvents();
    void throughputLines();
    void throughputLegendFollowsTheSizeLaidOut();
    void throughputKeepsItsPlotWideAndItsLabelWhole();
    void throughputWithManyModelsKeepsItsPlot();
    void throughputLegendNeverCoversThePlot_data();
    void throughputLegendNeverCoversThePlot();
    void oneNameAndDistinctColours();
    void wheelZoomsAroundTheCursor();
    void cpuLiveFramesDrawOnlyNewSamples();
    void cpuAppCpuLabel();
    void cpuShortChartKeepsItsLinesClear();
    void minimisedChartsDoNotRedraw();
    void timelineGroupsLanesToFit();
    void narrowBarsDropTheirFiguresNotOverlapThem();
    void shortTimelineKeepsItsLanesAndAxis();
};

void TestCharts::styleColorsAndFonts()
{
    const QStringList models{"sequential", "threads", "gil-threads", "processes", "async",
                             "python-sequential", "python-threads", "python-processes"};
    QSet<QRgb> seen;
    for (const QString &m : models) {
        QVERIFY(modelColor(m).isValid());
        seen.insert(modelColor(m).rgb());
        QVERIFY(!modelLabel(m).isEmpty());
    }
    QCOMPARE(seen.size(), models.size());  // distinct
    QCOMPARE(modelColor("some-new-model"), modelColor("some-new-model"));  // stable fallback
    QCOMPARE(modelLabel("some-new-model"), QString("some-new-model"));
    QVERIFY(coreColor(0) != coreColor(1));

    QCustomPlot plot;
    applyProjectorStyle(&plot, true);
    QVERIFY(isDarkStyle(&plot));
    QVERIFY(plot.xAxis->tickLabelFont().pointSizeF() >= 13);
    QVERIFY(plot.xAxis->labelFont().pointSizeF() >= 15);
    QVERIFY(plot.legend->font().pointSizeF() >= 13);
    QVERIFY(qGray(plot.axisRect()->backgroundBrush().color().rgb()) < 80);
    applyProjectorStyle(&plot, false);
    QVERIFY(!isDarkStyle(&plot));
    QCOMPARE(plot.axisRect()->backgroundBrush().color(), QColor(Qt::white));
}

void TestCharts::addSampleDoesNotReplotSynchronously()
{
    CpuChart chart;
    chart.resize(800, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QTest::qWait(100);
    QSignalSpy replots(chart.plot(), &QCustomPlot::afterReplot);
    const double t0 = monotonicSeconds();
    for (int i = 0; i < 200; ++i)
        chart.addSample(sample(t0 + i * 0.1, 4));
    QCOMPARE(replots.count(), 0);  // nothing drawn inside addSample
    QTRY_VERIFY_WITH_TIMEOUT(replots.count() >= 1, 2000);
    // 200 samples in one burst: the timer coalesces them into very few redraws.
    QTest::qWait(200);
    QVERIFY2(replots.count() <= 3, qPrintable(QString::number(replots.count())));
    QCOMPARE(chart.sampleCount(), 200);
    QVERIFY(chart.lastReplotMs() > 0);
    // Follows the newest sample, in steps of a tenth of the window.
    QVERIFY(chart.isFollowingLive());
    const double newest = t0 + 199 * 0.1 - chart.timeOrigin();
    QVERIFY(chart.timeUpper() >= newest - 1e-9 && chart.timeUpper() - newest < 3 + 1e-9);
    QVERIFY(std::abs(std::remainder(chart.timeUpper(), 3.0)) < 1e-9);
    QVERIFY(std::abs(chart.timeUpper() - chart.timeLower() - 30) < 1e-6);
}

void TestCharts::heatmapAboveSixteenCores()
{
    CpuChart chart;
    chart.resize(800, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    const double t0 = monotonicSeconds();
    chart.addSample(sample(t0, 16));
    QCOMPARE(chart.coreCount(), 16);
    QVERIFY(!chart.isHeatmap());
    QCOMPARE(countPlottables(chart.plot(), "QCPColorMap"), 0);
    QCOMPARE(chart.plot()->graphCount(), 16 + 1 + 1);  // cores, total, legend entry for "each core"
    chart.addSample(sample(t0 + 0.1, 17));
    QCOMPARE(chart.coreCount(), 17);
    QVERIFY(chart.isHeatmap());
    QCOMPARE(countPlottables(chart.plot(), "QCPColorMap"), 1);
    chart.addSample(sample(t0 + 0.2, 128));
    QVERIFY(chart.isHeatmap());
    for (int i = 0; i < 50; ++i)
        chart.addSample(sample(t0 + 0.3 + i * 0.1, 128));
    chart.renderNow();
    auto *map = qobject_cast<QCPColorMap *>(chart.plot()->plottable(0));
    QVERIFY(map);
    const QPointF onCore5(map->keyAxis()->coordToPixel(chart.timeUpper() - 0.5), map->valueAxis()->coordToPixel(5));
    QVERIFY2(chart.toolTipAt(onCore5).contains("core 5:"), qPrintable(chart.toolTipAt(onCore5)));
    QCOMPARE(map->data()->valueSize(), 128);
    QVERIFY(map->data()->keySize() >= 1);
    chart.addSample(sample(t0 + 10, 2));
    QVERIFY(!chart.isHeatmap());
    QCOMPARE(countPlottables(chart.plot(), "QCPColorMap"), 0);
}

void TestCharts::windowClamps()
{
    CpuChart chart;
    QCOMPARE(chart.windowSeconds(), 30.0);
    chart.setWindowSeconds(1);
    QCOMPARE(chart.windowSeconds(), 10.0);
    chart.setWindowSeconds(1e6);
    QCOMPARE(chart.windowSeconds(), 600.0);
    chart.setWindowSeconds(qQNaN());
    QCOMPARE(chart.windowSeconds(), 600.0);
    chart.setWindowSeconds(120);
    chart.addSample(sample(monotonicSeconds(), 2));
    chart.renderNow();
    QVERIFY(std::abs(chart.timeUpper() - chart.timeLower() - 120) < 1e-6);
}

void TestCharts::ringBufferMemoryStaysFlat()
{
    CpuChart chart;
    chart.resize(600, 300);
    chart.setCapacity(1000);
    const double t0 = monotonicSeconds();
    for (int i = 0; i < 1000; ++i)
        chart.addSample(sample(t0 + i * 0.1, 8));
    const size_t bytesFull = chart.bufferBytes();
    QVERIFY(bytesFull > 0);
    for (int i = 1000; i < 20000; ++i)
        chart.addSample(sample(t0 + i * 0.1, 8));
    QCOMPARE(chart.sampleCount(), 1000);
    QCOMPARE(chart.bufferBytes(), bytesFull);
    // The default capacity holds 10 min at 50 Hz; the buffer never grows past it.
    CpuChart big;
    big.addSample(sample(t0, 8));
    const size_t bytes = big.bufferBytes();
    for (int i = 1; i < 40000; ++i)
        big.addSample(sample(t0 + i * 0.02, 8));
    QCOMPARE(big.sampleCount(), CpuChart::kDefaultCapacity);
    QCOMPARE(big.bufferBytes(), bytes);
    // Out-of-order samples are dropped, not inserted.
    big.addSample(sample(t0, 8));
    QCOMPARE(big.sampleCount(), CpuChart::kDefaultCapacity);
}

void TestCharts::dataReducedToPixelColumns()
{
    CpuChart chart;
    chart.resize(700, 350);
    chart.show();
    chart.setWindowSeconds(600);
    const double t0 = monotonicSeconds();
    for (int i = 0; i < 6000; ++i)
        chart.addSample(sample(t0 + i * 0.1, 8));
    chart.renderNow();
    const int columns = chart.plot()->axisRect()->width();
    QVERIFY(columns > 100);
    for (int g = 0; g < chart.plot()->graphCount(); ++g)
        QVERIFY2(chart.plot()->graph(g)->dataCount() <= columns + 2,
                 qPrintable(QStringLiteral("%1 points for %2 px").arg(chart.plot()->graph(g)->dataCount()).arg(columns)));
    // Mean per column: a constant total stays that constant.
    const auto total = chart.plot()->graph(8);  // cores 0..7, then total
    QCOMPARE(total->name(), QStringLiteral("total"));
    QVERIFY(total->dataCount() > columns / 3);  // one point per 1-2 px
    for (auto it = total->data()->constBegin(); it != total->data()->constEnd(); ++it)
        QVERIFY(std::abs(it->value - 50) < 1e-3);
    // Hover values: the nearest sample.
    const QPointF mid(chart.plot()->xAxis->coordToPixel(chart.timeUpper() - 1), chart.plot()->axisRect()->center().y());
    const QString tip = chart.toolTipAt(mid);
    QVERIFY2(tip.contains("total 50 %") && tip.contains("core 7:"), qPrintable(tip));
    QVERIFY(chart.toolTipAt(QPointF(1, 1)).isEmpty());
    // Per-core pens of a dense chart are 1 px, not antialiased.
    QCOMPARE(chart.plot()->graph(0)->pen().widthF(), 1.0);
    QVERIFY(!chart.plot()->graph(0)->antialiased());
}

void TestCharts::runMarksAreSpans()
{
    CpuChart chart;
    const double t0 = monotonicSeconds();
    chart.addSample(sample(t0, 2));
    const int before = chart.plot()->itemCount();
    chart.markRunStarted(t0 + 1, "threads");
    chart.markRunFinished(t0 + 3);
    chart.markRunStarted(t0 + 4, "processes");
    int rects = 0, texts = 0;
    for (int i = 0; i < chart.plot()->itemCount(); ++i) {
        rects += qobject_cast<QCPItemRect *>(chart.plot()->item(i)) ? 1 : 0;
        if (auto *t = qobject_cast<QCPItemText *>(chart.plot()->item(i)))
            texts += t->text() == modelLabel("threads") || t->text() == modelLabel("processes");
    }
    QCOMPARE(rects, 2);
    QCOMPARE(texts, 2);
    QCOMPARE(chart.plot()->itemCount(), before + 4);
    chart.setDark(true);  // recolouring keeps the same items
    QCOMPARE(chart.plot()->itemCount(), before + 4);
    chart.clearRunMarks();
    QCOMPARE(chart.plot()->itemCount(), before);
}

void TestCharts::exportFormats()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    CpuChart chart;
    chart.resize(640, 360);
    const double t0 = monotonicSeconds();
    for (int i = 0; i < 300; ++i)
        chart.addSample(sample(t0 + i * 0.1, 4));
    chart.markRunStarted(t0 + 5, "threads");
    chart.markRunFinished(t0 + 15);
    QString error;
    const QString png = dir.filePath("cpu.png");
    QVERIFY2(exportPlot(chart.plot(), png, QSize(400, 300), 192, false, &error), qPrintable(error));
    QImage image(png);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), QSize(800, 600));  // 400x300 at 192 dpi
    QVERIFY(std::abs(image.dotsPerMeterX() - 192 / 0.0254) < 2);
    // Not a blank image: the plot drew something dark on white.
    int dark = 0;
    for (int y = 0; y < image.height(); y += 4)
        for (int x = 0; x < image.width(); x += 4)
            dark += qGray(image.pixel(x, y)) < 100;
    QVERIFY(dark > 50);

    const QString svg = dir.filePath("cpu.svg");
    QVERIFY2(exportPlot(chart.plot(), svg, QSize(400, 300), 96, false, &error), qPrintable(error));
    QFile svgFile(svg);
    QVERIFY(svgFile.open(QIODevice::ReadOnly));
    const QByteArray svgData = svgFile.readAll();
    QVERIFY(svgData.contains("<svg"));
    QVERIFY(svgData.contains("CPU busy"));

    const QString pdf = dir.filePath("cpu.PDF");
    QVERIFY2(exportPlot(chart.plot(), pdf, QSize(400, 300), 96, false, &error), qPrintable(error));
    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly));
    QVERIFY(pdfFile.read(5) == "%PDF-");
    QVERIFY(pdfFile.size() > 1000);

    copyPlotToClipboard(chart.plot());
    const QImage copied = QGuiApplication::clipboard()->image();
    QVERIFY(!copied.isNull());
    QVERIFY(copied.width() >= 100);

    const QString csv = dir.filePath("cpu.csv");
    QVERIFY2(exportSeriesCsv(chart.plot(), csv, &error), qPrintable(error));
    QFile csvFile(csv);
    QVERIFY(csvFile.open(QIODevice::ReadOnly));
    QVERIFY(csvFile.readLine().startsWith("series,x,y"));
}

void TestCharts::exportWhiteBackgroundRestoresTheme()
{
    QTemporaryDir dir;
    ComparisonChart chart;
    chart.resize(800, 600);
    chart.setRuns({run("sequential", 1, 0, 2, 8), run("threads", 2, 3, 1, 8)});
    chart.setDark(true);
    QString error;
    QVERIFY(exportPlot(chart.plot(), dir.filePath("dark.png"), QSize(400, 300), 96, false, &error));
    QVERIFY(exportPlot(chart.plot(), dir.filePath("white.png"), QSize(400, 300), 96, true, &error));
    QCOMPARE(QImage(dir.filePath("dark.png")).pixelColor(1, 1).lightness() < 80, true);
    QCOMPARE(QImage(dir.filePath("white.png")).pixelColor(1, 1), QColor(Qt::white));
    QVERIFY(chart.isDark());  // theme restored
    QVERIFY(qGray(chart.plot()->axisRect()->backgroundBrush().color().rgb()) < 80);
}

void TestCharts::exportErrors()
{
    CpuChart chart;
    QString error;
    QVERIFY(!exportPlot(chart.plot(), "/nonexistent-dir-for-lab/x.png", QSize(200, 100), 96, false, &error));
    QVERIFY(error.contains("does not exist"));
    error.clear();
    QVERIFY(!exportPlot(chart.plot(), "/nonexistent-dir-for-lab/x.svg", QSize(200, 100), 96, false, &error));
    QVERIFY(!error.isEmpty());
    error.clear();
    QVERIFY(!exportPlot(chart.plot(), QDir::tempPath() + "/x.bmpx", QSize(200, 100), 96, false, &error));
    QVERIFY(error.contains("format"));
    error.clear();
    QVERIFY(!exportPlot(chart.plot(), QDir::tempPath() + "/x.png", QSize(200, 100), 0, false, &error));
    QVERIFY(!error.isEmpty());
    // A path that exists as a directory cannot be written as a file.
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkdir("taken.png"));
    error.clear();
    QVERIFY(!exportPlot(chart.plot(), dir.filePath("taken.png"), QSize(200, 100), 96, false, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!exportSeriesCsv(chart.plot(), "/nonexistent-dir-for-lab/x.csv", &error));
}

void TestCharts::timeAxisLinkMovesBoth()
{
    CpuChart cpu;
    TimelineChart timeline;
    cpu.resize(800, 300);
    timeline.resize(800, 300);
    cpu.show();
    timeline.show();
    QVERIFY(QTest::qWaitForWindowExposed(&cpu));
    // One time range, followed by both charts; neither knows the other.
    TimeRange range;
    range.setOrigin(1000);
    cpu.setTimeRangeObject(&range);
    timeline.setTimeRangeObject(&range);
    QVERIFY(cpu.sharesTimeRange() && timeline.sharesTimeRange());
    QCOMPARE(timeline.timeOrigin(), 1000.0);
    cpu.setWindowSeconds(30);
    for (int i = 0; i < 100; ++i)
        cpu.addSample(sample(1000 + i * 0.1, 2));
    cpu.renderNow();
    // Live: the timeline follows the CPU chart's window.
    QVERIFY(timeline.isFollowingLive());
    QCOMPARE(timeline.timeUpper(), cpu.timeUpper());
    QCOMPARE(timeline.plot()->xAxis->range().upper, cpu.timeUpper());

    QSignalSpy rangeSpy(&range, &TimeRange::rangeChanged);
    // A user zoom/pan on the CPU chart (QCustomPlot's drag/wheel set the axis range).
    cpu.plot()->xAxis->setRange(2, 5);
    QCOMPARE(rangeSpy.count(), 1);  // once: applying it to the axes does not echo
    QCOMPARE(timeline.timeLower(), 2.0);
    QCOMPARE(timeline.timeUpper(), 5.0);
    QCOMPARE(timeline.plot()->xAxis->range().lower, 2.0);
    QCOMPARE(timeline.plot()->xAxis->range().upper, 5.0);
    QVERIFY(!cpu.isFollowingLive());
    QVERIFY(!timeline.isFollowingLive());
    // And the other way round.
    timeline.plot()->xAxis->setRange(3, 4);
    QCOMPARE(rangeSpy.count(), 2);
    QCOMPARE(cpu.timeLower(), 3.0);
    QCOMPARE(cpu.timeUpper(), 4.0);
    QCOMPARE(cpu.plot()->xAxis->range().upper, 4.0);
    // New samples do not move a zoomed view.
    cpu.addSample(sample(1000 + 20, 2));
    cpu.renderNow();
    QCOMPARE(cpu.timeLower(), 3.0);

    // Hover cursor moves on both.
    QSignalSpy cursor(&range, &TimeRange::cursorChanged);
    const QRect r = cpu.plot()->axisRect()->rect();
    QTest::mouseMove(cpu.plot(), r.center());
    QTRY_VERIFY(cursor.count() >= 1);
    const double t = cursor.last().at(0).toDouble();
    QVERIFY(t > 3.0 && t < 4.0);
    QCOMPARE(timeline.cursorTime(), t);
    timeline.setCursorTime(qQNaN());
    QVERIFY(std::isnan(cpu.cursorTime()));

    // Double-click: both back to live follow.
    QTest::mouseDClick(timeline.plot(), Qt::LeftButton, {}, timeline.plot()->axisRect()->rect().center());
    QTRY_VERIFY(cpu.isFollowingLive());
    QVERIFY(timeline.isFollowingLive());
    cpu.renderNow();
    QCOMPARE(cpu.timeUpper(), 21.0);  // the newest sample (20 s) within the 3 s step
    QCOMPARE(timeline.timeUpper(), 21.0);
}

// One clock for all charts: a burst of data into two charts is one tick, both replot on it;
// a hidden chart stays dirty and draws when shown.
void TestCharts::oneRedrawClockForAllCharts()
{
    RedrawClock clock(40);
    CpuChart cpu;
    ThroughputChart throughput;
    cpu.setRedrawClock(&clock);
    throughput.setRedrawClock(&clock);
    cpu.resize(600, 300);
    throughput.resize(600, 300);
    cpu.show();
    throughput.show();
    QVERIFY(QTest::qWaitForWindowExposed(&cpu));
    QVERIFY(QTest::qWaitForWindowExposed(&throughput));
    QTest::qWait(100);
    const int ticks0 = clock.tickCount();
    const int cpu0 = cpu.redrawCount(), tp0 = throughput.redrawCount();
    const double t0 = monotonicSeconds();
    for (int i = 0; i < 50; ++i) {
        cpu.addSample(sample(t0 + i * 0.1, 2));
        throughput.addPoint(QStringLiteral("threads"), i * 0.1, 10, 0);
    }
    QVERIFY(clock.isArmed());
    QTRY_VERIFY(clock.tickCount() > ticks0);
    QTest::qWait(150);
    QCOMPARE(clock.tickCount(), ticks0 + 1);  // nothing changed since: no more ticks
    QCOMPARE(cpu.redrawCount(), cpu0 + 1);
    QCOMPARE(throughput.redrawCount(), tp0 + 1);
    QVERIFY(!cpu.isDirty() && !throughput.isDirty());

    throughput.hide();
    throughput.addPoint(QStringLiteral("threads"), 6, 10, 0);
    QTRY_VERIFY(clock.tickCount() == ticks0 + 2);
    QCOMPARE(throughput.redrawCount(), tp0 + 1);  // hidden: not drawn, still dirty
    QVERIFY(throughput.isDirty());
    throughput.show();
    QTRY_COMPARE(throughput.redrawCount(), tp0 + 2);
}

void TestCharts::comparisonOneBarPerRun()
{
    ComparisonChart chart;
    chart.resize(900, 600);
    std::vector<RunRecord> runs{run("sequential", 1, 0, 2.0, 8), run("sequential", 1, 3, 2.1, 8),
                                run("threads", 2, 6, 1.0, 8), run("processes", 2, 8, 1.1, 8),
                                run("gil-threads", 2, 10, 2.0, 8)};
    for (RunRecord &r : runs) {
        r.speedup = 2.05 / r.wall_s;
        r.efficiency = r.speedup / r.workers;
    }
    runs[4].speedup = -1;  // no baseline: no bar, "n/a"
    runs[4].efficiency = -1;
    chart.setRuns(runs);
    QCOMPARE(chart.runCount(), 5);
    QCOMPARE(chart.barCount(ComparisonChart::WallTime), 5);
    QCOMPARE(chart.barCount(ComparisonChart::BusyCores), 5);
    QCOMPARE(chart.barCount(ComparisonChart::Speedup), 4);
    QCOMPARE(chart.barCount(ComparisonChart::Efficiency), 4);
    // One QCPBars per model, in the model's colour.
    int bars = 0;
    for (int i = 0; i < chart.plot()->plottableCount(); ++i) {
        if (auto *b = qobject_cast<QCPBars *>(chart.plot()->plottable(i))) {
            if (b->keyAxis()->axisRect() == chart.panelRect(ComparisonChart::WallTime)) {
                ++bars;
                QVERIFY(b->brush().color() == modelColor("sequential") || b->brush().color() == modelColor("threads") ||
                        b->brush().color() == modelColor("processes") || b->brush().color() == modelColor("gil-threads"));
            }
        }
    }
    QCOMPARE(bars, 4);
    bool hasNa = false;
    for (int i = 0; i < chart.plot()->itemCount(); ++i)
        if (auto *t = qobject_cast<QCPItemText *>(chart.plot()->item(i)))
            hasNa = hasNa || t->text() == "n/a";
    QVERIFY(hasNa);

    QVERIFY(chart.panelShown(ComparisonChart::Speedup) && chart.note().isEmpty());

    // No run has a speedup: speedup and efficiency are left out (the other panels take their
    // width), one note says why, and no "n/a" is drawn.
    for (RunRecord &r : runs)
        r.speedup = r.efficiency = -1;
    chart.setRuns(runs);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot();
    hasNa = false;
    for (int i = 0; i < chart.plot()->itemCount(); ++i)
        if (auto *t = qobject_cast<QCPItemText *>(chart.plot()->item(i)))
            hasNa = hasNa || t->text() == "n/a";
    QVERIFY(!hasNa);
    QVERIFY(!chart.panelShown(ComparisonChart::Speedup) && !chart.panelShown(ComparisonChart::Efficiency));
    QVERIFY(chart.panelShown(ComparisonChart::WallTime) && chart.panelShown(ComparisonChart::BusyCores));
    QVERIFY2(chart.note().contains(QLatin1String("speedup")), qPrintable(chart.note()));
    const QRect wall = chart.panelRect(ComparisonChart::WallTime)->rect();
    QVERIFY2(wall.width() > chart.plot()->viewport().width() / 3, qPrintable(QString::number(wall.width())));
    QCOMPARE(chart.barCount(ComparisonChart::WallTime), 5);
    chart.clear();
    QCOMPARE(chart.barCount(), 0);
}

// The story dock at 1024x768 is ~260 px wide: every value text ends inside the plot, and the
// texts of a panel (a convoy's beside/alone pairs) do not run into each other.
void TestCharts::variantRowsKeepTheirNamesApart()
{
    // race-counter in presentation at 1024x768: 4 variants x 5 models, each row named
    // "variant\nmodel" in 31 px rows of a 20 px font: the names ran over each other.
    BarPanelsChart chart;
    chart.resize(540, 620);
    BarPanel busy;
    busy.title = QStringLiteral("Cores busy");
    for (const char *variant : {"Unsynchronised", "Mutex", "Atomic add", "Local sums"})
        for (const char *model : {"threads", "processes", "gil-threads", "python-threads", "python-processes"}) {
            BarPanel::Row row;
            row.model = QString::fromLatin1(model);
            row.variant = QString::fromLatin1(variant);
            row.value = 0.9;
            row.valueText = QStringLiteral("0.90");
            busy.rows.push_back(row);
        }
    chart.model()->setPanels({busy});
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    auto namesFit = [&] {
        QCPAxis *key = chart.panelRect(0)->axis(QCPAxis::atLeft);
        const double rowPx = chart.panelRect(0)->rect().height() / key->range().size();
        const double line = QFontMetricsF(key->tickLabelFont()).height();
        auto ticker = key->ticker().dynamicCast<QCPAxisTickerText>();
        int lines = 1;
        for (const QString &name : ticker->ticks())
            lines = std::max(lines, int(name.count(QLatin1Char('\n'))) + 1);
        return std::pair{lines * line <= rowPx + 0.5, ticker->ticks()};
    };
    for (int h : {620, 1400}) {
        chart.resize(540, h);
        chart.plot()->replot();
        chart.plot()->replot();
        const auto [fit, names] = namesFit();
        QVERIFY2(fit, qPrintable(QStringLiteral("%1 px: ").arg(h) + names.values().join(QStringLiteral(" | "))));
        // Every row says its model; each variant is named.
        for (const char *variant : {"Unsynchronised", "Mutex", "Atomic add", "Local sums"})
            QVERIFY(names.values().join(QLatin1Char(' ')).contains(QString::fromLatin1(variant)));
        QCOMPARE(int(names.size()), 20);
        for (const QString &n : names)
            QVERIFY(!n.trimmed().isEmpty());
    }
}

void TestCharts::storyPanelsKeepEveryFigureWholeInANarrowDock()
{
    BarPanelsChart chart;
    chart.resize(262, 440);
    BarPanel latency;
    latency.title = QStringLiteral("Round trip, median (ms)");
    for (const auto &[model, beside] : {std::pair{"threads", 0.034}, {"gil-threads", 5.19}, {"python-threads", 5.31}}) {
        BarPanel::Row row;
        row.model = QString::fromLatin1(model);
        row.value = beside;
        row.valueText = QStringLiteral("beside %1 ms").arg(beside);
        row.second = 0.034;
        row.secondText = QStringLiteral("alone 34 µs");
        row.hasSecond = true;
        latency.rows.push_back(row);
    }
    BarPanel hold;
    hold.title = QStringLiteral("GIL hold time, median (ms)");
    for (int i = 0; i < 9; ++i) {
        BarPanel::Row row;
        row.model = QStringLiteral("gil-threads");
        row.variant = QStringLiteral("mutex-%1").arg(i);
        row.value = i == 0 ? 15.04 : 2.0 + i * 0.3;
        row.valueText = QStringLiteral("%1 ms").arg(*row.value, 0, 'f', 2);
        hold.rows.push_back(row);
    }
    chart.model()->setPanels({latency, hold});
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot();
    chart.plot()->replot();  // the titles and headroom fitted after the first layout
    std::map<int, std::vector<std::pair<double, double>>> rowsOf;  // panel -> text spans (y)
    int texts = 0;
    for (int i = 0; i < chart.plot()->itemCount(); ++i) {
        auto *t = qobject_cast<QCPItemText *>(chart.plot()->item(i));
        if (!t || t->text().isEmpty())
            continue;
        ++texts;
        const QFontMetricsF fm(t->font());
        const QPointF at = t->position->pixelPosition();
        const double right = at.x() + t->padding().left() + fm.horizontalAdvance(t->text());
        QVERIFY2(right <= chart.plot()->width() + 1,
                 qPrintable(QStringLiteral("\"%1\" ends at %2 of %3 px").arg(t->text()).arg(right).arg(chart.plot()->width())));
        int panel = -1;
        for (int p = 0; p < chart.panelCount(); ++p)
            if (chart.panelRect(p)->rect().contains(at.toPoint()) || chart.panelRect(p)->rect().adjusted(-2, -2, 2, 2).contains(at.toPoint()))
                panel = p;
        QVERIFY(panel >= 0);
        rowsOf[panel].emplace_back(at.y() - fm.height() / 2, at.y() + fm.height() / 2);
    }
    QCOMPARE(texts, 15);
    // The pairs: six texts in the round-trip panel, none overlapping the next.
    std::vector<std::pair<double, double>> spans = rowsOf[0];
    QCOMPARE(spans.size(), size_t(6));
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i)
        QVERIFY2(spans[i].first >= spans[i - 1].second - 2,
                 qPrintable(QStringLiteral("%1 overlaps %2").arg(spans[i].first).arg(spans[i - 1].second)));
}

void TestCharts::timelineBarsGilAndTooltip()
{
    TimelineChart chart;
    chart.resize(900, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setTimeOrigin(500);
    RunRecord r = run("gil-threads", 3, 510, 3.0, 12);
    GilStats gil;
    for (int i = 0; i < 300; ++i)
        gil.spans.push_back({i % 3, i * 0.01, i * 0.01 + 0.01});
    r.gil = gil;
    std::vector<TaskSpec> specs;
    for (int i = 0; i < 12; ++i)
        specs.push_back(CpuWorkload::task(i, 5000000, 2));
    chart.setTaskSpecs(specs);
    chart.setRun(0, r);
    QCOMPARE(chart.barCount(), 12);
    QCOMPARE(chart.gilSpanCount(), 300);
    QCOMPARE(chart.laneCount(), 3);
    // Same time base as the CPU chart: absolute t0 + start_s - origin.
    chart.zoomToRun();
    QVERIFY(chart.timeLower() < 10.0 && chart.timeLower() > 9.8);
    QVERIFY(chart.timeUpper() > 13.0 && chart.timeUpper() < 13.2);
    chart.plot()->replot();
    // Tooltip over the first task of worker 0.
    const TaskResult &t0 = r.tasks.front();
    const double x = chart.plot()->xAxis->coordToPixel(510 + (t0.start_s + t0.end_s) / 2 - 500);
    const double y = chart.plot()->yAxis->coordToPixel(0);
    const QString tip = chart.toolTipAt(QPointF(x, y));
    QVERIFY2(tip.contains("Task 0"), qPrintable(tip));
    QVERIFY(tip.contains("5,000,000") || tip.contains("5000000"));
    QVERIFY(tip.contains("core 0"));
    QVERIFY(chart.toolTipAt(QPointF(2, 2)).isEmpty());
    // Replacing the run keeps one set of bars.
    chart.setRun(0, r);
    QCOMPARE(chart.barCount(), 12);
    chart.addRun(run("threads", 2, 520, 1.0, 4));
    QCOMPARE(chart.barCount(), 16);
    QCOMPARE(chart.models().size(), 2);
    chart.clear();
    QCOMPARE(chart.barCount(), 0);
}

void TestCharts::timelineLiveEvents()
{
    TimelineChart chart;
    const double now = monotonicSeconds();
    LiveEvent start;
    start.type = LiveEvent::TaskStarted;
    start.taskId = 7;
    start.worker = 4;
    start.t = now - 0.5;
    start.cpu = 1;
    chart.addLiveEvent(start, now - 1, "processes");
    QCOMPARE(chart.barCount(), 1);
    QCOMPARE(chart.laneCount(), 5);
    QVERIFY(std::isnan(chart.bars().front().t1));  // running: grows with time
    LiveEvent finish = start;
    finish.type = LiveEvent::TaskFinished;
    finish.t = now;
    finish.ok = true;
    finish.cpu = 0;
    chart.addLiveEvent(finish, now - 1, "processes");
    QCOMPARE(chart.bars().front().t1, now);
    QCOMPARE(chart.bars().front().cpuEnd, 0);
    // A finish without a start is ignored.
    finish.taskId = 99;
    chart.addLiveEvent(finish, now - 1, "processes");
    QCOMPARE(chart.barCount(), 1);
    // The finished record replaces the live bars of its run.
    RunRecord r = run("processes", 2, now - 1, 1.0, 4);
    chart.setRun(start.run, r);
    QCOMPARE(chart.barCount(), 4);
}

// Five models over a 140 px plot (a short top row): the legend goes beside the lines; an
// export at 1600x900 of the same chart lays it out above them again. Narrower (the top of a
// 1024x768 window), the legend goes rather than a name being shortened.
void TestCharts::throughputLegendFollowsTheSizeLaidOut()
{
    ThroughputChart chart;
    chart.resize(520, 140);
    for (const char *m : {"threads", "processes", "gil-threads", "python-threads", "python-processes"}) {
        chart.beginRun(QString::fromLatin1(m));
        for (int i = 1; i <= 5; ++i)
            chart.addPoint(QString::fromLatin1(m), i * 0.1, 5 + i, 0);
    }
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot();
    QVERIFY(chart.legendBeside());
    const QPixmap big = chart.plot()->toPixmap(1600, 900);
    QVERIFY(!big.isNull());
    QVERIFY2(!chart.legendBeside(), "the export kept the short window's side legend");
    QCOMPARE(chart.plot()->yAxis->label(), QStringLiteral("tasks/s"));
    chart.plot()->replot();
    QVERIFY(chart.legendBeside());
    chart.resize(330, 140);
    QTRY_VERIFY(!chart.legendShown());
    for (int i = 0; i < chart.plot()->graphCount(); ++i) {
        const QCPGraph *g = chart.plot()->graph(i);
        if (!g->property("labModel").toString().isEmpty())
            QCOMPARE(g->name(), modelLabel(g->property("labModel").toString()));
    }
}

void TestCharts::throughputKeepsItsPlotWideAndItsLabelWhole()
{
    // ipc-cost at 1024x768: two long names in a short, narrow chart. A side legend left the
    // lines a 60 px strip and the reference label was cut to ".32/s" at the plot's left edge.
    ThroughputChart chart;
    chart.resize(330, 170);
    for (const char *m : {"sequential", "python-sequential"}) {
        chart.beginRun(QString::fromLatin1(m));
        for (int i = 1; i <= 5; ++i)
            chart.addPoint(QString::fromLatin1(m), i * 0.1, 2 + i * 0.2, 0);
    }
    chart.setReferenceRate(3.32);  // the top of the range: no room above the line
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot();
    QVERIFY(!chart.legendBeside());
    const QRect plot = chart.plot()->axisRect()->rect();
    QVERIFY2(plot.width() >= chart.width() / 2, qPrintable(QString::number(plot.width())));
    for (int w : {330, 200, 120, 70}) {
        chart.resize(w, 170);
        chart.plot()->replot();
        const QRectF label = chart.referenceLabelRect();
        const QRect area = chart.plot()->axisRect()->rect();
        // Whole inside the plot, or not drawn at all.
        QVERIFY2(label.isNull() || (label.left() >= area.left() && label.right() <= area.right() + 1
                                    && label.top() >= area.top() - 1 && label.bottom() <= area.bottom() + 1),
                 qPrintable(QStringLiteral("%1 px: label %2..%3, plot %4..%5")
                                .arg(w).arg(label.left()).arg(label.right()).arg(area.left()).arg(area.right())));
        if (w == 330)
            QVERIFY(!label.isNull());
    }
}

void TestCharts::throughputWithManyModelsKeepsItsPlot()
{
    // fault-isolation at 1024x768: seven models, one with a long name, in a 330x150 chart.
    ThroughputChart chart;
    chart.resize(330, 150);
    for (const char *m : {"sequential", "python-sequential", "threads", "processes", "threads-hosted", "python-threads", "python-processes"}) {
        chart.beginRun(QString::fromLatin1(m));
        for (int i = 1; i <= 5; ++i)
            chart.addPoint(QString::fromLatin1(m), i * 0.1, 5 + i, 0);
    }
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot();
    chart.plot()->replot();
    const QRect area = chart.plot()->axisRect()->rect();
    QVERIFY2(area.height() >= 40 && area.width() >= 150, qPrintable(QStringLiteral("%1x%2").arg(area.width()).arg(area.height())));
    QVERIFY(!chart.legendShown());
    const QPixmap big = chart.plot()->toPixmap(1600, 900);
    QVERIFY(!big.isNull());
    QVERIFY2(chart.legendShown(), "an export at its own size names the lines");
    chart.plot()->replot();
    QVERIFY(!chart.legendShown());
}

// lock-contention at 1024x768: three models in a 330x150 chart; a second legend row was
// squeezed into the plot's top ("CPython threads" over the axis). Whatever the size, a legend
// shown takes rows of its own, each entry a whole line high, clear of the plot.
void TestCharts::throughputLegendNeverCoversThePlot_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<QStringList>("models");
    const QStringList three{"threads", "gil-threads", "python-threads"};
    const QStringList five{"sequential", "threads", "processes", "gil-threads", "python-processes"};
    for (const QSize &sz : {QSize(330, 150), QSize(330, 190), QSize(520, 150), QSize(800, 300), QSize(1600, 900)}) {
        QTest::addRow("three models, %dx%d", sz.width(), sz.height()) << sz << three;
        QTest::addRow("five models, %dx%d", sz.width(), sz.height()) << sz << five;
    }
}

void TestCharts::throughputLegendNeverCoversThePlot()
{
    QFETCH(QSize, size);
    QFETCH(QStringList, models);
    ThroughputChart chart;
    chart.resize(size);
    for (const QString &m : models) {
        chart.beginRun(m);
        for (int i = 1; i <= 5; ++i)
            chart.addPoint(m, i * 0.1, 5 + i, 0);
    }
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot();
    chart.plot()->replot();
    if (!chart.legendShown())
        return;
    QCPLegend *legend = chart.plot()->legend;
    const QRect plotArea = chart.plot()->axisRect()->rect();
    for (int i = 0; i < legend->itemCount(); ++i) {
        QCPAbstractLegendItem *item = legend->item(i);
        if (!item)
            continue;  // an empty cell of the wrapped grid
        const QRect r = item->rect();
        QVERIFY2(!r.intersects(plotArea), qPrintable(QStringLiteral("entry %1 at %2,%3 %4x%5 over the plot at %6,%7 %8x%9")
                                                           .arg(i).arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height())
                                                           .arg(plotArea.x()).arg(plotArea.y()).arg(plotArea.width()).arg(plotArea.height())));
        QVERIFY2(r.height() >= QFontMetrics(item->font()).height() - 1,
                 qPrintable(QStringLiteral("entry %1 is %2 px high, its text %3 px; legend %4 px at %5, plot at %6").arg(i).arg(r.height()).arg(QFontMetrics(item->font()).height()).arg(legend->outerRect().height()).arg(legend->outerRect().y()).arg(plotArea.y()) + QStringLiteral(" min %1 item min %2 font %3").arg(legend->minimumOuterSizeHint().height()).arg(item->minimumOuterSizeHint().height()).arg(item->font().pointSizeF())));
    }
}

void TestCharts::throughputLines()
{
    ThroughputChart chart;
    chart.resize(800, 400);
    chart.beginRun("sequential");
    for (int i = 1; i <= 10; ++i)
        chart.addPoint("sequential", i * 0.1, 10 + i, 0);
    QCOMPARE(chart.pointCount("sequential"), 10);
    chart.beginRun("sequential");
    QCOMPARE(chart.pointCount("sequential"), 0);
    RunRecord r = run("threads", 2, 0, 2.0, 40);
    chart.setRunRecord(r);
    QCOMPARE(chart.pointCount("threads"), int(r.throughput.size()) + 1);
    chart.setReferenceRate(12.5);
    QCOMPARE(chart.referenceRate(), 12.5);
    QVERIFY(chart.plot()->yAxis->range().upper >= 12.5);
    QVERIFY(chart.plot()->yAxis->label().contains("tasks/s"));
    chart.setIoMode(true);
    QVERIFY(chart.plot()->yAxis2->visible());
    QVERIFY(chart.plot()->yAxis->label().contains("requests/s"));
    QVERIFY(chart.plot()->yAxis2->label().contains("MB/s"));
    QCOMPARE(chart.models(), QStringList({"sequential", "threads"}));
    chart.clear();
    QCOMPARE(chart.models().size(), 0);
}


void TestCharts::oneNameAndDistinctColours()
{
    // One name per model: the registry's label, everywhere (there is no short form).
    for (const ModelInfo &m : modelRegistry()) {
        QCOMPARE(modelLabel(m.id), m.label);
        QCOMPARE(modelId(m.label), m.id);
    }
    QCOMPARE(modelLabel("gil-threads"), QString("Threads + GIL"));
    // Ten colours (the models and the next ones) stay apart in both themes.
    for (bool dark : {false, true}) {
        QList<QColor> colours;
        for (const ModelInfo &m : modelRegistry())
            colours << modelColor(m.id, dark);
        colours << modelColor("model-x", dark);
        QVERIFY(colours.size() >= 9);
        for (int i = 0; i < colours.size(); ++i)
            for (int j = i + 1; j < colours.size(); ++j) {
                const QColor a = colours[i], b = colours[j];
                const double d = std::hypot(std::hypot(a.red() - b.red(), a.green() - b.green()), a.blue() - b.blue());
                QVERIFY2(d > 60, qPrintable(QString("%1 vs %2: %3").arg(a.name(), b.name()).arg(d)));
            }
        // Readable on the theme's background: no colour almost as dark (or light) as it.
        const QColor bg = chartPalette(dark).background;
        for (const QColor &c : colours)
            QVERIFY2(std::abs(qGray(c.rgb()) - qGray(bg.rgb())) > 40, qPrintable(c.name()));
    }
}

void TestCharts::wheelZoomsAroundTheCursor()
{
    CpuChart chart;
    chart.resize(800, 300);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setTimeRange(0, 100);
    chart.renderNow();
    QCPAxis *x = chart.plot()->xAxis;
    QCPAxisRect *rect = chart.plot()->axisRect();
    const QPointF at(x->coordToPixel(80), rect->center().y());
    QWheelEvent wheel(at, chart.plot()->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(chart.plot(), &wheel);
    chart.renderNow();
    QVERIFY2(chart.timeUpper() - chart.timeLower() < 95, qPrintable(QString::number(chart.timeUpper() - chart.timeLower())));
    // The moment under the cursor stays under it.
    QVERIFY2(std::abs(x->pixelToCoord(at.x()) - 80) < 0.5, qPrintable(QString::number(x->pixelToCoord(at.x()))));
    QVERIFY(!chart.isFollowingLive());
}

// Between steps of the live view a new sample draws only itself: no replot, the axes (and the
// charts sharing them) stay; a step, a span change or a theme change replots.
void TestCharts::cpuLiveFramesDrawOnlyNewSamples()
{
    CpuChart chart;
    RedrawClock clock(10);
    chart.setRedrawClock(&clock);
    chart.resize(800, 350);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QTest::qWait(50);  // the first frame drawn: no replot of it still queued when counting starts
    const double t0 = std::floor(monotonicSeconds()) - 100;
    chart.setTimeOrigin(t0);
    // Samples at 10 Hz; the newest at 60.05 s: the view ends at 63 s (steps of 3 s).
    int i = 0;
    for (; i < 601; ++i)
        chart.addSample(sample(t0 + 0.05 + i * 0.1, 2));
    chart.renderNow();
    QCOMPARE(chart.timeUpper(), 63.0);
    TimeRange *range = chart.timeRange();
    QSignalSpy rangeMoves(range, &TimeRange::rangeChanged);
    const int replots0 = chart.replotCount(), tails0 = chart.tailFrameCount();
    // 20 more samples up to 62.05 s: the same view, 20 tail frames, not one replot.
    for (int k = 0; k < 20; ++k, ++i) {
        chart.addSample(sample(t0 + 0.05 + i * 0.1, 2));
        chart.renderLiveNow();
    }
    QCOMPARE(chart.replotCount(), replots0);
    QCOMPARE(chart.tailFrameCount(), tails0 + 20);
    QCOMPARE(rangeMoves.count(), 0);
    // Through the clock as well.
    chart.addSample(sample(t0 + 0.05 + (i++) * 0.1, 2));
    QTRY_COMPARE(chart.tailFrameCount(), tails0 + 21);
    QCOMPARE(chart.replotCount(), replots0);
    // Past 63 s: one step, one replot.
    for (int k = 0; k < 10; ++k, ++i)
        chart.addSample(sample(t0 + 0.05 + i * 0.1, 2));
    chart.renderLiveNow();
    QCOMPARE(chart.replotCount(), replots0 + 1);
    QCOMPARE(chart.timeUpper(), 66.0);
    QCOMPARE(rangeMoves.count(), 1);
    // A run starting is a change of the spans: replot; its open span then reaches the view's
    // right edge, so the next samples are tail frames again.
    chart.markRunStarted(t0 + 63.5, "threads");
    chart.addSample(sample(t0 + 0.05 + (i++) * 0.1, 2));
    chart.renderLiveNow();
    QCOMPARE(chart.replotCount(), replots0 + 2);
    chart.addSample(sample(t0 + 0.05 + (i++) * 0.1, 2));
    chart.renderLiveNow();
    QCOMPARE(chart.replotCount(), replots0 + 2);
    // A zoomed (not following) view: new samples beyond it cost no replot either.
    chart.setTimeRange(10, 20);
    chart.renderNow();
    const int replots1 = chart.replotCount();
    chart.addSample(sample(t0 + 0.05 + (i++) * 0.1, 2));
    chart.renderLiveNow();
    QCOMPARE(chart.replotCount(), replots1);
    chart.setDark(true);
    chart.renderLiveNow();
    QCOMPARE(chart.replotCount(), replots1 + 1);
    // Heatmap mode always replots.
    chart.setLiveFollow(true);
    chart.addSample(sample(t0 + 0.05 + (i++) * 0.1, 32));
    chart.renderLiveNow();
    const int replots2 = chart.replotCount();
    chart.addSample(sample(t0 + 0.05 + (i++) * 0.1, 32));
    chart.renderLiveNow();
    QCOMPARE(chart.replotCount(), replots2 + 1);
}

void TestCharts::cpuAppCpuLabel()
{
    CpuChart chart;
    QVERIFY(chart.appCpuText().isEmpty());  // not measured: nothing shown, never "0 %"
    chart.model()->setAppCpuPercent(0.8349);
    QCOMPARE(chart.appCpuText(), QStringLiteral("app 0.8 % of a core"));
    chart.model()->setAppCpuPercent(23.4);
    QCOMPARE(chart.appCpuText(), QStringLiteral("app 23 % of a core"));
    QCOMPARE(chart.appCpuText(true), QStringLiteral("app 23 %"));
    chart.model()->setAppCpuPercent(qQNaN());
    QVERIFY(chart.appCpuText().isEmpty());
    QVERIFY(chart.appCpuText(true).isEmpty());
}

// The CPU chart in a 1024x768 window's short top row: the run labels would cover the lines
// they name, so there are none (the shading and the legends name the runs), and the app's own
// CPU is said briefly; a tall chart keeps both.
void TestCharts::cpuShortChartKeepsItsLinesClear()
{
    CpuChart chart;
    chart.resize(1000, 400);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    const double t0 = monotonicSeconds();
    for (int i = 0; i < 40; ++i)
        chart.addSample(sample(t0 + i * 0.1, 2));
    chart.markRunStarted(t0 + 0.5, QStringLiteral("threads"));
    chart.markRunFinished(t0 + 3.5);
    chart.model()->setAppCpuPercent(19.0);
    chart.renderNow();
    QCOMPARE(chart.visibleRunLabels(), 1);
    QCOMPARE(chart.shownAppCpuText(), QStringLiteral("app 19 % of a core"));
    chart.resize(410, 135);
    QCoreApplication::processEvents();
    chart.renderNow();
    QCOMPARE(chart.visibleRunLabels(), 0);
    QCOMPARE(chart.shownAppCpuText(), QStringLiteral("app 19 %"));
}

// A minimised window draws nothing; it stays dirty and draws when it is back.
void TestCharts::minimisedChartsDoNotRedraw()
{
    RedrawClock clock(10);
    CpuChart cpu;
    TimelineChart timeline;
    cpu.setRedrawClock(&clock);
    timeline.setRedrawClock(&clock);
    cpu.resize(600, 300);
    timeline.resize(600, 300);
    cpu.show();
    timeline.show();
    QVERIFY(QTest::qWaitForWindowExposed(&cpu));
    const double t0 = monotonicSeconds();
    cpu.addSample(sample(t0, 2));
    QTRY_VERIFY(!cpu.isDirty());
    cpu.showMinimized();
    timeline.showMinimized();
    QTRY_VERIFY(cpu.isMinimized() && timeline.isMinimized());
    const int cpuDraws = cpu.redrawCount(), timelineDraws = timeline.redrawCount();
    const int ticks = clock.tickCount();
    for (int i = 1; i <= 5; ++i) {
        cpu.addSample(sample(t0 + i * 0.1, 2));
        timeline.addRun(run("threads", 2, t0, 0.5, 4));
        QTest::qWait(20);
    }
    QVERIFY(clock.tickCount() > ticks);
    QCOMPARE(cpu.redrawCount(), cpuDraws);
    QCOMPARE(timeline.redrawCount(), timelineDraws);
    QVERIFY(cpu.isDirty() && timeline.isDirty());
    cpu.showNormal();
    timeline.showNormal();
    cpu.addSample(sample(t0 + 1, 2));  // the next sample (or the show) draws what was missed
    timeline.addRun(run("threads", 2, t0, 0.5, 4));
    QTRY_VERIFY(cpu.redrawCount() > cpuDraws && timeline.redrawCount() > timelineDraws);
}

void TestCharts::shortTimelineKeepsItsLanesAndAxis()
{
    // The 1024x768 window gives the task timeline 130 px: the legend row was cut in half and
    // "worker" upright beside one lane lost its letters. Whatever shows must be whole.
    TimelineChart chart;
    chart.resize(740, 130);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setTimeOrigin(0);
    chart.addRun(run("sequential", 1, 10, 2.0, 20));
    chart.addRun(run("python-sequential", 1, 14, 3.0, 20));
    chart.zoomToRun();
    chart.renderNow();
    chart.renderNow();
    QCustomPlot *plot = chart.plot();
    const QRect area = plot->axisRect()->rect();
    QVERIFY2(area.height() >= TimelineChart::kMinLanesPx - 2, qPrintable(QString::number(area.height())));
    QVERIFY(!chart.legendShown());
    // The time axis title ends inside the widget.
    const QFontMetrics fm(plot->xAxis->labelFont());
    QVERIFY2(area.bottom() + plot->axisRect()->margins().bottom() <= plot->height(),
             qPrintable(QStringLiteral("%1 + %2 > %3").arg(area.bottom()).arg(plot->axisRect()->margins().bottom()).arg(plot->height())));
    const QString y = plot->yAxis->label();
    QVERIFY2(y.isEmpty() || QFontMetrics(plot->yAxis->labelFont()).horizontalAdvance(y) <= area.height(), qPrintable(y));
    // An export at its own size has the legend; the window's chart gives it up again.
    const QPixmap big = plot->toPixmap(1600, 600);
    QVERIFY(!big.isNull());
    QVERIFY(chart.legendShown());
    chart.renderNow();
    chart.renderNow();
    QVERIFY(!chart.legendShown());
    // Taller, it comes back.
    chart.resize(740, 300);
    chart.renderNow();
    chart.renderNow();
    QVERIFY(chart.legendShown());
    QCOMPARE(plot->yAxis->label(), QStringLiteral("worker"));
}

void TestCharts::narrowBarsDropTheirFiguresNotOverlapThem()
{
    // fault-isolation at 1024x768: 24 runs in panels ~300 px wide. Upright figures in 12 px
    // slots ran into each other; a figure is whole and apart from its neighbours, or absent
    // and the title row says where the figures are.
    ComparisonChart chart;
    chart.resize(745, 330);
    std::vector<RunRecord> runs;
    const QStringList models{"sequential", "threads", "processes", "python-sequential", "python-threads", "python-processes"};
    for (int v = 0; v < 4; ++v)
        for (const QString &m : models) {
            RunRecord r = run(m, m.contains("seq") ? 1 : 2, 0, 0.4 + 0.1 * v, 4);
            r.variant = QStringLiteral("v%1").arg(v);
            runs.push_back(r);
        }
    chart.model()->setRuns(runs);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    const auto boxes = chart.valueLabelBoxes();
    for (size_t i = 0; i < boxes.size(); ++i)
        for (size_t j = i + 1; j < boxes.size(); ++j)
            if (boxes[i].panel == boxes[j].panel)
                QVERIFY2(!boxes[i].box.adjusted(0.5, 0.5, -0.5, -0.5).intersects(boxes[j].box),
                         qPrintable(QStringLiteral("\"%1\" and \"%2\" overlap").arg(boxes[i].text, boxes[j].text)));
    QVERIFY(chart.valuesHidden());
    QVERIFY2(chart.titleShown().contains(QStringLiteral("Table")), qPrintable(chart.titleShown()));
    // Wide enough, every figure is back and the note goes.
    chart.resize(1900, 700);
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(!chart.valuesHidden());
    QVERIFY(!chart.titleShown().contains(QStringLiteral("Table")));
}

// 256 workers do not fit as lanes: rows of 16 (or more) lanes, each showing its busy share;
// the tooltip names the group and the task under the cursor.
void TestCharts::timelineGroupsLanesToFit()
{
    TimelineChart chart;
    chart.resize(1000, 420);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setTimeOrigin(0);
    chart.addRun(run("threads", 256, 10, 2.0, 2560));
    QCOMPARE(chart.laneCount(), 256);
    chart.zoomToRun();
    chart.renderNow();
    QVERIFY2(chart.groupSize() >= 16, qPrintable(QString::number(chart.groupSize())));
    const int rowPx = chart.plot()->axisRect()->height() / chart.rowCount();
    QVERIFY2(rowPx >= TimelineChart::kMinRowPx, qPrintable(QString::number(rowPx)));
    auto *ticker = dynamic_cast<QCPAxisTickerText *>(chart.plot()->yAxis->ticker().data());
    QVERIFY(ticker);
    QVERIFY(ticker->ticks().value(0).contains(QStringLiteral("0–%1").arg(chart.groupSize() - 1)));
    // Each row: a busy span per round of tasks (with partly busy columns at the edges), not
    // one per task.
    QVERIFY2(chart.lastSpanCount() >= chart.rowCount() && chart.lastSpanCount() <= 40 * chart.rowCount(),
             qPrintable(QString::number(chart.lastSpanCount())));
    const double x = chart.plot()->xAxis->coordToPixel(11.1);  // inside the sixth round
    const double y = chart.plot()->yAxis->coordToPixel(1);
    const QString tip = chart.toolTipAt(QPointF(x, y));
    const int g = chart.groupSize();
    QVERIFY2(tip.contains(QStringLiteral("workers %1–%2").arg(g).arg(2 * g - 1)), qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("%1 of %1 busy").arg(g)), qPrintable(tip));
    QVERIFY(tip.contains("Task "));
    // Taller: more rows, fewer lanes each; a few workers: one lane each again.
    chart.resize(1000, 1400);
    chart.renderNow();
    QVERIFY(chart.groupSize() < g);
    chart.clear();
    chart.addRun(run("threads", 4, 10, 1.0, 8));
    chart.renderNow();
    QCOMPARE(chart.groupSize(), 1);
    QCOMPARE(chart.rowCount(), 4);
}

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
