#pragma once
#include "tessera/kernels/error.hpp"

namespace tessera::io {

/// A failed file operation; the message names the path and the system's reason.
class IoError : public Error {
public:
    using Error::Error;
};

}  // namespace tessera::io
