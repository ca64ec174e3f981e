#pragma once
// Dense factorisations of single blocks for tessera::linalg, through LAPACK (LAPACKE on
// OpenBLAS) and BLAS: never hand-written. Every function takes row-major 2-d float32 or float64
// buffers and throws ValueError for other dtypes, mismatched shapes or a failed factorisation.
// Results depend only on the inputs (and BLAS's thread count), never on where a block runs.
#include <cstdint>
#include <vector>

#include "tessera/kernels/buffer.hpp"

namespace tessera::kernels {

/// A Householder QR of an (m, n) block, factored as a tree of panels (TSQR inside the block):
/// the block is cut into panels of qr_panel_rows(n) rows, small enough to stay in cache while
/// LAPACK factors each (?GEQRF), their stacked Rs make the next level's matrix, and so on up to
/// a single panel. Each level keeps its panels' R on and above their diagonals and reflectors
/// below, and the reflectors' scales. Q is never formed unless asked for (qr_apply). A block of
/// at most two panels is one plain LAPACK QR.
struct QrFactors {
    std::vector<Buffer> factors;  // per level, the block first: (rows, n)
    std::vector<Buffer> tau;      // per level: min(rows, n) per panel, panel after panel
};
/// Rows of the panels of a block with n columns: about 64 KiB of float64, at least 2n.
std::int64_t qr_panel_rows(std::int64_t n);
/// Factors a block: a = Q R with Q (m, k) orthonormal and R (k, n) upper trapezoidal,
/// k = min(m, n). Rank-deficient blocks factor too (Householder QR needs no full rank).
QrFactors qr_factor(const Buffer& a);
/// R of a factored block: (k, n), zero below the diagonal.
Buffer qr_r(const QrFactors& f);
/// Q @ c for c of shape (k, p): the reduced Q applied to c without forming Q (c = I gives Q).
Buffer qr_apply(const QrFactors& f, const Buffer& c);

/// Blocks of the same dtype and column count, one under the other.
Buffer stack_rows(const std::vector<const Buffer*>& blocks);

/// The reduced SVD a = u @ diag(s) @ vt (LAPACK's divide and conquer, ?GESDD): u (m, k),
/// s (k,) in descending order, vt (k, n), k = min(m, n). Without `compute_uv` only s is made.
struct SvdFactors {
    Buffer u, s, vt;
};
SvdFactors svd(const Buffer& a, bool compute_uv = true);

/// c = alpha * op(a) @ op(b) + beta * c, op transposing where asked (?GEMM).
void gemm(double alpha, const Buffer& a, bool a_transposed, const Buffer& b, bool b_transposed,
          double beta, Buffer& c);

/// The lower Cholesky factor of a symmetric positive definite block (upper triangle zeroed).
/// Throws ValueError naming the first leading minor (plus `minor_offset`) that is not positive.
Buffer cholesky(const Buffer& a, std::int64_t minor_offset = 0);
/// Solves l @ x = b (or l.T @ x = b when `transposed`) for lower triangular l, or
/// x @ l.T = b when `right` (the panel step of a blocked Cholesky); b is overwritten with x.
void triangular_solve(const Buffer& l, Buffer& b, bool transposed, bool right = false);

/// a @ x = b by an LU factorisation with partial pivoting (?GESV); b is (n, p). Throws
/// ValueError when a is singular.
Buffer lu_solve(const Buffer& a, const Buffer& b);
/// The inverse of a square block (?GETRF, ?GETRI); throws ValueError when it is singular.
Buffer inverse(const Buffer& a);

/// The minimum-norm least-squares solution of a @ x = b (?GELSD, as NumPy's lstsq): singular
/// values below rcond * s_max count as zero.
struct LeastSquares {
    Buffer x;  // (n, p)
    Buffer s;  // (min(m, n),) singular values of a
    std::int64_t rank = 0;
};
LeastSquares least_squares(const Buffer& a, const Buffer& b, double rcond);

}  // namespace tessera::kernels
