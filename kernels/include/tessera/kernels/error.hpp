#pragma once
// The one error hierarchy of tessera, at its bottom layer so that kernels, io and the runtime all
// throw its kinds. Everything a user can act on derives from tessera::Error; callers that turn
// errors into messages (the tessera command, the script interpreter) catch Error alone.
//
//   Error
//   ├── UsageError   wrong use of the API: an unknown function or name, a wrong argument count
//   ├── ValueError   a value, shape or dtype an operation cannot take (mismatched shapes, an
//   │                empty reduction, a malformed block)
//   ├── io::IoError  a failed file operation (tessera/io/io_error.hpp)
//   ├── CommError    a failed MPI call or a broken message (tessera/runtime/error.hpp)
//   └── TaskError    an error inside a task on some rank, rethrown on the driver (same header)
#include <stdexcept>

namespace tessera {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Wrong use of the API, caught when a graph is built: an unregistered function, a wrong number
/// or type of arguments, a value from another runtime.
class UsageError : public Error {
public:
    using Error::Error;
};

/// A value, shape or dtype that an operation cannot take.
class ValueError : public Error {
public:
    using Error::Error;
};

}  // namespace tessera
