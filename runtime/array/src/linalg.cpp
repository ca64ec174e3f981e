// tessera::linalg: graph building (the public functions, which compose array operations and
// linalg nodes), materializing the linalg nodes into tasks (Materializer::build_linalg) and the
// task bodies the workers run ("linalg.<task>"), which call the LAPACK kernels of
// tessera/kernels/linalg.hpp.
#include "tessera/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "array_node.hpp"
#include "array_specs.hpp"
#include "array_tasks.hpp"
#include "materialize.hpp"
#include "tessera/kernels/block_ops.hpp"
#include "tessera/kernels/create.hpp"
#include "tessera/kernels/linalg.hpp"

namespace tessera::detail {

namespace {

using kernels::Buffer;
using Op = LinalgParams::Op;

// ---- results of several blocks -------------------------------------------------------------

/// A task result made of several blocks (a factorisation's pieces), one after the other in
/// their wire form.
void emit_parts(const std::vector<Buffer>& parts, Bytes& out) {
    out.clear();
    for (const Buffer& p : parts) p.encode_to(out);
}
/// Block `index` of such a result.
Buffer read_part(const ArgView& a, std::size_t index) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < index; ++i) at += Buffer::encoded_size(a.data + at, a.size - at);
    return Buffer::decode(a.data + at, Buffer::encoded_size(a.data + at, a.size - at));
}

/// A QR factorisation task's result: r, then each level's factors and scales.
constexpr std::int64_t kQrR = 0;
void emit_factors(const kernels::QrFactors& f, Bytes& out) {
    std::vector<Buffer> parts{kernels::qr_r(f)};
    for (std::size_t l = 0; l < f.factors.size(); ++l) {
        parts.push_back(f.factors[l]);
        parts.push_back(f.tau[l]);
    }
    emit_parts(parts, out);
}
kernels::QrFactors read_factors(const ArgView& a) {
    kernels::QrFactors f;
    for (std::size_t at = Buffer::encoded_size(a.data, a.size), i = 0; at < a.size; ++i) {
        const std::size_t n = Buffer::encoded_size(a.data + at, a.size - at);
        (i % 2 == 0 ? f.factors : f.tau).push_back(Buffer::decode(a.data + at, n));
        at += n;
    }
    return f;
}

// ---- specs ----------------------------------------------------------------------------------

/// Q of one node of the QR tree: its reflectors applied to rows [offset, offset + count) of its
/// parent's result (the root: to the identity of `count` columns).
struct QrQSpec {
    std::int64_t offset = 0, count = 0;
    std::uint8_t root = 0;
    static auto fields(auto& s) { return std::tie(s.offset, s.count, s.root); }
};
// The tiles of blocked Cholesky and triangular solves have one layout of inputs: the block,
// `terms` pairs (x_j, y_j) whose products it loses (minus_products), then the triangle that
// solves for the result (none for a Cholesky tile on the diagonal).

/// Tile (i, k) of a blocked Cholesky: a_ik, the pairs (l_ij, l_kj) for j < k, then l_kk below
/// the diagonal.
struct CholeskyTileSpec {
    std::int64_t terms = 0;
    std::uint8_t diagonal = 0;
    std::int64_t minor_offset = 0;  // first row of the tile, for the error message
    static auto fields(auto& s) { return std::tie(s.terms, s.diagonal, s.minor_offset); }
};
/// Block (i, c) of a blocked triangular solve: b_ic, the pairs (l_ij, x_jc) for the block rows
/// j solved before it (l_ji, read transposed, for l.T x = b), then l_ii.
struct TriangularTileSpec {
    std::int64_t terms = 0;
    std::uint8_t transposed = 0;
    static auto fields(auto& s) { return std::tie(s.terms, s.transposed); }
};

/// args[0] - sum_j op(x_j) @ op(y_j) over the pairs after it, summed in j's order (so the same
/// bits wherever the task runs): a copy of the block, written by the updates.
Buffer minus_products(std::span<const ArgView> args, std::int64_t terms, bool x_transposed,
                      bool y_transposed) {
    const Buffer block = read_block(args[0]);
    Buffer out(block);
    for (std::int64_t j = 0; j < terms; ++j)
        kernels::gemm(-1.0, read_block(args[1 + 2 * j]), x_transposed, read_block(args[2 + 2 * j]),
                      y_transposed, 1.0, out);
    return out;
}

