#include "hdf5_handles.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace tessera::io::detail {

namespace {
std::mutex& hdf5_mutex() {
    static std::mutex m;
    return m;
}
}  // namespace

Hdf5Lock::Hdf5Lock() : guard_(hdf5_mutex()) {
    static const bool quiet = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
    (void)quiet;
}

std::string hdf5_message() {
    std::string message;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
            if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
            return 0;
        },
        &message);
    H5Eclear2(H5E_DEFAULT);
    return message.empty() ? "HDF5 error" : message;
}

Id open_read_only(const std::string& path) {
    std::FILE* probe = std::fopen(path.c_str(), "rb");
    if (!probe) throw IoError("cannot open " + path + ": " + std::strerror(errno));
    std::fclose(probe);
    if (H5Fis_hdf5(path.c_str()) <= 0) throw IoError(path + " is not an HDF5 file");
    return Id(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open " + path),
              H5Fclose);
}

DatasetLayout dataset_layout(hid_t dset, const std::string& where) {
    DatasetLayout layout;
    Id space(check(H5Dget_space(dset), where + ": dataspace"), H5Sclose);
    if (check(H5Sget_simple_extent_type(space), where + ": dataspace") == H5S_NULL) {
        layout.null_space = true;
        return layout;
    }
    const int nd = check(H5Sget_simple_extent_ndims(space), where + ": rank");
    std::vector<hsize_t> dims(static_cast<std::size_t>(nd));
    check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), where + ": extent");
    // A corrupt or hostile file may claim any extent: it must fit tessera's signed 64-bit sizes.
    for (const hsize_t d : dims)
        if (d > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max()))
            throw IoError(where + " claims an extent of " + std::to_string(d) +
                          ", beyond 2^63 - 1 (a corrupt file?)");
    layout.shape.assign(dims.begin(), dims.end());
    try {
        (void)kernels::shape_size(layout.shape);
    } catch (const ValueError& e) {
        throw IoError(where + ": " + e.what() + " (a corrupt file?)");
    }
    Id plist(check(H5Dget_create_plist(dset), where + ": creation properties"), H5Pclose);
    if (check(H5Pget_layout(plist), where + ": layout") == H5D_CHUNKED) {
        std::vector<hsize_t> c(dims.size());
        check(H5Pget_chunk(plist, nd, c.data()), where + ": chunk dimensions");
        layout.chunks.assign(c.begin(), c.end());
    }
    const int filters = check(H5Pget_nfilters(plist), where + ": filters");
    for (int i = 0; i < filters; ++i) {
        unsigned flags = 0, values[8];
        std::size_t n = 8;
        char name[64] = "";
        DatasetFilter f;
        f.id = check(H5Pget_filter2(plist, static_cast<unsigned>(i), &flags, &n, values,
                                    sizeof name, name, nullptr),
                     where + ": filter " + std::to_string(i));
        f.values.assign(values, values + std::min<std::size_t>(n, 8));
        f.name = name;
        layout.filters.push_back(std::move(f));
    }
    return layout;
}

}  // namespace tessera::io::detail
