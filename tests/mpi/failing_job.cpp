// A job whose task throws: used by the failing_job tests, which check that every rank exits
// non-zero with one message naming the function, the task and the rank, and that nothing hangs.
#include "tessera/tessera.hpp"

namespace {
const auto explode =
    tessera::register_function("failing_job.explode", [](std::int64_t x) -> std::int64_t {
        if (x == 7) throw std::runtime_error("boom at " + std::to_string(x));
        return x;
    });
const auto add = tessera::register_function("failing_job.add",
                                            [](std::int64_t a, std::int64_t b) { return a + b; });
}  // namespace

int main(int argc, char** argv) {
    tessera::RuntimeOptions options;
    options.progress = tessera::ProgressMode::kNone;
    tessera::Runtime rt(argc, argv, options);
    return rt.run([] {
        std::vector<tessera::Delayed<std::int64_t>> xs;
        for (int i = 0; i < 20; ++i) xs.push_back(explode(i));
        auto total = xs[0];
        for (int i = 1; i < 20; ++i) total = add(total, xs[i]);
        total.compute();
    });
}
