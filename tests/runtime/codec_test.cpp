#include "tessera/runtime/codec.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <tuple>

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

namespace {
/// A record: its fields listed once, encoded without Boost.
struct Extent {
    std::int64_t first = 0;
    std::vector<std::int64_t> sizes;
    bool open = false;
    static auto fields(auto& s) { return std::tie(s.first, s.sizes, s.open); }
    bool operator==(const Extent&) const = default;
};
struct Layout {
    std::string name;
    std::vector<Extent> extents;
    std::optional<Extent> spare;
    std::vector<std::pair<std::string, double>> attributes;
    std::vector<std::vector<std::int64_t>> axes;
    std::vector<bool> flags;
    static auto fields(auto& s) {
        return std::tie(s.name, s.extents, s.spare, s.attributes, s.axes, s.flags);
    }
    bool operator==(const Layout&) const = default;
};
}  // namespace

TEST(Codec, RecordsAreTheirFieldsInOrder) {
    const Extent e{-3, {4, 0, 5}, true};
    const tessera::Bytes b = tessera::encode(e);
    // 8 (first) + 8 + 3 * 8 (sizes) + 1 (open): no archive around it.
    EXPECT_EQ(b.size(), 41u);
    EXPECT_EQ(round_trip(e), e);
    Layout l{"x", {e, Extent{}}, std::nullopt, {{"units", 1.5}}, {{}, {1, 0}}, {true, false, true}};
    EXPECT_EQ(round_trip(l), l);
    l.spare = e;
    EXPECT_EQ(round_trip(l), l);
    EXPECT_EQ(round_trip(Layout{}), Layout{});
}

TEST(Codec, ACorruptRecordIsAnError) {
    tessera::Bytes b = tessera::encode(Layout{"name", {Extent{1, {2}, false}}, {}, {}, {}, {}});
    EXPECT_THROW(tessera::decode<Layout>(b.data(), b.size() - 3), tessera::CommError);
    b[12] = '\xff';  // the count of extents, now absurd: a short read, not a huge allocation
    EXPECT_THROW(tessera::decode<Layout>(b.data(), b.size()), tessera::CommError);
}
