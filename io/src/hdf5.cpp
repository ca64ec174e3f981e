#include "tessera/io/hdf5.hpp"

#include <hdf5.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "hdf5_handles.hpp"

namespace tessera::io {

using detail::check, detail::dataset_layout, detail::Hdf5Lock, detail::Id, detail::open_read_only;

namespace {

/// h5py stores bools as an int8 enum {FALSE, TRUE}; tessera writes them the same way.
Id bool_type() {
    Id t(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
    std::int8_t v = 0;
    H5Tenum_insert(t, "FALSE", &v);
    v = 1;
    H5Tenum_insert(t, "TRUE", &v);
    return t;
}

Id memory_type(kernels::DType d) {
    switch (d) {
        case kernels::DType::kFloat64:
            return Id(H5Tcopy(H5T_NATIVE_DOUBLE), H5Tclose);
        case kernels::DType::kFloat32:
            return Id(H5Tcopy(H5T_NATIVE_FLOAT), H5Tclose);
        case kernels::DType::kInt64:
            return Id(H5Tcopy(H5T_NATIVE_INT64), H5Tclose);
        case kernels::DType::kInt32:
            return Id(H5Tcopy(H5T_NATIVE_INT32), H5Tclose);
        case kernels::DType::kBool:
            return bool_type();
    }
    throw IoError("unknown dtype");
}

/// The tessera dtype a file type is read as; IoError for types tessera cannot hold.
kernels::DType dtype_of(hid_t type, const std::string& where) {
    const H5T_class_t cls = H5Tget_class(type);
    const std::size_t size = H5Tget_size(type);
    if (cls == H5T_FLOAT) return size > 4 ? kernels::DType::kFloat64 : kernels::DType::kFloat32;
    if (cls == H5T_INTEGER) {
        const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
        if (size == 8 && !is_signed)
            throw IoError(
                where +
                " holds unsigned 64-bit integers, which tessera cannot hold (int64 is the widest)");
        if (size == 8 || (size == 4 && !is_signed)) return kernels::DType::kInt64;
        return kernels::DType::kInt32;
    }
    if (cls == H5T_ENUM && size == 1) return kernels::DType::kBool;
    throw IoError(
        where +
        " has an unsupported element type (tessera reads floats, integers and h5py's bool enum)");
}

DatasetInfo describe(hid_t dset, const std::string& where) {
    DatasetInfo info;
    Id type(check(H5Dget_type(dset), where), H5Tclose);
    info.dtype = dtype_of(type, where);
    detail::DatasetLayout layout = dataset_layout(dset, where);
    if (layout.null_space)
        throw IoError(where +
                      " has a null dataspace (no shape and no elements, not even one): there is "
                      "no array to read");
    info.shape = std::move(layout.shape);
    info.chunks = std::move(layout.chunks);
    for (const auto& f : layout.filters)
        if (f.id == H5Z_FILTER_DEFLATE)
            info.gzip = f.values.empty() ? 1 : static_cast<int>(f.values[0]);
    return info;
}

void collect_datasets(hid_t file, std::vector<std::pair<std::string, DatasetInfo>>& out,
                      const std::string& path) {
    detail::visit_links(file, H5_ITER_NATIVE, [&](hid_t group, const char* name) {
        Id obj(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
        if (obj.id < 0 || H5Iget_type(obj) != H5I_DATASET) {
            H5Eclear2(H5E_DEFAULT);
            return;
        }
        try {
            out.emplace_back(std::string("/") + name, describe(obj, path + ":/" + name));
        } catch (const IoError&) {
            // a dataset of a type tessera cannot read is left out of listings
        }
    });
}

struct OpenFile {
    Id file;
    std::unordered_map<std::string, Id> datasets;
    int users = 0;  // threads of this process that opened it (in-process workers)
    bool collective = false;
    bool writing = false;
};

/// Dataset access for writing: no chunk cache, so each block goes to the file as it is written
/// (a killed writer then loses nothing it reported written).
Id uncached_access() {
    Id dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
    H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
    return dapl;
}

/// Never destroyed: a job that fails may exit with files still open, and HDF5 closes those itself
/// at exit, before static destructors would close the same identifiers a second time.
std::unordered_map<std::uint64_t, std::unique_ptr<OpenFile>>& open_files() {
    static auto* files = new std::unordered_map<std::uint64_t, std::unique_ptr<OpenFile>>;
    return *files;
}

OpenFile& file_of(std::uint64_t token) {
    auto it = open_files().find(token);
    // Not an IoError: nothing transient, so never retried (a write after a failed job closed it).
    if (it == open_files().end())
        throw Error("internal: HDF5 file " + std::to_string(token) + " is not open here");
    return *it->second;
}

hid_t dataset_of(OpenFile& f, const std::string& name) {
    auto it = f.datasets.find(name);
    if (it != f.datasets.end()) return it->second;
    Id dapl = f.writing ? uncached_access() : Id(H5P_DEFAULT, nullptr);
    Id d(check(H5Dopen2(f.file, name.c_str(), dapl), "cannot open dataset " + name), H5Dclose);
    return f.datasets.emplace(name, std::move(d)).first->second;
}

Id hyperslab(hid_t dset, const std::vector<std::int64_t>& offset, const kernels::Shape& shape,
             Id& memspace) {
    Id space(check(H5Dget_space(dset), "dataspace"), H5Sclose);
    std::vector<hsize_t> start(offset.begin(), offset.end()), count(shape.begin(), shape.end());
    if (!shape.empty())
        check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                  nullptr),
              "hyperslab");
    memspace =
        Id(shape.empty() ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
           H5Sclose);
    return space;
}

void write_attribute(hid_t obj, const std::string& name, const AttributeValue& value) {
    Id space(H5Screate(H5S_SCALAR), H5Sclose);
    if (const auto* s = std::get_if<std::string>(&value)) {
        // Variable-length UTF-8, as h5py writes str attributes (and reads them back as str).
        Id type(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        Id a(check(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT),
                   "attribute " + name),
             H5Aclose);
        const char* text = s->c_str();
        check(H5Awrite(a, type, &text), "attribute " + name);
    } else if (const auto* d = std::get_if<double>(&value)) {
        Id a(
            check(H5Acreate2(obj, name.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT),
                  "attribute " + name),
            H5Aclose);
        check(H5Awrite(a, H5T_NATIVE_DOUBLE, d), "attribute " + name);
    } else {
        const auto i = std::get<std::int64_t>(value);
        Id a(check(H5Acreate2(obj, name.c_str(), H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT),
                   "attribute " + name),
             H5Aclose);
        check(H5Awrite(a, H5T_NATIVE_INT64, &i), "attribute " + name);
    }
}

}  // namespace

DatasetInfo inspect(const std::string& path, const std::string& dataset) {
    Hdf5Lock lock;
    Id file = open_read_only(path);
    if (H5Lexists(file, dataset.c_str(), H5P_DEFAULT) <= 0) {
        std::vector<std::pair<std::string, DatasetInfo>> all;
        collect_datasets(file, all, path);
        std::string have;
        for (const auto& [name, info] : all) have += (have.empty() ? "" : ", ") + name;
        throw IoError("no dataset '" + dataset + "' in " + path +
                      (have.empty() ? " (it has no datasets)" : " (it has: " + have + ")"));
    }
    Id d(check(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), "cannot open " + path + ":" + dataset),
         H5Dclose);
    return describe(d, path + ":" + dataset);
}

