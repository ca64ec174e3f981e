// The parts of the syntax tree's header that are code: source lines and error rendering.
#include "syntax.hpp"

#include <algorithm>
#include <climits>
#include <sstream>
#include <utility>
#include <vector>

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

Expr::~Expr() {
    std::vector<ExprPtr> pending;
    const auto adopt = [&pending](Expr& e) {
        for (auto& item : e.items)
            if (item) pending.push_back(std::move(item));
        for (auto& k : e.keywords)
            if (k.value) pending.push_back(std::move(k.value));
    };
    adopt(*this);
    while (!pending.empty()) {
        ExprPtr e = std::move(pending.back());
        pending.pop_back();
        adopt(*e);  // e is freed here with no children left
    }
}

std::pair<int, const Expr*> height(const Expr& root) {
    std::pair<int, const Expr*> deepest{1, &root};
    std::vector<std::pair<const Expr*, int>> pending{{&root, 1}};
    while (!pending.empty()) {
        const auto [e, depth] = pending.back();
        pending.pop_back();
        if (depth > deepest.first) deepest = {depth, e};
        for (const auto& item : e->items)
            if (item) pending.emplace_back(item.get(), depth + 1);
        for (const auto& k : e->keywords)
            if (k.value) pending.emplace_back(k.value.get(), depth + 1);
    }
    return deepest;
}

std::string ScriptError::render(const Source& source) const {
    std::ostringstream os;
    os << source.name << ':' << where_.line << ':' << where_.column << ": error: " << what()
       << '\n';
    if (where_.line <= 0) return os.str();
    std::string text = source.line(where_.line);
    std::replace(text.begin(), text.end(), '\t', ' ');
    const std::string number = std::to_string(where_.line);
    os << ' ' << number << " | " << text << '\n';
    const int first = std::max(where_.column, 1);
    const int last =
        std::max(first + 1, std::min(where_.end_column, static_cast<int>(text.size()) + 1));
    os << ' ' << std::string(number.size(), ' ') << " | "
       << std::string(static_cast<std::size_t>(first - 1), ' ') << '^'
       << std::string(static_cast<std::size_t>(last - first - 1), '~') << '\n';
    return os.str();
}

Span join(Span a, Span b) {
    if (a.line == b.line) return {a.line, a.column, b.end_column};
    return {a.line, a.column, INT_MAX};  // runs on to later lines: mark to the end of the first
}

}  // namespace tessera::script
