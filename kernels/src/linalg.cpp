#include "tessera/kernels/linalg.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "tessera/kernels/create.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

namespace {

// LAPACK and BLAS for one float type. The _work entry points are used throughout: they do not
// scan their inputs for NaN first (NaN goes through, as in NumPy), and the workspace is sized
// by the routine's own query.
template <class T>
struct Lapack;

template <>
struct Lapack<double> {
    static constexpr auto geqrf = LAPACKE_dgeqrf_work;
    static constexpr auto ormqr = LAPACKE_dormqr_work;
    static constexpr auto gesdd = LAPACKE_dgesdd_work;
    static constexpr auto potrf = LAPACKE_dpotrf_work;
    static constexpr auto gesv = LAPACKE_dgesv_work;
    static constexpr auto getrf = LAPACKE_dgetrf_work;
    static constexpr auto getri = LAPACKE_dgetri_work;
    static constexpr auto gelsd = LAPACKE_dgelsd_work;
    static constexpr auto gemm = cblas_dgemm;
    static constexpr auto trsm = cblas_dtrsm;
};
template <>
struct Lapack<float> {
    static constexpr auto geqrf = LAPACKE_sgeqrf_work;
    static constexpr auto ormqr = LAPACKE_sormqr_work;
    static constexpr auto gesdd = LAPACKE_sgesdd_work;
    static constexpr auto potrf = LAPACKE_spotrf_work;
    static constexpr auto gesv = LAPACKE_sgesv_work;
    static constexpr auto getrf = LAPACKE_sgetrf_work;
    static constexpr auto getri = LAPACKE_sgetri_work;
    static constexpr auto gelsd = LAPACKE_sgelsd_work;
    static constexpr auto gemm = cblas_sgemm;
    static constexpr auto trsm = cblas_strsm;
};

/// A dimension as LAPACK's 32-bit integer.
lapack_int dim(std::int64_t n, const char* what) {
    if (n > INT_MAX)
        throw ValueError(std::string(what) + ": a dimension of " + std::to_string(n) +
                         " exceeds LAPACK's 32-bit sizes");
    return static_cast<lapack_int>(std::max<std::int64_t>(n, 0));
}

void require_matrix(const Buffer& a, const char* what) {
    if (a.shape().size() != 2)
        throw ValueError(std::string(what) + ": expected a 2-d block, got shape " +
                         shape_text(a.shape()));
    if (a.dtype() != DType::kFloat64 && a.dtype() != DType::kFloat32)
        throw ValueError(std::string(what) + ": expected float32 or float64, got " +
                         std::string(dtype_name(a.dtype())));
}

void require_square(const Buffer& a, const char* what) {
    require_matrix(a, what);
    if (a.shape()[0] != a.shape()[1])
        throw ValueError(std::string(what) + ": expected a square matrix, got shape " +
                         shape_text(a.shape()));
}

void check_info(lapack_int info, const char* routine) {
    if (info < 0)
        throw Error(std::string("internal: LAPACK ") + routine + " rejected argument " +
                    std::to_string(-info));
}

/// Calls a float function with the buffer's element type.
template <class F>
void with_float(DType dtype, F&& f) {
    if (dtype == DType::kFloat64)
        f(double{});
    else
        f(float{});
}

/// Workspace for a _work routine, after its size query.
template <class T>
std::vector<T> workspace(T query) {
    return std::vector<T>(static_cast<std::size_t>(std::max<T>(query, T(1))) + 1);
}

}  // namespace

std::int64_t qr_panel_rows(std::int64_t n) {
    return std::max<std::int64_t>(2 * n, 8192 / std::max<std::int64_t>(n, 1));
}

