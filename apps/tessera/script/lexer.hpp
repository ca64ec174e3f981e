#pragma once
// The lexer of tessera scripts: Python's tokens (names, numbers, strings, operators), newlines
// outside brackets and indentation (reported as an error: scripts are one straight-line block).
#include <cstdint>
#include <string>
#include <vector>

#include "syntax.hpp"

namespace tessera::script {

struct Token {
    enum class Kind { kName, kInt, kFloat, kString, kOp, kNewline, kIndent, kEnd } kind;
    std::string text;  // name, operator, or the string's value
    Span span;
    std::int64_t int_value = 0;
    double float_value = 0;
};

/// The tokens of a whole script, ending with kEnd; throws ScriptError at the first bad one.
std::vector<Token> tokenize(const std::string& text);

}  // namespace tessera::script
