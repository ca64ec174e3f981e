#pragma once
// Halos for map_overlap: a block extended by `depth` elements on each side, taken from its
// neighbouring blocks inside the array and made up by a boundary rule at the array's edges.
#include <cstdint>
#include <vector>

#include "tessera/kernels/buffer.hpp"

namespace tessera::kernels {

enum class Boundary : std::uint8_t {
    kReflect,   // mirror including the edge element (Dask's 'reflect', NumPy's 'symmetric')
    kPeriodic,  // wrap around (the caller passes the wrapped neighbours)
    kNearest,   // repeat the edge element
    kConstant,  // a fixed value
    kNone,      // no halo at the array's edges
};

struct HaloSpec {
    std::vector<std::int64_t> depth;  // per dimension
    Boundary boundary = Boundary::kReflect;
    double constant = 0;
    std::vector<std::uint8_t> at_low_edge,
        at_high_edge;  // per dimension: the block touches the edge
};

/// `neighbours` holds 3^ndim blocks in row-major order of offsets (-1, 0, 1) per dimension;
/// the centre is the block itself; an entry may be null where no neighbour is needed.
/// Returns the extended block; `low` receives the halo width added before each dimension.
Buffer extend_with_halo(const std::vector<const Buffer*>& neighbours, const HaloSpec& spec,
                        std::vector<std::int64_t>& low);

}  // namespace tessera::kernels
