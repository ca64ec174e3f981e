// libFuzzer target: opening and describing an HDF5 file of any bytes, as `tessera info` and
// from_hdf5 do, then reading every small dataset tessera can hold. Every input must end in a
// listing or in one IoError.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "tessera/io/hdf5.hpp"
#include "tessera/io/io_error.hpp"
#include "tessera/kernels/buffer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // In the working directory (the test's, in the build tree), one per process of fork mode.
    static const std::string path = "input-" + std::to_string(getpid()) + ".h5";
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        (void)tessera::io::describe_file(path);
        for (const auto& [name, listed] : tessera::io::list_datasets(path)) {
            const auto info = tessera::io::inspect(path, name);
            if (tessera::kernels::shape_size(info.shape) > (1 << 16)) continue;
            tessera::io::open_file(1, path, tessera::io::OpenMode::kRead, {}, {}, MPI_COMM_NULL);
            try {
                (void)tessera::io::read_block(1, name, std::vector<std::int64_t>(info.shape.size()),
                                              info.shape, info.dtype);
            } catch (const tessera::io::IoError&) {
            }
            tessera::io::close_file(1);
        }
    } catch (const tessera::io::IoError&) {
    }
    return 0;
}
