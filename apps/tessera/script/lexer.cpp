// The lexer of tessera scripts (lexer.hpp).
#include "lexer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>

namespace tessera::script {

namespace {

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
                if (indent_end != pos_ && indent_end != std::string::npos &&
                    s_[indent_end] != '\n' && s_[indent_end] != '#' && s_[indent_end] != '\r') {
                    // Reported by the parser, so that errors on earlier lines come first.
                    out.push_back({Token::Kind::kIndent,
                                   "",
                                   {line_, 1, 1 + static_cast<int>(indent_end - pos_)}});
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
                while (pos_ < s_.size() &&
                       (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
                    name += advance();
                out.push_back({Token::Kind::kName, name, until(start)});
            } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                       (c == '.' && pos_ + 1 < s_.size() &&
                        std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
                out.push_back(number());
            } else if (c == '"' || c == '\'') {
                out.push_back(string());
            } else {
                out.push_back(op());
            }
        }
        if (depth_ > 0)
            throw ScriptError("'" + std::string(1, open_.back().first) + "' was never closed",
                              open_.back().second);
        if (!out.empty() && out.back().kind != Token::Kind::kNewline)
            out.push_back({Token::Kind::kNewline, "\n", here(1)});
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
    Span until(Span start) const {
        return {start.line, start.column, line_ == start.line ? column_ : INT_MAX};
    }

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
            if (digits.size() == before)
                throw ScriptError("invalid number: the exponent has no digits", until(start));
        }
        if (pos_ < s_.size() &&
            (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
            while (pos_ < s_.size() &&
                   (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
                advance();
            throw ScriptError("invalid number", until(start));
        }
        Token t{is_float ? Token::Kind::kFloat : Token::Kind::kInt, digits, until(start)};
        if (is_float) {
            t.float_value = std::strtod(digits.c_str(), nullptr);
        } else {
            const auto [end, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), t.int_value);
            if (ec != std::errc())
                throw ScriptError("integer too large (tessera integers are 64-bit)", t.span);
        }
        return t;
    }

    Token string() {
        const Span start = here(1);
        const char quote = advance();
        if (s_.compare(pos_, 2, std::string(2, quote)) == 0)
            throw ScriptError("triple-quoted strings are not supported",
                              {start.line, start.column, start.column + 3});
        std::string value;
        while (true) {
            if (pos_ >= s_.size() || s_[pos_] == '\n')
                throw ScriptError("unterminated string", start);
            const char c = advance();
            if (c == quote) break;
            if (c != '\\') {
                value += c;
                continue;
            }
            if (pos_ >= s_.size()) throw ScriptError("unterminated string", start);
            const char e = advance();
            switch (e) {
                case 'n':
                    value += '\n';
                    break;
                case 't':
                    value += '\t';
                    break;
                case 'r':
                    value += '\r';
                    break;
                case '0':
                    value += '\0';
                    break;
                case '\\':
                    value += '\\';
                    break;
                case '\'':
                    value += '\'';
                    break;
                case '"':
                    value += '"';
                    break;
                case '\n':
                    break;
                default:
                    value += '\\';
                    value += e;
            }
        }
        return {Token::Kind::kString, value, until(start)};
    }

    Token op() {
        static const char* const kOps[] = {
            "**=", "//=", "...", "**", "//", "==", "!=", "<=", ">=", "+=", "-=",
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
                throw ScriptError(std::string("closing '") + c + "' does not match the '" +
                                      open_.back().first + "' opened at line " +
                                      std::to_string(open_.back().second.line) + ", column " +
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

}  // namespace

std::vector<Token> tokenize(const std::string& text) { return Lexer(text).tokens(); }

}  // namespace tessera::script
