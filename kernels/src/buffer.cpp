#include "tessera/kernels/buffer.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>

#include "tessera/kernels/checked.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::detail {

namespace {
struct LargeCache {
    std::mutex mutex;
    std::multimap<std::size_t, void*> free;  // size -> buffer
    std::size_t bytes = 0;
    std::size_t limit = std::size_t{512} << 20;
};
LargeCache& large_cache() {
    static auto* cache = new LargeCache;  // never destroyed: buffers may be freed during exit
    return *cache;
}
}  // namespace

void* allocate_large(std::size_t bytes) {
    auto& c = large_cache();
    {
        std::lock_guard lock(c.mutex);
        auto it = c.free.find(bytes);
        if (it != c.free.end()) {
            void* p = it->second;
            c.free.erase(it);
            c.bytes -= bytes;
            return p;
        }
    }
    // Fresh large buffers use 2 MiB pages where the kernel allows (transparent huge pages on
    // madvise): a first touch then faults once per 2 MiB instead of once per 4 KiB.
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, rounded);
    if (!p) throw std::bad_alloc();
    madvise(p, rounded, MADV_HUGEPAGE);
    return p;
}

void deallocate_large(void* p, std::size_t bytes) noexcept {
    auto& c = large_cache();
    {
        std::lock_guard lock(c.mutex);
        if (c.bytes + bytes <= c.limit) {
            c.free.emplace(bytes, p);
            c.bytes += bytes;
            return;
        }
    }
    std::free(p);
}

void set_large_cache_limit(std::size_t bytes) {
    auto& c = large_cache();
    std::lock_guard lock(c.mutex);
    c.limit = bytes;
    while (c.bytes > c.limit && !c.free.empty()) {  // drop the largest first
        auto it = std::prev(c.free.end());
        c.bytes -= it->first;
        std::free(it->second);
        c.free.erase(it);
    }
}

}  // namespace tessera::detail

namespace tessera::kernels {

std::size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::kFloat64:
            return 8;
        case DType::kFloat32:
            return 4;
        case DType::kInt64:
            return 8;
        case DType::kInt32:
            return 4;
        case DType::kBool:
            return 1;
    }
    throw ValueError("unknown dtype code " + std::to_string(static_cast<int>(dtype)));
}

std::string_view dtype_name(DType dtype) {
    switch (dtype) {
        case DType::kFloat64:
            return "float64";
        case DType::kFloat32:
            return "float32";
        case DType::kInt64:
            return "int64";
        case DType::kInt32:
            return "int32";
        case DType::kBool:
            return "bool";
    }
    return "unknown";
}

DType parse_dtype(std::string_view name) {
    if (name == "float64" || name == "f8" || name == "float" || name == "double")
        return DType::kFloat64;
    if (name == "float32" || name == "f4") return DType::kFloat32;
    if (name == "int64" || name == "i8" || name == "int") return DType::kInt64;
    if (name == "int32" || name == "i4") return DType::kInt32;
    if (name == "bool" || name == "b1") return DType::kBool;
    throw ValueError("unknown dtype '" + std::string(name) +
                     "'; use float64, float32, int64, int32 or bool");
}

bool is_float(DType d) { return d == DType::kFloat64 || d == DType::kFloat32; }
bool is_integer(DType d) { return d == DType::kInt64 || d == DType::kInt32; }

DType promote(DType a, DType b) {
    if (a == b) return a;
    if (a == DType::kBool) return b;
    if (b == DType::kBool) return a;
    if (is_float(a) && is_float(b)) return DType::kFloat64;
    if (is_integer(a) && is_integer(b)) return DType::kInt64;
    // One integer, one float: float32 holds int32 exactly only up to 2^24, so NumPy goes to 64.
    return DType::kFloat64;
}

DType promote_with_scalar(DType array, ScalarKind scalar) {
    switch (scalar) {
        case ScalarKind::kBool:
            return array;
        case ScalarKind::kInt:
            return array == DType::kBool ? DType::kInt64 : array;
        case ScalarKind::kFloat:
            return is_float(array) ? array : DType::kFloat64;
    }
    return array;
}

std::string shape_text(const Shape& shape) {
    std::string t = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) t += (i ? ", " : "") + std::to_string(shape[i]);
    return t + (shape.size() == 1 ? ",)" : ")");
}

std::int64_t shape_size(const Shape& shape) {
    std::int64_t n = 1;
    for (auto extent : shape) {
        if (extent < 0) throw ValueError("negative extent in shape " + shape_text(shape));
        n = checked_mul(n, extent, "the number of elements of shape " + shape_text(shape));
    }
    return n;
}

std::size_t Buffer::header_bytes(std::size_t ndim) {
    const std::size_t raw = 4 + 4 + 8 + 8 * ndim;
    return (raw + 63) / 64 * 64;
}

Buffer::Buffer(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), size_(shape_size(shape_)) {
    checked_mul(size_, static_cast<std::int64_t>(dtype_size(dtype_)),
                "the byte size of a block of shape " + shape_text(shape_));
    const std::size_t header = header_bytes(shape_.size());
    auto storage = std::make_shared<Bytes>(header + nbytes());
    data_ = reinterpret_cast<std::byte*>(storage->data() + header);
    storage_ = std::move(storage);
}