namespace {

/// Panel i of a level with `rows` rows: its first row and row count.
struct Panel {
    std::int64_t first, rows;
};
std::vector<Panel> panels_of(std::int64_t rows, std::int64_t panel_rows) {
    // One panel when it takes at most two: cutting them buys little and costs a level.
    if (rows <= 2 * panel_rows) return {{0, rows}};
    std::vector<Panel> out;
    for (std::int64_t first = 0; first < rows; first += panel_rows)
        out.push_back({first, std::min(panel_rows, rows - first)});
    return out;
}

/// Factors each panel of `level` in place (row-major ?GEQRF: LAPACKE makes the column-major
/// copy LAPACK wants, in cache for a panel) and returns their stacked Rs.
template <class T>
Buffer factor_level(Buffer& level, Buffer& tau, std::int64_t panel_rows) {
    const std::int64_t rows = level.shape()[0], n = level.shape()[1];
    const auto panels = panels_of(rows, panel_rows);
    std::int64_t reflectors = 0;
    for (const Panel& p : panels) reflectors += std::min(p.rows, n);
    tau = Buffer(level.dtype(), {reflectors});
    Buffer stacked(level.dtype(), {reflectors, n});
    T* a = level.data<T>();
    T* r = stacked.data<T>();
    const lapack_int nn = dim(n, "qr");
    T query{};
    check_info(Lapack<T>::geqrf(LAPACK_ROW_MAJOR, dim(panels[0].rows, "qr"), nn, a, nn,
                                tau.data<T>(), &query, -1),
               "geqrf");
    auto work = workspace(query);
    std::int64_t at = 0;  // the panel's first reflector
    for (const Panel& p : panels) {
        const std::int64_t k = std::min(p.rows, n);
        if (k == 0) continue;
        T* panel = a + p.first * n;
        check_info(
            Lapack<T>::geqrf(LAPACK_ROW_MAJOR, dim(p.rows, "qr"), nn, panel, nn, tau.data<T>() + at,
                             work.data(), static_cast<lapack_int>(work.size())),
            "geqrf");
        for (std::int64_t i = 0; i < k; ++i)
            for (std::int64_t j = 0; j < n; ++j)
                r[(at + i) * n + j] = j >= i ? panel[i * n + j] : T(0);
        at += k;
    }
    return stacked;
}

/// The Q of one level applied to w: panel i's reflectors to w's rows of its R (padded with zero
/// rows to the panel's height), giving the level's (rows, p).
template <class T>
Buffer apply_level(const Buffer& level, const Buffer& tau, std::int64_t panel_rows,
                   const Buffer& w) {
    const std::int64_t rows = level.shape()[0], n = level.shape()[1], p = w.shape()[1];
    Buffer out = fill_block(w.dtype(), {rows, p}, 0.0);
    if (p == 0) return out;
    const T* a = level.data<T>();
    T* o = out.data<T>();
    const lapack_int nn = dim(n, "qr"), pp = dim(p, "qr");
    std::vector<T> work;
    std::int64_t at = 0;
    for (const Panel& panel : panels_of(rows, panel_rows)) {
        const std::int64_t k = std::min(panel.rows, n);
        if (k == 0) continue;
        T* c = o + panel.first * p;
        std::memcpy(c, w.data<T>() + at * p, static_cast<std::size_t>(k * p) * sizeof(T));
        const lapack_int mr = dim(panel.rows, "qr"), kk = dim(k, "qr");
        if (work.empty()) {
            T query{};
            check_info(Lapack<T>::ormqr(LAPACK_ROW_MAJOR, 'L', 'N', mr, pp, kk, a + panel.first * n,
                                        nn, tau.data<T>() + at, c, pp, &query, -1),
                       "ormqr");
            work = workspace(query);
        }
        check_info(Lapack<T>::ormqr(LAPACK_ROW_MAJOR, 'L', 'N', mr, pp, kk, a + panel.first * n, nn,
                                    tau.data<T>() + at, c, pp, work.data(),
                                    static_cast<lapack_int>(work.size())),
                   "ormqr");
        at += k;
    }
    return out;
}

}  // namespace

QrFactors qr_factor(const Buffer& a) {
    require_matrix(a, "qr");
    const std::int64_t n = a.shape()[1], panel_rows = qr_panel_rows(n);
    QrFactors f;
    Buffer level(a);
    with_float(a.dtype(), [&](auto t) {
        using T = decltype(t);
        for (;;) {
            Buffer tau;
            Buffer stacked = level.shape()[0] == 0 || n == 0
                                 ? Buffer(a.dtype(), {0, n})
                                 : factor_level<T>(level, tau, panel_rows);
            if (tau.shape().empty()) tau = Buffer(a.dtype(), {0});
            const bool top = panels_of(level.shape()[0], panel_rows).size() == 1;
            f.factors.push_back(std::move(level));
            f.tau.push_back(std::move(tau));
            if (top) break;
            level = std::move(stacked);
        }
    });
    return f;
}

