#include "tessera/kernels/buffer.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace tessera::kernels {

std::size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::kFloat64: return 8;
        case DType::kFloat32: return 4;
        case DType::kInt64: return 8;
        case DType::kInt32: return 4;
        case DType::kBool: return 1;
    }
    throw std::invalid_argument("unknown dtype code " + std::to_string(static_cast<int>(dtype)));
}

std::string_view dtype_name(DType dtype) {
    switch (dtype) {
        case DType::kFloat64: return "float64";
        case DType::kFloat32: return "float32";
        case DType::kInt64: return "int64";
        case DType::kInt32: return "int32";
        case DType::kBool: return "bool";
    }
    return "unknown";
}

DType parse_dtype(std::string_view name) {
    if (name == "float64" || name == "f8" || name == "float" || name == "double") return DType::kFloat64;
    if (name == "float32" || name == "f4") return DType::kFloat32;
    if (name == "int64" || name == "i8" || name == "int") return DType::kInt64;
    if (name == "int32" || name == "i4") return DType::kInt32;
    if (name == "bool" || name == "b1") return DType::kBool;
    throw std::invalid_argument("unknown dtype '" + std::string(name) +
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
        case ScalarKind::kBool: return array;
        case ScalarKind::kInt: return array == DType::kBool ? DType::kInt64 : array;
        case ScalarKind::kFloat: return is_float(array) ? array : DType::kFloat64;
    }
    return array;
}

std::int64_t shape_size(const Shape& shape) {
    std::int64_t n = 1;
    for (auto extent : shape) {
        if (extent < 0) throw std::invalid_argument("negative extent in shape");
        n *= extent;
    }
    return n;
}

namespace {
constexpr std::size_t kAlignment = 64;
}

void Buffer::FreeAligned::operator()(std::byte* p) const { std::free(p); }

Buffer::Buffer(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), size_(shape_size(shape_)) {
    // aligned_alloc needs a size that is a multiple of the alignment, and a non-zero one.
    std::size_t bytes = (nbytes() + kAlignment - 1) / kAlignment * kAlignment;
    if (bytes == 0) bytes = kAlignment;
    void* p = std::aligned_alloc(kAlignment, bytes);
    if (p == nullptr) throw std::bad_alloc();
    storage_.reset(static_cast<std::byte*>(p));
}

Buffer::Buffer(const Buffer& other) : Buffer(other.dtype_, other.shape_) {
    if (other.nbytes() > 0) std::memcpy(bytes(), other.bytes(), nbytes());
}

Buffer& Buffer::operator=(const Buffer& other) {
    if (this != &other) *this = Buffer(other);
    return *this;
}

void Buffer::reshape(Shape shape) {
    if (shape_size(shape) != size_) throw std::invalid_argument("reshape: sizes differ");
    shape_ = std::move(shape);
}

void Buffer::check_type(DType requested) const {
    if (requested != dtype_)
        throw std::invalid_argument("buffer holds " + std::string(dtype_name(dtype_)) +
                                    ", accessed as " + std::string(dtype_name(requested)));
}

bool operator==(const Buffer& a, const Buffer& b) {
    return a.dtype_ == b.dtype_ && a.shape_ == b.shape_ &&
           (a.nbytes() == 0 || std::memcmp(a.bytes(), b.bytes(), a.nbytes()) == 0);
}

}  // namespace tessera::kernels
