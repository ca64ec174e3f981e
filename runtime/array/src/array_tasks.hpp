#pragma once
// The chunk-task functions of the array collection: handles obtained once, when each function is
// registered at start-up (in the file that holds its body), so materializing names the function
// of a task by handle instead of looking it up by name per task. Names (the strings under which
// every rank registers them) are "array.<task>" and "io.<task>".
#include "tessera/runtime/function_registry.hpp"

namespace tessera::detail::tasks {

// array_tasks.cpp
extern const FunctionInfo& create;
extern const FunctionInfo& literal;
extern const FunctionInfo& elementwise;
extern const FunctionInfo& reduce;
extern const FunctionInfo& combine;
extern const FunctionInfo& finalize;
extern const FunctionInfo& transpose;
extern const FunctionInfo& slice;
extern const FunctionInfo& relabel;
extern const FunctionInfo& reshape;
extern const FunctionInfo& matmul;
extern const FunctionInfo& add_blocks;
// hdf5_arrays.cpp
extern const FunctionInfo& h5_open;
extern const FunctionInfo& h5_close;
extern const FunctionInfo& h5_read;
extern const FunctionInfo& h5_reduce;
extern const FunctionInfo& h5_write;
// rechunk.cpp
extern const FunctionInfo& rechunk_exchange;
extern const FunctionInfo& rechunk_take;

}  // namespace tessera::detail::tasks
