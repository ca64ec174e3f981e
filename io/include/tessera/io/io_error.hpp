#pragma once
#include <stdexcept>
#include <string>

namespace tessera::io {

/// A failed file operation; the message names the path and the system's reason.
class IoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace tessera::io
