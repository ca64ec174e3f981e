#pragma once
// How task arguments and results become bytes. Codec<T> is the one serialization path:
//  - numbers and enums, std::string, and std::vector of numbers are copied raw;
//  - kernels::Buffer (a chunk) is a small header plus its raw bytes, never an archive;
//  - a record (a struct whose fields are listed once, by a static `fields(self)` returning
//    std::tie of them) is its fields in order, each through its own Codec; pairs, optionals and
//    vectors of such types go element by element (the collections' task specs are records);
//  - every other type goes through a Boost.Serialization binary archive, so a user type only
//    needs a `serialize(Archive&, unsigned)` member or free function.
#include <algorithm>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "tessera/kernels/buffer.hpp"
#include "tessera/runtime/error.hpp"

namespace tessera {

/// Bytes shared between the chunk store, a running task and a send in flight.
using SharedBytes = std::shared_ptr<const Bytes>;

/// Appends to a byte vector.
class ByteWriter {
public:
    explicit ByteWriter(Bytes& out) : out_(out) {}
    void write(const void* data, std::size_t n) {
        const auto* p = static_cast<const char*>(data);
        out_.insert(out_.end(), p, p + n);
    }
    template <class T>
    void pod(const T& value) {
        static_assert(std::is_trivially_copyable_v<T>);
        write(&value, sizeof(T));
    }
    Bytes& bytes() { return out_; }

private:
    Bytes& out_;
};

/// Reads from a byte range; throws CommError on a short read (a corrupt or truncated message).
class ByteReader {
public:
    ByteReader(const char* data, std::size_t n) : p_(data), end_(data + n) {}
    explicit ByteReader(const Bytes& b) : ByteReader(b.data(), b.size()) {}
    void read(void* out, std::size_t n) {
        const char* p = take(n);
        if (n > 0) std::memcpy(out, p, n);
    }
    /// Returns a pointer to the next n bytes and skips them.
    const char* take(std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n)
            throw CommError("truncated message: wanted " + std::to_string(n) + " bytes, " +
                            std::to_string(end_ - p_) + " left");
        const char* p = p_;
        p_ += n;
        return p;
    }
    template <class T>
    T pod() {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        read(&value, sizeof(T));
        return value;
    }
    bool done() const { return p_ == end_; }
    std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

private:
    const char* p_;
    const char* end_;
};

/// Human-readable (demangled) name of a type, for error messages and signatures.
std::string demangle(const char* mangled);
template <class T>
std::string type_name() {
    return demangle(typeid(T).name());
}

template <class T, class Enable = void>
struct Codec {
    static void encode(const T& value, ByteWriter& w) {
        std::ostringstream os(std::ios::binary);
        {
            boost::archive::binary_oarchive ar(os, boost::archive::no_header);
            ar << value;
        }
        const std::string s = os.str();
        w.pod<std::uint64_t>(s.size());
        w.write(s.data(), s.size());
    }
    static T decode(ByteReader& r) {
        const auto n = r.pod<std::uint64_t>();
        const char* p = r.take(n);
        std::istringstream is(std::string(p, n), std::ios::binary);
        boost::archive::binary_iarchive ar(is, boost::archive::no_header);
        T value;
        ar >> value;
        return value;
    }
};

template <class T>
struct Codec<T, std::enable_if_t<std::is_arithmetic_v<T> || std::is_enum_v<T>>> {
    static void encode(const T& value, ByteWriter& w) { w.pod(value); }
    static T decode(ByteReader& r) { return r.pod<T>(); }
};

template <>
struct Codec<std::string> {
    static void encode(const std::string& s, ByteWriter& w) {
        w.pod<std::uint64_t>(s.size());
        w.write(s.data(), s.size());
    }
    static std::string decode(ByteReader& r) {
        const auto n = r.pod<std::uint64_t>();
        return std::string(r.take(n), n);
    }
};

template <class T>
struct Codec<std::vector<T>,
             std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>> {
    static void encode(const std::vector<T>& v, ByteWriter& w) {
        w.pod<std::uint64_t>(v.size());
        w.write(v.data(), v.size() * sizeof(T));
    }
    static std::vector<T> decode(ByteReader& r) {
        const auto n = r.pod<std::uint64_t>();
        std::vector<T> v(n);
        r.read(v.data(), n * sizeof(T));
        return v;
    }
};

