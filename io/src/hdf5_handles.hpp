#pragma once
// What the HDF5 files of io/ share: the process-wide lock (this HDF5 build is not thread-safe),
// checked calls that turn HDF5's error stack into IoError, identifiers closed by scope, and the
// one description of a dataset's layout that both the task I/O (hdf5.cpp) and the `tessera info`
// listing (hdf5_listing.cpp) read.
#include <hdf5.h>

#include <exception>
#include <mutex>
#include <string>
#include <type_traits>
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

/// Calls `f(group, name)` for every link below `root` (H5Lvisit), or `f(object, name)` for every
/// attribute of `object` (H5Aiterate2). An exception from `f` must not unwind through libhdf5's C
/// frames, which would leave the library half-changed: it stops the iteration and is rethrown
/// once libhdf5 has returned.
/// The state an iteration callback carries: the caller's function, and what it threw.
template <class F>
struct VisitState {
    F* f;
    std::exception_ptr error;
    herr_t call(hid_t id, const char* name) {
        try {
            (*f)(id, name);
            return 0;
        } catch (...) {
            error = std::current_exception();
            return -1;  // stops the iteration
        }
    }
    void rethrow() const {
        if (error) std::rethrow_exception(error);
    }
};

template <class F>
void visit_links(hid_t root, H5_iter_order_t order, F&& f) {
    using State = VisitState<std::remove_reference_t<F>>;
    State state{&f, nullptr};
    H5Lvisit(
        root, H5_INDEX_NAME, order,
        [](hid_t group, const char* name, const H5L_info_t*, void* data) -> herr_t {
            return static_cast<State*>(data)->call(group, name);
        },
        &state);
    state.rethrow();
}
template <class F>
void visit_attributes(hid_t object, F&& f) {
    using State = VisitState<std::remove_reference_t<F>>;
    State state{&f, nullptr};
    H5Aiterate2(
        object, H5_INDEX_NAME, H5_ITER_INC, nullptr,
        [](hid_t o, const char* name, const H5A_info_t*, void* data) -> herr_t {
            return static_cast<State*>(data)->call(o, name);
        },
        &state);
    state.rethrow();
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
