#include "tessera/kernels/overlap.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tessera/kernels/dispatch.hpp"
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
    if (out.size() == 0) return out;
    if (nd == 0) {
        std::memcpy(out.bytes(), centre.bytes(), e);
        return out;
    }
    // Where coordinate `i` of the extended block along axis d comes from: the neighbour on
    // that side (-1, 0, 1) and the coordinate relative to the centre block, or a constant.
    struct Source {
        int which = 0;
        std::int64_t local = 0;
        bool constant = false;
    };
    auto resolve = [&](std::size_t d, std::int64_t i) {
        Source s{0, i - low[d], false};
        if (s.local >= 0 && s.local < shape[d]) return s;
        const bool low_side = s.local < 0;
        const bool edge = low_side ? spec.at_low_edge[d] : spec.at_high_edge[d];
        if (!edge || spec.boundary == Boundary::kPeriodic)
            s.which = low_side ? -1 : 1;
        else if (spec.boundary == Boundary::kReflect)
            s.local = low_side ? -s.local - 1 : 2 * shape[d] - s.local - 1;
        else if (spec.boundary == Boundary::kNearest)
            s.local = low_side ? 0 : shape[d] - 1;
        else
            s.constant = true;
        return s;
    };
    // The constant's bytes in the block's dtype.
    Buffer fill(centre.dtype(), Shape{});
    visit_dtype(centre.dtype(), [&](auto t) {
        using T = decltype(t);
        fill.data<T>()[0] = static_cast<T>(spec.constant);
    });
    std::vector<Source> row(nd);
    // The address of element `local` (relative to the centre) of the neighbour `row` names.
    auto address = [&](const std::vector<Source>& at) {
        std::size_t ni = 0;
        for (std::size_t d = 0; d < nd; ++d)
            ni = ni * 3 + static_cast<std::size_t>(at[d].which + 1);
        const Buffer* src = neighbours.at(ni);
        if (!src) throw ValueError("internal: a halo needs a neighbour that was not given");
        std::int64_t off = 0;
        for (std::size_t d = 0; d < nd; ++d) {
            std::int64_t c = at[d].local;
            if (at[d].which < 0) c += src->shape()[d];
            if (at[d].which > 0) c -= shape[d];
            off = off * src->shape()[d] + c;
        }
        return src->bytes() + off * static_cast<std::int64_t>(e);
    };
    // A row along the last axis at a time: the other axes' sources once per row, then the
    // centre's run in one copy and the few halo elements on either side one by one.
    const std::size_t last = nd - 1;
    const std::int64_t length = ext[last], rows = out.size() / length;
    for (std::int64_t r = 0; r < rows; ++r) {
        std::int64_t rem = r;
        bool constant = false;
        for (std::size_t d = last; d-- > 0;) {
            row[d] = resolve(d, rem % ext[d]);
            rem /= ext[d];
            constant = constant || row[d].constant;
        }
        std::byte* dst = out.bytes() + r * length * static_cast<std::int64_t>(e);
        for (std::int64_t j = 0; j < length;) {
            row[last] = resolve(last, j);
            if (constant || row[last].constant) {
                std::memcpy(dst + j * static_cast<std::int64_t>(e), fill.bytes(), e);
                ++j;
                continue;
            }
            const std::int64_t centre_end = low[last] + shape[last];
            const std::int64_t run = j >= low[last] && j < centre_end ? centre_end - j : 1;
            std::memcpy(dst + j * static_cast<std::int64_t>(e), address(row),
                        static_cast<std::size_t>(run) * e);
            j += run;
        }
    }
    return out;
}

}  // namespace tessera::kernels
