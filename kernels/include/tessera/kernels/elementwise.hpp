#pragma once
// Fused elementwise kernels. A chain of NumPy-style operations on chunks is compiled (by the
// array layer) into a Program: a straight list of typed instructions, each defining one
// register. evaluate() runs the whole program over the output block in cache-sized tiles,
// OpenMP-parallel over tiles, so a chain of N operators costs one pass over memory, not N
// temporaries. Inputs broadcast NumPy-style: same rank as the output, extents equal or 1.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tessera/kernels/buffer.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

enum class Op : std::uint8_t {
    // leaves
    kInput,  // a = input index
    kConst,  // scalar in f (floats) or i (integers, bool)
    kCast,   // a converted to this instruction's dtype
    // unary (a)
    kNeg,
    kAbs,
    kSqrt,
    kExp,
    kLog,
    kLog1p,
    kSin,
    kCos,
    kTanh,
    kTan,
    kArcsin,
    kArccos,
    kArctan,
    kSinh,
    kCosh,
    kArcsinh,
    kArccosh,
    kArctanh,
    kExp2,
    kExpm1,
    kLog2,
    kLog10,
    kCbrt,
    kSign,  // -1, 0 or 1 (NaN for NaN)
    kFloor,
    kCeil,
    kRound,
    kInvert,
    // predicates (a), of any dtype, result bool
    kIsNan,
    kIsInf,
    kIsFinite,
    // binary (a, b), operands of one dtype
    kAdd,
    kSub,
    kMul,
    kDiv,
    kFloorDiv,
    kMod,
    kPow,
    kMaximum,
    kMinimum,
    kArctan2,
    kHypot,
    kEqual,
    kNotEqual,
    kLess,
    kLessEqual,
    kGreater,
    kGreaterEqual,  // result bool
    kAnd,
    kOr,
    kXor,  // bitwise; logical on bool
    // ternary
    kWhere,  // a (bool) ? b : c
};

/// Lowercase name of an operation, for plans and error messages.
const char* op_name(Op op);
/// Whether the kernels define the arithmetic operation `op` on operands of `dtype` (bool has
/// no subtraction, floats no bitwise operations, ...). Programs are checked with it before they
/// run, so no kernel meets an undefined case inside its OpenMP region.
bool op_defined(Op op, DType dtype);
/// A unary operation on one float64 value, computed as the kernels compute it in a block (the
/// scalar arguments of scripts).
double unary_scalar(Op op, double x);
constexpr bool is_comparison(Op op) { return op >= Op::kEqual && op <= Op::kGreaterEqual; }
constexpr bool is_predicate(Op op) { return op >= Op::kIsNan && op <= Op::kIsFinite; }

struct Instr {
    Op op = Op::kConst;
    DType dtype = DType::kFloat64;  // of the result
    std::uint16_t a = 0, b = 0, c = 0;
    double f = 0;
    std::int64_t i = 0;
};

struct Program {
    std::vector<Instr> code;  // register r is defined by code[r]; the last is the result
    std::uint16_t num_inputs = 0;

    DType result_dtype() const { return code.back().dtype; }
    /// Checks register references and operand dtypes; throws ValueError.
    void validate() const;
};

/// Makes elements [start, start + count) (C order) of an input that is never stored whole,
/// into `out` (values of the input's dtype).
using BlockGenerator = std::function<void(std::int64_t start, std::int64_t count, std::byte* out)>;

/// An input of a program: a block read through a permutation of its axes (a transpose fused
/// into the loads; empty: as stored), padded on the left to the output's rank and broadcast.
/// Or, with `generate` set instead of `block`: an input of the output's own shape and of type
/// `dtype`, made range by range as the program runs (random numbers, say), so that it never
/// goes through memory.
struct Operand {
    const Buffer* block;
    std::vector<int> axes;
    const BlockGenerator* generate = nullptr;
    DType dtype = DType::kFloat64;
};

/// Runs `program` over a block of `out_shape`; `inputs[k]` feeds kInput k.
Buffer evaluate(const Program& program, const std::vector<Operand>& inputs, const Shape& out_shape);
Buffer evaluate(const Program& program, const std::vector<const Buffer*>& inputs,
                const Shape& out_shape);
/// Elements [start, start + count) of that block (C order) into `out`, serially.
void evaluate_range(const Program& program, const std::vector<Operand>& inputs,
                    const Shape& out_shape, std::int64_t start, std::int64_t count, std::byte* out);
/// Receives the values of elements [start, start + count) of a block.
using TileSink =
    std::function<void(std::int64_t start, std::int64_t count, const std::byte* values)>;
/// The same elements handed to `sink` a tile at a time (a few hundred elements, in order) while
/// they are in L1: a reduction consumes them without the round trip through a buffer that
/// would halve a memory-bound program's speed.
void evaluate_range(const Program& program, const std::vector<Operand>& inputs,
                    const Shape& out_shape, std::int64_t start, std::int64_t count,
                    const TileSink& sink);
/// The same, one element at a time and serially: the reference evaluate() is tested against.
Buffer evaluate_reference(const Program& program, const std::vector<Operand>& inputs,
                          const Shape& out_shape);

}  // namespace tessera::kernels
