// The recursive-descent parser of the tessera script language, a subset of Python with
// Python's precedence, over the lexer's tokens. Python constructs outside the subset get a
// message saying so, rather than a bare "invalid syntax".
#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <set>
#include <sstream>

#include "lexer.hpp"
#include "syntax.hpp"

namespace tessera::script {

namespace {

const std::set<std::string>& unsupported_statements() {
    static const std::set<std::string> k = {
        "if",       "elif", "else", "for",    "while",    "def",    "class", "return",
        "lambda",   "with", "try",  "except", "finally",  "raise",  "yield", "global",
        "nonlocal", "del",  "pass", "break",  "continue", "assert", "async", "await"};
    return k;
}

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

    std::vector<Statement> program() {
        std::vector<Statement> out;
        while (peek().kind != Token::Kind::kEnd) {
            if (is_op(";") || peek().kind == Token::Kind::kNewline) {
                next();
                continue;
            }
            if (peek().kind == Token::Kind::kIndent)
                throw ScriptError(
                    "unexpected indent (tessera scripts have no blocks: every statement starts at "
                    "column 1)",
                    peek().span);
            out.push_back(statement());
            check_height(out.back());
            if (is_op(";")) {
                next();
                continue;
            }
            if (peek().kind != Token::Kind::kNewline && peek().kind != Token::Kind::kEnd)
                throw ScriptError("expected the end of the statement here", peek().span);
        }
        return out;
    }

private:
    /// The evaluator recurses once per level of an expression's tree.
    static void check_height(const Statement& s) {
        if (!s.value) return;
        const auto [levels, deepest] = height(*s.value);
        if (levels > kMaxHeight)
            throw ScriptError("expression too deep: more than " + std::to_string(kMaxHeight) +
                                  " levels of operators and calls (split it into assignments)",
                              deepest->span);
    }

    /// Counts the parser's own nesting (every recursion passes through factor()).
    class Nesting {
    public:
        Nesting(Parser& p, Span where) : p_(p) {
            if (++p_.nesting_ > kMaxNesting)
                throw ScriptError(
                    "too many nested parentheses, brackets, calls or unary operators "
                    "(more than " +
                        std::to_string(kMaxNesting) + ")",
                    where);
        }
        ~Nesting() { --p_.nesting_; }
        Nesting(const Nesting&) = delete;
        Nesting& operator=(const Nesting&) = delete;

    private:
        Parser& p_;
    };

    const Token& peek(std::size_t ahead = 0) const {
        return t_[std::min(i_ + ahead, t_.size() - 1)];
    }
    const Token& next() { return t_[std::min(i_++, t_.size() - 1)]; }
    bool is_op(const char* op, std::size_t ahead = 0) const {
        return peek(ahead).kind == Token::Kind::kOp && peek(ahead).text == op;
    }
    bool is_name(const char* name) const {
        return peek().kind == Token::Kind::kName && peek().text == name;
    }
    const Token& expect_op(const char* op, const char* context) {
        if (!is_op(op))
            throw ScriptError(std::string("expected '") + op + "' " + context, peek().span);
        return next();
    }
    [[noreturn]] void unexpected() const {
        const Token& t = peek();
        if (t.kind == Token::Kind::kNewline || t.kind == Token::Kind::kEnd)
            throw ScriptError("the statement ends too early: an expression is missing", t.span);
        throw ScriptError("invalid syntax: unexpected '" + t.text + "'", t.span);
    }
    void check_keyword(const Token& t) const {
        if (t.kind != Token::Kind::kName) return;
        if (unsupported_statements().count(t.text))
            throw ScriptError("'" + t.text +
                                  "' is not supported in tessera scripts (they have expressions, "
                                  "assignments and imports only)",
                              t.span);
        if (t.text == "and" || t.text == "or" || t.text == "not" || t.text == "in" ||
            t.text == "is")
            throw ScriptError(
                "'" + t.text + "' is not supported: use & | ~ and == (elementwise, as in NumPy)",
                t.span);
    }

