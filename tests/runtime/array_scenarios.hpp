#pragma once
// Array operations against their serial references, on awkward chunkings (chunks that do not
// divide the shape, single-element chunks, 1-d to 4-d). Run over the in-process transport
// (array_test) and over MPI with 1, 3 and 4 ranks (array_mpi_test).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <limits>

#include "runtime/array_reference.hpp"
#include "tessera/array.hpp"
#include "tessera/kernels/block_ops.hpp"
#include "tessera/runtime/client.hpp"

namespace array_scenarios {

using namespace tessera;
using reference::Ref;
using K = kernels::Reduction;

inline Array input(const Ref& r, const ChunkSpec& chunks, DType dtype = DType::kFloat64) {
    return from_buffer(reference::to_buffer(r, dtype), chunks);
}

inline void creation() {
    reference::expect_near(ones({7, 5}, ChunkSpec({3, 2})).compute(),
                           Ref{{7, 5}, std::vector<double>(35, 1.0)});
    reference::expect_near(full({4}, 2.5, ChunkSpec(3)).compute(),
                           Ref{{4}, std::vector<double>(4, 2.5)});
    auto a = arange(3, 20, 2, ChunkSpec(4));
    EXPECT_EQ(a.dtype(), DType::kInt64);
    Ref want{{9}, {}};
    for (int v = 3; v < 20; v += 2) want.v.push_back(v);
    reference::expect_near(a.compute(), want);
    auto l = linspace(0, 1, 11, ChunkSpec(4)).compute();
    EXPECT_EQ(l.data<double>()[10], 1.0);
    EXPECT_DOUBLE_EQ(l.data<double>()[3], 0.3);
    Ref e{{4, 6}, std::vector<double>(24, 0.0)};
    for (int i = 0; i < 4; ++i)
        if (i + 1 < 6) e.v[static_cast<std::size_t>(i * 6 + i + 1)] = 1;
    reference::expect_near(eye(4, 6, 1, ChunkSpec(Chunks{{1, 3}, {2, 2, 2}})).compute(), e);
    EXPECT_EQ(zeros({0, 3}, ChunkSpec(2)).compute().size(), 0);
}

inline void random_is_independent_of_chunking() {
    const Buffer a = random::random({13, 11}, ChunkSpec({5, 4}), 42).compute();
    const Buffer b = random::random({13, 11}, ChunkSpec({13, 1}), 42).compute();
    EXPECT_EQ(a, b);
    EXPECT_FALSE(a == random::random({13, 11}, ChunkSpec({5, 4}), 43).compute());
    for (double v : a.values<double>()) {
        EXPECT_GE(v, 0.0);
        EXPECT_LT(v, 1.0);
    }
    const Buffer n = random::normal(2.0, 3.0, {20000}, ChunkSpec(3001), 7).compute();
    const Ref r = reference::of(n);
    EXPECT_NEAR(reference::mean(r.v), 2.0, 0.1);
    EXPECT_NEAR(std::sqrt(reference::var(r.v)), 3.0, 0.1);
    const Buffer k = random::integers(-3, 4, {1000}, ChunkSpec(77), 1).compute();
    for (auto v : k.values<std::int64_t>()) {
        EXPECT_GE(v, -3);
        EXPECT_LT(v, 4);
    }
}

inline void elementwise_broadcasting_and_fusion() {
    const Ref a = reference::iota({7, 5}), b = reference::iota({5}, 2.0, 1.0),
              c = reference::iota({7, 1}, 1.0, 3.0);
    const Array x = input(a, ChunkSpec({3, 2})), y = input(b, ChunkSpec(Chunks{{2, 2, 1}})),
                z = input(c, ChunkSpec(1));
    const Array expr = sqrt(abs((x + y) * z - 3.0)) / (y + 1) + exp(-x) * 2;
    const Ref want = reference::binary(
        reference::binary(
            reference::unary(
                reference::binary(reference::binary(reference::binary(a, b, std::plus<>()), c,
                                                    std::multiplies<>()),
                                  Ref{{}, {3.0}}, std::minus<>()),
                [](double v) { return std::sqrt(std::abs(v)); }),
            reference::unary(b, [](double v) { return v + 1; }), std::divides<>()),
        reference::unary(a, [](double v) { return std::exp(-v) * 2; }), std::plus<>());
    reference::expect_near(expr.compute(), want, 1e-12);
    EXPECT_THROW(x + input(reference::iota({4}), ChunkSpec(2)), UsageError);
}

inline void type_promotion_and_integer_semantics() {
    const Ref a{{6}, {-7, -6, 5, 7, 0, 3}}, b{{6}, {2, 4, -3, 3, 5, 2}};
    const Array x = input(a, ChunkSpec(4), DType::kInt32),
                y = input(b, ChunkSpec(4), DType::kInt64);
    EXPECT_EQ((x + y).dtype(), DType::kInt64);
    EXPECT_EQ((x / y).dtype(), DType::kFloat64);
    EXPECT_EQ((x * 2).dtype(), DType::kInt32);
    EXPECT_EQ((x * 2.5).dtype(), DType::kFloat64);
    EXPECT_EQ((input(a, ChunkSpec(4), DType::kFloat32) * 2.5).dtype(), DType::kFloat32);
    EXPECT_EQ((x < y).dtype(), DType::kBool);
    reference::expect_near(
        floor_divide(x, y).compute(),
        reference::binary(a, b, [](double p, double q) { return std::floor(p / q); }));
    reference::expect_near((x % y).compute(), reference::binary(a, b, [](double p, double q) {
                               const double r = std::fmod(p, q);
                               return (r != 0 && ((r < 0) != (q < 0))) ? r + q : r;
                           }));
    reference::expect_near(
        where(x > y, x, y * 10).compute(),
        reference::binary(a, b, [](double p, double q) { return p > q ? p : q * 10; }));
    reference::expect_near(
        ((x > 0) & (y > 0)).compute(),
        reference::binary(a, b, [](double p, double q) { return p > 0 && q > 0 ? 1.0 : 0.0; }));
    reference::expect_near(clip(x, -2, 4).compute(),
                           reference::unary(a, [](double p) { return std::clamp(p, -2.0, 4.0); }));
    reference::expect_near(x.astype(DType::kFloat32).compute(), a);
    EXPECT_THROW(input(a, ChunkSpec(4)) & input(b, ChunkSpec(4)), UsageError);
}

inline void reductions(const Shape& shape, const ChunkSpec& chunks) {
    const Ref a = reference::iota(shape, 1.0, -4.0);
    const Array x = input(a, chunks);
    const int nd = static_cast<int>(shape.size());
    std::vector<Axes> axes_list = {{}, {0}, {nd - 1}};
    if (nd >= 3) axes_list.push_back({0, 2});
    for (const Axes& axes : axes_list) {
        std::uint64_t mask = 0;
        for (int d : axes) mask |= 1ull << d;
        SCOPED_TRACE("axes mask " + std::to_string(mask));
        reference::expect_near(x.sum(axes).compute(), reference::reduce(a, mask, reference::sum),
                               1e-12);
        reference::expect_near(x.mean(axes, true).compute(),
                               reference::reduce(a, mask, reference::mean, true), 1e-12);
        reference::expect_near(
            x.var(axes, 1).compute(),
            reference::reduce(a, mask, [](auto& v) { return reference::var(v, 1); }), 1e-10);
        reference::expect_near(
            x.std(axes).compute(),
            reference::reduce(a, mask, [](auto& v) { return std::sqrt(reference::var(v)); }),
            1e-10);
        reference::expect_near(x.min(axes).compute(), reference::reduce(a, mask, [](auto& v) {
                                   return *std::min_element(v.begin(), v.end());
                               }));
        reference::expect_near(x.max(axes).compute(), reference::reduce(a, mask, [](auto& v) {
                                   return *std::max_element(v.begin(), v.end());
                               }));
        reference::expect_near(
            (x > 0).any(axes).compute(), reference::reduce(a, mask, [](auto& v) {
                return std::any_of(v.begin(), v.end(), [](double q) { return q > 0; }) ? 1.0 : 0.0;
            }));
        reference::expect_near(
            (x > -4).all(axes).compute(), reference::reduce(a, mask, [](auto& v) {
                return std::all_of(v.begin(), v.end(), [](double q) { return q > -4; }) ? 1.0 : 0.0;
            }));
    }
    // argmin/argmax: flat index over all, index along the axis for one axis.
    reference::expect_near(
        x.argmax().compute(),
        Ref{{}, {static_cast<double>(std::max_element(a.v.begin(), a.v.end()) - a.v.begin())}});
    const Ref along = reference::reduce(
        reference::transpose(a,
                             [&] {
                                 std::vector<int> p;
                                 for (int d = 1; d < nd; ++d) p.push_back(d);
                                 p.push_back(0);
                                 return p;
                             }()),
        1ull << (nd - 1), [](auto& v) {
            return static_cast<double>(std::min_element(v.begin(), v.end()) - v.begin());
        });
    reference::expect_near(x.argmin(0).compute(), along);
}

inline void reductions_are_bitwise_reproducible() {
    const Array x = random::random({301, 77}, ChunkSpec({50, 13}), 3);
    const double s1 = x.sum().item<double>(), s2 = x.sum().item<double>();
    EXPECT_EQ(s1, s2);
    // A different fan-in gives a different (but close) tree.
    EXPECT_NEAR(x.reduce(K::kSum, {}, false, false, 0, 2).item<double>(), s1, 1e-9);
}

inline void nan_reductions() {
    const Ref a{{2, 3}, {1, std::numeric_limits<double>::quiet_NaN(), 3, 4, 5, 6}};
    const Array x = input(a, ChunkSpec(Chunks{{1, 1}, {2, 1}}));
    EXPECT_TRUE(std::isnan(x.sum().item<double>()));
    EXPECT_DOUBLE_EQ(x.reduce(K::kSum, {}, false, true).item<double>(), 19.0);
    EXPECT_DOUBLE_EQ(x.reduce(K::kMean, {}, false, true).item<double>(), 19.0 / 5);
    EXPECT_DOUBLE_EQ(x.reduce(K::kMax, {}, false, true).item<double>(), 6.0);
    EXPECT_TRUE(std::isnan(x.max().item<double>()));
}

inline void structure() {
    const Ref a = reference::iota({4, 5, 6});
    const Array x = input(a, ChunkSpec({3, 2, 4}));
    reference::expect_near(x.transpose({1, 2, 0}).compute(), reference::transpose(a, {1, 2, 0}));
    reference::expect_near(x.T().compute(), reference::transpose(a));
    // x[1, ::-2, 1:5] against explicit loops.
    const Buffer s =
        x[{std::int64_t{1}, Slice{std::nullopt, std::nullopt, -2}, Slice{1, 5, std::nullopt}}]
            .compute();
    Ref want{{3, 4}, {}};
    for (int j = 4; j >= 0; j -= 2)
        for (int k = 1; k < 5; ++k)
            want.v.push_back(a.v[static_cast<std::size_t>(1 * 30 + j * 6 + k)]);
    reference::expect_near(s, want);
    // x[..., None, -1] has shape (4, 5, 1).
    const Buffer t = x[{Ellipsis{}, NewAxis{}, std::int64_t{-1}}].compute();
    EXPECT_EQ(t.shape(), (Shape{4, 5, 1}));
    EXPECT_EQ(reference::of(t).v[7], a.v[static_cast<std::size_t>(1 * 30 + 2 * 6 + 5)]);
    EXPECT_THROW((x[{std::int64_t{4}}]), UsageError);
    reference::expect_near(x.rechunk(ChunkSpec({1, 5, 5})).compute(), a);
    EXPECT_EQ(x.rechunk(ChunkSpec({1, 5, 5})).chunks()[2], (std::vector<std::int64_t>{5, 1}));
    reference::expect_near(x.reshape({20, 6}).compute(), Ref{{20, 6}, a.v});
    reference::expect_near(x.reshape({-1}).compute(), Ref{{120}, a.v});
    reference::expect_near(x.reshape({2, 60}).compute(), Ref{{2, 60}, a.v});
    EXPECT_THROW(x.reshape({7, 7}), UsageError);
    const Ref b = reference::iota({2, 5, 6}, 3.0);
    const Buffer cat = concatenate({x, input(b, ChunkSpec(2))}, 0).compute();
    Ref cw{{6, 5, 6}, a.v};
    cw.v.insert(cw.v.end(), b.v.begin(), b.v.end());
    reference::expect_near(cat, cw);
    EXPECT_EQ(stack({x, x}, 1).shape(), (Shape{4, 2, 5, 6}));
    reference::expect_near(stack({x, x}, 0).compute(), Ref{{2, 4, 5, 6}, [&] {
                                                               auto v = a.v;
                                                               v.insert(v.end(), a.v.begin(),
                                                                        a.v.end());
                                                               return v;
                                                           }()});
    EXPECT_EQ(x.expand_dims(1).squeeze().shape(), (Shape{4, 5, 6}));
    const Ref r = reference::iota({5});
    reference::expect_near(input(r, ChunkSpec(2)).broadcast_to({3, 5}).compute(),
                           reference::binary(Ref{{3, 1}, {0, 0, 0}}, r, std::plus<>()));
}

inline void matmul_and_tensordot() {
    const Ref a = reference::iota({9, 7}), b = reference::iota({7, 5}, 1.0, 1.0);
    const Array x = input(a, ChunkSpec({4, 3})), y = input(b, ChunkSpec({2, 5}));
    reference::expect_near(matmul(x, y).compute(), reference::matmul(a, b), 1e-12);
    reference::expect_near(x.dot(x.T()).compute(), reference::matmul(a, reference::transpose(a)),
                           1e-12);
    EXPECT_THROW(matmul(x, x), UsageError);
    // Gram products a @ a.T (blocks above the diagonal multiplied, below transposed, SYRK on it)
    // on chunks that do not divide, single-element chunks, float32 and integers.
    for (const auto& chunks : {ChunkSpec({3, 2}), ChunkSpec(1), ChunkSpec({7, 5})}) {
        const Ref g = reference::iota({7, 5}, 1.0, -4.0);
        const Ref want = reference::matmul(g, reference::transpose(g));
        const Array gx = input(g, chunks);
        reference::expect_near(matmul(gx, gx.T()).compute(), want, 1e-12);
        reference::expect_near(
            matmul(gx.astype(DType::kFloat32), gx.astype(DType::kFloat32).T()).compute(), want,
            1e-3);
        const Array gi = (gx * 100).astype(DType::kInt64);
        const Ref ri = reference::of(gi.compute());
        const Buffer gram_i = matmul(gi, gi.T()).compute();
        EXPECT_EQ(gram_i.dtype(), DType::kInt64);
        reference::expect_near(gram_i, reference::matmul(ri, reference::transpose(ri)), 0);
        // a.T @ a is a Gram product too (of a.T).
        reference::expect_near(matmul(gx.T(), gx).compute(),
                               reference::matmul(reference::transpose(g), g), 1e-12);
    }
    // A Gram product with a scalar shift of either operand is the Gram product plus a rank-one
    // correction; other shifted products (and float32) are multiplied as written.
    const auto shifted = [](const Ref& r, double s) {
        return reference::unary(r, [s](double v) { return v + s; });
    };
    const Ref at = reference::transpose(a);
    reference::expect_near(x.dot(x.T() + 1).compute(), reference::matmul(a, shifted(at, 1)), 1e-11);
    reference::expect_near(matmul(x.T() - 0.5, x).compute(),
                           reference::matmul(shifted(at, -0.5), a), 1e-11);
    reference::expect_near(matmul(x.T(), 2 + x).compute(), reference::matmul(at, shifted(a, 2)),
                           1e-11);
    reference::expect_near(matmul(x, 2.5 + y).compute(), reference::matmul(a, shifted(b, 2.5)),
                           1e-11);
    const Array x32 = x.astype(DType::kFloat32);
    reference::expect_near(matmul(x32, x32.T() + 1).compute(), reference::matmul(a, shifted(at, 1)),
                           1e-3);
    const auto layers = [](const Array& product) {
        std::string ops;
        for (const auto& l : explain({product}, 2).layers) ops += l.operation + ";";
        return ops;
    };
    EXPECT_NE(layers(x.dot(x.T() + 1)).find("matmul a @ a.T;"), std::string::npos);
    EXPECT_EQ(layers(matmul(x, 2.5 + y)).find("a @ a.T"), std::string::npos);
    EXPECT_EQ(layers(matmul(x, 2.5 + y)).find("sum"), std::string::npos);
    EXPECT_EQ(layers(matmul(x32, x32.T() + 1)).find("sum"), std::string::npos);
    const Array kept = (x.T() + 1).persist();  // the way to multiply a shifted operand as written
    EXPECT_EQ(layers(matmul(x, kept)).find("sum"), std::string::npos);
    reference::expect_near(matmul(x, kept).compute(), reference::matmul(a, shifted(at, 1)), 1e-11);
}

inline void seed_expressions() {
    // (x + x.T) - x.mean(axis=0) and (x.dot(x.T + 1) - x.mean()).std(), the seeds' examples.
    const Array x = random::random({23, 23}, ChunkSpec(5), 11);
    const Ref a = reference::of(x.compute());
    const Ref want = reference::binary(reference::binary(a, reference::transpose(a), std::plus<>()),
                                       reference::reduce(a, 1, reference::mean), std::minus<>());
    reference::expect_near(((x + x.T()) - x.mean({0})).compute(), want, 1e-12);
    const Ref prod = reference::matmul(
        a, reference::unary(reference::transpose(a), [](double v) { return v + 1; }));
    const Ref centred = reference::unary(prod, [&](double v) { return v - reference::mean(a.v); });
    EXPECT_NEAR((x.dot(x.T() + 1) - x.mean()).std().item<double>(),
                std::sqrt(reference::var(centred.v)), 1e-10);
    // The transposes of random blocks are drawn inside the program as it reads them: every
    // distribution, chunks that do not divide the shape, a single-element chunk.
    for (const Array& y : {random::normal(1.0, 2.0, {17, 17}, ChunkSpec(4), 5),
                           random::integers(-9, 9, {13, 13}, ChunkSpec(4), 6),
                           random::random({9, 9}, ChunkSpec(Chunks{{4, 4, 1}, {4, 4, 1}}), 7)}) {
        const Ref b = reference::of(y.astype(DType::kFloat64).compute());
        const Ref doubled =
            reference::unary(reference::transpose(b), [](double v) { return 2 * v; });
        reference::expect_near((y.T() * 2 - y).astype(DType::kFloat64).compute(),
                               reference::binary(doubled, b, std::minus<>()), 1e-6);
    }
}

}  // namespace array_scenarios

