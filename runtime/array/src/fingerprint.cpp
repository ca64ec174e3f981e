#include "fingerprint.hpp"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace tessera::detail {

namespace {

/// The canonical bytes of one node (its inputs by their digests), hashed.
class Digester {
public:
    std::uint64_t digest(const NodePtr& node) {
        if (auto it = memo_.find(node.get()); it != memo_.end()) return it->second;
        Bytes bytes;
        ByteWriter w(bytes);
        const ArrayNode& n = *node;
        w.pod(n.kind);
        w.pod(n.dtype);
        vec(w, n.shape);
        w.pod<std::uint64_t>(n.chunks.size());
        for (const auto& c : n.chunks) vec(w, c);
        w.pod<std::uint64_t>(n.inputs.size());
        for (const auto& in : n.inputs) w.pod(digest(in));
        std::visit([&](const auto& p) { params(w, p); }, n.params);
        const std::uint64_t d =
            std::hash<std::string_view>{}(std::string_view(bytes.data(), bytes.size()));
        memo_.emplace(node.get(), d);
        return d;
    }

private:
    template <class T>
    static void vec(ByteWriter& w, const std::vector<T>& v) {
        w.pod<std::uint64_t>(v.size());
        for (const auto& x : v) w.pod(x);
    }
    static void text(ByteWriter& w, const std::string& s) {
        w.pod<std::uint64_t>(s.size());
        w.write(s.data(), s.size());
    }
    static void params(ByteWriter& w, const CreateParams& p) {
        w.pod(p.kind);
        w.pod(p.a);
        w.pod(p.b);
        w.pod(p.n);
        w.pod(p.endpoint);
        w.pod(p.distribution);
        w.pod(p.seed);
    }
    static void params(ByteWriter& w, const FromBufferParams& p) {
        w.pod(p.data->dtype());
        vec(w, p.data->shape());
        w.pod(std::hash<std::string_view>{}(
            std::string_view(reinterpret_cast<const char*>(p.data->bytes()), p.data->nbytes())));
    }
    static void params(ByteWriter& w, const MapBlocksParams& p) {
        text(w, p.function.name());
        for (const auto& f : p.follow) vec(w, f);
    }
    static void params(ByteWriter& w, const OverlapParams& p) {
        text(w, p.function.name());
        vec(w, p.halo.depth);
        w.pod(p.halo.boundary);
        w.pod(p.halo.constant);
    }
    static void params(ByteWriter& w, const PersistedParams& p) { text(w, p.digest); }
    static void params(ByteWriter& w, const FromHdf5Params& p) {
        text(w, p.path);
        text(w, p.dataset);
        const InputIdentity id = identify_input(p.path);
        w.pod(id.size);
        w.pod(id.modified_ns);
    }
    static void params(ByteWriter& w, const ElementwiseParams& p) {
        w.pod(p.op);
        w.pod(p.operand);
    }
    static void params(ByteWriter& w, const ReduceParams& p) {
        w.pod(p.spec.op);
        w.pod(p.spec.skip_nan);
        w.pod(p.spec.axes);
        w.pod(p.spec.ddof);
        w.pod(p.spec.input);
        w.pod(p.keepdims);
        w.pod(p.split_every);  // the combining tree: a float sum's last bits follow it
    }
    static void params(ByteWriter& w, const TransposeParams& p) { vec(w, p.perm); }
    static void params(ByteWriter& w, const SliceParams& p) {
        for (const auto& d : p.dims) {
            w.pod(d.start);
            w.pod(d.step);
            w.pod(d.count);
            w.pod(d.drop);
        }
    }
    static void params(ByteWriter& w, const ConcatenateParams& p) { w.pod(p.axis); }
    static void params(ByteWriter& w, const RelabelParams& p) { vec(w, p.source); }
    static void params(ByteWriter&, const BroadcastParams&) {}
    static void params(ByteWriter&, const ReshapeParams&) {}
    static void params(ByteWriter&, const RechunkParams&) {}
    static void params(ByteWriter& w, const MatmulParams& p) { w.pod(p.gram); }
    // The family only says which nodes share tasks, not what they compute.
    static void params(ByteWriter& w, const LinalgParams& p) {
        w.pod(p.op);
        w.pod(p.part);
        w.pod(p.transposed);
        w.pod(p.compute_uv);
        w.pod(p.rcond);
    }

    std::unordered_map<const ArrayNode*, std::uint64_t> memo_;
};

}  // namespace

std::string expression_digest(const NodePtr& node) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(Digester().digest(node)));
    return hex;
}

InputIdentity identify_input(const std::string& path) {
    namespace fs = std::filesystem;
    InputIdentity id;
    std::error_code ec;
    id.path = fs::weakly_canonical(path, ec).string();
    if (id.path.empty()) id.path = path;
    id.size = fs::file_size(path, ec);
    if (ec) id.size = 0;
    const auto t = fs::last_write_time(path, ec);
    if (!ec)
        id.modified_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    return id;
}

std::vector<InputIdentity> input_identities(const NodePtr& node) {
    std::vector<InputIdentity> out;
    std::unordered_set<const ArrayNode*> seen;
    std::vector<const ArrayNode*> stack{node.get()};
    while (!stack.empty()) {
        const ArrayNode* n = stack.back();
        stack.pop_back();
        if (!seen.insert(n).second) continue;
        if (const auto* h = std::get_if<FromHdf5Params>(&n->params)) {
            InputIdentity id = identify_input(h->path);
            if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
        }
        if (const auto* p = std::get_if<PersistedParams>(&n->params))
            for (const auto& id : p->inputs)
                if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
        for (auto it = n->inputs.rbegin(); it != n->inputs.rend(); ++it) stack.push_back(it->get());
    }
    return out;
}

}  // namespace tessera::detail