std::vector<std::pair<std::string, DatasetInfo>> list_datasets(const std::string& path) {
    Hdf5Lock lock;
    Id file = open_read_only(path);
    std::vector<std::pair<std::string, DatasetInfo>> out;
    collect_datasets(file, out, path);
    return out;
}

void open_file(std::uint64_t token, const std::string& path, OpenMode mode,
               const std::vector<DatasetToCreate>& datasets,
               const std::map<std::string, AttributeValue>& file_attributes, MPI_Comm comm) {
    Hdf5Lock lock;
    auto& files = open_files();
    if (auto it = files.find(token); it != files.end()) {  // another worker thread of this process
        ++it->second->users;
        return;
    }
    auto f = std::make_unique<OpenFile>();
    f->users = 1;
    f->collective = comm != MPI_COMM_NULL;
    f->writing = mode != OpenMode::kRead;
    Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    if (f->collective)
        check(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "MPI-IO file access for " + path);
    if (mode == OpenMode::kCreate) {
        f->file = Id(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                           "cannot create " + path),
                     H5Fclose);
        for (const auto& d : datasets) {
            std::vector<hsize_t> dims(d.shape.begin(), d.shape.end());
            Id space(d.shape.empty()
                         ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose);
            Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
            // Space for every block now, so that writing one changes no metadata; no fill value
            // is written into it, since every block is written.
            if (d.gzip == 0) {
                H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY);
                H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
            }
            if (!d.chunks.empty() && kernels::shape_size(d.shape) > 0) {
                std::vector<hsize_t> c(d.chunks.begin(), d.chunks.end());
                check(H5Pset_chunk(dcpl, static_cast<int>(c.size()), c.data()),
                      "chunked layout for " + d.name);
                if (d.gzip > 0)
                    check(H5Pset_deflate(dcpl, static_cast<unsigned>(d.gzip)),
                          "gzip for " + d.name);
            }
            // Intermediate groups are created as needed, as h5py does.
            Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
            H5Pset_create_intermediate_group(lcpl, 1);
            Id type = memory_type(d.dtype);
            Id ds(check(H5Dcreate2(f->file, d.name.c_str(), type, space, lcpl, dcpl,
                                   uncached_access()),
                        "cannot create dataset " + d.name + " in " + path),
                  H5Dclose);
            for (const auto& [name, value] : d.attributes) write_attribute(ds, name, value);
            f->datasets.emplace(d.name, std::move(ds));
        }
        for (const auto& [name, value] : file_attributes) write_attribute(f->file, name, value);
        check(H5Fflush(f->file, H5F_SCOPE_GLOBAL), "cannot write the metadata of " + path);
    } else if (mode == OpenMode::kUpdate) {
        f->file = Id(
            check(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl), "cannot open " + path + " to write"),
            H5Fclose);
    } else {
        f->file =
            Id(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), "cannot open " + path), H5Fclose);
    }
    files.emplace(token, std::move(f));
}