// ---- tasks ----------------------------------------------------------------------------------

const FunctionInfo& qr_factor_task =
    register_raw_function("linalg.qr_factor", [](std::span<const ArgView> args, Bytes& out) {
        // One input: a block of the array; several: the Rs of a tree node's children.
        Buffer a;
        if (args.size() == 2) {
            a = read_block(args[1]);
        } else {
            std::vector<Buffer> rs;
            for (std::size_t i = 1; i < args.size(); ++i) rs.push_back(read_block(args[i]));
            std::vector<const Buffer*> ptrs;
            for (const auto& r : rs) ptrs.push_back(&r);
            a = kernels::stack_rows(ptrs);
        }
        emit_factors(kernels::qr_factor(a), out);
    });

const FunctionInfo& part_task =
    register_raw_function("linalg.part", [](std::span<const ArgView> args, Bytes& out) {
        const auto index = read_spec<std::int64_t>(args[0]);
        emit_block(read_part(args[1], static_cast<std::size_t>(index)), out);
    });

const FunctionInfo& qr_q_task =
    register_raw_function("linalg.qr_q", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<QrQSpec>(args[0]);
        const kernels::QrFactors f = read_factors(args[1]);
        Buffer c;
        if (s.root) {
            c = kernels::eye_block(f.factors.back().dtype(), {s.count, s.count}, {0, 0}, 0);
        } else {
            const Buffer parent = read_block(args[2]);
            const std::int64_t width = parent.shape()[1];
            c = kernels::slice_block(parent, {s.offset, 0}, {1, 1}, {s.count, width});
        }
        emit_block(kernels::qr_apply(f, c), out);
    });

const FunctionInfo& svd_task =
    register_raw_function("linalg.svd", [](std::span<const ArgView> args, Bytes& out) {
        const auto compute_uv = read_spec<std::uint8_t>(args[0]);
        kernels::SvdFactors f = kernels::svd(read_block(args[1]), compute_uv != 0);
        emit_parts({f.u, f.s, f.vt}, out);
    });

const FunctionInfo& cholesky_tile_task =
    register_raw_function("linalg.cholesky_tile", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<CholeskyTileSpec>(args[0]);
        Buffer t = minus_products(args.subspan(1), s.terms, false, true);  // a_ik - l_ij l_kj^T
        if (s.diagonal) {
            emit_block(kernels::cholesky(t, s.minor_offset), out);
            return;
        }
        kernels::triangular_solve(read_block(args[2 + 2 * s.terms]), t, true, /*right=*/true);
        emit_block(std::move(t), out);
    });

const FunctionInfo& triangular_tile_task =
    register_raw_function("linalg.triangular_tile", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<TriangularTileSpec>(args[0]);
        Buffer x = minus_products(args.subspan(1), s.terms, s.transposed != 0, false);
        kernels::triangular_solve(read_block(args[2 + 2 * s.terms]), x, s.transposed != 0);
        emit_block(std::move(x), out);
    });

const FunctionInfo& lu_solve_task =
    register_raw_function("linalg.lu_solve", [](std::span<const ArgView> args, Bytes& out) {
        emit_block(kernels::lu_solve(read_block(args[1]), read_block(args[2])), out);
    });

const FunctionInfo& inverse_task =
    register_raw_function("linalg.inv", [](std::span<const ArgView> args, Bytes& out) {
        emit_block(kernels::inverse(read_block(args[1])), out);
    });

const FunctionInfo& least_squares_task =
    register_raw_function("linalg.lstsq", [](std::span<const ArgView> args, Bytes& out) {
        const auto rcond = read_spec<double>(args[0]);
        kernels::LeastSquares ls =
            kernels::least_squares(read_block(args[1]), read_block(args[2]), rcond);
        Buffer rank(kernels::DType::kInt64, {});
        rank.data<std::int64_t>()[0] = ls.rank;
        emit_parts({ls.x, rank, ls.s}, out);
    });

// ---- the QR tree ----------------------------------------------------------------------------

/// The fan-in of the tree of stacked Rs: 8 (n, n) Rs make one (8n, n) QR.
constexpr std::size_t kTreeFanIn = 8;

/// One node of the TSQR tree: a block of the array (the leaves, first) or the stack of its
/// children's Rs. Its QR has `rows` rows and k = min(rows, n) reflectors.
struct TreeNode {
    std::vector<std::size_t> children;
    std::int64_t rows = 0, k = 0;
    std::int64_t offset = 0;  // of its R's rows in its parent's stack
    std::size_t parent = 0;
    bool root = false;
};