namespace array_scenarios {

inline std::string temp_path(const std::string& name) {
    return ::testing::TempDir() + "tessera_" + name;
}

inline void hdf5_round_trip(const std::string& tag) {
    const std::string path = temp_path("round_trip_" + tag + ".h5");
    std::remove(path.c_str());
    const Array x = random::random({37, 29}, ChunkSpec({10, 8}), 9);
    const Array n = arange(0, 12, 1, ChunkSpec(5)).astype(DType::kInt32);
    Hdf5WriteOptions options;
    options.attributes["x"]["units"] = std::string("metres");
    options.attributes["x"]["scale"] = 2.5;
    to_hdf5(path, {{"x", x}, {"group/n", n}, {"flags", x > 0.5}}, options);
    // Read back with other chunks; the values and dtypes are the same.
    const Array y = from_hdf5(path, "/x", ChunkSpec({7, 29}));
    EXPECT_EQ(y.shape(), (Shape{37, 29}));
    EXPECT_EQ(y.compute(), x.compute());
    EXPECT_EQ(from_hdf5(path, "/group/n").dtype(), DType::kInt32);
    EXPECT_EQ(from_hdf5(path, "/group/n").compute(), n.compute());
    EXPECT_EQ(from_hdf5(path, "/flags").dtype(), DType::kBool);
    EXPECT_EQ(from_hdf5(path, "/flags").compute(), (x > 0.5).compute());
    // Default chunks are whole multiples of the file's HDF5 chunks (10 x 8 here) or whole
    // dimensions; this small dataset fits one block.
    EXPECT_EQ(from_hdf5(path, "/x").chunks(), (Chunks{{37}, {29}}));
    // A reduction straight off the file.
    EXPECT_NEAR(from_hdf5(path, "/x").mean({0}).sum().item<double>(),
                x.mean({0}).sum().item<double>(), 1e-12);
}

inline void hdf5_errors(const std::string& tag) {
    const std::string path = temp_path("errors_" + tag + ".h5");
    to_hdf5(path, {{"a", ones({3}, ChunkSpec(2))}, {"b", zeros({2, 2}, ChunkSpec(1))}});
    try {
        from_hdf5(path, "/c");
        ADD_FAILURE() << "missing dataset accepted";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("no dataset '/c' in " + path + " (it has: /a, /b)"),
                  std::string::npos)
            << e.what();
    }
    try {
        from_hdf5(path + ".missing", "/a");
        ADD_FAILURE() << "missing file accepted";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ".missing"), std::string::npos) << e.what();
    }
    EXPECT_THROW(to_hdf5("/no/such/dir/out.h5", {{"a", ones({3})}}), UsageError);
    // A failing computation leaves neither the output nor its temporary behind.
    const std::string failed = temp_path("failed_" + tag + ".h5");
    std::remove(failed.c_str());
    EXPECT_THROW(to_hdf5(failed, {{"ok", ones({4}, ChunkSpec(2))},
                                  {"bad", zeros({0}, ChunkSpec(1)).argmin()}}),
                 TaskError);
    EXPECT_FALSE(std::filesystem::exists(failed));
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(failed).parent_path()))
        EXPECT_EQ(entry.path().string().find(failed + ".tessera-tmp"), std::string::npos)
            << entry.path();
}

}  // namespace array_scenarios

