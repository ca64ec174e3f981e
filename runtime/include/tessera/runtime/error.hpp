#pragma once
// The runtime's kinds of tessera::Error (the hierarchy is in tessera/kernels/error.hpp).
#include <cstdint>
#include <string>

#include "tessera/kernels/error.hpp"

namespace tessera {

/// A failed MPI call or a broken message; the message names the call and the rank.
class CommError : public Error {
public:
    using Error::Error;
};

/// An exception thrown inside a task on some rank, rethrown where the driver waits.
class TaskError : public Error {
public:
    TaskError(std::string function, std::uint64_t task, int rank, std::string message)
        : Error("task " + std::to_string(task) + " (" + function + ") failed on rank " +
                std::to_string(rank) + ": " + message),
          function_(std::move(function)),
          task_(task),
          rank_(rank),
          original_(std::move(message)) {}

    const std::string& function() const { return function_; }
    std::uint64_t task() const { return task_; }
    int rank() const { return rank_; }
    /// The what() of the exception the task threw.
    const std::string& original_message() const { return original_; }

private:
    std::string function_;
    std::uint64_t task_;
    int rank_;
    std::string original_;
};

}  // namespace tessera
