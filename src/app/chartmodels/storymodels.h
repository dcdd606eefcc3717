#pragma once
#include "barpanelsmodel.h"
#include "experiment/experimentspec.h"
#include "lessons/callouts.h"
#include "lessons/story.h"

#include <QObject>
#include <QPointer>

namespace lab {

class RunStore;

// What the story panel and the presentation show, fed from the RunStore: the story of the spec
// on the panel, and for the experiment the store shows, its headline call-outs, GIL panels and
// headline panels (from RunStore::comparisonRuns, like the comparison chart). GUI thread only.
class StoryModels : public QObject {
    Q_OBJECT
public:
    explicit StoryModels(QObject *parent = nullptr);

    void setStore(RunStore *store);
    // The spec on the experiment panel (its story is shown before anything ran).
    void setSpec(const ExperimentSpec &spec);
    const ExperimentSpec &spec() const { return m_spec; }
    Story story() const { return Story::of(m_spec); }

    // The experiment the figures come from; empty title when nothing is shown.
    QString measuredTitle() const { return m_measuredTitle; }
    bool measuredIsLive() const { return m_live; }
    const std::vector<Callout> &callouts() const { return m_callouts; }
    BarPanelsModel *gil() const { return m_gil; }
    BarPanelsModel *headline() const { return m_headline; }

Q_SIGNALS:
    void storyChanged();
    void measuredChanged();

private:
    void refresh();

    QPointer<RunStore> m_store;
    ExperimentSpec m_spec;
    QString m_measuredTitle;
    bool m_live = false;
    std::vector<Callout> m_callouts;
    BarPanelsModel *m_gil;
    BarPanelsModel *m_headline;
};

} // namespace lab
