#pragma once
// tessera's dask.array.linalg: factorisations of chunked 2-d arrays. The per-block work is
// LAPACK (through OpenBLAS) in tasks on the workers; small factors are combined in trees whose
// shape depends only on the chunks, so results are bitwise the same for any rank count.
//
//   auto x = tessera::random::random({4'000'000, 32}, tessera::ChunkSpec({250'000, 32}), 1);
//   auto [u, s, vt] = tessera::linalg::svd(x);        // through a tall-skinny QR
//   Buffer values = s.compute();
//
// Integer and boolean arrays are factored as float64, float32 ones as float32. Arrays chunked
// in both dimensions are rechunked where an algorithm needs it (tessera run --explain shows the
// rechunk and its bytes).
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "tessera/array.hpp"

namespace tessera::linalg {

struct QR {
    Array q, r;
};
/// Tall-and-skinny QR (direct TSQR, Benson, Gleich and Demmel) of an array chunked along rows
/// only: a QR per block, a tree of stacked Rs (fan-in 8, by block index), and Q rebuilt down the
/// tree. q is (m, k), r is (k, n) upper trapezoidal, k = min(m, n). UsageError when the array
/// has more than one block of columns.
QR tsqr(const Array& a);
/// Short-and-fat QR of an array with one block of rows: Q and the first columns' R from one
/// block, the other columns' R as Q.T @ a.
QR sfqr(const Array& a);
/// QR of any 2-d array, NumPy's modes: "reduced" (q (m, k), r (k, n)), "r" (r only: q is not
/// computed unless used) and "complete" (q (m, m), r (m, n), only where m <= n, which makes it
/// the reduced one). Tall arrays chunked in both dimensions are rechunked to one block of
/// columns, short-fat ones to one block of rows.
QR qr(const Array& a, const std::string& mode = "reduced");

struct SVD {
    Array u, s, vt;
};
/// The reduced SVD (full_matrices=False): through tsqr for arrays with at least as many rows as
/// columns, through tsqr of the transpose otherwise. Without `compute_uv`, s is computed alone
/// and u and vt are empty (0, 0) arrays.
SVD svd(const Array& a, bool compute_uv = true);
/// Randomised SVD (Halko, Martinsson and Tropp) of rank k for arrays chunked in both
/// dimensions: a Philox test matrix of k + n_oversamples columns (the same for any chunking and
/// rank count), n_power_iter power iterations with a QR between products, and the SVD of the
/// compressed (k + n_oversamples, n) matrix. Each pass reads every block of the array once;
/// the array's blocks stay on their workers between passes (their memory is its share of it).
SVD svd_compressed(const Array& a, std::int64_t k, int n_power_iter = 0,
                   std::int64_t n_oversamples = 10, std::uint64_t seed = 0);

/// The Cholesky factor of a symmetric positive definite matrix: lower (NumPy's default; Dask's
/// default is upper, lower=False), blocked over square tiles (rechunked so rows and columns are
/// cut alike). A matrix that is not positive definite is a task error naming the minor.
Array cholesky(const Array& a, bool lower = true);
/// Solves a @ x = b for x (b of shape (n,) or (n, p)): assume_a "pos" through the blocked
/// Cholesky and two blocked triangular solves, "gen" (the default) through an LU with partial
/// pivoting of the whole matrix on one worker.
Array solve(const Array& a, const Array& b, const std::string& assume_a = "gen");
/// Solves a @ x = b for triangular a (its lower or upper triangle is read), blocked.
Array solve_triangular(const Array& a, const Array& b, bool lower = false);
/// The inverse of a square matrix, on one worker (the matrix must fit there).
Array inv(const Array& a);

struct LeastSquares {
    Array x, residuals, rank, s;
};
/// The minimum-norm least-squares solution of a @ x = b through tsqr: x, the squared residual
/// per column of b (Dask's form: always computed, also where NumPy returns an empty array, for
/// rank < n or m <= n), the rank of a and its singular values. rcond defaults to NumPy's
/// eps * max(m, n).
LeastSquares lstsq(const Array& a, const Array& b, std::optional<double> rcond = std::nullopt);

/// np.linalg.norm's ord: none (Frobenius / 2-norm), a number (1, 2, inf, -inf, 0, p) or "fro",
/// "nuc".
using NormOrder = std::variant<std::monostate, double, std::string>;
/// Vector norms over one axis, matrix norms over two (axes empty: a 1-d or 2-d array's own).
/// The 2 and nuclear norms of matrices go through svd.
Array norm(const Array& x, const NormOrder& ord = {}, const Axes& axes = {}, bool keepdims = false);

}  // namespace tessera::linalg
