// Lexer and recursive-descent parser of the tessera script language, a subset of Python with
// Python's precedence. Python constructs outside the subset get a message saying so, rather
// than a bare "invalid syntax".
#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <set>
#include <sstream>

#include "syntax.hpp"

namespace tessera::script {

std::string Source::line(int number) const {
    std::size_t begin = 0;
    for (int l = 1; l < number; ++l) {
        begin = text.find('\n', begin);
        if (begin == std::string::npos) return {};
        ++begin;
    }
    const std::size_t end = text.find('\n', begin);
    return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::string ScriptError::render(const Source& source) const {
    std::ostringstream os;
    os << source.name << ':' << where_.line << ':' << where_.column << ": error: " << what() << '\n';
    if (where_.line <= 0) return os.str();
    std::string text = source.line(where_.line);
    std::replace(text.begin(), text.end(), '\t', ' ');
    const std::string number = std::to_string(where_.line);
    os << ' ' << number << " | " << text << '\n';
    const int first = std::max(where_.column, 1);
    const int last = std::max(first + 1, std::min(where_.end_column, static_cast<int>(text.size()) + 1));
    os << ' ' << std::string(number.size(), ' ') << " | " << std::string(static_cast<std::size_t>(first - 1), ' ')
       << '^' << std::string(static_cast<std::size_t>(last - first - 1), '~') << '\n';
    return os.str();
}

namespace {

struct Token {
    enum class Kind { kName, kInt, kFloat, kString, kOp, kNewline, kIndent, kEnd } kind;
    std::string text;  // name, operator, or the string's value
    Span span;
    std::int64_t int_value = 0;
    double float_value = 0;
};

Span join(Span a, Span b) {
    if (a.line == b.line) return {a.line, a.column, b.end_column};
    return {a.line, a.column, INT_MAX};  // runs on to later lines: mark to the end of the first
}

class Lexer {
public:
    explicit Lexer(const std::string& text) : s_(text) {}

    std::vector<Token> tokens() {
        std::vector<Token> out;
        bool line_start = true;
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (line_start && depth_ == 0) {
                line_start = false;
                const std::size_t indent_end = s_.find_first_not_of(" \t", pos_);
                if (indent_end != pos_ && indent_end != std::string::npos && s_[indent_end] != '\n' &&
                    s_[indent_end] != '#' && s_[indent_end] != '\r') {
                    // Reported by the parser, so that errors on earlier lines come first.
                    out.push_back({Token::Kind::kIndent, "", {line_, 1, 1 + static_cast<int>(indent_end - pos_)}});
                }
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                advance();
            } else if (c == '#') {
                while (pos_ < s_.size() && s_[pos_] != '\n') advance();
            } else if (c == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {
                advance();
                advance();
            } else if (c == '\n') {
                if (depth_ == 0 && !out.empty() && out.back().kind != Token::Kind::kNewline)
                    out.push_back({Token::Kind::kNewline, "\n", here(1)});
                advance();
                line_start = true;
            } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                const Span start = here(0);
                std::string name;
                while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
                    name += advance();
                out.push_back({Token::Kind::kName, name, until(start)});
            } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                       (c == '.' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
                out.push_back(number());
            } else if (c == '"' || c == '\'') {
                out.push_back(string());
            } else {
                out.push_back(op());
            }
        }
        if (depth_ > 0) throw ScriptError("'" + std::string(1, open_.back().first) + "' was never closed", open_.back().second);
        if (!out.empty() && out.back().kind != Token::Kind::kNewline) out.push_back({Token::Kind::kNewline, "\n", here(1)});
        out.push_back({Token::Kind::kEnd, "", here(1)});
        return out;
    }

private:
    char advance() {
        const char c = s_[pos_++];
        if (c == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
        return c;
    }
    Span here(int width) const { return {line_, column_, column_ + width}; }
    Span until(Span start) const { return {start.line, start.column, line_ == start.line ? column_ : INT_MAX}; }

    Token number() {
        const Span start = here(0);
        std::string digits;
        bool is_float = false;
        auto take_digits = [&] {
            bool last_digit = false;
            while (pos_ < s_.size()) {
                const char d = s_[pos_];
                if (std::isdigit(static_cast<unsigned char>(d))) {
                    digits += advance();
                    last_digit = true;
                } else if (d == '_' && last_digit && pos_ + 1 < s_.size() &&
                           std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
                    advance();
                    last_digit = false;
                } else {
                    break;
                }
            }
        };
        take_digits();
        if (pos_ < s_.size() && s_[pos_] == '.') {
            is_float = true;
            digits += advance();
            take_digits();
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            is_float = true;
            digits += advance();
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) digits += advance();
            const std::size_t before = digits.size();
            take_digits();
            if (digits.size() == before) throw ScriptError("invalid number: the exponent has no digits", until(start));
        }
        if (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
            while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) advance();
            throw ScriptError("invalid number", until(start));
        }
        Token t{is_float ? Token::Kind::kFloat : Token::Kind::kInt, digits, until(start)};
        if (is_float) {
            t.float_value = std::strtod(digits.c_str(), nullptr);
        } else {
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), t.int_value);
            if (ec != std::errc()) throw ScriptError("integer too large (tessera integers are 64-bit)", t.span);
        }
        return t;
    }

    Token string() {
        const Span start = here(1);
        const char quote = advance();
        if (s_.compare(pos_, 2, std::string(2, quote)) == 0)
            throw ScriptError("triple-quoted strings are not supported", {start.line, start.column, start.column + 3});
        std::string value;
        while (true) {
            if (pos_ >= s_.size() || s_[pos_] == '\n') throw ScriptError("unterminated string", start);
            const char c = advance();
            if (c == quote) break;
            if (c != '\\') {
                value += c;
                continue;
            }
            if (pos_ >= s_.size()) throw ScriptError("unterminated string", start);
            const char e = advance();
            switch (e) {
                case 'n': value += '\n'; break;
                case 't': value += '\t'; break;
                case 'r': value += '\r'; break;
                case '0': value += '\0'; break;
                case '\\': value += '\\'; break;
                case '\'': value += '\''; break;
                case '"': value += '"'; break;
                case '\n': break;
                default: value += '\\'; value += e;
            }
        }
        return {Token::Kind::kString, value, until(start)};
    }

    Token op() {
        static const char* const kOps[] = {"**=", "//=", "...", "**", "//", "==", "!=", "<=", ">=", "+=", "-=",
                                           "*=",  "/=",  "%=",  "@=", "&=", "|=", "^=", "<<", ">>", "->"};
        const Span start = here(0);
        for (const char* o : kOps) {
            const std::size_t n = std::char_traits<char>::length(o);
            if (s_.compare(pos_, n, o) == 0) {
                for (std::size_t i = 0; i < n; ++i) advance();
                return {Token::Kind::kOp, o, until(start)};
            }
        }
        const char c = s_[pos_];
        if (std::string_view("+-*/%@&|^~<>()[]{},:.=;").find(c) == std::string_view::npos) {
            std::string shown(1, c);
            if (static_cast<unsigned char>(c) >= 0x80) shown = "non-ASCII character";
            throw ScriptError("invalid character '" + shown + "'", here(1));
        }
        if (c == '(' || c == '[' || c == '{') {
            ++depth_;
            open_.emplace_back(c, here(1));
        } else if (c == ')' || c == ']' || c == '}') {
            const char expected = c == ')' ? '(' : c == ']' ? '[' : '{';
            if (depth_ == 0) throw ScriptError(std::string("unmatched '") + c + "'", here(1));
            if (open_.back().first != expected)
                throw ScriptError(std::string("closing '") + c + "' does not match the '" + open_.back().first +
                                      "' opened at line " + std::to_string(open_.back().second.line) + ", column " +
                                      std::to_string(open_.back().second.column),
                                  here(1));
            --depth_;
            open_.pop_back();
        }
        advance();
        return {Token::Kind::kOp, std::string(1, c), until(start)};
    }

    const std::string& s_;
    std::size_t pos_ = 0;
    int line_ = 1;
    int column_ = 1;
    int depth_ = 0;
    std::vector<std::pair<char, Span>> open_;
};

