#include "tessera/runtime/codec.hpp"

#include <gtest/gtest.h>

#include <map>

namespace {

struct Point {
    double x = 0, y = 0;
    std::string name;
    template <class A>
    void serialize(A& ar, unsigned) {
        ar& x& y& name;
    }
    bool operator==(const Point&) const = default;
};

template <class T>
T round_trip(const T& v) {
    const tessera::Bytes b = tessera::encode(v);
    return tessera::decode<T>(b.data(), b.size());
}

}  // namespace

TEST(Codec, NumbersStringsAndVectorsRoundTrip) {
    EXPECT_EQ(round_trip(std::int64_t{-42}), -42);
    EXPECT_EQ(round_trip(3.25), 3.25);
    EXPECT_EQ(round_trip(true), true);
    EXPECT_EQ(round_trip(std::string("héllo\0x", 8)), std::string("héllo\0x", 8));
    EXPECT_EQ(round_trip(std::vector<double>{1, 2, 3}), (std::vector<double>{1, 2, 3}));
    EXPECT_EQ(round_trip(std::vector<std::int32_t>{}), std::vector<std::int32_t>{});
}

TEST(Codec, RawTypesCostNoArchiveOverhead) {
    EXPECT_EQ(tessera::encode(std::int64_t{1}).size(), 8u);
    EXPECT_EQ(tessera::encode(std::vector<double>(10)).size(), 8u + 80u);
}

TEST(Codec, UserTypesGoThroughBoostSerialization) {
    const Point p{1.5, -2, "corner"};
    EXPECT_EQ(round_trip(p), p);
    const std::map<std::string, std::vector<Point>> m{{"a", {p, p}}, {"b", {}}};
    EXPECT_EQ(round_trip(m), m);
}

TEST(Codec, ChunkBuffersKeepDtypeShapeAndBytes) {
    tessera::kernels::Buffer b(tessera::kernels::DType::kInt32, {2, 3});
    for (int i = 0; i < 6; ++i) b.data<std::int32_t>()[i] = i * i;
    EXPECT_EQ(round_trip(b), b);
    tessera::kernels::Buffer empty(tessera::kernels::DType::kFloat64, {0, 5});
    EXPECT_EQ(round_trip(empty), empty);
}

TEST(Codec, TruncatedOrOversizedBytesAreErrors) {
    tessera::Bytes b = tessera::encode(std::string("abcdef"));
    EXPECT_THROW(tessera::decode<std::string>(b.data(), b.size() - 1), tessera::CommError);
    b.push_back('x');
    EXPECT_THROW(tessera::decode<std::string>(b.data(), b.size()), tessera::UsageError);
}
