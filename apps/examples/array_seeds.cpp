// The seeds' array computations on tessera:
//   x = random((n, n), chunks)
//   a = (x + x.T) - x.mean(axis=0)            written to OUT:/a beside OUT:/x, in one pass
//   s = (x.dot(x.T + 1) - x.mean()).std()     printed
//   m = from_hdf5(OUT, "/x").mean(axis=0)     a mean along an axis of an HDF5 dataset, printed
//
//   mpirun -n 3 tessera-array-seeds --size 4000 --chunks 1000 --out seeds.h5
#include <CLI/CLI.hpp>
#include <cstdio>

#include "../common/runtime_cli.hpp"
#include "tessera/array.hpp"
#include "tessera/tessera.hpp"

int main(int argc, char** argv) {
    CLI::App app{"The seeds' array expressions on tessera, with an HDF5 round trip"};
    app.footer(
        "Example:\n  mpirun -n 3 tessera-array-seeds --size 4000 --chunks 1000 --out seeds.h5");
    tessera::RuntimeOptions options;
    tessera::apps::add_runtime_options(app, options);
    std::int64_t size = 2000, chunks = 500;
    std::uint64_t seed = 1;
    std::string out = "seeds.h5";
    app.add_option("--size", size, "Rows and columns of x")->check(CLI::PositiveNumber);
    app.add_option("--chunks", chunks, "Block size along each dimension")
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "Seed of the random array");
    app.add_option("--out", out, "HDF5 file to write /x and /a to");
    if (auto code = tessera::apps::parse_command_line(app, argc, argv)) return *code;

    tessera::Runtime rt(argc, argv, options);
    return rt.run([&] {
        using namespace tessera;
        const Array x = random::random({size, size}, ChunkSpec(chunks), seed);
        const Array a = (x + x.T()) - x.mean({0});
        to_hdf5(out, {{"x", x}, {"a", a}});
        const double s = (x.dot(x.T() + 1) - x.mean()).std().item<double>();
        const Buffer m = from_hdf5(out, "/x").mean({0}).compute();
        double total = 0;
        for (double v : m.values<double>()) total += v;
        std::printf("wrote %s: /x and /a, %lld x %lld float64\n", out.c_str(),
                    static_cast<long long>(size), static_cast<long long>(size));
        std::printf("std %.17g\n", s);
        std::printf("column_mean_sum %.17g\n", total);
        std::printf("column_mean_first %.17g\n", m.values<double>()[0]);
    });
}
