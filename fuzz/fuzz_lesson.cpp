// Lesson files (parseLesson, what the app's deck and `concurrency-lab-cli lesson check` read):
// any bytes give a lesson or one error line with a line number inside the text, never a crash.
#include "fuzzcheck.h"
#include "lessons/lesson.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray text = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    int line = -1;
    const std::optional<lab::Lesson> lesson = lab::parseLesson(text, &error, &line);
    if (!lesson) {
        LAB_FUZZ_CHECK(!error.isEmpty() && !error.contains(QLatin1Char('\n')));
        LAB_FUZZ_CHECK(line >= 1 && line <= text.count('\n') + 1);
    }
    return 0;
}
