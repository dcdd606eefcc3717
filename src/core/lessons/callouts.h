#pragma once
#include "experiment/runrecord.h"

#include <QString>
#include <QStringList>
#include <vector>

namespace lab {

// One headline of a finished experiment, with the measured figure in it:
// headline "Threads + GIL: 0.97x", explanation "no speedup: only one thread runs Python code
// at a time". Computed from the runs by rules per workload kind (never typed in a preset).
struct Callout {
    QString model;        // empty: about the whole experiment (the machine, the baseline)
    QString headline;
    QString explanation;
    bool caveat = false;  // a limit of this machine or run, not a finding

    QString text() const;  // "headline — explanation"
};

// The call-outs of an experiment's runs (the median repetition of each model). usableCores:
// cores this process may use (0: take them from result.machine, else from this machine).
std::vector<Callout> headlineCallouts(const ExperimentResult &result, int usableCores = 0);
// The same for runs already chosen (e.g. RunStore::comparisonRuns), with their spec and machine.
std::vector<Callout> headlineCallouts(const std::vector<RunRecord> &runs, const ExperimentSpec &spec, int usableCores);
QStringList calloutTexts(const std::vector<Callout> &callouts);

} // namespace lab
