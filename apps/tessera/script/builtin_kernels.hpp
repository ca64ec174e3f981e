#pragma once
// Block kernels that scripts can use with map_overlap (scripts cannot define C++ functions):
// stencils over the block extended by its halo.
#include <map>
#include <string>
#include <vector>

#include "syntax.hpp"
#include "tessera/array.hpp"

namespace tessera::script {

/// Kernel name -> one line on what it computes.
const std::map<std::string, std::string>& builtin_kernels();

/// map_overlap of the named kernel; a ScriptError at `where` for an unknown kernel or a depth
/// too small for its stencil.
Array apply_builtin_kernel(const std::string& name, Span where, const Array& x,
                           const std::vector<std::int64_t>& depth, kernels::Boundary boundary,
                           double constant);

}  // namespace tessera::script
