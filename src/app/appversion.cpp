// Placeholder translation unit until the main window lands.
namespace lab {
const char *appName() { return "Concurrency Lab"; }
} // namespace lab
