// Linear-algebra benchmarks, the tessera side of ../shared/bench/dask_suite.py's tsqr_svd and
// svd_compressed, and the compute floor of the first.
//
//   mpirun -n 3 linalg_bench tsqr_svd        s of svd(x), x = random((4000000, 32),
//                                            chunks=(250000, 32))
//   mpirun -n 3 linalg_bench svd_compressed  s of svd_compressed(x, k=20, n_power_iter=2),
//                                            x = random((100000, 2000), chunks=(10000, 1000))
//   linalg_bench products_floor              the work svd_compressed cannot avoid, on one rank:
//                                            the 20 blocks drawn once and the 6 products per
//                                            block (x @ omega, 2 x (x.T @ q, x @ z), x.T @ q)
//   linalg_bench qr_floor                    one LAPACK DGEQRF of a 250000 x 32 block times the
//                                            16 blocks (the compute floor), and tessera's leaf
//                                            kernel on the same block
//
// Prints: NAME SECONDS RESULT [extra]. The times include building the graph, as Dask's do.
#include <lapacke.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "tessera/array.hpp"
#include "tessera/kernels/create.hpp"
#include "tessera/kernels/linalg.hpp"
#include "tessera/linalg.hpp"
#include "tessera/tessera.hpp"

namespace {
double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
    const std::string which = argc > 1 ? argv[1] : "tsqr_svd";
    using namespace tessera;
    if (which == "qr_floor") {
        // One block, best of three: LAPACK's DGEQRF on it stored column-major (the floor the
        // issue names), and tessera's leaf kernel (qr_factor, cache-sized panels) on it as
        // tessera stores it, row-major.
        const kernels::Buffer block =
            kernels::random_block(kernels::Distribution::kUniform, 0, DType::kFloat64,
                                  {4000000, 32}, {0, 0}, {250000, 32}, 0, 1);
        const int m = 250000, n = 32;
        std::vector<double> colmajor(static_cast<std::size_t>(m) * n), tau(n);
        double lapack = 1e30, tessera = 1e30;
        for (int k = 0; k < 3; ++k) {
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j)
                    colmajor[static_cast<std::size_t>(j) * m + i] = block.data<double>()[i * n + j];
            auto t0 = std::chrono::steady_clock::now();
            LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, n, colmajor.data(), m, tau.data());
            lapack = std::min(lapack, since(t0));
            t0 = std::chrono::steady_clock::now();
            const auto f = kernels::qr_factor(block);
            tessera = std::min(tessera, since(t0));
        }
        std::printf("qr_floor %.3f dgeqrf_block=%.4f tessera_block=%.4f blocks=16\n", 16 * lapack,
                    lapack, tessera);
        return 0;
    }
    if (which == "products_floor") {
        const auto draw = [] {
            return kernels::random_block(kernels::Distribution::kUniform, 0, DType::kFloat64,
                                         {100000, 2000}, {0, 0}, {10000, 1000}, 0, 1);
        };
        auto t0 = std::chrono::steady_clock::now();
        const kernels::Buffer x = draw();
        const double random = since(t0);
        const kernels::Buffer q =
            kernels::random_block(kernels::Distribution::kUniform, 1, DType::kFloat64, {10000, 30},
                                  {0, 0}, {10000, 30}, 0, 1);
        kernels::Buffer z(DType::kFloat64, {1000, 30}), y(DType::kFloat64, {10000, 30});
        double tall = 1e30, wide = 1e30;
        for (int k = 0; k < 3; ++k) {
            t0 = std::chrono::steady_clock::now();
            kernels::gemm(1.0, x, true, q, false, 0.0, z);
            tall = std::min(tall, since(t0));
            t0 = std::chrono::steady_clock::now();
            kernels::gemm(1.0, x, false, z, false, 0.0, y);
            wide = std::min(wide, since(t0));
        }
        // 20 blocks: drawn once, 3 products x @ (1000, 30) and 3 x.T @ (10000, 30) each.
        std::printf("products_floor %.3f random=%.3f gemm=%.3f\n",
                    20 * (random + 3 * tall + 3 * wide), 20 * random, 20 * 3 * (tall + wide));
        return 0;
    }
    RuntimeOptions options;
    options.progress = ProgressMode::kNone;
    Runtime rt(argc, argv, options);
    return rt.run([&] {
        if (which == "tsqr_svd") {
            const auto t0 = std::chrono::steady_clock::now();
            const Array x = random::random({4000000, 32}, ChunkSpec({250000, 32}), 0);
            const Buffer s = linalg::svd(x, false).s.compute();
            std::printf("tsqr_svd %.3f %.6f\n", since(t0), s.data<double>()[0]);
        } else if (which == "svd_compressed") {
            const auto t0 = std::chrono::steady_clock::now();
            const Array x = random::random({100000, 2000}, ChunkSpec({10000, 1000}), 0);
            const Buffer s = linalg::svd_compressed(x, 20, 2, 10, 0).s.compute();
            const double seconds = since(t0);
            const auto summary = Client::current().summary();
            std::printf("svd_compressed %.3f %.6f peak_worker_GB=%.3f\n", seconds,
                        s.data<double>()[0], static_cast<double>(summary.peak_worker_memory) / 1e9);
        } else {
            throw UsageError("unknown case '" + which + "'");
        }
        std::fflush(stdout);
    });
}
