// The script language without MPI: parse errors point at the right spot, floats print as Python
// prints them, and scripts run on an in-process cluster (including --explain).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "script/interpreter.hpp"
#include "tessera/runtime/runtime.hpp"

namespace tessera::script {
namespace {

struct Expected {
    const char* code;
    int line, column;
    const char* message;
};

TEST(ScriptParser, SyntaxErrorsPointAtTheSpot) {
    const Expected cases[] = {
        {"x = (1, 2", 1, 5, "'(' was never closed"},
        {"x = 1\ny = 2 +", 2, 8, "the statement ends too early"},
        {"x = 1 2", 1, 7, "expected the end of the statement"},
        {"if x:\n  y = 1", 1, 1, "'if' is not supported"},
        {"x = a and b", 1, 7, "'and' is not supported"},
        {"x = 1 < 2 < 3", 1, 11, "chained comparisons"},
        {"x = 'abc", 1, 5, "unterminated string"},
        {"x = 1e", 1, 5, "the exponent has no digits"},
        {"x = $", 1, 5, "invalid character '$'"},
        {"f(a=1, 2)", 1, 8, "positional argument follows keyword argument"},
        {"x = [1, 2)", 1, 10, "closing ')' does not match the '['"},
        {"x + 1 = 2", 1, 1, "cannot assign to this expression"},
        {"   x = 1", 1, 1, "unexpected indent"},
    };
    for (const auto& c : cases) {
        const Source source{"t.tsr", c.code};
        try {
            parse(source);
            ADD_FAILURE() << "no error for: " << c.code;
        } catch (const ScriptError& e) {
            EXPECT_EQ(e.where().line, c.line) << c.code;
            EXPECT_EQ(e.where().column, c.column) << c.code;
            EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos)
                << c.code << ": " << e.what();
            const std::string shown = e.render(source);
            EXPECT_NE(shown.find("t.tsr:" + std::to_string(c.line) + ":" +
                                 std::to_string(c.column) + ": error: "),
                      std::string::npos)
                << shown;
            EXPECT_NE(shown.find('^'), std::string::npos) << shown;
        }
    }
}

TEST(ScriptFormat, FloatsReadBackAsPythonPrintsThem) {
    // Python's repr() of the same values.
    const std::pair<double, const char*> cases[] = {
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},
        {1e-5, "1e-05"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {123456.0, "123456.0"},
        {-0.0, "-0.0"},
        {2.5e-300, "2.5e-300"},
        {0.0001, "0.0001"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
    };
    for (const auto& [v, text] : cases) EXPECT_EQ(format_float(v), text);
    EXPECT_EQ(format_float32(0.1f), "0.1");
}

std::string run(const std::string& code, bool explain = false,
                std::vector<std::string> argv = {"-e"}) {
    LocalCluster cluster(3);
    std::ostringstream out;
    ScriptOptions options;
    options.argv = std::move(argv);
    options.explain = explain;
    options.workers = 3;
    Interpreter(Source{"-e", code}, options, out).run();
    return out.str();
}

/// What a script prints, or its error's message.
std::string output_or_error(const std::string& code) {
    try {
        return run(code);
    } catch (const ScriptError& e) {
        return e.what();
    }
}

TEST(ScriptInterpreter, RunsOnAnInProcessCluster) {
    EXPECT_EQ(run("x = arange(10, chunks=3)\nprint(x.sum(), (x * x).max(), x[::4])"),
              "45 81 [0 4 8]\n");
    EXPECT_EQ(run("print(argv, len(argv))", false, {"s.tsr", "a", "7"}), "['s.tsr', 'a', '7'] 3\n");
    EXPECT_EQ(run("import numpy as np\nx = np.ones((2, 3), chunks=1)\na, b = x.shape\nprint(a * b, "
                  "x.T.shape)"),
              "6 (3, 2)\n");
    EXPECT_EQ(
        run("x = 5 if 1 > 2 else 7\nx += 1\nprint(x, float('2.5') * 2, int(2.9), round(2.5))"),
        "8 5.0 2 2\n");
}

TEST(ScriptInterpreter, ErrorsNameTheProblem) {
    auto message = [](const std::string& code) {
        try {
            run(code);
        } catch (const ScriptError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message("x = onse(3)"), "name 'onse' is not defined; did you mean 'ones'?");
    EXPECT_EQ(message("x = ones(2, 3, 4, 5)"),
              "ones() takes at most 3 positional arguments but 4 were given");
    EXPECT_EQ(message("x = ones((2, 2)).resahpe(4)"),
              "'Array' object has no attribute 'resahpe'; did you mean 'reshape'?");
    EXPECT_EQ(message("x = ones((2, 3)) @ ones((2, 3))"),
              "matmul: shapes (2, 3) and (2, 3) not aligned: 3 (dim 1) != 2 (dim 0)");
    EXPECT_EQ(message("x = (1, 2)[5]"), "index 5 is out of range for a length of 2");
    EXPECT_EQ(message("import pandas as pd"),
              "no module named 'pandas' (tessera scripts can import numpy, dask.array and tessera, "
              "which all name "
              "tessera's arrays)");
}

TEST(ScriptParser, DeepNestingIsAnErrorNotACrash) {
    // Thousands of nested brackets, unary operators or a chain of 20000 operators overflowed the
    // parser's and the evaluator's stacks (SIGSEGV) before the limits.
    auto nested = [](const std::string& open, const std::string& close, int n) {
        std::string s = "x = ";
        for (int i = 0; i < n; ++i) s += open;
        s += "1";
        for (int i = 0; i < n; ++i) s += close;
        return s;
    };
    std::string chain = "x = a";
    for (int i = 0; i < 20000; ++i) chain += " + a";
    const std::pair<std::string, const char*> cases[] = {
        {nested("(", ")", 5000), "too many nested parentheses"},
        {nested("[", "]", 5000), "too many nested parentheses"},
        {nested("f(", ")", 5000), "too many nested parentheses"},
        {nested("-", "", 5000), "too many nested parentheses"},
        {chain, "expression too deep: more than 1000 levels"},
    };
    for (const auto& [code, message] : cases) {
        try {
            parse(Source{"t.tsr", code});
            ADD_FAILURE() << "no error for " << code.substr(0, 40);
        } catch (const ScriptError& e) {
            EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
            EXPECT_EQ(e.where().line, 1);
        }
    }
    // Within the limits, deep expressions still parse and run.
    EXPECT_NO_THROW(parse(Source{"t.tsr", nested("(", ")", 150)}));
    std::string long_chain = "x = 1";
    for (int i = 0; i < 900; ++i) long_chain += " + 1";
    EXPECT_EQ(run(long_chain + "\nprint(x)"), "901\n");
}

TEST(ScriptInterpreter, IntegersThatLeaveSixtyFourBitsAreErrors) {
    // Python's ints have no limit; a script's are 64-bit and say so instead of wrapping or
    // looping (2 ** 2 ** 62 looped for ever, 10 ** 20 wrapped, int(nan) gave INT64_MIN).
    const std::pair<const char*, const char*> cases[] = {
        {"print(2 ** 2 ** 62)", "integer overflow: 2 ** 4611686018427387904 is outside"},
        {"print(10 ** 20)", "integer overflow: 10 ** 20"},
        {"print(2 ** 62 + 2 ** 62)", "integer overflow: 4611686018427387904 + 4611686018427387904"},
        {"print(-2 ** 62 * 2 - 1)", "integer overflow: -9223372036854775808 - 1"},
        {"print((-2 ** 62 * 2) // -1)", "integer overflow: -9223372036854775808 // -1"},
        {"print(abs(-2 ** 62 * 2))", "integer overflow: abs(-9223372036854775808)"},
        {"print(int(1e300))", "int(): 1.0000000000000001e+300 is outside the 64-bit integers"},
        {"print(int(float('nan')))", "int(): cannot convert float NaN to integer"},
        {"print(int(float('inf')))", "int(): cannot convert float infinity to integer"},
        {"print(round(1e300))", "round(): 1.0000000000000001e+300 is outside"},
        // range() is a list: 10 ** 18 of them allocated until std::bad_alloc, with no line.
        {"print(len(range(10 ** 18)))", "range() of 1000000000000000000 numbers"},
        {"print(len(range(0, -2 ** 62 * 2, -1)))", "range() of 9223372036854775808 numbers"},
        // A chunk larger than any address space (128 TiB: it fails wherever the test runs) is an
        // error with the call's line, not a bare std::bad_alloc.
        {"print(ones((2 ** 44,), chunks=2 ** 44).sum())", "out of memory: an allocation failed"},
    };
    for (const auto& [code, expected] : cases)
        EXPECT_NE(output_or_error(code).find(expected), std::string::npos)
            << code << ": " << output_or_error(code);
    // What fits is exact, as in Python.
    EXPECT_EQ(run("print((-2 ** 62 * 2) % -1, 3 ** 39, int(2 ** 62 + 1), (-7) // 2, -7 % 3)"),
              "0 4052555153018976267 4611686018427387905 -4 2\n");
    EXPECT_EQ(run("print(range(0, -10, -3), range(5, 0), range(1, 8, 3), len(range(-3, 3)))"),
              "[0, -3, -6, -9] [] [1, 4, 7] 6\n");
}

TEST(ScriptInterpreter, Int64ArraysWrapAsNumPys) {
    // NumPy's int64 arithmetic wraps, and MIN // -1 is MIN (MIN % -1 is 0): no SIGFPE.
    EXPECT_EQ(run("import numpy as np\nm = np.full((2,), -2 ** 62 * 2, dtype='int64')\n"
                  "print(m // -1, m % -1, m - 1, m * -1, (m + 1) // 0)"),
              "[-9223372036854775808 -9223372036854775808] [0 0] "
              "[9223372036854775807 9223372036854775807] "
              "[-9223372036854775808 -9223372036854775808] [0 0]\n");
}

TEST(ScriptInterpreter, AbsurdSizesAreRefusedWhenWritten) {
    // Sizes that overflowed (x[:, :2].sum() of a (3, 2**62) array printed 5.5e-322, its .T
    // crashed) or exhausted memory building a plan are errors naming the shape, at once.
    const std::pair<const char*, const char*> cases[] = {
        {"x = ones((3, 2 ** 62), chunks=2 ** 62)\nprint(x[:, :2].sum())",
         "the number of elements of shape (3, 4611686018427387904) overflows 64 bits"},
        {"print(ones((2 ** 31, 2 ** 31)).nbytes)",
         "the byte size of an array of shape (2147483648, 2147483648) overflows 64 bits"},
        {"print(ones((2 ** 62, 4)).sum())", "overflows 64 bits (4611686018427387904 * 4)"},
        {"print(arange(0, 10 ** 18, 1e-9).size)",
         "arange(): a range of 1e+27 elements has more than a 64-bit count holds"},
        {"print(ones((2 ** 31, 3), chunks=1).sum())",
         "has more than 134217728 blocks, more than a plan can hold: use larger chunks"},
    };
    for (const auto& [code, expected] : cases)
        EXPECT_NE(output_or_error(code).find(expected), std::string::npos)
            << code << ": " << output_or_error(code);
    // Large but possible: described without being computed.
    EXPECT_EQ(run("x = ones((2 ** 40, 2 ** 19), chunks=2 ** 30)\nprint(x.nbytes, x.numblocks)"),
              "4611686018427387904 (1024, 1)\n");
}

TEST(ScriptInterpreter, ExplainPlansWithoutRunning) {
    const std::string plan =
        run("x = random.random((400, 400), chunks=100, seed=1)\nprint(((x + x.T) - "
            "x.mean(axis=0)).sum())",
            /*explain=*/true);
    EXPECT_NE(plan.find("plan 1: print at -e:2"), std::string::npos) << plan;
    EXPECT_NE(plan.find("random"), std::string::npos) << plan;
    EXPECT_NE(plan.find("fused"), std::string::npos)
        << plan;  // the elementwise chain runs inside the sum
    EXPECT_NE(plan.find("estimated peak memory per worker"), std::string::npos) << plan;
    // A corner of a file's array reads one block: open, read, slice, close.
    const std::string file =
        (std::filesystem::temp_directory_path() / "tessera_script_test.h5").string();
    run("to_hdf5('" + file + "', 'x', arange(16, chunks=4).reshape((4, 4)))");
    const std::string corner =
        run("print(from_hdf5('" + file + "', '/x', chunks=2)[:1, :1])", /*explain=*/true);
    EXPECT_NE(corner.find("  4 tasks on 3 workers"), std::string::npos) << corner;
    std::filesystem::remove(file);
    try {
        run("x = ones(4)\ny = float(x.sum())", true);
        ADD_FAILURE() << "--explain must stop where a computed value is needed";
    } catch (const ScriptError& e) {
        EXPECT_NE(std::string(e.what()).find("--explain stops here"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace tessera::script
