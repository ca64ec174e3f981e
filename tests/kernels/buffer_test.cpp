#include "tessera/kernels/buffer.hpp"

#include <gtest/gtest.h>

#include <vector>

using tessera::kernels::Buffer;
using tessera::kernels::DType;

TEST(Buffer, ShapeSizeAndBytes) {
    Buffer b(DType::kFloat32, {3, 5});
    EXPECT_EQ(b.size(), 15);
    EXPECT_EQ(b.nbytes(), 60u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.bytes()) % 16, 0u);
}

TEST(Buffer, EmptyAndZeroDimensional) {
    Buffer empty(DType::kInt64, {4, 0});
    EXPECT_EQ(empty.size(), 0);
    EXPECT_EQ(empty.nbytes(), 0u);
    Buffer scalar(DType::kFloat64, {});
    EXPECT_EQ(scalar.size(), 1);
}

TEST(Buffer, TypedAccessChecksTheDtype) {
    Buffer b(DType::kInt32, {2});
    EXPECT_NO_THROW(b.data<std::int32_t>());
    EXPECT_THROW(b.data<double>(), tessera::ValueError);
}

TEST(Buffer, CopiesAreDeepAndCompareEqual) {
    const std::vector<double> v{1, 2, 3, 4};
    Buffer a = Buffer::from_values<double>({2, 2}, v);
    Buffer b = a;
    EXPECT_EQ(a, b);
    b.data<double>()[0] = 9;
    EXPECT_FALSE(a == b);
    EXPECT_EQ(a.data<double>()[0], 1);
}

TEST(Buffer, FromValuesRejectsWrongCounts) {
    const std::vector<double> v{1, 2, 3};
    EXPECT_THROW(Buffer::from_values<double>({2, 2}, v), tessera::ValueError);
}

TEST(Buffer, NegativeExtentIsRejected) {
    EXPECT_THROW(Buffer(DType::kFloat64, {-1}), tessera::ValueError);
}

TEST(Buffer, WireFormRoundTrips) {
    const std::vector<std::int32_t> v{1, -2, 3, 4, 5, 6};
    const Buffer a = Buffer::from_values<std::int32_t>({2, 3}, v);
    tessera::Bytes wire;
    a.encode_to(wire);
    EXPECT_EQ(wire.size(), Buffer::header_bytes(2) + 24);
    EXPECT_EQ(Buffer::encoded_size(wire.data(), wire.size() + 10), wire.size());
    EXPECT_EQ(Buffer::decode(wire.data(), wire.size()), a);
    wire.pop_back();
    EXPECT_THROW(Buffer::decode(wire.data(), wire.size()), tessera::ValueError);
}

TEST(Buffer, EncodingInPlaceTakesTheStorageWithoutCopying) {
    Buffer a(DType::kFloat64, {1000});
    for (int i = 0; i < 1000; ++i) a.data<double>()[i] = i;
    const std::byte* data = a.bytes();
    const tessera::Bytes wire = std::move(a).encoded_in_place();
    EXPECT_EQ(reinterpret_cast<const std::byte*>(wire.data() + Buffer::header_bytes(1)), data);
    EXPECT_EQ(a.size(), 0);
    const Buffer back = Buffer::decode(wire.data(), wire.size());
    EXPECT_EQ(back.data<double>()[999], 999.0);
}

TEST(Buffer, ViewsReadInPlaceAndRefuseWrites) {
    const std::vector<double> v{1, 2, 3};
    auto wire = std::make_shared<tessera::Bytes>();
    Buffer::from_values<double>({3}, v).encode_to(*wire);
    Buffer view = Buffer::view_of_encoded(wire);
    EXPECT_TRUE(view.read_only());
    EXPECT_EQ(static_cast<const Buffer&>(view).data<double>()[2], 3.0);
    EXPECT_EQ(reinterpret_cast<const char*>(static_cast<const Buffer&>(view).bytes()),
              wire->data() + Buffer::header_bytes(1));
    EXPECT_THROW(view.data<double>(), tessera::UsageError);
    Buffer copy = view;  // copies are writable
    copy.data<double>()[0] = 7;
    EXPECT_EQ(static_cast<const Buffer&>(view).data<double>()[0], 1.0);
}