/// A record lists its fields once: `static auto fields(auto& self) { return std::tie(self.a, ...);
/// }` serves both directions (const for encoding, mutable for decoding).
template <class T>
concept Record = requires(T& t, const T& c) {
    T::fields(t);
    T::fields(c);
};

/// Types encoded without Boost: numbers, enums, strings, records, and pairs, optionals and
/// vectors of them.
template <class T>
struct is_plain_codable : std::bool_constant<std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                                             std::is_same_v<T, std::string> || Record<T>> {};
template <class A, class B>
struct is_plain_codable<std::pair<A, B>>
    : std::bool_constant<is_plain_codable<A>::value && is_plain_codable<B>::value> {};
template <class T>
struct is_plain_codable<std::optional<T>> : is_plain_codable<T> {};
template <class T>
struct is_plain_codable<std::vector<T>> : is_plain_codable<T> {};

template <Record T>
struct Codec<T> {
    static void encode(const T& value, ByteWriter& w) {
        std::apply([&](const auto&... f) { (Codec<std::decay_t<decltype(f)>>::encode(f, w), ...); },
                   T::fields(value));
    }
    static T decode(ByteReader& r) {
        T value{};
        std::apply([&](auto&... f) { ((f = Codec<std::decay_t<decltype(f)>>::decode(r)), ...); },
                   T::fields(value));
        return value;
    }
};

template <class A, class B>
struct Codec<std::pair<A, B>, std::enable_if_t<is_plain_codable<std::pair<A, B>>::value>> {
    static void encode(const std::pair<A, B>& p, ByteWriter& w) {
        Codec<A>::encode(p.first, w);
        Codec<B>::encode(p.second, w);
    }
    static std::pair<A, B> decode(ByteReader& r) {
        A a = Codec<A>::decode(r);
        return {std::move(a), Codec<B>::decode(r)};
    }
};

template <class T>
struct Codec<std::optional<T>, std::enable_if_t<is_plain_codable<T>::value>> {
    static void encode(const std::optional<T>& v, ByteWriter& w) {
        w.pod<std::uint8_t>(v ? 1 : 0);
        if (v) Codec<T>::encode(*v, w);
    }
    static std::optional<T> decode(ByteReader& r) {
        if (r.pod<std::uint8_t>() == 0) return std::nullopt;
        return Codec<T>::decode(r);
    }
};

/// Vectors of plain types that are not copied raw: element by element.
template <class T>
struct Codec<std::vector<T>,
             std::enable_if_t<is_plain_codable<T>::value &&
                              !(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)>> {
    static void encode(const std::vector<T>& v, ByteWriter& w) {
        w.pod<std::uint64_t>(v.size());
        for (const auto& e : v) Codec<T>::encode(e, w);
    }
    static std::vector<T> decode(ByteReader& r) {
        const auto n = r.pod<std::uint64_t>();
        std::vector<T> v;
        v.reserve(
            std::min<std::uint64_t>(n, r.remaining()));  // a corrupt count cannot reserve much
        for (std::uint64_t i = 0; i < n; ++i) v.push_back(Codec<T>::decode(r));
        return v;
    }
};

/// A chunk is its wire form: a small header that gives its size, then the raw elements.
template <>
struct Codec<kernels::Buffer> {
    static void encode(const kernels::Buffer& b, ByteWriter& w) { b.encode_to(w.bytes()); }
    static kernels::Buffer decode(ByteReader& r) {
        try {
            const char* start = r.take(0);
            const std::size_t n = kernels::Buffer::encoded_size(start, r.remaining());
            return kernels::Buffer::decode(r.take(n), n);
        } catch (const ValueError& e) {
            throw CommError(std::string("corrupt chunk: ") + e.what());
        }
    }
};

template <class T>
Bytes encode(const T& value) {
    Bytes out;
    ByteWriter w(out);
    Codec<T>::encode(value, w);
    return out;
}

template <class T>
T decode(const char* data, std::size_t n) {
    ByteReader r(data, n);
    T value = Codec<T>::decode(r);
    if (!r.done())
        throw UsageError("value of " + std::to_string(n) + " bytes is not a " + type_name<T>() +
                         " (" + std::to_string(r.remaining()) + " bytes left over)");
    return value;
}

}  // namespace tessera