std::optional<std::string> root_text_attribute(const std::string& path, const std::string& name) {
    Hdf5Lock lock;
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) return std::nullopt;
    Id owner(file, H5Fclose);
    if (H5Aexists(file, name.c_str()) <= 0) return std::nullopt;
    Id attr(H5Aopen(file, name.c_str(), H5P_DEFAULT), H5Aclose);
    Id type(H5Aget_type(attr), H5Tclose);
    if (attr.id < 0 || type.id < 0 || H5Tget_class(type) != H5T_STRING ||
        H5Tis_variable_str(type) <= 0)
        return std::nullopt;
    Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem, H5T_VARIABLE);
    H5Tset_cset(mem, H5Tget_cset(type));
    char* value = nullptr;
    if (H5Aread(attr, mem, &value) < 0) return std::nullopt;
    std::string out = value ? value : "";
    H5free_memory(value);
    return out;
}

kernels::Buffer read_block(std::uint64_t token, const std::string& dataset,
                           const std::vector<std::int64_t>& offset, const kernels::Shape& shape,
                           kernels::DType dtype) {
    Hdf5Lock lock;
    OpenFile& f = file_of(token);
    const hid_t d = dataset_of(f, dataset);
    Id memspace;
    Id filespace = hyperslab(d, offset, shape, memspace);
    kernels::Buffer out(dtype, shape);
    if (out.size() == 0) return out;
    Id type = memory_type(dtype);
    check(H5Dread(d, type, memspace, filespace, H5P_DEFAULT, out.bytes()),
          "cannot read " + dataset);
    return out;
}

void write_block(std::uint64_t token, const std::string& dataset,
                 const std::vector<std::int64_t>& offset, const kernels::Buffer& block) {
    Hdf5Lock lock;
    OpenFile& f = file_of(token);
    const hid_t d = dataset_of(f, dataset);
    if (block.size() == 0) return;
    Id memspace;
    Id filespace = hyperslab(d, offset, block.shape(), memspace);
    Id type = memory_type(block.dtype());
    check(H5Dwrite(d, type, memspace, filespace, H5P_DEFAULT, block.bytes()),
          "cannot write " + dataset);
}

void close_file(std::uint64_t token) {
    Hdf5Lock lock;
    auto& files = open_files();
    auto it = files.find(token);
    if (it == files.end()) return;
    if (--it->second->users > 0) return;
    auto f = std::move(it->second);
    files.erase(it);
    f->datasets.clear();
    const hid_t file = f->file.id;
    f->file.id = -1;
    check(H5Fclose(file), "cannot close the HDF5 file");
}

}  // namespace tessera::io