/// The tree for row blocks of these sizes: fixed by the chunks alone, so the rounding of every
/// result is the same for any rank count.
std::vector<TreeNode> qr_tree(const std::vector<std::int64_t>& row_chunks, std::int64_t n) {
    std::vector<TreeNode> nodes;
    std::vector<std::size_t> level;
    for (std::int64_t m : row_chunks) {
        level.push_back(nodes.size());
        nodes.push_back({{}, m, std::min(m, n)});
    }
    while (level.size() > 1) {
        std::vector<std::size_t> next;
        for (std::size_t g = 0; g < level.size(); g += kTreeFanIn) {
            TreeNode parent;
            for (std::size_t c = g; c < std::min(level.size(), g + kTreeFanIn); ++c) {
                TreeNode& child = nodes[level[c]];
                child.parent = nodes.size();
                child.offset = parent.rows;
                parent.rows += child.k;
                parent.children.push_back(level[c]);
            }
            parent.k = std::min(parent.rows, n);
            next.push_back(nodes.size());
            nodes.push_back(std::move(parent));
        }
        level = std::move(next);
    }
    nodes.back().root = true;
    return nodes;
}

}  // namespace

std::vector<TaskId> Materializer::build_linalg(const NodePtr& node) {
    const ArrayNode& n = *node;
    const auto& p = std::get<LinalgParams>(n.params);
    // The tasks shared by the results of one factorisation, made for the first one built.
    const auto shared = [&](auto make) -> const std::vector<TaskId>& {
        auto it = linalg_families_.find(p.family.get());
        if (it == linalg_families_.end())
            it = linalg_families_.emplace(p.family.get(), make()).first;
        return it->second;
    };
    const auto part = [&](TaskId of, std::int64_t index) {
        return add(part_task, encode_spec(index), {of});
    };
    switch (p.op) {
        case Op::kQr: {
            const NodePtr& a = n.inputs[0];
            const auto tree = qr_tree(a->chunks[0], a->shape[1]);
            // Per tree node: its factorisation task, then (after all of them) its R.
            const auto& tasks = shared([&] {
                const auto& blocks = this->blocks(a);
                std::vector<TaskId> factor(tree.size()), r(tree.size());
                for (std::size_t v = 0; v < tree.size(); ++v) {
                    std::vector<TaskId> inputs;
                    if (tree[v].children.empty())
                        inputs.push_back(blocks[v]);
                    else
                        for (std::size_t c : tree[v].children) inputs.push_back(r[c]);
                    factor[v] = add(qr_factor_task, {}, inputs);
                    r[v] = part(factor[v], kQrR);
                }
                factor.insert(factor.end(), r.begin(), r.end());
                return factor;
            });
            if (p.part == 1) return {tasks[2 * tree.size() - 1]};
            // Q from the root down: each node's reflectors applied to its rows of its parent's.
            std::vector<TaskId> w(tree.size());
            for (std::size_t v = tree.size(); v-- > 0;) {
                const QrQSpec s{tree[v].offset, tree[v].k, static_cast<std::uint8_t>(tree[v].root)};
                std::vector<TaskId> inputs{tasks[v]};
                if (!tree[v].root) inputs.push_back(w[tree[v].parent]);
                w[v] = add(qr_q_task, encode_spec(s), inputs);
            }
            return {w.begin(), w.begin() + static_cast<std::ptrdiff_t>(a->chunks[0].size())};
        }
        case Op::kSvd: {
            const auto& t = shared([&] {
                return std::vector<TaskId>{add(svd_task,
                                               encode_spec(static_cast<std::uint8_t>(p.compute_uv)),
                                               {blocks(n.inputs[0])[0]})};
            });
            return {part(t[0], p.part)};
        }
        case Op::kLeastSquares: {
            const auto& t = shared([&] {
                return std::vector<TaskId>{add(least_squares_task, encode_spec(p.rcond),
                                               {blocks(n.inputs[0])[0], blocks(n.inputs[1])[0]})};
            });
            return {part(t[0], p.part)};
        }
        case Op::kCholesky: {
            const auto& a = blocks(n.inputs[0]);
            const auto tiles = static_cast<std::int64_t>(n.chunks[0].size());
            const auto offsets = chunk_offsets(n.chunks[0]);
            std::vector<TaskId> l(static_cast<std::size_t>(tiles * tiles));
            const auto at = [&](std::int64_t i, std::int64_t j) -> TaskId& {
                return l[static_cast<std::size_t>(i * tiles + j)];
            };
            // Left-looking, column by column: tile (i, k) needs the tiles left of it in rows i
            // and k, and the diagonal tile (k, k).
            for (std::int64_t k = 0; k < tiles; ++k)
                for (std::int64_t i = k; i < tiles; ++i) {
                    std::vector<TaskId> inputs{a[static_cast<std::size_t>(i * tiles + k)]};
                    for (std::int64_t j = 0; j < k; ++j) {
                        inputs.push_back(at(i, j));
                        inputs.push_back(at(k, j));
                    }
                    if (i != k) inputs.push_back(at(k, k));
                    const CholeskyTileSpec s{k, static_cast<std::uint8_t>(i == k),
                                             offsets[static_cast<std::size_t>(k)]};
                    at(i, k) = add(cholesky_tile_task, encode_spec(s), inputs);
                }
            for (std::int64_t i = 0; i < tiles; ++i)
                for (std::int64_t k = i + 1; k < tiles; ++k) {
                    CreateSpec zeros;
                    zeros.kind = static_cast<std::uint8_t>(CreateParams::Kind::kFill);
                    zeros.dtype = n.dtype;
                    zeros.global_shape = n.shape;
                    zeros.offset = block_offset(n.chunks, {i, k});
                    zeros.shape = block_shape(n.chunks, {i, k});
                    at(i, k) = add(tasks::create, encode_spec(zeros), {});
                }
            return l;
        }
        case Op::kTriangularSolve: {
            const auto& l = blocks(n.inputs[0]);
            const auto& b = blocks(n.inputs[1]);
            const auto rows = static_cast<std::int64_t>(n.chunks[0].size());
            const auto cols = static_cast<std::int64_t>(n.chunks[1].size());
            std::vector<TaskId> x(b.size());
            const auto lt = [&](std::int64_t i, std::int64_t j) {
                return l[static_cast<std::size_t>(i * rows + j)];
            };
            // Forward (l x = b) from the first block row, backward (l.T x = b) from the last.
            for (std::int64_t step = 0; step < rows; ++step) {
                const std::int64_t i = p.transposed ? rows - 1 - step : step;
                for (std::int64_t c = 0; c < cols; ++c) {
                    std::vector<TaskId> inputs{b[static_cast<std::size_t>(i * cols + c)]};
                    std::int64_t terms = 0;
                    for (std::int64_t j = 0; j < rows; ++j) {
                        if (p.transposed ? j <= i : j >= i) continue;
                        inputs.push_back(p.transposed ? lt(j, i) : lt(i, j));
                        inputs.push_back(x[static_cast<std::size_t>(j * cols + c)]);
                        ++terms;
                    }
                    inputs.push_back(lt(i, i));
                    const TriangularTileSpec s{terms, static_cast<std::uint8_t>(p.transposed)};
                    x[static_cast<std::size_t>(i * cols + c)] =
                        add(triangular_tile_task, encode_spec(s), inputs);
                }
            }
            return x;
        }
        case Op::kLuSolve: {
            const TaskId a = blocks(n.inputs[0])[0];
            std::vector<TaskId> x;
            for (TaskId b : blocks(n.inputs[1])) x.push_back(add(lu_solve_task, {}, {a, b}));
            return x;
        }
        case Op::kInverse:
            return {add(inverse_task, {}, {blocks(n.inputs[0])[0]})};
    }
    throw Error("internal: unknown linalg operation");
}

}  // namespace tessera::detail

