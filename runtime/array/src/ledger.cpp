#include "ledger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "array_node.hpp"
#include "fingerprint.hpp"
#include "tessera/io/io_error.hpp"

namespace tessera::detail {

namespace {

constexpr const char* kMagic = "tessera-ledger 1";
constexpr const char* kEnd = "end";

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream in(line);
    for (std::string f; std::getline(in, f, '\t');) out.push_back(f);
    return out;
}

std::string chunks_text(const Chunks& chunks) {
    std::string out;
    for (std::size_t d = 0; d < chunks.size(); ++d) {
        out += d ? ";" : "";
        for (std::size_t i = 0; i < chunks[d].size(); ++i)
            out += (i ? "," : "") + std::to_string(chunks[d][i]);
    }
    return out;
}

/// A header parsed: inputs by path (size and time), datasets by name (fields after the name).
struct Parsed {
    std::map<std::string, std::vector<std::string>> inputs, datasets;
    std::vector<std::string> dataset_order;
};

Parsed parse(const std::string& header) {
    Parsed p;
    std::stringstream in(header);
    for (std::string line; std::getline(in, line);) {
        auto f = split_tabs(line);
        if (f.size() < 2) continue;
        const std::string kind = f[0], name = f[1];
        f.erase(f.begin(), f.begin() + 2);
        if (kind == "input") p.inputs[name] = f;
        if (kind == "dataset") {
            p.datasets[name] = f;
            p.dataset_order.push_back(name);
        }
    }
    return p;
}

}  // namespace

std::string OutputLedger::header(const std::vector<std::pair<std::string, Array>>& datasets) {
    std::string out = std::string(kMagic) + "\n";
    std::vector<InputIdentity> inputs;
    for (const auto& [name, a] : datasets)
        for (auto& id : input_identities(a.node()))
            if (std::find(inputs.begin(), inputs.end(), id) == inputs.end()) inputs.push_back(id);
    for (const auto& id : inputs)
        out += "input\t" + id.path + "\t" + std::to_string(id.size) + "\t" +
               std::to_string(id.modified_ns) + "\n";
    for (const auto& [name, a] : datasets)
        out += "dataset\t" + name + "\t" + std::string(kernels::dtype_name(a.dtype())) + "\t" +
               kernels::shape_text(a.shape()) + "\t" + chunks_text(a.chunks()) + "\t" +
               expression_digest(a.node()) + "\n";
    return out + kEnd + "\n";
}

std::string OutputLedger::digest(const std::string& header) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(std::hash<std::string>{}(header)));
    return hex;
}

std::string OutputLedger::differences(const std::string& recorded, const std::string& now) {
    if (recorded == now) return "";
    const Parsed was = parse(recorded), is = parse(now);
    std::vector<std::string> found;
    for (const auto& [path, id] : is.inputs) {
        auto it = was.inputs.find(path);
        if (it == was.inputs.end())
            found.push_back("it reads " + path + ", which the interrupted run did not");
        else if (it->second != id)
            found.push_back("input " + path + " changed since (size or modification time)");
    }
    for (const auto& [path, id] : was.inputs)
        if (!is.inputs.count(path)) found.push_back("it no longer reads " + path);
    if (was.dataset_order != is.dataset_order) {
        auto list = [](const std::vector<std::string>& v) {
            std::string out;
            for (const auto& n : v) out += (out.empty() ? "" : ", ") + n;
            return out.empty() ? std::string("none") : out;
        };
        found.push_back("the interrupted run wrote the datasets " + list(was.dataset_order) +
                        ", this one writes " + list(is.dataset_order));
    } else {
        static const char* kField[] = {"dtype", "shape", "chunks", "expression"};
        for (const auto& name : is.dataset_order) {
            const auto& a = was.datasets.at(name);
            const auto& b = is.datasets.at(name);
            for (std::size_t k = 0; k < 4 && k < a.size() && k < b.size(); ++k) {
                if (a[k] == b[k]) continue;
                if (k == 3)
                    found.push_back("dataset " + name +
                                    " is computed differently (the script or its arguments "
                                    "changed)");
                else if (k == 2)
                    found.push_back("dataset " + name + " has other chunks");
                else
                    found.push_back("dataset " + name + " had " + kField[k] + " " + a[k] +
                                    ", now " + b[k]);
            }
        }
    }
    if (found.empty()) found.push_back("its ledger header differs");
    std::string out;
    for (const auto& f : found) out += (out.empty() ? "" : "; ") + f;
    return out;
}

std::optional<OutputLedger::Contents> OutputLedger::read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    const std::string end_line = std::string("\n") + kEnd + "\n";
    const auto end = text.find(end_line);
    if (text.rfind(kMagic, 0) != 0 || end == std::string::npos) return std::nullopt;
    Contents c;
    c.header = text.substr(0, end + end_line.size());
    std::size_t at = end + end_line.size();
    while (at < text.size()) {
        const auto nl = text.find('\n', at);
        if (nl == std::string::npos) break;  // torn by a kill mid-write: not recorded
        Block b;
        if (std::sscanf(text.c_str() + at, "%ld %ld", &b.dataset, &b.index) == 2)
            c.written.insert(b);
        at = nl + 1;
    }
    return c;
}

OutputLedger::OutputLedger(std::filesystem::path path, const std::string& header, bool fresh)
    : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (fresh ? O_TRUNC : 0),
                 0644);
    if (fd_ < 0)
        throw io::IoError("cannot write the ledger " + path_.string() + ": " +
                          std::strerror(errno));
    if (fresh && ::write(fd_, header.data(), header.size()) != static_cast<ssize_t>(header.size()))
        throw io::IoError("cannot write the ledger " + path_.string() + ": " +
                          std::strerror(errno));
}

OutputLedger::~OutputLedger() {
    if (fd_ >= 0) ::close(fd_);
}

void OutputLedger::record(Block block) {
    const std::string line =
        std::to_string(block.dataset) + " " + std::to_string(block.index) + "\n";
    // One write per line: appended whole, or torn only by a kill mid-write (then ignored). A
    // failure loses a record, so the block is written again on resume: nothing worse.
    const ssize_t n = ::write(fd_, line.data(), line.size());
    (void)n;
}

}  // namespace tessera::detail
