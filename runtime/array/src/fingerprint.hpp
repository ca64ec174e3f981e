#pragma once
// What an array's values depend on, as a digest that is the same in every run of the same script
// on the same inputs, whatever the rank count: the operations, their parameters, shapes, dtypes and
// chunks, literal data, seeds, and the identity (path, size, modification time) of every HDF5 file
// read. A resumed to_hdf5 (ledger.hpp) compares it with the one recorded by the interrupted run.
#include <cstdint>
#include <string>
#include <vector>

#include "array_node.hpp"

namespace tessera::detail {

/// Hex digest of `node`'s expression (inputs' identities included).
std::string expression_digest(const NodePtr& node);
/// The HDF5 files `node` reads, each once, in the order first met.
std::vector<InputIdentity> input_identities(const NodePtr& node);
/// The identity of one file as it is now.
InputIdentity identify_input(const std::string& path);

}  // namespace tessera::detail
