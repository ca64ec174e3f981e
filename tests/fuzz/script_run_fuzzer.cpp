// libFuzzer target: the interpreter on a small array world. Each input is first run under
// --explain, which evaluates the whole script and plans every computation without running any;
// a script whose plans stay small (a few thousand tasks, a few MiB) is then run for real on an
// in-process cluster of two workers. Every input must end in output or in one tessera error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "script/interpreter.hpp"
#include "tessera/array.hpp"
#include "tessera/runtime/runtime.hpp"

namespace {

constexpr std::int64_t kMaxTasks = 4000;
constexpr std::int64_t kMaxBytes = 16 << 20;

bool small_enough(const tessera::Plan& plan) {
    std::int64_t bytes = 0;
    for (const auto& layer : plan.layers) bytes += layer.bytes;
    return plan.tasks <= kMaxTasks && bytes <= kMaxBytes;
}

/// Runs the script; the arrays it computed or explained, or nothing if it stopped at an error.
std::optional<std::vector<tessera::Array>> run(const std::string& code, bool explain) {
    using namespace tessera::script;
    ScriptOptions options;
    options.argv = {"fuzz.tsr", "1", "x.h5"};
    options.explain = explain;
    options.workers = 2;
    std::ostringstream out;
    Interpreter interpreter(Source{"fuzz.tsr", code}, options, out);
    try {
        interpreter.run();
        return interpreter.computed();
    } catch (const ScriptError& e) {
        (void)e.render(interpreter.source());
    } catch (const tessera::Error&) {
        // a tessera error outside any call (a task that failed): one message, as for a user
    }
    return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static tessera::LocalCluster cluster(2);
    const std::string code(reinterpret_cast<const char*>(data), size);
    if (code.find("to_hdf5") != std::string::npos || code.find("from_hdf5") != std::string::npos)
        return -1;  // files: the HDF5 target's; the interpreter's calls are the same without them
    const auto explained = run(code, true);
    if (!explained || !small_enough(tessera::explain(*explained, 2))) return 0;
    run(code, false);
    return 0;
}