namespace tessera::linalg {

namespace {

using detail::LinalgParams;
using detail::make_array;
using Kind = detail::ArrayNode::Kind;
using Op = LinalgParams::Op;

/// Factorisations work in float64, or float32 for float32 input (NumPy's rule).
DType float_type(DType t) { return t == DType::kFloat32 ? DType::kFloat32 : DType::kFloat64; }

Array as_float(const Array& a) { return a.astype(float_type(a.dtype())); }

void require_matrix(const Array& a, const char* what) {
    if (a.ndim() != 2)
        throw UsageError(std::string(what) + ": expected a 2-d array, got shape " +
                         kernels::shape_text(a.shape()));
}

void require_square(const Array& a, const char* what) {
    require_matrix(a, what);
    if (a.shape()[0] != a.shape()[1])
        throw UsageError(std::string(what) + ": expected a square matrix, got shape " +
                         kernels::shape_text(a.shape()));
}

LinalgParams params(Op op, int part, const std::shared_ptr<const int>& family) {
    LinalgParams p;
    p.op = op;
    p.part = part;
    p.family = family;
    return p;
}

/// The same array in a single block.
Array one_block(const Array& a) {
    return a.rechunk(ChunkSpec(std::vector<std::int64_t>(static_cast<std::size_t>(a.ndim()), -1)));
}

/// Rows cut like `rows` (another array's row chunks), columns as they are.
Array rows_like(const Array& b, const std::vector<std::int64_t>& rows) {
    Chunks c = b.chunks();
    c[0] = rows;
    return b.rechunk(ChunkSpec(c));
}

/// A tall array in one block of columns, row blocks holding about as many elements as before
/// and at least twice as many rows as columns (so that each block's R is smaller than it).
Array column_of_blocks(const Array& a) {
    if (a.chunks()[1].size() == 1) return a;
    const std::int64_t n = std::max<std::int64_t>(a.shape()[1], 1);
    const std::int64_t block_rows = std::max(2 * n, a.chunks()[0][0] * a.chunks()[1][0] / n);
    return a.rechunk(ChunkSpec(std::vector<std::int64_t>{std::min(block_rows, a.shape()[0]), -1}));
}

/// b as a matrix: a vector becomes one column.
Array as_columns(const Array& b) { return b.ndim() == 1 ? b.expand_dims(1) : b; }

}  // namespace

QR tsqr(const Array& a0) {
    require_matrix(a0, "tsqr");
    if (a0.chunks()[1].size() != 1)
        throw UsageError(
            "tsqr: the array must be chunked along rows only (one block of columns); "
            "its chunks are " +
            std::to_string(a0.chunks()[0].size()) + " x " + std::to_string(a0.chunks()[1].size()) +
            " blocks. Use qr(), which rechunks, or rechunk to chunks=(rows, -1)");
    const Array a = as_float(a0);
    const std::int64_t m = a.shape()[0], n = a.shape()[1], k = std::min(m, n);
    const auto family = std::make_shared<const int>(0);
    Array q = make_array(Kind::kLinalg, a.dtype(), {m, k}, {a.chunks()[0], {k}}, {a.node()},
                         params(Op::kQr, 0, family));
    Array r = make_array(Kind::kLinalg, a.dtype(), {k, n}, {{k}, {n}}, {a.node()},
                         params(Op::kQr, 1, family));
    return {q, r};
}

QR sfqr(const Array& a0) {
    require_matrix(a0, "sfqr");
    if (a0.chunks()[0].size() != 1)
        throw UsageError("sfqr: the array must have one block of rows; its chunks are " +
                         std::to_string(a0.chunks()[0].size()) + " x " +
                         std::to_string(a0.chunks()[1].size()) + " blocks");
    Array a = as_float(a0);
    const std::int64_t m = a.shape()[0], n = a.shape()[1];
    // Q comes from the first block of columns, which must span the rows: at least m wide.
    if (a.chunks()[1][0] < std::min(m, n)) {
        std::vector<std::int64_t> cols{std::min(m, n)};
        for (std::int64_t rest = n - cols[0]; rest > 0; rest -= std::min(rest, m))
            cols.push_back(std::min(rest, m));
        a = a.rechunk(ChunkSpec(Chunks{{m}, cols}));
    }
    const std::int64_t first = a.chunks()[1][0];
    QR head = tsqr(a[{Slice{}, Slice{0, first, 1}}]);
    if (first == n) return head;
    const Array rest = matmul(head.q.T(), a[{Slice{}, Slice{first, n, 1}}]);
    return {head.q, concatenate({head.r, rest}, 1)};
}

QR qr(const Array& a0, const std::string& mode) {
    require_matrix(a0, "qr");
    if (mode != "reduced" && mode != "r" && mode != "complete")
        throw UsageError("qr: mode must be 'reduced', 'r' or 'complete', not '" + mode + "'");
    const std::int64_t m = a0.shape()[0], n = a0.shape()[1];
    if (mode == "complete" && m > n)
        throw UsageError("qr: mode='complete' of a tall (" + std::to_string(m) + ", " +
                         std::to_string(n) +
                         ") array would build an (m, m) Q; tessera gives it where m <= n only. "
                         "Use mode='reduced'");
    if (a0.chunks()[1].size() == 1) return tsqr(a0);
    if (m < n && a0.chunks()[0].size() == 1) return sfqr(a0);
    if (m < n) return sfqr(a0.rechunk(ChunkSpec(std::vector<std::int64_t>{-1, a0.chunks()[1][0]})));
    return tsqr(column_of_blocks(a0));
}

namespace {

/// The SVD of a single-block matrix.
SVD block_svd(const Array& a, bool compute_uv) {
    const Array b = one_block(as_float(a));
    const std::int64_t m = b.shape()[0], n = b.shape()[1], k = std::min(m, n);
    const auto family = std::make_shared<const int>(0);
    auto node = [&](int part, const Shape& shape) {
        LinalgParams p = params(Op::kSvd, part, family);
        p.compute_uv = compute_uv;
        Chunks c;
        for (auto s : shape) c.push_back({s});
        return make_array(Kind::kLinalg, b.dtype(), shape, c, {b.node()}, p);
    };
    return {node(0, {compute_uv ? m : 0, compute_uv ? k : 0}), node(1, {k}),
            node(2, {compute_uv ? k : 0, compute_uv ? n : 0})};
}

/// The SVD of a tall array in one block of columns, through its R.
SVD tall_svd(const Array& a, bool compute_uv) {
    const QR f = tsqr(a);
    SVD small = block_svd(f.r, compute_uv);
    if (compute_uv) small.u = matmul(f.q, small.u);
    return small;
}

}  // namespace

SVD svd(const Array& a0, bool compute_uv) {
    require_matrix(a0, "svd");
    const std::int64_t m = a0.shape()[0], n = a0.shape()[1];
    if (m >= n) return tall_svd(column_of_blocks(a0), compute_uv);
    // a.T = U S V^T gives a = V S U^T.
    const SVD t = tall_svd(column_of_blocks(a0.T()), compute_uv);
    return compute_uv ? SVD{t.vt.T(), t.s, t.u.T()} : t;
}

SVD svd_compressed(const Array& a0, std::int64_t k, int n_power_iter, std::int64_t n_oversamples,
                   std::uint64_t seed) {
    require_matrix(a0, "svd_compressed");
    const Array a = as_float(a0);
    const std::int64_t m = a.shape()[0], n = a.shape()[1];
    if (k < 1 || k > std::min(m, n))
        throw UsageError("svd_compressed: k must be between 1 and min(m, n) = " +
                         std::to_string(std::min(m, n)) + ", got " + std::to_string(k));
    if (n_power_iter < 0 || n_oversamples < 0)
        throw UsageError("svd_compressed: n_power_iter and n_oversamples must not be negative");
    const std::int64_t l = std::min(std::min(m, n), k + n_oversamples);
    const auto basis = [](const Array& y) { return tsqr(y).q; };
    // The range of a, sampled by a Gaussian test matrix and sharpened by power iterations.
    Array omega = random::normal(0.0, 1.0, {n, l}, ChunkSpec(Chunks{a.chunks()[1], {l}}), seed)
                      .astype(a.dtype());
    Array q = basis(matmul(a, omega));
    for (int i = 0; i < n_power_iter; ++i) q = basis(matmul(a, basis(matmul(a.T(), q))));
    // b = q.T a is short and fat: its SVD through the tsqr of b.T.
    const Array bt = matmul(a.T(), q);  // (n, l), rows cut like a's columns
    const SVD t = tall_svd(bt, true);   // bt = U S V^T, so b = V S U^T
    const Slice first_k{0, k, 1};
    const Array u = matmul(q, t.vt.T());
    return {u[{Slice{}, first_k}], t.s[{first_k}], t.u.T()[{first_k, Slice{}}]};
}

Array cholesky(const Array& a0, bool lower) {
    require_square(a0, "cholesky");
    const Array a = as_float(a0).rechunk(ChunkSpec(Chunks{a0.chunks()[0], a0.chunks()[0]}));
    const Array l = make_array(Kind::kLinalg, a.dtype(), a.shape(), a.chunks(), {a.node()},
                               params(Op::kCholesky, 0, nullptr));
    return lower ? l : l.T();
}

namespace {

/// l x = b (or l.T x = b) for a lower triangular l in square tiles and b with rows cut alike.
Array triangular(const Array& l, const Array& b, bool transposed) {
    LinalgParams p = params(Op::kTriangularSolve, 0, nullptr);
    p.transposed = transposed;
    const Array bb = rows_like(b.astype(l.dtype()), l.chunks()[0]);
    return make_array(Kind::kLinalg, l.dtype(), bb.shape(), bb.chunks(), {l.node(), bb.node()}, p);
}

void require_rhs(const Array& a, const Array& b, const char* what) {
    if ((b.ndim() != 1 && b.ndim() != 2) || b.shape()[0] != a.shape()[0])
        throw UsageError(std::string(what) + ": b of shape " + kernels::shape_text(b.shape()) +
                         " does not match a of shape " + kernels::shape_text(a.shape()) +
                         " (b needs " + std::to_string(a.shape()[0]) + " rows)");
}

Array result_like(const Array& x, const Array& b) { return b.ndim() == 1 ? x.squeeze({1}) : x; }

DType common_float(const Array& a, const Array& b) {
    return float_type(kernels::promote(a.dtype(), b.dtype()));
}

}  // namespace

Array solve_triangular(const Array& a0, const Array& b, bool lower) {
    require_square(a0, "solve_triangular");
    require_rhs(a0, b, "solve_triangular");
    const DType t = common_float(a0, b);
    const Array a = a0.astype(t).rechunk(ChunkSpec(Chunks{a0.chunks()[0], a0.chunks()[0]}));
    // An upper triangle is the transpose of a lower one. Only the named triangle is read: the
    // tiles' solves read their triangle, and the off-diagonal tiles on the other side are not
    // inputs.
    const Array x =
        lower ? triangular(a, as_columns(b), false) : triangular(a.T(), as_columns(b), true);
    return result_like(x, b);
}

Array solve(const Array& a0, const Array& b, const std::string& assume_a) {
    require_square(a0, "solve");
    require_rhs(a0, b, "solve");
    const DType t = common_float(a0, b);
    if (assume_a == "pos") {
        const Array l = cholesky(a0.astype(t));
        return result_like(triangular(l, triangular(l, as_columns(b), false), true), b);
    }
    if (assume_a != "gen")
        throw UsageError("solve: assume_a must be 'gen' or 'pos', not '" + assume_a + "'");
    const Array a = one_block(a0.astype(t));
    const Array bb = as_columns(b).astype(t);
    Chunks c = bb.chunks();
    c[0] = {bb.shape()[0]};
    const Array rhs = bb.rechunk(ChunkSpec(c));
    const Array x = make_array(Kind::kLinalg, t, rhs.shape(), rhs.chunks(), {a.node(), rhs.node()},
                               params(Op::kLuSolve, 0, nullptr));
    return result_like(x, b);
}

Array inv(const Array& a0) {
    require_square(a0, "inv");
    const Array a = one_block(as_float(a0));
    return make_array(Kind::kLinalg, a.dtype(), a.shape(), a.chunks(), {a.node()},
                      params(Op::kInverse, 0, nullptr))
        .rechunk(ChunkSpec(a0.chunks()));
}

LeastSquares lstsq(const Array& a0, const Array& b0, std::optional<double> rcond) {
    require_matrix(a0, "lstsq");
    require_rhs(a0, b0, "lstsq");
    const DType t = common_float(a0, b0);
    const std::int64_t m = a0.shape()[0], n = a0.shape()[1];
    const Array a = m >= n ? column_of_blocks(a0.astype(t))
                           : a0.astype(t).rechunk(ChunkSpec(std::vector<std::int64_t>{-1, -1}));
    const Array b = rows_like(as_columns(b0).astype(t), a.chunks()[0]);
    const QR f = tsqr(a);
    const Array c = one_block(matmul(f.q.T(), b));
    const double eps = t == DType::kFloat32 ? std::numeric_limits<float>::epsilon()
                                            : std::numeric_limits<double>::epsilon();
    const auto family = std::make_shared<const int>(0);
    auto node = [&](int part, const Shape& shape, DType dtype) {
        LinalgParams p = params(Op::kLeastSquares, part, family);
        p.rcond = rcond.value_or(eps * static_cast<double>(std::max(m, n)));
        Chunks ch;
        for (auto s : shape) ch.push_back({s});
        return make_array(Kind::kLinalg, dtype, shape, ch, {f.r.node(), c.node()}, p);
    };
    const Array x = node(0, {n, b.shape()[1]}, t);
    const Array residual = b - matmul(a, x);
    return {result_like(x, b0), (residual * residual).sum({0}), node(1, {}, DType::kInt64),
            node(2, {std::min(m, n)}, t)};
}

namespace {

double order_value(const NormOrder& ord) {
    return std::holds_alternative<double>(ord) ? std::get<double>(ord) : 0.0;
}

}  // namespace

Array norm(const Array& x0, const NormOrder& ord, const Axes& axes0, bool keepdims) {
    const Array x = as_float(x0);
    Axes axes = axes0;
    if (axes.empty()) {
        if (x.ndim() != 1 && x.ndim() != 2 && !std::holds_alternative<std::monostate>(ord))
            throw UsageError("norm: an ord needs a 1-d or 2-d array, or axis; got shape " +
                             kernels::shape_text(x.shape()));
        if (std::holds_alternative<std::monostate>(ord)) {
            // The Frobenius norm of everything, whatever the rank.
            Array s = sqrt((x * x).sum({}, keepdims));
            return s;
        }
        for (int d = 0; d < x.ndim(); ++d) axes.push_back(d);
    }
    for (auto& a : axes) {
        if (a < -x.ndim() || a >= x.ndim())
            throw UsageError("norm: axis " + std::to_string(a) +
                             " is out of bounds for an array of " + std::to_string(x.ndim()) +
                             " dimension(s)");
        if (a < 0) a += x.ndim();
    }
    const Array ax = abs(x);
    if (axes.size() == 1) {
        if (std::holds_alternative<std::string>(ord))
            throw UsageError("norm: ord '" + std::get<std::string>(ord) +
                             "' is a matrix norm; a vector norm takes a number");
        const double p = std::holds_alternative<std::monostate>(ord) ? 2.0 : order_value(ord);
        if (std::isinf(p)) return p > 0 ? ax.max(axes, keepdims) : ax.min(axes, keepdims);
        if (p == 0) return (x != scalar(0.0)).astype(x.dtype()).sum(axes, keepdims);
        if (p == 1) return ax.sum(axes, keepdims);
        if (p == 2) return sqrt((x * x).sum(axes, keepdims));
        return power(power(ax, scalar(p)).sum(axes, keepdims), scalar(1.0 / p));
    }
    if (axes.size() != 2 || axes[0] == axes[1])
        throw UsageError("norm: axis must name one axis (a vector norm) or two (a matrix norm)");
    if (x.ndim() != 2)
        throw UsageError("norm: tessera's matrix norms take 2-d arrays; got shape " +
                         kernels::shape_text(x.shape()));
    const auto keep = [&](const Array& r) {
        return keepdims ? r.expand_dims(0).expand_dims(0) : r;
    };
    const int row = axes[0], col = axes[1];
    if (std::holds_alternative<std::string>(ord)) {
        const auto& name = std::get<std::string>(ord);
        if (name == "fro") return sqrt((x * x).sum(axes, keepdims));
        if (name == "nuc") return keep(svd(row < col ? x : x.T(), false).s.sum());
        throw UsageError("norm: ord must be 'fro', 'nuc' or a number, not '" + name + "'");
    }
    if (std::holds_alternative<std::monostate>(ord)) return sqrt((x * x).sum(axes, keepdims));
    const double p = order_value(ord);
    // Column sums (1) and row sums (inf) of |x|: over axis `row` for 1, over `col` for inf.
    if (p == 1 || p == -1) {
        const Array s = ax.sum({row}, true);
        return p > 0 ? s.max(axes, keepdims) : s.min(axes, keepdims);
    }
    if (std::isinf(p)) {
        const Array s = ax.sum({col}, true);
        return p > 0 ? s.max(axes, keepdims) : s.min(axes, keepdims);
    }
    if (p == 2 || p == -2) {
        const Array s = svd(row < col ? x : x.T(), false).s;
        return keep(p > 0 ? s.max() : s.min());
    }
    throw UsageError("norm: invalid ord " + std::to_string(p) +
                     " for a matrix norm (1, -1, 2, -2, inf, -inf, 'fro' or 'nuc')");
}

}  // namespace tessera::linalg
