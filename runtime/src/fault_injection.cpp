#include "fault_injection.hpp"

#include <signal.h>

#include <cstdlib>
#include <sstream>

#include "tessera/io/io_error.hpp"
#include "tessera/runtime/error.hpp"

namespace tessera {

FaultInjection::FaultInjection(int rank) {
    const char* spec = std::getenv("TESSERA_INJECT");
    if (!spec) return;
    std::stringstream entries(spec);
    std::string entry;
    while (std::getline(entries, entry, ',')) {
        if (entry.empty()) continue;
        std::vector<std::string> f;
        std::stringstream parts(entry);
        for (std::string p; std::getline(parts, p, ':');) f.push_back(p);
        auto number = [&](std::size_t i) {
            char* end = nullptr;
            const long long v = i < f.size() ? std::strtoll(f[i].c_str(), &end, 10) : 0;
            if (i >= f.size() || *end != '\0' || v < 1)
                throw UsageError("TESSERA_INJECT: '" + entry + "' needs a count >= 1 in field " +
                                 std::to_string(i + 1));
            return static_cast<std::int64_t>(v);
        };
        const std::string& kind = f.empty() ? entry : f[0];
        if ((kind == "fail" && f.size() == 3) ||
            (kind == "ioerror" && (f.size() == 3 || f.size() == 4))) {
            Rule r{kind == "fail" ? Kind::kFail : Kind::kIoError, f[1], number(2), 1};
            if (f.size() == 4) r.times = number(3);
            runs_.emplace_back(r.function, 0);
            rules_.push_back(std::move(r));
        } else if ((kind == "stall" || kind == "die") && f.size() == 3) {
            if (number(1) == rank)
                rules_.push_back({kind == "stall" ? Kind::kStall : Kind::kDie, "", number(2), 1});
        } else {
            throw UsageError("TESSERA_INJECT: '" + entry +
                             "' is not fail:FUNCTION:N, ioerror:FUNCTION:N[:K], stall:RANK:N or "
                             "die:RANK:N");
        }
    }
}

void FaultInjection::before_task(const std::string& function) {
    if (rules_.empty()) return;
    std::unique_lock lock(mutex_);
    const std::int64_t task = ++tasks_started_;
    std::int64_t run = 0;
    for (auto& [name, count] : runs_)
        if (name == function) run = ++count;
    if (io_failures_left_ > 0 && io_failing_ == function) {
        --io_failures_left_;
        throw io::IoError("injected I/O error in " + function + " (TESSERA_INJECT)");
    }
    for (const Rule& r : rules_) {
        switch (r.kind) {
            case Kind::kFail:
                if (r.function == function && r.nth == run)
                    throw Error("injected failure of " + function + " run " + std::to_string(run) +
                                " (TESSERA_INJECT)");
                break;
            case Kind::kIoError:
                if (r.function == function && r.nth == run) {
                    io_failures_left_ = r.times - 1;
                    io_failing_ = function;
                    throw io::IoError("injected I/O error in " + function + " (TESSERA_INJECT)");
                }
                break;
            case Kind::kStall:
                if (r.nth == task) {
                    lock.unlock();
                    raise(SIGSTOP);
                    return;
                }
                break;
            case Kind::kDie:
                if (r.nth == task) raise(SIGKILL);
                break;
        }
    }
}

}  // namespace tessera
