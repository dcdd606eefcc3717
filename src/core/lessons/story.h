#pragma once
#include "experiment/experimentspec.h"

#include <QString>

namespace lab {

// The plain-words story of an experiment: what it shows and what to notice. It lives in the
// spec file as a top-level "story" object ({"shows": "...", "notice": "..."}), which
// ExperimentSpec keeps unparsed among its unknown keys (extra), so it travels with the spec
// into results files and back, and a teacher's own spec file can carry one too.
struct Story {
    QString shows;
    QString notice;

    bool isEmpty() const { return shows.isEmpty() && notice.isEmpty(); }
    static Story of(const ExperimentSpec &spec);
};

} // namespace lab
