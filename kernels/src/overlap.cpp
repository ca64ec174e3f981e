#include "tessera/kernels/overlap.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

Buffer extend_with_halo(const std::vector<const Buffer*>& neighbours, const HaloSpec& spec,
                        std::vector<std::int64_t>& low) {
    std::size_t centre_index = 0;
    const std::size_t nd = spec.depth.size();
    for (std::size_t d = 0; d < nd; ++d) centre_index = centre_index * 3 + 1;
    const Buffer& centre = *neighbours.at(centre_index);
    const Shape& shape = centre.shape();
    if (shape.size() != nd) throw ValueError("halo depth has the wrong rank");
    // Halo widths: none at an array edge with the 'none' rule.
    low.assign(nd, 0);
    std::vector<std::int64_t> high(nd, 0);
    Shape ext(nd);
    for (std::size_t d = 0; d < nd; ++d) {
        if (spec.depth[d] > shape[d] && shape[d] > 0)
            throw ValueError("halo depth " + std::to_string(spec.depth[d]) +
                             " exceeds the block extent " + std::to_string(shape[d]) +
                             " along axis " + std::to_string(d));
        const bool none = spec.boundary == Boundary::kNone;
        low[d] = (none && spec.at_low_edge[d]) ? 0 : spec.depth[d];
        high[d] = (none && spec.at_high_edge[d]) ? 0 : spec.depth[d];
        ext[d] = shape[d] + low[d] + high[d];
    }
    Buffer out(centre.dtype(), ext);
    const std::size_t e = dtype_size(centre.dtype());
    std::vector<std::int64_t> idx(nd, 0);
    std::vector<int> which(nd);
    std::vector<std::int64_t> local(nd);
    for (std::int64_t flat = 0; flat < out.size(); ++flat) {
        std::int64_t rem = flat;
        for (std::size_t d = nd; d-- > 0;) {
            idx[d] = rem % ext[d];
            rem /= ext[d];
        }
        bool constant = false;
        for (std::size_t d = 0; d < nd && !constant; ++d) {
            std::int64_t c = idx[d] - low[d];
            int n = 0;
            if (c < 0 || c >= shape[d]) {
                const bool low_side = c < 0;
                const bool edge = low_side ? spec.at_low_edge[d] : spec.at_high_edge[d];
                if (!edge || spec.boundary == Boundary::kPeriodic) {
                    n = low_side ? -1 : 1;
                } else if (spec.boundary == Boundary::kReflect) {
                    c = low_side ? -c - 1 : 2 * shape[d] - c - 1;
                } else if (spec.boundary == Boundary::kNearest) {
                    c = low_side ? 0 : shape[d] - 1;
                } else {
                    constant = true;
                }
            }
            which[d] = n;
            local[d] = c;
        }
        std::byte* dst = out.bytes() + flat * static_cast<std::int64_t>(e);
        if (constant) {
            const double v = spec.constant;
            switch (centre.dtype()) {
                case DType::kFloat64: {
                    const double x = v;
                    std::memcpy(dst, &x, e);
                    break;
                }
                case DType::kFloat32: {
                    const float x = static_cast<float>(v);
                    std::memcpy(dst, &x, e);
                    break;
                }
                case DType::kInt64: {
                    const auto x = static_cast<std::int64_t>(v);
                    std::memcpy(dst, &x, e);
                    break;
                }
                case DType::kInt32: {
                    const auto x = static_cast<std::int32_t>(v);
                    std::memcpy(dst, &x, e);
                    break;
                }
                case DType::kBool: {
                    const bool x = v != 0;
                    std::memcpy(dst, &x, e);
                    break;
                }
            }
            continue;
        }
        std::size_t ni = 0;
        for (std::size_t d = 0; d < nd; ++d) ni = ni * 3 + static_cast<std::size_t>(which[d] + 1);
        const Buffer* src = neighbours.at(ni);
        if (!src) throw ValueError("internal: a halo needs a neighbour that was not given");
        std::int64_t off = 0;
        for (std::size_t d = 0; d < nd; ++d) {
            std::int64_t c = local[d];
            if (which[d] < 0) c += src->shape()[d];
            if (which[d] > 0) c -= shape[d];
            off = off * src->shape()[d] + c;
        }
        std::memcpy(dst, src->bytes() + off * static_cast<std::int64_t>(e), e);
    }
    return out;
}

}  // namespace tessera::kernels