Buffer qr_r(const QrFactors& f) {
    const Buffer& top = f.factors.back();
    const std::int64_t m = top.shape()[0], n = top.shape()[1], k = std::min(m, n);
    Buffer r(top.dtype(), {k, n});
    with_float(r.dtype(), [&](auto t) {
        using T = decltype(t);
        const T* src = top.data<T>();
        T* dst = r.data<T>();
        for (std::int64_t i = 0; i < k; ++i)
            for (std::int64_t j = 0; j < n; ++j) dst[i * n + j] = j >= i ? src[i * n + j] : T(0);
    });
    return r;
}

// From the top level down: each level's panels turn the rows of their Rs into their own rows.
Buffer qr_apply(const QrFactors& f, const Buffer& c) {
    require_matrix(c, "qr");
    const Buffer& top = f.factors.back();
    const std::int64_t k = std::min(top.shape()[0], top.shape()[1]), n = top.shape()[1];
    if (c.shape()[0] != k || c.dtype() != top.dtype())
        throw ValueError("qr: the block to apply Q to has shape " + shape_text(c.shape()) +
                         ", expected (" + std::to_string(k) + ", " + std::to_string(c.shape()[1]) +
                         ")");
    Buffer w(c);
    with_float(c.dtype(), [&](auto t) {
        using T = decltype(t);
        for (std::size_t l = f.factors.size(); l-- > 0;)
            w = apply_level<T>(f.factors[l], f.tau[l], qr_panel_rows(n), w);
    });
    return w;
}

Buffer stack_rows(const std::vector<const Buffer*>& blocks) {
    if (blocks.empty()) throw ValueError("stack_rows: no blocks");
    const DType dtype = blocks[0]->dtype();
    const std::int64_t n = blocks[0]->shape().at(1);
    std::int64_t rows = 0;
    for (const Buffer* b : blocks) {
        if (b->dtype() != dtype || b->shape().size() != 2 || b->shape()[1] != n)
            throw ValueError("stack_rows: blocks of shape " + shape_text(b->shape()) + " and (" +
                             std::to_string(rows) + ", " + std::to_string(n) + ") do not stack");
        rows += b->shape()[0];
    }
    Buffer out(dtype, {rows, n});
    std::size_t at = 0;
    for (const Buffer* b : blocks) {
        if (b->nbytes() > 0) std::memcpy(out.bytes() + at, b->bytes(), b->nbytes());
        at += b->nbytes();
    }
    return out;
}

// The same transposition as qr_factor: ?GESDD of the column-major a^T = V S U^T leaves U^T's
// column-major (k, m) form, which is u row-major, and V's column-major (n, k) form, which is vt.
SvdFactors svd(const Buffer& a, bool compute_uv) {
    require_matrix(a, "svd");
    const std::int64_t m = a.shape()[0], n = a.shape()[1], k = std::min(m, n);
    SvdFactors out{Buffer(a.dtype(), {compute_uv ? m : 0, compute_uv ? k : 0}),
                   Buffer(a.dtype(), {k}),
                   Buffer(a.dtype(), {compute_uv ? k : 0, compute_uv ? n : 0})};
    if (k == 0) return out;
    Buffer work_a(a);
    with_float(a.dtype(), [&](auto t) {
        using T = decltype(t);
        using L = Lapack<T>;
        const lapack_int rows = dim(n, "svd"), cols = dim(m, "svd"), kk = dim(k, "svd");
        const char job = compute_uv ? 'S' : 'N';
        T* vt = compute_uv ? out.vt.data<T>() : nullptr;
        T* u = compute_uv ? out.u.data<T>() : nullptr;
        std::vector<lapack_int> iwork(static_cast<std::size_t>(8 * k));
        T query{};
        check_info(L::gesdd(LAPACK_COL_MAJOR, job, rows, cols, work_a.data<T>(), rows,
                            out.s.data<T>(), vt, rows, u, kk, &query, -1, iwork.data()),
                   "gesdd");
        auto work = workspace(query);
        const lapack_int info =
            L::gesdd(LAPACK_COL_MAJOR, job, rows, cols, work_a.data<T>(), rows, out.s.data<T>(), vt,
                     rows, u, kk, work.data(), static_cast<lapack_int>(work.size()), iwork.data());
        check_info(info, "gesdd");
        if (info > 0) throw ValueError("svd did not converge");
    });
    return out;
}