    Statement statement() {
        check_keyword(peek());
        if (is_name("import")) return import_statement();
        if (is_name("from"))
            throw ScriptError(
                "'from ... import' is not supported: write 'import numpy as np' or "
                "'import dask.array as da'",
                peek().span);
        const Span start = peek().span;
        std::vector<ExprPtr> exprs;
        exprs.push_back(expression());
        bool trailing_comma = false;
        while (is_op(",")) {
            next();
            trailing_comma = true;
            if (is_op("=") || peek().kind == Token::Kind::kNewline ||
                peek().kind == Token::Kind::kEnd)
                break;
            exprs.push_back(expression());
            trailing_comma = false;
        }
        Statement s;
        if (is_op("=")) {
            next();
            s.kind = Statement::Kind::kAssign;
            for (auto& e : exprs) {
                if (e->kind != Expr::Kind::kName)
                    throw ScriptError(
                        "cannot assign to this expression: only names can be assigned", e->span);
                s.targets.emplace_back(e->text, e->span);
            }
            s.value = tuple_or_single(expression_list(), false);
            if (is_op("="))
                throw ScriptError("chained assignment (a = b = ...) is not supported", peek().span);
        } else if (peek().kind == Token::Kind::kOp && peek().text.size() >= 2 &&
                   peek().text.back() == '=' && peek().text != "==" && peek().text != "!=" &&
                   peek().text != "<=" && peek().text != ">=") {
            const Token op = next();
            if (exprs.size() != 1 || exprs[0]->kind != Expr::Kind::kName)
                throw ScriptError("only a single name can be the target of '" + op.text + "'",
                                  exprs[0]->span);
            s.kind = Statement::Kind::kAugAssign;
            s.op = op.text.substr(0, op.text.size() - 1);
            s.targets.emplace_back(exprs[0]->text, exprs[0]->span);
            s.value = expression();
        } else {
            s.kind = Statement::Kind::kExpression;
            s.value = tuple_or_single(std::move(exprs), trailing_comma);
        }
        s.span = join(start, s.value ? s.value->span : start);
        return s;
    }

    Statement import_statement() {
        const Token& kw = next();
        if (peek().kind != Token::Kind::kName)
            throw ScriptError("expected a module name after 'import'", peek().span);
        Statement s;
        s.kind = Statement::Kind::kImport;
        Span where = peek().span;
        s.module = next().text;
        while (is_op(".")) {
            next();
            if (peek().kind != Token::Kind::kName)
                throw ScriptError("expected a module name after '.'", peek().span);
            s.module += "." + peek().text;
            where = join(where, next().span);
        }
        std::string alias = s.module.substr(0, s.module.find('.'));
        Span alias_span = where;
        if (is_name("as")) {
            next();
            if (peek().kind != Token::Kind::kName)
                throw ScriptError("expected a name after 'as'", peek().span);
            alias = peek().text;
            alias_span = next().span;
        }
        s.targets.emplace_back(alias, alias_span);
        s.span = join(kw.span, alias_span);
        s.value = make(Expr::Kind::kString, where, s.module);
        return s;
    }

    std::vector<ExprPtr> expression_list() {
        std::vector<ExprPtr> out;
        out.push_back(expression());
        while (is_op(",")) {
            next();
            if (peek().kind == Token::Kind::kNewline || peek().kind == Token::Kind::kEnd ||
                is_op(";"))
                break;
            out.push_back(expression());
        }
        return out;
    }

    static ExprPtr tuple_or_single(std::vector<ExprPtr> exprs, bool trailing_comma) {
        if (exprs.size() == 1 && !trailing_comma) return std::move(exprs[0]);
        auto t = make(Expr::Kind::kTuple, join(exprs.front()->span, exprs.back()->span));
        t->items = std::move(exprs);
        return t;
    }

    static ExprPtr make(Expr::Kind kind, Span span, std::string text = {}) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->span = span;
        e->text = std::move(text);
        return e;
    }
    static ExprPtr binary(std::string op, ExprPtr a, ExprPtr b) {
        auto e = make(Expr::Kind::kBinary, join(a->span, b->span), std::move(op));
        e->items.push_back(std::move(a));
        e->items.push_back(std::move(b));
        return e;
    }

    ExprPtr expression() {
        check_keyword(peek());
        auto body = comparison();
        if (!is_name("if")) return body;
        next();
        auto condition = comparison();
        if (!is_name("else"))
            throw ScriptError("expected 'else' in the conditional expression", peek().span);
        next();
        auto orelse = expression();
        auto e = make(Expr::Kind::kConditional, join(body->span, orelse->span));
        e->items.push_back(std::move(body));
        e->items.push_back(std::move(condition));
        e->items.push_back(std::move(orelse));
        return e;
    }

