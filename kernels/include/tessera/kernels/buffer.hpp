#pragma once
// A chunk buffer: one dense, C-ordered n-d block of elements with its dtype and shape.
// It is the unit that kernels read and write and that the runtime moves between ranks as raw
// bytes. Storage is 64-byte aligned so kernels can vectorise without peeling.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

#include "tessera/kernels/dtype.hpp"

namespace tessera::kernels {

using Shape = std::vector<std::int64_t>;

/// Number of elements of a shape (1 for a 0-d shape).
std::int64_t shape_size(const Shape& shape);

class Buffer {
public:
    Buffer() = default;
    /// Allocates an uninitialised buffer.
    Buffer(DType dtype, Shape shape);

    template <class T>
    static Buffer from_values(Shape shape, std::span<const T> values) {
        Buffer b(DTypeOf<T>::value, std::move(shape));
        if (static_cast<std::int64_t>(values.size()) != b.size())
            throw std::invalid_argument("Buffer::from_values: value count does not match shape");
        std::copy(values.begin(), values.end(), b.data<T>());
        return b;
    }

    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    std::int64_t size() const { return size_; }
    std::size_t nbytes() const { return static_cast<std::size_t>(size_) * dtype_size(dtype_); }

    std::byte* bytes() { return storage_.get(); }
    const std::byte* bytes() const { return storage_.get(); }

    /// Typed view; throws std::invalid_argument when T does not match the dtype.
    template <class T>
    T* data() {
        check_type(DTypeOf<T>::value);
        return reinterpret_cast<T*>(storage_.get());
    }
    template <class T>
    const T* data() const {
        check_type(DTypeOf<T>::value);
        return reinterpret_cast<const T*>(storage_.get());
    }
    template <class T>
    std::span<T> values() {
        return {data<T>(), static_cast<std::size_t>(size_)};
    }
    template <class T>
    std::span<const T> values() const {
        return {data<T>(), static_cast<std::size_t>(size_)};
    }

    /// Gives the same elements a new shape of the same size (C order, no copy).
    void reshape(Shape shape);

    friend bool operator==(const Buffer& a, const Buffer& b);

private:
    struct FreeAligned {
        void operator()(std::byte* p) const;
    };
    void check_type(DType requested) const;

    DType dtype_ = DType::kFloat64;
    Shape shape_;
    std::int64_t size_ = 0;
    std::unique_ptr<std::byte[], FreeAligned> storage_;

public:
    Buffer(Buffer&&) noexcept = default;
    Buffer& operator=(Buffer&&) noexcept = default;
    Buffer(const Buffer& other);
    Buffer& operator=(const Buffer& other);
};

}  // namespace tessera::kernels