namespace array_scenarios {

/// Adds the sum of the block index to every element (so a misplaced block shows).
inline const BlockFunction plus_block_index = register_block_function(
    "tests.plus_block_index", [](const std::vector<Buffer>& in, const BlockInfo& info) {
        Buffer out = kernels::astype(in[0], DType::kFloat64);
        double add = 0;
        for (auto i : info.index) add += static_cast<double>(i);
        for (auto& v : out.values<double>()) v += add;
        return out;
    });
inline const BlockFunction multiply =
    register_block_function("tests.multiply", [](const std::vector<Buffer>& in, const BlockInfo&) {
        // Blocks come as they are (like NumPy arrays in Dask): pad the lower-rank one.
        Buffer second = in[1];
        Shape padded = second.shape();
        padded.insert(padded.begin(), in[0].shape().size() - padded.size(), 1);
        second.reshape(padded);
        std::vector<const Buffer*> ptrs{&in[0], &second};
        kernels::Program p;
        p.num_inputs = 2;
        p.code = {kernels::Instr{kernels::Op::kInput, DType::kFloat64, 0},
                  kernels::Instr{kernels::Op::kInput, DType::kFloat64, 1},
                  kernels::Instr{kernels::Op::kMul, DType::kFloat64, 0, 1}};
        Shape s = in[0].shape();
        for (std::size_t d = 0; d < s.size(); ++d) s[d] = std::max(s[d], padded[d]);
        return kernels::evaluate(p, ptrs, s);
    });
inline const BlockFunction multiply_by_transpose = register_block_function(
    "tests.multiply_by_transpose", [](const std::vector<Buffer>& in, const BlockInfo&) {
        const Buffer t = kernels::transpose_block(in[1], {1, 0});
        Buffer out(DType::kFloat64, in[0].shape());
        for (std::int64_t i = 0; i < out.size(); ++i)
            out.data<double>()[i] = in[0].data<double>()[i] * t.data<double>()[i];
        return out;
    });
inline const BlockFunction wrong_shape = register_block_function(
    "tests.wrong_shape",
    [](const std::vector<Buffer>&, const BlockInfo&) { return Buffer(DType::kFloat64, {1}); });
/// Sum of each element and its neighbours along the last axis, over the whole (extended) block.
inline const BlockFunction neighbour_sum = register_block_function(
    "tests.neighbour_sum", [](const std::vector<Buffer>& in, const BlockInfo&) {
        const Buffer& b = in[0];
        Buffer out(DType::kFloat64, b.shape());
        const std::int64_t m = b.shape().back();
        const double* x = b.data<double>();
        double* y = out.data<double>();
        for (std::int64_t i = 0; i < b.size(); ++i) {
            const std::int64_t j = i % m;
            y[i] = x[i] + (j > 0 ? x[i - 1] : 0) + (j + 1 < m ? x[i + 1] : 0);
        }
        return out;
    });

inline void user_block_functions() {
    const Ref a = reference::iota({7, 5});
    const Array x = input(a, ChunkSpec({3, 2}));
    // Block (i, j) of a (3, 2)-chunked (7, 5) array covers rows 3i.., columns 2j..
    Ref want = a;
    for (std::int64_t k = 0; k < a.size(); ++k)
        want.v[static_cast<std::size_t>(k)] += static_cast<double>(k / 5 / 3 + k % 5 / 2);
    reference::expect_near(map_blocks(plus_block_index, {x}, DType::kFloat64).compute(), want);
    const Ref b = reference::iota({5}, 2.0);
    reference::expect_near(map_blocks(multiply, {x, input(b, ChunkSpec(5))}).compute(),
                           reference::binary(a, b, std::multiplies<>()));
    // blockwise pairs block (i, j) of x with block (j, i) of y.
    const Ref c = reference::iota({5, 7}, 3.0);
    reference::expect_near(
        blockwise(multiply_by_transpose, "ij", {{x, "ij"}, {input(c, ChunkSpec(4)), "ji"}})
            .compute(),
        reference::binary(a, reference::transpose(c), std::multiplies<>()));
    try {
        map_blocks(wrong_shape, {x}).compute();
        ADD_FAILURE() << "a wrong block shape was accepted";
    } catch (const TaskError& e) {
        // Whichever block fails first is reported: its expected shape depends on the block.
        EXPECT_NE(
            std::string(e.what()).find("block function 'tests.wrong_shape' returned a float64 "
                                       "block of shape (1,), expected float64 of shape ("),
            std::string::npos)
            << e.what();
    }
    EXPECT_THROW(map_blocks(BlockFunction("tests.nonexistent"), {x}), UsageError);
}

/// The 3-point neighbour sum along the last axis of a 1-d or 2-d array padded NumPy-style.
inline Ref stencil_reference(const Ref& a, kernels::Boundary boundary, double constant) {
    const std::int64_t m = a.shape.back(), rows = a.size() / m;
    Ref out = a;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < m; ++j) {
            auto at = [&](std::int64_t k) -> double {
                if (k >= 0 && k < m) return a.v[static_cast<std::size_t>(r * m + k)];
                switch (boundary) {
                    case kernels::Boundary::kReflect:
                        return a
                            .v[static_cast<std::size_t>(r * m + (k < 0 ? -k - 1 : 2 * m - k - 1))];
                    case kernels::Boundary::kPeriodic:
                        return a.v[static_cast<std::size_t>(r * m + (k + m) % m)];
                    case kernels::Boundary::kNearest:
                        return a.v[static_cast<std::size_t>(r * m + (k < 0 ? 0 : m - 1))];
                    case kernels::Boundary::kConstant:
                        return constant;
                    case kernels::Boundary::kNone:
                        return 0;
                }
                return 0;
            };
            out.v[static_cast<std::size_t>(r * m + j)] = at(j - 1) + at(j) + at(j + 1);
        }
    return out;
}

