#pragma once
// A chunk buffer: one dense, C-ordered n-d block of elements with its dtype and shape.
// It is the unit that kernels read and write and that the runtime moves between ranks.
//
// Its storage is a byte vector that keeps room in front for the block's wire header, so the
// runtime can send or store a finished block without copying it (encoded_in_place), and can
// read a received block where it lies (view_of_encoded). Views are read-only: asking one for
// mutable data throws. Element data is 64-byte aligned within the storage and at least 16-byte
// aligned in memory.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/kernels/dtype.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera {

namespace detail {
/// Large byte buffers (chunks, messages) come from a small cache of recently freed ones of the
/// same size: a fresh multi-megabyte allocation costs a page fault per 4 KiB (the kernel
/// zeroes every page), which for chunk-sized buffers costs more than the kernels that fill
/// them. Thread-safe.
void* allocate_large(std::size_t bytes);
void deallocate_large(void* p, std::size_t bytes) noexcept;
/// Bytes the cache may hold (default 512 MiB); the runtime sets it from the memory limit.
void set_large_cache_limit(std::size_t bytes);
inline constexpr std::size_t kLargeBytes = std::size_t{1} << 20;
}  // namespace detail

/// A std::allocator that leaves new elements uninitialised (byte buffers that are about to be
/// overwritten, such as received messages and kernel outputs, are not zeroed first) and takes
/// large buffers from the reuse cache.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    using std::allocator<T>::allocator;
    T* allocate(std::size_t n) {
        if (n * sizeof(T) >= detail::kLargeBytes)
            return static_cast<T*>(detail::allocate_large(n * sizeof(T)));
        return std::allocator<T>::allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) >= detail::kLargeBytes) return detail::deallocate_large(p, n * sizeof(T));
        std::allocator<T>::deallocate(p, n);
    }
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

/// Bytes on the wire and in the chunk store.
using Bytes = std::vector<char, DefaultInitAllocator<char>>;

}  // namespace tessera

namespace tessera::kernels {

using Shape = std::vector<std::int64_t>;

/// Number of elements of a shape (1 for a 0-d shape).
std::int64_t shape_size(const Shape& shape);
/// "(3, 4)", "(5,)", "()": a shape as NumPy prints it, for messages and listings.
std::string shape_text(const Shape& shape);

class Buffer {
public:
    Buffer() = default;
    /// Allocates an uninitialised buffer.
    Buffer(DType dtype, Shape shape);

    template <class T>
    static Buffer from_values(Shape shape, std::span<const T> values) {
        Buffer b(DTypeOf<T>::value, std::move(shape));
        if (static_cast<std::int64_t>(values.size()) != b.size())
            throw ValueError("Buffer::from_values: value count does not match shape");
        std::copy(values.begin(), values.end(), b.data<T>());
        return b;
    }

    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    std::int64_t size() const { return size_; }
    std::size_t nbytes() const { return static_cast<std::size_t>(size_) * dtype_size(dtype_); }
    bool read_only() const { return read_only_; }

    std::byte* bytes() {
        check_writable();
        return data_;
    }
    const std::byte* bytes() const { return data_; }

    /// Typed view; throws ValueError when T does not match the dtype.
    template <class T>
    T* data() {
        check_type(DTypeOf<T>::value);
        check_writable();
        return reinterpret_cast<T*>(data_);
    }
    template <class T>
    const T* data() const {
        check_type(DTypeOf<T>::value);
        return reinterpret_cast<const T*>(data_);
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

    // The wire form: [u32 header bytes][u8 dtype][3 pad][u64 ndim][i64 shape...][pad][data].
    /// Bytes of the header for a block of `ndim` dimensions (a multiple of 64).
    static std::size_t header_bytes(std::size_t ndim);
    /// Writes the wire form to `out` (appending: a copy of the data).
    void encode_to(Bytes& out) const;
    /// Appends the wire form of a block of `dtype` and `shape` whose elements the caller then
    /// writes in place (they are left as they are); returns the offset in `out` where they start.
    static std::size_t append_wire_form(Bytes& out, DType dtype, const Shape& shape);
    /// The wire form, taking this buffer's storage when nobody else shares it (no copy);
    /// leaves the buffer empty.
    Bytes encoded_in_place() &&;
    /// Size of the block in wire form that starts at `data` (header and elements); throws
    /// ValueError when the header is malformed or the block longer than `available`.
    static std::size_t encoded_size(const char* data, std::size_t available);
    /// A copy decoded from the wire form; throws ValueError on a malformed block.
    static Buffer decode(const char* data, std::size_t size);
    /// A read-only view of a block in wire form that `owner` keeps alive (no copy).
    static Buffer view_of_encoded(std::shared_ptr<const Bytes> owner);

    friend bool operator==(const Buffer& a, const Buffer& b);

    Buffer(Buffer&&) noexcept = default;
    Buffer& operator=(Buffer&&) noexcept = default;
    /// Copies are deep (and writable, even of a view).
    Buffer(const Buffer& other);
    Buffer& operator=(const Buffer& other);

private:
    void check_type(DType requested) const;
    void check_writable() const {
        if (read_only_) throw UsageError("this block is a read-only view; copy it to modify it");
    }

    DType dtype_ = DType::kFloat64;
    Shape shape_;
    std::int64_t size_ = 0;
    std::shared_ptr<const Bytes> storage_;
    std::byte* data_ = nullptr;
    bool read_only_ = false;
};

}  // namespace tessera::kernels