    ExprPtr comparison() {
        auto left = bit_or();
        static const std::set<std::string> ops = {"<", ">", "==", "!=", "<=", ">="};
        if (peek().kind == Token::Kind::kOp && ops.count(peek().text)) {
            const std::string op = next().text;
            auto right = bit_or();
            if (peek().kind == Token::Kind::kOp && ops.count(peek().text))
                throw ScriptError(
                    "chained comparisons (a < b < c) are not supported: write (a < b) & (b < c)",
                    peek().span);
            left = binary(op, std::move(left), std::move(right));
        }
        if (!is_name("if") && !is_name("else")) check_keyword(peek());
        return left;
    }
    /// One left-associative level of binary operators: operand (op operand)*.
    ExprPtr binary_level(std::initializer_list<const char*> ops, ExprPtr (Parser::*operand)()) {
        auto is_level_op = [&] {
            return std::any_of(ops.begin(), ops.end(), [&](const char* o) { return is_op(o); });
        };
        auto left = (this->*operand)();
        while (is_level_op()) {
            const std::string op = next().text;
            left = binary(op, std::move(left), (this->*operand)());
        }
        return left;
    }
    ExprPtr bit_or() { return binary_level({"|"}, &Parser::bit_xor); }
    ExprPtr bit_xor() { return binary_level({"^"}, &Parser::bit_and); }
    ExprPtr bit_and() { return binary_level({"&"}, &Parser::arith); }
    ExprPtr arith() {
        if (is_op("<<") || is_op(">>")) unexpected();
        auto left = binary_level({"+", "-"}, &Parser::term);
        if (is_op("<<") || is_op(">>"))
            throw ScriptError("shift operators are not supported", peek().span);
        return left;
    }
    ExprPtr term() { return binary_level({"*", "/", "//", "%", "@"}, &Parser::factor); }
    ExprPtr factor() {
        const Nesting nesting(*this, peek().span);
        if (is_op("-") || is_op("+") || is_op("~")) {
            const Token op = next();
            auto operand = factor();
            auto e = make(Expr::Kind::kUnary, join(op.span, operand->span), op.text);
            e->items.push_back(std::move(operand));
            return e;
        }
        return power();
    }
    ExprPtr power() {
        auto base = primary();
        if (is_op("**")) {
            next();
            return binary("**", std::move(base), factor());
        }
        return base;
    }

    ExprPtr primary() {
        auto e = atom();
        while (true) {
            if (is_op("(")) {
                e = call(std::move(e));
            } else if (is_op("[")) {
                const Token open = next();
                auto s = make(Expr::Kind::kSubscript, e->span);
                s->items.push_back(std::move(e));
                if (is_op("]"))
                    throw ScriptError("an index is missing between '[' and ']'", open.span);
                while (true) {
                    s->items.push_back(subscript());
                    if (!is_op(",")) break;
                    next();
                    if (is_op("]")) break;
                }
                s->span = join(s->span, expect_op("]", "to close the index").span);
                e = std::move(s);
            } else if (is_op(".")) {
                next();
                if (peek().kind != Token::Kind::kName)
                    throw ScriptError("expected an attribute name after '.'", peek().span);
                const Token name = next();
                auto a = make(Expr::Kind::kAttribute, join(e->span, name.span), name.text);
                a->items.push_back(std::move(e));
                e = std::move(a);
            } else {
                return e;
            }
        }
    }

    ExprPtr call(ExprPtr callee) {
        next();  // (
        auto c = make(Expr::Kind::kCall, callee->span);
        c->items.push_back(std::move(callee));
        while (!is_op(")")) {
            if (is_op("*") || is_op("**"))
                throw ScriptError("argument unpacking with * and ** is not supported", peek().span);
            if (peek().kind == Token::Kind::kName && is_op("=", 1)) {
                const Token name = next();
                next();  // =
                for (const auto& k : c->keywords)
                    if (k.name == name.text)
                        throw ScriptError("keyword argument '" + name.text + "' repeated",
                                          name.span);
                c->keywords.push_back({name.text, name.span, expression()});
            } else {
                auto arg = expression();
                if (!c->keywords.empty())
                    throw ScriptError("positional argument follows keyword argument", arg->span);
                c->items.push_back(std::move(arg));
            }
            if (!is_op(",")) break;
            next();
        }
        c->span = join(c->span, expect_op(")", "to close the call").span);
        return c;
    }