const std::set<std::string>& unsupported_statements() {
    static const std::set<std::string> k = {"if", "elif", "else", "for", "while", "def", "class", "return",
                                            "lambda", "with", "try", "except", "finally", "raise", "yield",
                                            "global", "nonlocal", "del", "pass", "break", "continue", "assert",
                                            "async", "await"};
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
                throw ScriptError("unexpected indent (tessera scripts have no blocks: every statement starts at "
                                  "column 1)",
                                  peek().span);
            out.push_back(statement());
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
    const Token& peek(std::size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
    const Token& next() { return t_[std::min(i_++, t_.size() - 1)]; }
    bool is_op(const char* op, std::size_t ahead = 0) const {
        return peek(ahead).kind == Token::Kind::kOp && peek(ahead).text == op;
    }
    bool is_name(const char* name) const { return peek().kind == Token::Kind::kName && peek().text == name; }
    const Token& expect_op(const char* op, const char* context) {
        if (!is_op(op)) throw ScriptError(std::string("expected '") + op + "' " + context, peek().span);
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
            throw ScriptError("'" + t.text + "' is not supported in tessera scripts (they have expressions, "
                              "assignments and imports only)",
                              t.span);
        if (t.text == "and" || t.text == "or" || t.text == "not" || t.text == "in" || t.text == "is")
            throw ScriptError("'" + t.text + "' is not supported: use & | ~ and == (elementwise, as in NumPy)",
                              t.span);
    }

    Statement statement() {
        check_keyword(peek());
        if (is_name("import")) return import_statement();
        if (is_name("from"))
            throw ScriptError("'from ... import' is not supported: write 'import numpy as np' or "
                              "'import dask.array as da'",
                              peek().span);
        const Span start = peek().span;
        std::vector<ExprPtr> exprs;
        exprs.push_back(expression());
        bool trailing_comma = false;
        while (is_op(",")) {
            next();
            trailing_comma = true;
            if (is_op("=") || peek().kind == Token::Kind::kNewline || peek().kind == Token::Kind::kEnd) break;
            exprs.push_back(expression());
            trailing_comma = false;
        }
        Statement s;
        if (is_op("=")) {
            next();
            s.kind = Statement::Kind::kAssign;
            for (auto& e : exprs) {
                if (e->kind != Expr::Kind::kName)
                    throw ScriptError("cannot assign to this expression: only names can be assigned", e->span);
                s.targets.emplace_back(e->text, e->span);
            }
            s.value = tuple_or_single(expression_list(), false);
            if (is_op("=")) throw ScriptError("chained assignment (a = b = ...) is not supported", peek().span);
        } else if (peek().kind == Token::Kind::kOp && peek().text.size() >= 2 && peek().text.back() == '=' &&
                   peek().text != "==" && peek().text != "!=" && peek().text != "<=" && peek().text != ">=") {
            const Token op = next();
            if (exprs.size() != 1 || exprs[0]->kind != Expr::Kind::kName)
                throw ScriptError("only a single name can be the target of '" + op.text + "'", exprs[0]->span);
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
        if (peek().kind != Token::Kind::kName) throw ScriptError("expected a module name after 'import'", peek().span);
        Statement s;
        s.kind = Statement::Kind::kImport;
        Span where = peek().span;
        s.module = next().text;
        while (is_op(".")) {
            next();
            if (peek().kind != Token::Kind::kName) throw ScriptError("expected a module name after '.'", peek().span);
            s.module += "." + peek().text;
            where = join(where, next().span);
        }
        std::string alias = s.module.substr(0, s.module.find('.'));
        Span alias_span = where;
        if (is_name("as")) {
            next();
            if (peek().kind != Token::Kind::kName) throw ScriptError("expected a name after 'as'", peek().span);
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
            if (peek().kind == Token::Kind::kNewline || peek().kind == Token::Kind::kEnd || is_op(";")) break;
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
        if (!is_name("else")) throw ScriptError("expected 'else' in the conditional expression", peek().span);
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
                throw ScriptError("chained comparisons (a < b < c) are not supported: write (a < b) & (b < c)",
                                  peek().span);
            left = binary(op, std::move(left), std::move(right));
        }
        if (!is_name("if") && !is_name("else")) check_keyword(peek());
        return left;
    }
    /// One left-associative level of binary operators: operand (op operand)*.
    ExprPtr binary_level(std::initializer_list<const char*> ops, ExprPtr (Parser::*operand)()) {
        auto is_level_op = [&] { return std::any_of(ops.begin(), ops.end(), [&](const char* o) { return is_op(o); }); };
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
        if (is_op("<<") || is_op(">>")) throw ScriptError("shift operators are not supported", peek().span);
        return left;
    }
    ExprPtr term() { return binary_level({"*", "/", "//", "%", "@"}, &Parser::factor); }
    ExprPtr factor() {
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
                if (is_op("]")) throw ScriptError("an index is missing between '[' and ']'", open.span);
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
                if (peek().kind != Token::Kind::kName) throw ScriptError("expected an attribute name after '.'", peek().span);
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
                    if (k.name == name.text) throw ScriptError("keyword argument '" + name.text + "' repeated", name.span);
                c->keywords.push_back({name.text, name.span, expression()});
            } else {
                auto arg = expression();
                if (!c->keywords.empty()) throw ScriptError("positional argument follows keyword argument", arg->span);
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
                    throw ScriptError("adjacent strings are not joined in tessera scripts: use +", peek().span);
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
            default: unexpected();
        }
    }

    ExprPtr parenthesised() {
        const Token open = next();
        if (is_op(")")) return make(Expr::Kind::kTuple, join(open.span, next().span));
        auto first = expression();
        if (is_op(")")) {
            next();
            return first;  // keeps its own span: errors point at the expression, not the parentheses
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
            if (is_name("for")) throw ScriptError("list comprehensions are not supported", peek().span);
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
};

}  // namespace

std::vector<Statement> parse(const Source& source) {
    return Parser(Lexer(source.text).tokens()).program();
}

}  // namespace tessera::script
