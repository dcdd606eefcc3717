#include "workerloop.h"

int main(int argc, char *argv[])
{
    return lab::worker::run(argc, argv);
}
