#pragma once
// What the HDF5 files of io/ share: the process-wide lock (this HDF5 build is not thread-safe),
// checked calls that turn HDF5's error stack into IoError, identifiers closed by scope, and the
// one description of a dataset's layout that both the task I/O (hdf5.cpp) and the `tessera info`
// listing (hdf5_listing.cpp) read.
#include <hdf5.h>

#include <exception>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tessera/io/io_error.hpp"
#include "tessera/kernels/buffer.hpp"

namespace tessera::io::detail {

/// Held around every use of HDF5 (this build is not thread-safe). Taking it the first time turns
/// off HDF5's own printing of its error stack: errors come back as one IoError instead.
class Hdf5Lock {
public:
    Hdf5Lock();

private:
    std::lock_guard<std::mutex> guard_;
};
/// The innermost message of HDF5's error stack, the part a user can act on; clears the stack.
std::string hdf5_message();

/// Checks an HDF5 return value (negative: failure) and throws IoError naming what failed.
template <class T>
T check(T rc, const std::string& what) {
    if (rc < 0) throw IoError(what + ": " + hdf5_message());
    return rc;
}

/// Runs the body of an HDF5 iteration callback (H5Lvisit, H5Aiterate). An exception must not
/// unwind through libhdf5's C frames, which would leave the library half-changed: it is kept in
/// `error`, to rethrow once the iteration has returned, and the iteration stops.
template <class Body>
herr_t guarded(std::exception_ptr& error, Body&& body) noexcept {
    try {
        return body();
    } catch (...) {
        error = std::current_exception();
        return -1;
    }
}

/// Closes an HDF5 identifier when it goes out of scope.
struct Id {
    hid_t id = -1;
    herr_t (*close)(hid_t) = nullptr;
    Id() = default;
    Id(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
    Id(Id&& o) noexcept : id(o.id), close(o.close) { o.id = -1; }
    Id& operator=(Id&& o) noexcept {
        std::swap(id, o.id);
        std::swap(close, o.close);
        return *this;
    }
    ~Id() {
        if (id >= 0 && close) close(id);
    }
    operator hid_t() const { return id; }  // NOLINT(google-explicit-constructor)
};

/// A file opened read-only with the default driver; IoError names a missing or non-HDF5 file.
Id open_read_only(const std::string& path);

struct DatasetFilter {
    H5Z_filter_t id = 0;
    std::vector<unsigned> values;  // the filter's client data (gzip: the level)
    std::string name;              // as the file names it; may be empty
};

/// Shape, HDF5 chunks (empty: not chunked) and filters of a dataset, with every HDF5 call
/// checked (IoError names `where`). A null dataspace (no shape, not even a scalar) has an empty
/// shape and `null_space` set.
struct DatasetLayout {
    kernels::Shape shape;
    bool null_space = false;
    kernels::Shape chunks;
    std::vector<DatasetFilter> filters;
};
DatasetLayout dataset_layout(hid_t dset, const std::string& where);

}  // namespace tessera::io::detail