inline void overlap_stencils() {
    using B = kernels::Boundary;
    const Ref a = reference::iota({4, 13});
    const Array x = input(a, ChunkSpec(Chunks{{3, 1}, {4, 1, 5, 3}}));
    for (B boundary : {B::kReflect, B::kPeriodic, B::kNearest, B::kConstant, B::kNone}) {
        SCOPED_TRACE("boundary " + std::to_string(static_cast<int>(boundary)));
        reference::expect_near(map_overlap(neighbour_sum, x, {0, 1}, boundary, -2.5).compute(),
                               stencil_reference(a, boundary, -2.5));
    }
    // Depth along both axes: the kernel only reads along the last, so the result is the same.
    reference::expect_near(map_overlap(neighbour_sum, x, {1, 1}, B::kNearest).compute(),
                           stencil_reference(a, B::kNearest, 0));
    EXPECT_THROW(map_overlap(neighbour_sum, x, {0, 2}), UsageError);  // a chunk of 1 cannot give 2
}

}  // namespace array_scenarios

namespace array_scenarios {

/// Compressed output: written and read back in one-process jobs, refused up front under MPI.
inline void hdf5_gzip(const std::string& tag) {
    const std::string path = temp_path("gzip_" + tag + ".h5");
    std::remove(path.c_str());
    Hdf5WriteOptions options;
    options.gzip = 4;
    const Array x = arange(0, 1000, 1, ChunkSpec(300)).astype(DType::kFloat64);
    if (Client::current().workers_are_processes()) {
        EXPECT_THROW(to_hdf5(path, {{"x", x}}, options), UsageError);
        EXPECT_FALSE(std::filesystem::exists(path));
        return;
    }
    to_hdf5(path, {{"x", x}}, options);
    EXPECT_EQ(from_hdf5(path, "/x").compute(), x.compute());
}

}  // namespace array_scenarios