Buffer::Buffer(const Buffer& other) : Buffer(other.dtype_, other.shape_) {
    if (other.nbytes() > 0) std::memcpy(data_, other.data_, nbytes());
}

Buffer& Buffer::operator=(const Buffer& other) {
    if (this != &other) *this = Buffer(other);
    return *this;
}

namespace {

struct Header {
    std::uint32_t bytes;
    DType dtype;
    Shape shape;
};

void write_header(char* out, std::uint32_t header, DType dtype, const Shape& shape) {
    std::memset(out, 0, header);
    std::memcpy(out, &header, 4);
    std::memcpy(out + 4, &dtype, 1);
    const std::uint64_t nd = shape.size();
    std::memcpy(out + 8, &nd, 8);
    if (!shape.empty()) std::memcpy(out + 16, shape.data(), 8 * shape.size());  // 0-d: no data()
}

Header read_header(const char* data, std::size_t size, bool exact = true) {
    Header h{};
    if (size < 16) throw ValueError("block of " + std::to_string(size) + " bytes is too short");
    std::memcpy(&h.bytes, data, 4);
    std::memcpy(&h.dtype, data + 4, 1);
    std::uint64_t nd = 0;
    std::memcpy(&nd, data + 8, 8);
    if (nd > 64 || h.bytes < 16 + 8 * nd || h.bytes > size ||
        static_cast<std::uint8_t>(h.dtype) > 4)
        throw ValueError("malformed block header");
    h.shape.resize(nd);
    if (nd > 0) std::memcpy(h.shape.data(), data + 16, 8 * nd);  // 0-d: no data()
    const std::size_t total =
        h.bytes + static_cast<std::size_t>(shape_size(h.shape)) * dtype_size(h.dtype);
    if (exact ? total != size : total > size)
        throw ValueError("block size does not match its header");
    return h;
}

/// Appends a wire header and room for `bytes` of elements; returns where the elements start.
std::size_t append_header(Bytes& out, DType dtype, const Shape& shape, std::size_t bytes) {
    const std::size_t header = Buffer::header_bytes(shape.size());
    const std::size_t at = out.size();
    out.resize(at + header + bytes);
    write_header(out.data() + at, static_cast<std::uint32_t>(header), dtype, shape);
    return at + header;
}

}  // namespace

void Buffer::encode_to(Bytes& out) const {
    const std::size_t at = append_header(out, dtype_, shape_, nbytes());
    if (nbytes() > 0) std::memcpy(out.data() + at, data_, nbytes());
}

std::size_t Buffer::append_wire_form(Bytes& out, DType dtype, const Shape& shape) {
    const auto bytes = checked_mul(shape_size(shape), static_cast<std::int64_t>(dtype_size(dtype)),
                                   "the byte size of a block of shape " + shape_text(shape));
    return append_header(out, dtype, shape, static_cast<std::size_t>(bytes));
}

Bytes Buffer::encoded_in_place() && {
    const std::size_t header = header_bytes(shape_.size());
    const bool own = storage_ && storage_.use_count() == 1 && !read_only_ &&
                     reinterpret_cast<const char*>(data_) == storage_->data() + header &&
                     storage_->size() == header + nbytes();
    Bytes out;
    if (!own) {
        encode_to(out);
    } else {
        auto& storage = const_cast<Bytes&>(*storage_);  // sole owner: nobody else sees it
        write_header(storage.data(), static_cast<std::uint32_t>(header), dtype_, shape_);
        out = std::move(storage);
    }
    *this = Buffer();
    return out;
}

std::size_t Buffer::encoded_size(const char* data, std::size_t available) {
    const Header h = read_header(data, available, false);
    return h.bytes + static_cast<std::size_t>(shape_size(h.shape)) * dtype_size(h.dtype);
}

Buffer Buffer::decode(const char* data, std::size_t size) {
    const Header h = read_header(data, size);
    Buffer b(h.dtype, h.shape);
    if (b.nbytes() > 0) std::memcpy(b.data_, data + h.bytes, b.nbytes());
    return b;
}

Buffer Buffer::view_of_encoded(std::shared_ptr<const Bytes> owner) {
    const Header h = read_header(owner->data(), owner->size());
    Buffer b;
    b.dtype_ = h.dtype;
    b.shape_ = h.shape;
    b.size_ = shape_size(h.shape);
    b.data_ = reinterpret_cast<std::byte*>(const_cast<char*>(owner->data() + h.bytes));
    b.storage_ = std::move(owner);
    b.read_only_ = true;
    return b;
}

void Buffer::reshape(Shape shape) {
    if (shape_size(shape) != size_) throw ValueError("reshape: sizes differ");
    shape_ = std::move(shape);
}

void Buffer::check_type(DType requested) const {
    if (requested != dtype_)
        throw ValueError("buffer holds " + std::string(dtype_name(dtype_)) + ", accessed as " +
                         std::string(dtype_name(requested)));
}

bool operator==(const Buffer& a, const Buffer& b) {
    return a.dtype_ == b.dtype_ && a.shape_ == b.shape_ &&
           (a.nbytes() == 0 || std::memcmp(a.data_, b.data_, a.nbytes()) == 0);
}

}  // namespace tessera::kernels
