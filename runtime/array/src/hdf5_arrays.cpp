// Arrays from and to parallel HDF5 files: the open and close phases (collective over the
// workers), the hyperslab tasks (on each worker's MPI thread), from_hdf5 and to_hdf5.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "array_node.hpp"
#include "array_specs.hpp"
#include "array_tasks.hpp"
#include "ledger.hpp"
#include "materialize.hpp"
#include "tessera/io/hdf5.hpp"
#include "tessera/io/scratch.hpp"
#include "tessera/kernels/reduction.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "tessera/runtime/worker_group.hpp"

namespace tessera {

namespace detail {

namespace {

/// The root attribute holding the digest of the ledger header of the computation that wrote the
/// file: a resumed job skips an output that is already whole.
constexpr const char* kFingerprintAttribute = "tessera.fingerprint";

/// The resumable outputs this process has open, registered as kept (io::OnInterrupt::kKeep).
class ResumableOutputs {
public:
    void add(std::uint64_t token, const std::string& path) {
        std::lock_guard lock(mutex_);
        guards_.try_emplace(token, path, io::OnInterrupt::kKeep);
    }
    void remove(std::uint64_t token) {
        std::lock_guard lock(mutex_);
        guards_.erase(token);
    }

private:
    std::mutex mutex_;
    std::map<std::uint64_t, io::ScratchGuard> guards_;
};
ResumableOutputs& resumable_outputs() {
    static auto* outputs = new ResumableOutputs;  // never destroyed: a signal may come at exit
    return *outputs;
}

}  // namespace

const FunctionInfo& tasks::h5_open = register_collective_function(
    "io.h5_open", [](WorkerGroup& group, std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<Hdf5FileSpec>(args[0]);
        std::vector<io::DatasetToCreate> datasets;
        for (const auto& d : s.datasets) {
            io::DatasetToCreate c{d.name, d.shape, d.dtype, d.chunks, d.gzip, {}};
            for (const auto& [k, v] : d.text_attributes) c.attributes[k] = v;
            for (const auto& [k, v] : d.float_attributes) c.attributes[k] = v;
            for (const auto& [k, v] : d.int_attributes) c.attributes[k] = v;
            datasets.push_back(std::move(c));
        }
        std::map<std::string, io::AttributeValue> file_attributes;
        if (!s.fingerprint.empty()) file_attributes[kFingerprintAttribute] = s.fingerprint;
        // This rank drains on a signal instead of ending at once while a resumable output is open:
        // registered before the file exists, so that a signal never finds it unregistered.
        if (s.resumable) resumable_outputs().add(s.token, s.path);
        try {
            io::open_file(s.token, s.path, s.mode, datasets, file_attributes,
                          group.mpi_communicator());
        } catch (...) {
            resumable_outputs().remove(s.token);
            throw;
        }
        ByteWriter w(out);
        w.pod(s.token);
    });

const FunctionInfo& tasks::h5_close = register_collective_function(
    "io.h5_close", [](WorkerGroup&, std::span<const ArgView> args, Bytes& out) {
        ByteReader r(args[1].data, args[1].size);  // the open phase's token
        const auto token = r.pod<std::uint64_t>();
        io::close_file(token);
        resumable_outputs().remove(token);
        out.clear();
    });

const FunctionInfo& tasks::h5_read = register_raw_function(
    "array.h5_read",
    [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<Hdf5BlockSpec>(args[0]);
        emit_block(io::read_block(s.token, s.dataset, s.offset, s.shape, s.dtype), out);
    },
    Placement::kProgressThread);

/// Slabs of about this many bytes are read and reduced at a time by array.h5_reduce.
constexpr std::int64_t kReduceSlabBytes = std::int64_t{2} << 20;

const FunctionInfo& tasks::h5_reduce = register_raw_function(
    "array.h5_reduce",
    [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<Hdf5ReduceSpec>(args[0]);
        const kernels::Shape& shape = s.block.shape;
        const std::int64_t row =
            shape.empty() ? 1 : kernels::shape_size(shape) / std::max<std::int64_t>(shape[0], 1);
        const std::int64_t row_bytes = std::max<std::int64_t>(
            1, row * static_cast<std::int64_t>(kernels::dtype_size(s.block.dtype)));
        const std::int64_t rows = shape.empty() ? 1 : shape[0];
        const std::int64_t per_slab = std::max<std::int64_t>(1, kReduceSlabBytes / row_bytes);
        std::optional<Buffer> state;
        for (std::int64_t r0 = 0; r0 < rows || !state; r0 += per_slab) {
            kernels::Shape slab = shape;
            std::vector<std::int64_t> at = s.block.offset;
            if (!shape.empty()) {
                slab[0] = std::min(per_slab, rows - r0);
                at[0] += r0;
            }
            const Buffer piece =
                io::read_block(s.block.token, s.block.dataset, at, slab, s.block.dtype);
            Buffer part = kernels::reduce_block(s.reduce.spec, piece, at, s.reduce.global_shape);
            // States combine in row order, so the result does not depend on where the task ran.
            state =
                state ? kernels::combine_states(s.reduce.spec, {&*state, &part}) : std::move(part);
        }
        emit_block(std::move(*state), out);
    },
    Placement::kProgressThread);

const FunctionInfo& tasks::h5_write = register_raw_function(
    "array.h5_write",
    [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<Hdf5BlockSpec>(args[0]);
        io::write_block(s.token, s.dataset, s.offset, read_block(args[2]));
        out.clear();
    },
    Placement::kProgressThread);

namespace {

/// A token no other open file of this job has.
std::uint64_t new_token() {
    static std::atomic<std::uint64_t> next{std::random_device{}() * 0x9E3779B97F4A7C15ull};
    return next.fetch_add(1);
}

}  // namespace

Materializer::InputFile& Materializer::input_file(const NodePtr& node) {
    auto [it, added] = input_files_.try_emplace(node.get());
    if (added) {
        Hdf5FileSpec file;
        file.token = new_token();
        file.path = std::get<FromHdf5Params>(node->params).path;
        file.mode = io::OpenMode::kRead;
        it->second.token = file.token;
        it->second.opened = add(tasks::h5_open, encode_spec(file), {});
    }
    return it->second;
}

std::vector<TaskId> Materializer::close_inputs(const std::vector<TaskId>& targets) {
    if (input_files_.empty()) return {};
    // The tasks the targets need (x[:3, :3] of a file's array reads one block, not all).
    const TaskGraph& graph = g_.graph;
    std::vector<char> needed(graph.size(), 0);
    std::vector<TaskId> stack;
    for (TaskId t : targets)
        if (!needed[t]) needed[t] = 1, stack.push_back(t);
    while (!stack.empty()) {
        const TaskId t = stack.back();
        stack.pop_back();
        for (const ArgRef a : graph.args(t))
            if (a.is_task() && !needed[a.index()])
                needed[a.index()] = 1, stack.push_back(a.index());
    }
    std::vector<TaskId> closes;
    for (auto& [node, file] : input_files_) {
        if (file.closed || !needed[file.opened]) continue;
        // Closing waits for the readers that run; its input 1 is the open phase's token.
        std::vector<TaskId> after{file.opened};
        for (TaskId r : file.readers)
            if (needed[r]) after.push_back(r);
        closes.push_back(add(tasks::h5_close, {}, after));
        file.closed = true;
    }
    return closes;
}

std::vector<TaskId> Materializer::build_from_hdf5(const NodePtr& node) {
    const ArrayNode& n = *node;
    InputFile& file = input_file(node);
    std::vector<TaskId> out;
    for (std::int64_t b = 0; b < grid_size(n.chunks); ++b) {
        const auto c = block_coords(n.chunks, b);
        const Hdf5BlockSpec s{file.token, std::get<FromHdf5Params>(n.params).dataset,
                              block_offset(n.chunks, c), block_shape(n.chunks, c), n.dtype};
        out.push_back(add(tasks::h5_read, encode_spec(s), {file.opened}));
        set_block_home(out.back(), b, grid_size(n.chunks));
    }
    file.readers.insert(file.readers.end(), out.begin(), out.end());
    return out;
}

}  // namespace detail

namespace {

/// The files this process has opened with from_hdf5, by canonical path. Writing one of them would
/// replace it under the arrays still reading it.
std::set<std::filesystem::path>& files_read() {
    static std::set<std::filesystem::path> paths;
    return paths;
}

/// Dask-like default chunks for a dataset: whole multiples of its HDF5 chunks, grown one
/// dimension at a time (from the last, the contiguous one) to about `target` bytes.
Chunks aligned_chunks(const io::DatasetInfo& info, std::int64_t target) {
    const std::size_t nd = info.shape.size();
    Shape block(nd);
    for (std::size_t d = 0; d < nd; ++d)
        block[d] = std::max<std::int64_t>(
            1, std::min(info.chunks.empty() ? info.shape[d] : info.chunks[d], info.shape[d]));
    if (info.chunks.empty()) return ChunkSpec::automatic(target).normalize(info.shape, info.dtype);
    const auto bytes = [&] {
        return kernels::shape_size(block) *
               static_cast<std::int64_t>(kernels::dtype_size(info.dtype));
    };
    bool grew = true;
    while (grew) {
        grew = false;
        for (std::size_t d = nd; d-- > 0;) {
            if (block[d] >= info.shape[d] || bytes() * 2 > target) continue;
            block[d] = std::min(block[d] * 2, info.shape[d]);
            grew = true;
        }
    }
    std::vector<std::int64_t> per_dim(block.begin(), block.end());
    return ChunkSpec(per_dim).normalize(info.shape, info.dtype);
}

}  // namespace

Array from_hdf5(const std::string& path, const std::string& dataset,
                std::optional<ChunkSpec> chunks) {
    io::DatasetInfo info;
    try {
        info = io::inspect(path, dataset);
        std::error_code ec;
        files_read().insert(std::filesystem::weakly_canonical(path, ec));
    } catch (const io::IoError& e) {
        throw UsageError(e.what());
    }
    auto n = std::make_shared<detail::ArrayNode>();
    n->kind = detail::ArrayNode::Kind::kFromHdf5;
    n->dtype = info.dtype;
    n->shape = info.shape;
    n->chunks =
        chunks ? chunks->normalize(info.shape, info.dtype) : aligned_chunks(info, 128 << 20);
    n->params = detail::FromHdf5Params{path, dataset};
    return Array(std::move(n));
}

namespace {

/// Everything that would make to_hdf5 fail after the computation, checked before it runs.
void check_output_path(const std::filesystem::path& target) {
    namespace fs = std::filesystem;
    const std::string path = target.string();
    if (path.empty() || !target.has_filename())
        throw UsageError("to_hdf5: '" + path + "' is not a file name");
    if (const std::string problem = io::output_path_problem(target); !problem.empty())
        throw UsageError("to_hdf5: " + problem);
    std::error_code ec;
    if (files_read().contains(fs::weakly_canonical(target, ec)))
        throw UsageError("to_hdf5: " + path +
                         " is an input of this job (from_hdf5 reads it); write to another file");
}

}  // namespace

void to_hdf5(const std::string& path, const std::vector<std::pair<std::string, Array>>& datasets,
             const Hdf5WriteOptions& options) {
    namespace fs = std::filesystem;
    using detail::OutputLedger;
    if (datasets.empty()) throw UsageError("to_hdf5: no datasets to write to " + path);
    if (options.gzip < 0 || options.gzip > 9) throw UsageError("to_hdf5: gzip level must be 0-9");
    const fs::path target(path);
    check_output_path(target);
    if (options.gzip > 0 && Client::current().workers_are_processes())
        throw UsageError(
            "to_hdf5: gzip compression needs collective writes, which parallel tessera jobs do not "
            "do yet; "
            "write " +
            path + " uncompressed (gzip=0) or from a one-rank job");
    std::vector<std::pair<std::string, Array>> named;
    std::set<std::string> names;
    for (const auto& [name0, a] : datasets) {
        const std::string name = name0.empty() || name0[0] != '/' ? "/" + name0 : name0;
        if (!names.insert(name).second)
            throw UsageError("to_hdf5: dataset " + name + " given twice");
        named.emplace_back(name, a);
    }

    // An uncompressed output is resumable: written as OUT.partial with a ledger of its finished
    // blocks, both kept if the job is interrupted. A compressed one allocates its chunks as they
    // are written, so a killed writer leaves no valid file: it goes to a temporary removed then.
    const bool resumable = options.gzip == 0;
    const fs::path partial = resumable ? fs::path(path + ".partial") : io::temporary_output(target);
    const fs::path ledger_path = path + ".partial.ledger";
    const std::string header = resumable ? OutputLedger::header(named) : "";
    io::OpenMode mode = io::OpenMode::kCreate;
    std::set<OutputLedger::Block> written;
    std::error_code ignored;  // of fs calls whose failure changes nothing here
    if (resumable && Client::current().options().resume) {
        if (auto recorded = OutputLedger::read(ledger_path);
            recorded && fs::exists(partial, ignored)) {
            if (const auto changed = OutputLedger::differences(recorded->header, header);
                !changed.empty())
                throw UsageError("to_hdf5: cannot resume " + path + " from " + partial.string() +
                                 ": " + changed + "; rerun without --resume to compute it anew");
            written = std::move(recorded->written);
            mode = io::OpenMode::kUpdate;
        } else if (io::root_text_attribute(path, detail::kFingerprintAttribute) ==
                   OutputLedger::digest(header)) {
            std::cerr << "tessera: " << path
                      << " is whole from the interrupted run; not computed\n";
            return;
        }
    }
    if (resumable && mode == io::OpenMode::kCreate && fs::exists(ledger_path, ignored))
        std::cerr << "tessera: replacing " << partial.string()
                  << ", which an interrupted run left (--resume continues it instead)\n";
    std::int64_t total_blocks = 0;
    for (const auto& [name, a] : named) total_blocks += detail::grid_size(a.chunks());
    if (mode == io::OpenMode::kUpdate)
        std::cerr << "tessera: resuming " << path << ": " << written.size() << " of "
                  << total_blocks << " blocks were written by the interrupted run\n";
    const auto on_interrupt = resumable ? io::OnInterrupt::kKeep : io::OnInterrupt::kRemove;
    const io::ScratchGuard file_guard(partial, on_interrupt);
    std::optional<io::ScratchGuard> ledger_guard;
    std::optional<OutputLedger> ledger;
    if (resumable) {
        ledger_guard.emplace(ledger_path, io::OnInterrupt::kKeep);
        ledger.emplace(ledger_path, header, mode == io::OpenMode::kCreate);
    }

    detail::Hdf5FileSpec file;
    file.token = detail::new_token();
    file.path = partial.string();
    file.mode = mode;
    if (resumable) file.fingerprint = OutputLedger::digest(header);
    file.resumable = resumable ? 1 : 0;
    for (const auto& [name, a] : named) {
        detail::Hdf5FileSpec::Dataset d{name, a.shape(), {}, a.dtype(), options.gzip, {}, {}, {}};
        for (std::size_t k = 0; k < a.chunks().size(); ++k)
            d.chunks.push_back(std::max<std::int64_t>(1, a.chunks()[k][0]));
        const std::string given = name.substr(1);
        auto it = options.attributes.find(name);
        if (it == options.attributes.end()) it = options.attributes.find(given);
        if (it != options.attributes.end())
            for (const auto& [key, value] : it->second) {
                if (const auto* s = std::get_if<std::string>(&value))
                    d.text_attributes.emplace_back(key, *s);
                else if (const auto* f = std::get_if<double>(&value))
                    d.float_attributes.emplace_back(key, *f);
                else
                    d.int_attributes.emplace_back(key, std::get<std::int64_t>(value));
            }
        file.datasets.push_back(std::move(d));
    }

    auto g = detail::building_graph();
    detail::Materializer m(*g);
    const TaskId opened = m.add(detail::tasks::h5_open, detail::encode_spec(file), {});
    std::vector<TaskId> after{opened};
    std::vector<TaskId> recorded_on_done;
    for (std::size_t i = 0; i < named.size(); ++i) {
        const Array& a = named[i].second;
        const auto& blocks = m.blocks(a.node());
        for (std::int64_t b = 0; b < detail::grid_size(a.chunks()); ++b) {
            const OutputLedger::Block block{static_cast<std::int64_t>(i), b};
            if (written.contains(block)) continue;
            const auto c = detail::block_coords(a.chunks(), b);
            detail::Hdf5BlockSpec s{file.token, file.datasets[i].name, {}, {}, a.dtype()};
            for (std::size_t d = 0; d < c.size(); ++d) {
                std::int64_t off = 0;
                for (std::int64_t k = 0; k < c[d]; ++k)
                    off += a.chunks()[d][static_cast<std::size_t>(k)];
                s.offset.push_back(off);
            }
            const TaskId write = m.add(detail::tasks::h5_write, detail::encode_spec(s),
                                       {opened, blocks[static_cast<std::size_t>(b)]});
            after.push_back(write);
            if (ledger) {
                g->on_done[write] = [&ledger, block] { ledger->record(block); };
                recorded_on_done.push_back(write);
            }
        }
    }
    // The ledger's callbacks refer to this frame: none may outlive it.
    struct ForgetCallbacks {
        detail::GraphState& g;
        const std::vector<TaskId>& tasks;
        ~ForgetCallbacks() {
            for (TaskId t : tasks) g.on_done.erase(t);
        }
    } forget{*g, recorded_on_done};
    const auto inputs_closed = m.close_inputs(after);
    after.insert(after.end(), inputs_closed.begin(), inputs_closed.end());
    const TaskId closed = m.add(detail::tasks::h5_close, {}, after);
    detail::hold(*g, opened);  // kept until the file is closed, whatever fails
    try {
        const TaskId targets[] = {closed};
        detail::compute(*g, targets);
    } catch (...) {
        // Close the file on every worker that opened it, then leave nothing behind: a failed
        // computation is not an interrupted one, and its rerun starts afresh.
        try {
            const TaskId cleanup[] = {m.add(detail::tasks::h5_close, {}, {opened})};
            detail::compute(*g, cleanup);
        } catch (...) {
            // the open itself failed: nothing to close
        }
        detail::release_hold(*g, opened);
        ledger.reset();
        fs::remove(partial, ignored);
        fs::remove(ledger_path, ignored);
        throw;
    }
    detail::release_hold(*g, opened);
    ledger.reset();
    std::error_code ec;
    fs::rename(partial, target, ec);
    if (ec) {
        fs::remove(partial, ignored);
        fs::remove(ledger_path, ignored);
        throw io::IoError("cannot rename " + partial.string() + " to " + path + ": " +
                          ec.message());
    }
    fs::remove(ledger_path, ignored);
}

}  // namespace tessera
