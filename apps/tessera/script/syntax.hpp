#pragma once
// The syntax of tessera scripts: a subset of Python (expressions, assignments, imports of the
// array namespaces), parsed into a small tree. Every node keeps where it came from, so that any
// error, at parse time or later when the node is evaluated, can point at the spot.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tessera/runtime/error.hpp"

namespace tessera::script {

/// A stretch of one source line: 1-based line and columns, end exclusive.
struct Span {
    int line = 0;
    int column = 0;
    int end_column = 0;
};

/// The script being run, kept for error messages.
struct Source {
    std::string name;  // file name, or "<-e>"
    std::string text;
    /// The text of a 1-based line, without its newline.
    std::string line(int number) const;
};

/// The span from the start of `a` to the end of `b` (to the end of a's line when b is on a later
/// one).
Span join(Span a, Span b);

/// An error a script author can act on: what went wrong and where.
class ScriptError : public Error {
public:
    ScriptError(const std::string& message, Span where) : Error(message), where_(where) {}
    Span where() const { return where_; }
    /// "file:line:col: error: message", the line, and a caret under the spot.
    std::string render(const Source& source) const;

private:
    Span where_;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Keyword {
    std::string name;
    Span name_span;
    ExprPtr value;
};

/// How far a script may nest: brackets, calls and unary operators within each other (as Python
/// refuses more than 200 nested parentheses), and the height of one expression's tree (a chain
/// of 1000 operators is as far as the evaluator goes; it recurses once per level).
inline constexpr int kMaxNesting = 200;
inline constexpr int kMaxHeight = 1000;

struct Expr {
    Expr() = default;
    Expr(const Expr&) = delete;
    Expr& operator=(const Expr&) = delete;
    /// Frees the subtree without recursing: a long chain must not overflow the stack.
    ~Expr();
    enum class Kind {
        kName,
        kInt,
        kFloat,
        kString,
        kTrue,
        kFalse,
        kNone,
        kEllipsis,
        kTuple,
        kList,
        kDict,         // items; a dict's items alternate key, value
        kUnary,        // op, items[0]
        kBinary,       // op, items[0], items[1] (comparisons included)
        kCall,         // items[0] the callee, items[1..] positional arguments, keywords
        kAttribute,    // items[0].text
        kSubscript,    // items[0][items[1..]]
        kSlice,        // items: start, stop, step (null when omitted)
        kConditional,  // items[0] if items[1] else items[2]
    } kind;
    Span span;
    std::string text;  // name, attribute, string value or operator
    std::int64_t int_value = 0;
    double float_value = 0;
    std::vector<ExprPtr> items;
    std::vector<Keyword> keywords;
};

struct Statement {
    enum class Kind {
        kExpression,  // value
        kAssign,      // targets = value (several targets: tuple unpacking)
        kAugAssign,   // targets[0] op= value
        kImport,      // import module as alias
    } kind;
    Span span;
    std::vector<std::pair<std::string, Span>> targets;
    std::string op;      // augmented assignment: "+", "-", ...
    std::string module;  // import: "numpy", "dask.array", ...
    ExprPtr value;
};

/// The height of an expression's tree (1 for a leaf), counted without recursing, and the node
/// deepest in it.
std::pair<int, const Expr*> height(const Expr& root);

/// Parses a whole script; throws ScriptError at the first syntax error.
std::vector<Statement> parse(const Source& source);

}  // namespace tessera::script