void gemm(double alpha, const Buffer& a, bool a_transposed, const Buffer& b, bool b_transposed,
          double beta, Buffer& c) {
    require_matrix(a, "gemm");
    require_matrix(b, "gemm");
    require_matrix(c, "gemm");
    const std::int64_t m = a.shape()[a_transposed ? 1 : 0], k = a.shape()[a_transposed ? 0 : 1];
    const std::int64_t kb = b.shape()[b_transposed ? 1 : 0], n = b.shape()[b_transposed ? 0 : 1];
    if (k != kb || c.shape()[0] != m || c.shape()[1] != n || a.dtype() != c.dtype() ||
        b.dtype() != c.dtype())
        throw ValueError("gemm: shapes " + shape_text(a.shape()) + " and " + shape_text(b.shape()) +
                         " do not multiply into " + shape_text(c.shape()));
    if (m == 0 || n == 0) return;
    with_float(c.dtype(), [&](auto t) {
        using T = decltype(t);
        if (k == 0) {  // no terms: BLAS rejects the empty operands' leading dimensions
            for (T& v : c.values<T>()) v = beta == 0 ? T(0) : static_cast<T>(beta * v);
            return;
        }
        Lapack<T>::gemm(CblasRowMajor, a_transposed ? CblasTrans : CblasNoTrans,
                        b_transposed ? CblasTrans : CblasNoTrans, dim(m, "gemm"), dim(n, "gemm"),
                        dim(k, "gemm"), static_cast<T>(alpha), a.data<T>(),
                        dim(a.shape()[1], "gemm"), b.data<T>(), dim(b.shape()[1], "gemm"),
                        static_cast<T>(beta), c.data<T>(), dim(n, "gemm"));
    });
}

// Row-major a is column-major a^T = a (symmetric): the column-major upper factor U of
// a = U^T U read row-major is the lower factor L = U^T.
Buffer cholesky(const Buffer& a, std::int64_t minor_offset) {
    require_square(a, "cholesky");
    const std::int64_t n = a.shape()[0];
    Buffer l(a);
    if (n == 0) return l;
    with_float(a.dtype(), [&](auto t) {
        using T = decltype(t);
        const lapack_int info = Lapack<T>::potrf(LAPACK_COL_MAJOR, 'U', dim(n, "cholesky"),
                                                 l.data<T>(), dim(n, "cholesky"));
        check_info(info, "potrf");
        if (info > 0)
            throw ValueError(
                "cholesky: the matrix is not positive definite (its leading minor of "
                "order " +
                std::to_string(minor_offset + info) + " is not positive)");
        T* x = l.data<T>();
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = i + 1; j < n; ++j) x[i * n + j] = T(0);
    });
    return l;
}

void triangular_solve(const Buffer& l, Buffer& b, bool transposed, bool right) {
    require_square(l, "triangular_solve");
    require_matrix(b, "triangular_solve");
    const std::int64_t n = l.shape()[0];
    if (b.shape()[right ? 1 : 0] != n || b.dtype() != l.dtype())
        throw ValueError("triangular_solve: a " + shape_text(l.shape()) +
                         " triangle cannot solve for a block of shape " + shape_text(b.shape()));
    if (b.size() == 0) return;
    with_float(l.dtype(), [&](auto t) {
        using T = decltype(t);
        Lapack<T>::trsm(CblasRowMajor, right ? CblasRight : CblasLeft, CblasLower,
                        transposed || right ? CblasTrans : CblasNoTrans, CblasNonUnit,
                        dim(b.shape()[0], "triangular_solve"),
                        dim(b.shape()[1], "triangular_solve"), T(1), l.data<T>(),
                        dim(n, "triangular_solve"), b.data<T>(),
                        dim(b.shape()[1], "triangular_solve"));
    });
}

