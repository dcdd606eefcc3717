#pragma once

namespace lab::worker {

// The worker's --host mode (the threads-hosted model): after the hello, one "host" message
// (spec, threads, task count) and the tasks arrive on stdin; the ordinary threads model runs
// them on that many threads here, and every finished task goes back as soon as it finishes
// ("results" frames, "started" frames as tasks begin). A crash of any task kills this whole
// process, which is the point: the parent loses exactly what had not been reported. Stdin EOF,
// "bye" or "cancel" stop the run. Returns the exit code (as run()).
int runHost();

} // namespace lab::worker
