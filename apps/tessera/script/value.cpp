#include "value.hpp"

#include "tessera/kernels/dtype.hpp"

namespace tessera::script {

Value make_tuple(Values items) { return Tuple{std::make_shared<const Values>(std::move(items))}; }
Value make_list(Values items) { return List{std::make_shared<Values>(std::move(items))}; }

std::string type_name(const Value& v) {
    struct Names {
        std::string operator()(const NoneValue&) const { return "NoneType"; }
        std::string operator()(bool) const { return "bool"; }
        std::string operator()(std::int64_t) const { return "int"; }
        std::string operator()(double) const { return "float"; }
        std::string operator()(const std::string&) const { return "str"; }
        std::string operator()(const Tuple&) const { return "tuple"; }
        std::string operator()(const List&) const { return "list"; }
        std::string operator()(const Dict&) const { return "dict"; }
        std::string operator()(const SliceValue&) const { return "slice"; }
        std::string operator()(const EllipsisValue&) const { return "ellipsis"; }
        std::string operator()(const DTypeValue&) const { return "dtype"; }
        std::string operator()(const FunctionPtr&) const { return "function"; }
        std::string operator()(const Module&) const { return "module"; }
        std::string operator()(const Array&) const { return "Array"; }
    };
    return std::visit(Names{}, v.v);
}

namespace {

std::string quote(const std::string& s) {
    const char q =
        s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
    std::string out(1, q);
    for (char c : s) {
        if (c == q || c == '\\') out += '\\';
        if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else
            out += c;
    }
    return out + q;
}

std::string text(const Value& v, bool as_repr) {
    struct Text {
        bool as_repr;
        std::string operator()(const NoneValue&) const { return "None"; }
        std::string operator()(bool b) const { return b ? "True" : "False"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const { return format_float(d); }
        std::string operator()(const std::string& s) const { return as_repr ? quote(s) : s; }
        std::string operator()(const Tuple& t) const {
            std::string out = "(";
            for (std::size_t i = 0; i < t.items->size(); ++i)
                out += (i ? ", " : "") + repr((*t.items)[i]);
            return out + (t.items->size() == 1 ? ",)" : ")");
        }
        std::string operator()(const List& l) const {
            std::string out = "[";
            for (std::size_t i = 0; i < l.items->size(); ++i)
                out += (i ? ", " : "") + repr((*l.items)[i]);
            return out + "]";
        }
        std::string operator()(const Dict& d) const {
            std::string out = "{";
            for (std::size_t i = 0; i < d.items->size(); ++i)
                out += (i ? ", " : "") + quote((*d.items)[i].first) + ": " +
                       repr((*d.items)[i].second);
            return out + "}";
        }
        std::string operator()(const SliceValue& s) const {
            auto part = [](const std::optional<std::int64_t>& p) {
                return p ? std::to_string(*p) : "None";
            };
            return "slice(" + part(s.start) + ", " + part(s.stop) + ", " + part(s.step) + ")";
        }
        std::string operator()(const EllipsisValue&) const { return "Ellipsis"; }
        std::string operator()(const DTypeValue& d) const {
            const std::string name(kernels::dtype_name(d.dtype));
            return as_repr ? "dtype('" + name + "')" : name;
        }
        std::string operator()(const FunctionPtr& f) const {
            return "<built-in function " + f->name + ">";
        }
        std::string operator()(const Module& m) const { return "<module '" + m.name + "'>"; }
        std::string operator()(const Array& a) const {
            return format_array_edges(printed_part(a).compute(), a.shape());
        }
    };
    return std::visit(Text{as_repr}, v.v);
}

}  // namespace

Array printed_part(const Array& x) {
    if (!is_summarised(x.shape())) return x;
    Array part = x;
    for (int d = 0; d < x.ndim(); ++d) {
        const std::int64_t n = x.shape()[static_cast<std::size_t>(d)];
        const auto keep = shown_indices(n);
        if (static_cast<std::int64_t>(keep.size()) == n) continue;
        std::vector<Index> head(static_cast<std::size_t>(x.ndim()), Slice{}), tail = head;
        const std::int64_t edge = static_cast<std::int64_t>(keep.size()) / 2;
        head[static_cast<std::size_t>(d)] = Slice{0, edge, std::nullopt};
        tail[static_cast<std::size_t>(d)] = Slice{n - edge, n, std::nullopt};
        part = concatenate({part[head], part[tail]}, d);
    }
    return part;
}

std::string repr(const Value& v) { return text(v, true); }
std::string str(const Value& v) { return text(v, false); }

}  // namespace tessera::script
