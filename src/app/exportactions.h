#pragma once
#include "experiment/runrecord.h"
#include "sampling/cpusampler.h"

#include <QList>
#include <QSize>
#include <QString>
#include <QStringList>
#include <vector>

class QCustomPlot;

namespace lab {

struct NamedPlot {
    QString name;            // file base name: "cpu", "throughput", ...
    QCustomPlot *plot = nullptr;
};

struct ChartExportSettings {
    QSize size{1600, 900};
    double dpi = 96;
    bool whiteBackground = true;
    QString caption;  // under every chart: experiment, date, machine, cores
};

// <dir>/<name>.<format> for every plot and format ("png", "svg", "pdf"). Creates dir.
// Appends each written path to *written; stops at the first failure with *error set.
bool exportCharts(const QList<NamedPlot> &plots, const QString &dir, const QStringList &formats,
                  const ChartExportSettings &settings, QStringList *written, QString *error);

// results.json, the CSV files (writeCsvFiles) and trace.json
// (Chrome trace with the CPU samples of the run) into dir.
bool exportResultData(const ExperimentResult &result, const std::vector<CpuSample> &samples, const QString &dir,
                      QStringList *written, QString *error);


} // namespace lab
