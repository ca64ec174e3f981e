#include "tessera/runtime/function_registry.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace tessera {

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> s(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    return status == 0 && s ? std::string(s.get()) : std::string(mangled);
}

FunctionRegistry& FunctionRegistry::instance() {
    static FunctionRegistry registry;
    return registry;
}

FunctionInfo& FunctionRegistry::add(FunctionInfo info) {
    if (frozen_)
        throw UsageError("function '" + info.name +
                         "' registered after the runtime started; register at namespace scope");
    if (info.name.empty()) throw UsageError("a task function needs a non-empty name");
    if (by_name_.count(info.name))
        throw UsageError("function '" + info.name + "' is registered twice");
    entries_.push_back(std::move(info));
    by_name_[entries_.back().name] = &entries_.back();
    return entries_.back();
}

namespace {
/// What raw and collective functions share: any number of byte arguments, a byte result.
FunctionInfo raw_function_info(std::string name, Placement placement) {
    FunctionInfo info;
    info.placement = placement;
    info.name = std::move(name);
    info.result_type = "bytes";
    info.variadic = true;
    return info;
}
}  // namespace

const FunctionInfo& register_raw_function(std::string name,
                                          std::function<void(std::span<const ArgView>, Bytes&)> fn,
                                          Placement placement) {
    if (placement == Placement::kCollective)
        throw UsageError("function " + name +
                         ": collective functions are registered with register_collective_function");
    FunctionInfo info = raw_function_info(std::move(name), placement);
    info.invoke = std::move(fn);
    return FunctionRegistry::instance().add(std::move(info));
}

const FunctionInfo& register_collective_function(std::string name, CollectiveFn fn) {
    FunctionInfo info = raw_function_info(std::move(name), Placement::kCollective);
    info.invoke_collective = std::move(fn);
    return FunctionRegistry::instance().add(std::move(info));
}

void FunctionRegistry::freeze() {
    if (frozen_) return;
    by_id_.clear();
    for (auto& e : entries_) by_id_.push_back(&e);
    std::sort(by_id_.begin(), by_id_.end(),
              [](const FunctionInfo* a, const FunctionInfo* b) { return a->name < b->name; });
    for (FunctionId id = 0; id < by_id_.size(); ++id) by_id_[id]->id = id;
    frozen_ = true;
}

const FunctionInfo& FunctionRegistry::find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    if (it != by_name_.end()) return *it->second;
    std::vector<std::string> names;
    for (const auto& e : entries_) names.push_back(e.name);
    std::string message = "no task function named '" + std::string(name) + "' is registered";
    const auto close = closest_names(name, names);
    if (!close.empty()) {
        message += "; did you mean ";
        for (std::size_t i = 0; i < close.size(); ++i)
            message += (i ? ", '" : "'") + close[i] + "'";
        message += "?";
    }
    throw UsageError(message);
}

std::vector<std::string> closest_names(std::string_view name,
                                       const std::vector<std::string>& candidates,
                                       std::size_t count) {
    auto distance = [](std::string_view a, std::string_view b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t up = row[j];
                row[j] = std::min(
                    {row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
                diagonal = up;
            }
        }
        return row[b.size()];
    };
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& c : candidates) {
        const auto d = distance(name, c);
        if (d <= std::max<std::size_t>(2, name.size() / 3)) scored.emplace_back(d, c);
    }
    std::sort(scored.begin(), scored.end());
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && i < count; ++i) out.push_back(scored[i].second);
    return out;
}

}  // namespace tessera