Buffer lu_solve(const Buffer& a, const Buffer& b) {
    require_square(a, "solve");
    require_matrix(b, "solve");
    const std::int64_t n = a.shape()[0], p = b.shape()[1];
    if (b.shape()[0] != n || b.dtype() != a.dtype())
        throw ValueError("solve: a of shape " + shape_text(a.shape()) +
                         " cannot solve for b of shape " + shape_text(b.shape()));
    Buffer lu(a), x(b);
    if (n == 0 || p == 0) return x;
    std::vector<lapack_int> pivots(static_cast<std::size_t>(n));
    with_float(a.dtype(), [&](auto t) {
        using T = decltype(t);
        const lapack_int info =
            Lapack<T>::gesv(LAPACK_ROW_MAJOR, dim(n, "solve"), dim(p, "solve"), lu.data<T>(),
                            dim(n, "solve"), pivots.data(), x.data<T>(), dim(p, "solve"));
        check_info(info, "gesv");
        if (info > 0) throw ValueError("solve: the matrix is singular");
    });
    return x;
}

Buffer inverse(const Buffer& a) {
    require_square(a, "inv");
    const std::int64_t n = a.shape()[0];
    Buffer x(a);
    if (n == 0) return x;
    std::vector<lapack_int> pivots(static_cast<std::size_t>(n));
    with_float(a.dtype(), [&](auto t) {
        using T = decltype(t);
        using L = Lapack<T>;
        const lapack_int nn = dim(n, "inv");
        const lapack_int info = L::getrf(LAPACK_ROW_MAJOR, nn, nn, x.data<T>(), nn, pivots.data());
        check_info(info, "getrf");
        if (info > 0) throw ValueError("inv: the matrix is singular");
        T query{};
        check_info(L::getri(LAPACK_ROW_MAJOR, nn, x.data<T>(), nn, pivots.data(), &query, -1),
                   "getri");
        auto work = workspace(query);
        check_info(L::getri(LAPACK_ROW_MAJOR, nn, x.data<T>(), nn, pivots.data(), work.data(),
                            static_cast<lapack_int>(work.size())),
                   "getri");
    });
    return x;
}

LeastSquares least_squares(const Buffer& a, const Buffer& b, double rcond) {
    require_matrix(a, "lstsq");
    require_matrix(b, "lstsq");
    const std::int64_t m = a.shape()[0], n = a.shape()[1], p = b.shape()[1];
    if (b.shape()[0] != m || b.dtype() != a.dtype())
        throw ValueError("lstsq: a of shape " + shape_text(a.shape()) + " and b of shape " +
                         shape_text(b.shape()) + " do not match");
    LeastSquares out{fill_block(a.dtype(), {n, p}, 0.0), Buffer(a.dtype(), {std::min(m, n)}), 0};
    if (std::min(m, n) == 0 || p == 0) return out;
    // ?GELSD overwrites b, which must hold max(m, n) rows: the solution is its first n.
    const std::int64_t rows = std::max(m, n);
    Buffer work_a(a), work_b = fill_block(a.dtype(), {rows, p}, 0.0);
    std::memcpy(work_b.bytes(), b.bytes(), b.nbytes());
    with_float(a.dtype(), [&](auto t) {
        using T = decltype(t);
        lapack_int rank = 0;
        const lapack_int mm = dim(m, "lstsq"), nn = dim(n, "lstsq"), pp = dim(p, "lstsq");
        T query{};
        lapack_int iquery = 0;
        check_info(Lapack<T>::gelsd(LAPACK_ROW_MAJOR, mm, nn, pp, work_a.data<T>(), nn,
                                    work_b.data<T>(), pp, out.s.data<T>(), static_cast<T>(rcond),
                                    &rank, &query, -1, &iquery),
                   "gelsd");
        auto work = workspace(query);
        std::vector<lapack_int> iwork(static_cast<std::size_t>(std::max<lapack_int>(iquery, 1)));
        const lapack_int info =
            Lapack<T>::gelsd(LAPACK_ROW_MAJOR, mm, nn, pp, work_a.data<T>(), nn, work_b.data<T>(),
                             pp, out.s.data<T>(), static_cast<T>(rcond), &rank, work.data(),
                             static_cast<lapack_int>(work.size()), iwork.data());
        check_info(info, "gelsd");
        if (info > 0) throw ValueError("lstsq: the SVD did not converge");
        out.rank = rank;
    });
    std::memcpy(out.x.bytes(), work_b.bytes(), out.x.nbytes());
    return out;
}

}  // namespace tessera::kernels