    ExprPtr subscript() {
        const Span start = peek().span;
        ExprPtr first;
        if (!is_op(":")) {
            first = expression();
            if (!is_op(":")) return first;
        }
        auto s = make(Expr::Kind::kSlice, start);
        s->items.push_back(std::move(first));
        Span end = next().span;  // :
        ExprPtr stop, step;
        if (!is_op(":") && !is_op(",") && !is_op("]")) {
            stop = expression();
            end = stop->span;
        }
        if (is_op(":")) {
            end = next().span;
            if (!is_op(",") && !is_op("]")) {
                step = expression();
                end = step->span;
            }
        }
        s->items.push_back(std::move(stop));
        s->items.push_back(std::move(step));
        s->span = join(start, end);
        return s;
    }

    ExprPtr atom() {
        const Token& t = peek();
        check_keyword(t);
        switch (t.kind) {
            case Token::Kind::kName: {
                next();
                if (t.text == "True") return make(Expr::Kind::kTrue, t.span);
                if (t.text == "False") return make(Expr::Kind::kFalse, t.span);
                if (t.text == "None") return make(Expr::Kind::kNone, t.span);
                if (t.text == "import" || t.text == "from" || t.text == "as")
                    throw ScriptError("'" + t.text + "' cannot be used here", t.span);
                return make(Expr::Kind::kName, t.span, t.text);
            }
            case Token::Kind::kInt: {
                next();
                auto e = make(Expr::Kind::kInt, t.span, t.text);
                e->int_value = t.int_value;
                return e;
            }
            case Token::Kind::kFloat: {
                next();
                auto e = make(Expr::Kind::kFloat, t.span, t.text);
                e->float_value = t.float_value;
                return e;
            }
            case Token::Kind::kString: {
                next();
                if (peek().kind == Token::Kind::kString)
                    throw ScriptError("adjacent strings are not joined in tessera scripts: use +",
                                      peek().span);
                return make(Expr::Kind::kString, t.span, t.text);
            }
            case Token::Kind::kOp:
                if (t.text == "...") {
                    next();
                    return make(Expr::Kind::kEllipsis, t.span);
                }
                if (t.text == "(") return parenthesised();
                if (t.text == "[") return list();
                if (t.text == "{") return dict();
                unexpected();
            default:
                unexpected();
        }
    }

    ExprPtr parenthesised() {
        const Token open = next();
        if (is_op(")")) return make(Expr::Kind::kTuple, join(open.span, next().span));
        auto first = expression();
        if (is_op(")")) {
            next();
            return first;  // keeps its own span: errors point at the expression, not the
                           // parentheses
        }
        auto t = make(Expr::Kind::kTuple, open.span);
        t->items.push_back(std::move(first));
        while (is_op(",")) {
            next();
            if (is_op(")")) break;
            t->items.push_back(expression());
        }
        t->span = join(open.span, expect_op(")", "to close the parenthesis").span);
        return t;
    }

    ExprPtr list() {
        const Token open = next();
        auto l = make(Expr::Kind::kList, open.span);
        while (!is_op("]")) {
            l->items.push_back(expression());
            if (is_name("for"))
                throw ScriptError("list comprehensions are not supported", peek().span);
            if (!is_op(",")) break;
            next();
        }
        l->span = join(open.span, expect_op("]", "to close the list").span);
        return l;
    }

    ExprPtr dict() {
        const Token open = next();
        auto d = make(Expr::Kind::kDict, open.span);
        while (!is_op("}")) {
            d->items.push_back(expression());
            expect_op(":", "after a dictionary key (sets are not supported)");
            d->items.push_back(expression());
            if (!is_op(",")) break;
            next();
        }
        d->span = join(open.span, expect_op("}", "to close the dictionary").span);
        return d;
    }

    std::vector<Token> t_;
    std::size_t i_ = 0;
    int nesting_ = 0;
};

}  // namespace

std::vector<Statement> parse(const Source& source) {
    return Parser(tokenize(source.text)).program();
}

}  // namespace tessera::script
