// tessera gen: synthetic inputs, made by the workers of the job itself.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "tessera/array.hpp"
#include "tessera/kernels/create.hpp"
#include "tessera/tessera.hpp"

namespace tessera::apps {

int generate_array(const GenArrayRequest& r, int& argc, char**& argv) {
    Runtime rt(argc, argv, r.runtime);
    return rt.run([&] {
        const DType dtype = kernels::parse_dtype(r.dtype);
        const ChunkSpec chunks = r.chunks.empty() ? ChunkSpec::automatic() : ChunkSpec(r.chunks);
        Array x = r.distribution == "normal"     ? random::normal(0, 1, r.shape, chunks, r.seed)
                  : r.distribution == "integers" ? random::integers(0, 100, r.shape, chunks, r.seed)
                                                 : random::random(r.shape, chunks, r.seed);
        if (x.dtype() != dtype) x = x.astype(dtype);
        Hdf5WriteOptions options;
        options.attributes[r.dataset] = {
            {"seed", static_cast<std::int64_t>(r.seed)},
            {"distribution", r.distribution},
            {"generator", std::string("tessera gen array (Philox4x32-10)")}};
        to_hdf5(r.path, {{r.dataset, x}}, options);
        std::cout << "wrote " << r.path << ": /" << r.dataset << ' '
                  << kernels::shape_text(x.shape()) << ' ' << kernels::dtype_name(dtype) << ", "
                  << format_bytes(static_cast<double>(x.nbytes())) << '\n';
    });
}

namespace {

/// Random numbers of one stream (seed) drawn in order: counter-based, so a file's contents do not
/// depend on which rank writes it.
class Stream {
public:
    explicit Stream(std::uint64_t seed) : seed_(seed) {}
    double uniform() {
        return kernels::random_value(kernels::Distribution::kUniform, seed_, next_++, 0, 1, cache_);
    }
    double normal() {
        return kernels::random_value(kernels::Distribution::kNormal, seed_, next_++, 0, 1, cache_);
    }
    /// Gamma(shape >= 1, scale) by Marsaglia and Tsang's method.
    double gamma(double shape, double scale) {
        const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
        while (true) {
            const double x = normal();
            double v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            const double u = uniform();
            if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v * scale;
        }
    }

private:
    std::uint64_t seed_;
    std::uint64_t next_ = 0;
    kernels::PhiloxCache cache_;
};

/// A two-decimal value the way pandas writes a rounded float ("3.1", "12.0").
void put_cents(std::string& line, double v) {
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.2f", std::round(v * 100) / 100);
    while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.') --n;
    line.append(buf, static_cast<std::size_t>(n));
}

/// Writes trips-<k>.csv: pickup times over three days starting 2016-01-01 + 3k days, 1-6
/// passengers, gamma-distributed distance, fare and tip. Written under a temporary name and
/// renamed, so a failed job leaves no partial file. Returns the bytes written.
std::int64_t write_taxi_file(const std::string& directory, std::uint64_t seed, std::int64_t k,
                             std::int64_t rows) {
    const std::filesystem::path final_path =
        std::filesystem::path(directory) / ("trips-" + std::to_string(k) + ".csv");
    const std::filesystem::path temporary = final_path.string() + ".part";
    std::FILE* f = std::fopen(temporary.c_str(), "wb");
    if (!f) throw Error("cannot write " + temporary.string() + ": " + std::strerror(errno));
    const std::uint64_t base = seed * 1'000'003 + static_cast<std::uint64_t>(k) * 8;
    Stream pickup(base), passengers(base + 1), distance(base + 2), fare(base + 3), tip(base + 4);
    const std::time_t start = 1451606400 + k * 3 * 86400;  // 2016-01-01T00:00:00Z
    std::string line = "pickup,passengers,distance,fare,tip\n";
    std::int64_t bytes = 0;
    for (std::int64_t i = 0; i < rows; ++i) {
        const std::time_t t = start + static_cast<std::time_t>(pickup.uniform() * 3 * 86400);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        line += when;
        line += ',';
        line += std::to_string(1 + static_cast<int>(passengers.uniform() * 6));
        line += ',';
        put_cents(line, distance.gamma(2.0, 1.5));
        line += ',';
        put_cents(line, fare.gamma(3.0, 4.0));
        line += ',';
        put_cents(line, tip.gamma(1.2, 1.5));
        line += '\n';
        if (line.size() > (1 << 20)) {
            bytes += static_cast<std::int64_t>(std::fwrite(line.data(), 1, line.size(), f));
            line.clear();
        }
    }
    bytes += static_cast<std::int64_t>(std::fwrite(line.data(), 1, line.size(), f));
    const bool ok = std::ferror(f) == 0;
    if (std::fclose(f) != 0 || !ok) {
        std::filesystem::remove(temporary);
        throw Error("cannot write " + temporary.string() + " (disk full?)");
    }
    std::filesystem::rename(temporary, final_path);
    return bytes;
}

const auto write_taxi_file_fn = register_function("gen.taxi_file", write_taxi_file);

}  // namespace

int generate_taxi(const GenTaxiRequest& r, int& argc, char**& argv) {
    Runtime rt(argc, argv, r.runtime);
    return rt.run([&] {
        std::error_code ec;
        std::filesystem::create_directories(r.directory, ec);
        if (ec) throw Error("cannot create the directory " + r.directory + ": " + ec.message());
        std::vector<Future<std::int64_t>> files;
        for (std::int64_t k = 0; k < r.files; ++k)
            files.push_back(write_taxi_file_fn.submit(r.directory, r.seed, k, r.rows));
        std::int64_t total = 0;
        for (auto b : rt.client().gather(files)) total += b;
        std::cout << "wrote " << r.files << " files of " << r.rows << " rows to " << r.directory
                  << " (" << format_bytes(static_cast<double>(total)) << ")\n";
    });
}

}  // namespace tessera::apps
