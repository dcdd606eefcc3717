#include "workerloop.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char *argv[])
{
    const int code = lab::worker::run(argc, argv);
    // The stdin reader thread is detached and may still be running: leave without running
    // static destructors under its feet.
    std::fflush(nullptr);
    std::_Exit(code);
}
