#include "tessera/kernels/buffer.hpp"

#include <gtest/gtest.h>

#include <vector>

using tessera::kernels::Buffer;
using tessera::kernels::DType;

TEST(Buffer, ShapeSizeAndBytes) {
    Buffer b(DType::kFloat32, {3, 5});
    EXPECT_EQ(b.size(), 15);
    EXPECT_EQ(b.nbytes(), 60u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.bytes()) % 64, 0u);
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
    EXPECT_THROW(b.data<double>(), std::invalid_argument);
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
    EXPECT_THROW(Buffer::from_values<double>({2, 2}, v), std::invalid_argument);
}

TEST(Buffer, NegativeExtentIsRejected) { EXPECT_THROW(Buffer(DType::kFloat64, {-1}), std::invalid_argument); }
