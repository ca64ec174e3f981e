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
#include <new>
#include <stdexcept>
#include <string>

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

/// The message of any exception a task or a script call may throw: its what(), except for the
/// standard library's, whose what() says nothing a user can act on ("std::bad_alloc").
inline std::string error_message(const std::exception& e) {
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return "out of memory: an allocation failed (a shape, a chunk or a list too large for "
               "this node's memory?)";
    if (dynamic_cast<const std::length_error*>(&e))
        return std::string("a size too large to allocate (") + e.what() + ")";
    return e.what();
}

}  // namespace tessera
