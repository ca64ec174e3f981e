#pragma once
// Parallel HDF5 for chunked arrays. inspect() reads a dataset's metadata (driver side, when a
// graph is built). Files are opened by every worker at once (collective over the worker
// communicator, MPI-IO driver) under a token, read and written by hyperslab from tasks, and
// closed by every worker at once. Without a communicator (a one-process job) the default driver
// is used and one handle is shared by the process's worker threads.
//
// Thread contract: HDF5 is not thread-safe in this build; every function here takes one
// process-wide lock. With MPI-IO, call them from the thread that initialised MPI.
#include <mpi.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tessera/io/io_error.hpp"
#include "tessera/kernels/buffer.hpp"

namespace tessera::io {

struct DatasetInfo {
    kernels::Shape shape;
    kernels::DType dtype;
    kernels::Shape chunks;  // HDF5 chunk dimensions; empty for a contiguous dataset
    int gzip = 0;           // deflate level, 0 when uncompressed
};

/// Shape, dtype and layout of `dataset` in `path`. IoError names the file or the dataset (with
/// the datasets the file does have) or the unsupported type.
DatasetInfo inspect(const std::string& path, const std::string& dataset);

/// Every dataset path ("/group/name") of a file with its info, for listings.
std::vector<std::pair<std::string, DatasetInfo>> list_datasets(const std::string& path);

using AttributeValue = std::variant<double, std::int64_t, std::string>;

/// One group or dataset of a file as `tessera info` lists it. Datasets of types tessera cannot
/// read are listed too, with their HDF5 type class.
struct ObjectListing {
    std::string path;  // "/", "/group", "/group/dataset"
    bool is_group = false;
    kernels::Shape shape;
    std::string type;         // "float64", ..., or "string", "compound", ...
    kernels::Shape chunks;    // empty: contiguous
    std::string compression;  // "gzip 4", "szip", "lzf", ...; empty when none
    std::vector<std::pair<std::string, std::string>> attributes;  // name, value as text
};

/// Every group and dataset of a file, in name order. IoError for a missing or non-HDF5 file.
std::vector<ObjectListing> describe_file(const std::string& path);

struct DatasetToCreate {
    std::string name;
    kernels::Shape shape;
    kernels::DType dtype;
    kernels::Shape chunks;  // HDF5 chunk dimensions
    int gzip = 0;
    std::map<std::string, AttributeValue> attributes;
};

enum class OpenMode : std::uint8_t {
    kRead,
    /// Creates the file with its datasets (allocated at once) and attributes, and writes all its
    /// metadata before any block: a file whose writer is killed is then a valid file with the
    /// blocks written so far, which a resumed job continues (kUpdate).
    kCreate,
    kUpdate,  // an existing file, for writing blocks
};

/// Collective over `comm` (MPI_COMM_NULL: this process only, shared by its threads): opens
/// `path` under `token`; kCreate makes `datasets` and the root's `file_attributes`.
void open_file(std::uint64_t token, const std::string& path, OpenMode mode,
               const std::vector<DatasetToCreate>& datasets,
               const std::map<std::string, AttributeValue>& file_attributes, MPI_Comm comm);
/// The text attribute `name` of the root group of `path`, if the file opens and has it.
std::optional<std::string> root_text_attribute(const std::string& path, const std::string& name);
/// Independent hyperslab I/O on a file opened under `token`.
kernels::Buffer read_block(std::uint64_t token, const std::string& dataset,
                           const std::vector<std::int64_t>& offset, const kernels::Shape& shape,
                           kernels::DType dtype);
void write_block(std::uint64_t token, const std::string& dataset,
                 const std::vector<std::int64_t>& offset, const kernels::Buffer& block);
/// Collective like open_file; closes the datasets and the file of `token` (once every thread of
/// the process that opened it has closed it).
void close_file(std::uint64_t token);

}  // namespace tessera::io
