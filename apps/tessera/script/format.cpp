// Printing the way Python and NumPy print: floats by Python's repr (the shortest text that
// reads back to the same value) and arrays by NumPy's str() with its default print options
// (precision 8, 'maxprec' float mode, line width 75, summarised beyond 1000 elements with 3
// edge items). The rules follow numpy/core/arrayprint.py.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "tessera/kernels/dispatch.hpp"
#include "value.hpp"

namespace tessera::script {

namespace {

constexpr int kPrecision = 8;
constexpr std::size_t kLineWidth = 75;
constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;

/// Shortest round-trip decimal digits of a finite non-negative value: value = 0.d1d2... *
/// 10^(exponent + 1), i.e. d1.d2... * 10^exponent.
template <class T>
void shortest_digits(T v, std::string& digits, int& exponent) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    const std::string s(buf, r.ptr);
    const std::size_t e = s.find('e');
    digits.clear();
    for (std::size_t i = 0; i < e; ++i)
        if (s[i] != '.') digits += s[i];
    exponent = std::stoi(s.substr(e + 1));
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
}

/// Positional text of digits d1d2... * 10^exponent (d1 the units digit when exponent == 0).
std::string positional(const std::string& digits, int exponent, std::string& frac) {
    std::string integer;
    frac.clear();
    if (exponent >= 0) {
        for (int i = 0; i <= exponent; ++i)
            integer += static_cast<std::size_t>(i) < digits.size()
                           ? digits[static_cast<std::size_t>(i)]
                           : '0';
        if (digits.size() > static_cast<std::size_t>(exponent) + 1)
            frac = digits.substr(static_cast<std::size_t>(exponent) + 1);
    } else {
        integer = "0";
        frac = std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    }
    return integer;
}

template <class T>
std::string python_repr(T v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    const std::string sign = std::signbit(v) ? "-" : "";
    std::string digits;
    int exponent = 0;
    shortest_digits(std::fabs(v), digits, exponent);
    if (exponent >= -4 && exponent < 16) {
        std::string frac;
        const std::string integer = positional(digits, exponent, frac);
        return sign + integer + "." + (frac.empty() ? "0" : frac);
    }
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + e;
}

/// A value as NumPy's dragon4 with unique digits cut at `precision` fractional digits
/// (positional) or mantissa digits (scientific). Returns sign+integer part, fills the fraction
/// (trailing zeros trimmed) and, for scientific, the exponent.
template <class T>
std::string dragon4(T v, bool scientific, std::string& frac, int& exponent) {
    const std::string sign = std::signbit(v) ? "-" : "";
    std::string digits;
    shortest_digits(std::fabs(v), digits, exponent);
    if (scientific) {
        if (static_cast<int>(digits.size()) - 1 > kPrecision) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.*e", kPrecision, static_cast<double>(std::fabs(v)));
            const std::string s(buf);
            digits = s.substr(0, 1) + s.substr(2, static_cast<std::size_t>(kPrecision));
            exponent = std::stoi(s.substr(s.find('e') + 1));
            while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
        }
        frac = digits.substr(1);
        return sign + digits.substr(0, 1);
    }
    std::string integer = positional(digits, exponent, frac);
    if (static_cast<int>(frac.size()) > kPrecision) {
        char buf[512];
        std::snprintf(buf, sizeof buf, "%.*f", kPrecision, static_cast<double>(std::fabs(v)));
        const std::string s(buf);
        const std::size_t dot = s.find('.');
        integer = s.substr(0, dot);
        frac = s.substr(dot + 1);
        while (!frac.empty() && frac.back() == '0') frac.pop_back();
    }
    return sign + integer;
}

/// NumPy's FloatingFormat: decides fixed or scientific and the paddings from all the values
/// shown, then formats each value to the same width.
template <class T>
class FloatFormat {
public:
    explicit FloatFormat(const std::vector<T>& shown) {
        std::vector<T> finite;
        bool has_nonfinite = false, negative_inf = false;
        for (T v : shown) {
            if (std::isfinite(v))
                finite.push_back(v);
            else {
                has_nonfinite = true;
                if (std::isinf(v) && v < 0) negative_inf = true;
            }
        }
        T max_abs = 0, min_abs = 0;
        bool any_nonzero = false;
        for (T v : finite) {
            if (v == 0) continue;
            const T a = std::fabs(v);
            if (!any_nonzero) max_abs = min_abs = a;
            max_abs = std::max(max_abs, a);
            min_abs = std::min(min_abs, a);
            any_nonzero = true;
        }
        scientific_ = any_nonzero &&
                      (max_abs >= T(1e8) || min_abs < T(0.0001) || max_abs / min_abs > T(1000));
        for (T v : finite) {
            std::string frac;
            int exponent = 0;
            const std::string integer = dragon4(v, scientific_, frac, exponent);
            pad_left_ = std::max(pad_left_, integer.size());
            precision_ = std::max(precision_, frac.size());
            if (scientific_)
                exp_digits_ = std::max(exp_digits_, std::to_string(std::abs(exponent)).size());
        }
        exp_digits_ = std::max<std::size_t>(exp_digits_, 2);
        pad_right_ = scientific_ ? exp_digits_ + 2 + precision_ : precision_;
        if (finite.empty()) pad_left_ = pad_right_ = 0;
        if (has_nonfinite) {
            const std::size_t offset = pad_right_ + 1;
            const std::size_t inf_len = 3 + (negative_inf ? 1 : 0);
            pad_left_ = std::max(
                {pad_left_, 3 > offset ? 3 - offset : 0, inf_len > offset ? inf_len - offset : 0});
        }
    }

    std::string operator()(T v) const {
        if (!std::isfinite(v)) {
            const std::string s = std::isnan(v) ? "nan" : (v < 0 ? "-inf" : "inf");
            const std::size_t width = pad_left_ + pad_right_ + 1;
            return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
        }
        std::string frac;
        int exponent = 0;
        const std::string integer = dragon4(v, scientific_, frac, exponent);
        std::string out(pad_left_ > integer.size() ? pad_left_ - integer.size() : 0, ' ');
        out += integer + ".";
        if (scientific_) {
            frac.resize(precision_, '0');  // every value shows the same digits
            std::string e = std::to_string(std::abs(exponent));
            if (e.size() < exp_digits_) e.insert(0, exp_digits_ - e.size(), '0');
            return out + frac + "e" + (exponent < 0 ? "-" : "+") + e;
        }
        return out + frac +
               std::string(pad_right_ > frac.size() ? pad_right_ - frac.size() : 0, ' ');
    }

private:
    bool scientific_ = false;
    std::size_t pad_left_ = 0, pad_right_ = 0, precision_ = 0, exp_digits_ = 0;
};

class IntFormat {
public:
    explicit IntFormat(const std::vector<std::int64_t>& shown) {
        for (auto v : shown) width_ = std::max(width_, std::to_string(v).size());
    }
    std::string operator()(std::int64_t v) const {
        const std::string s = std::to_string(v);
        return std::string(width_ - s.size(), ' ') + s;
    }

private:
    std::size_t width_ = 0;
};

/// numpy's _extendLine.
void extend_line(std::string& s, std::string& line, const std::string& word, std::size_t width,
                 const std::string& prefix) {
    bool wrap = line.size() + word.size() > width;
    if (line.size() <= prefix.size()) wrap = false;  // wrapping would not help
    if (wrap) {
        while (!line.empty() && line.back() == ' ') line.pop_back();
        s += line + "\n";
        line = prefix;
    }
    line += word;
}

/// numpy's _formatArray, over `held`: the elements shown of an array of shape `shape` (all of
/// them, or the edge items of each long dimension when summarising).
template <class Element>
std::string format_nested(const Shape& shape, const Shape& held, const Element& element,
                          bool summarise) {
    const int ndim = static_cast<int>(shape.size());
    std::vector<std::int64_t> strides(held.size(), 1);
    for (int d = ndim - 2; d >= 0; --d)
        strides[static_cast<std::size_t>(d)] =
            strides[static_cast<std::size_t>(d) + 1] * held[static_cast<std::size_t>(d) + 1];
    auto recurse = [&](auto&& self, int axis, std::int64_t offset, const std::string& hanging,
                       std::size_t width) -> std::string {
        const std::string next_hanging = hanging + " ";
        const std::size_t next_width = width - 1;
        const std::int64_t n =
            held[static_cast<std::size_t>(axis)];  // the trailing items are held last
        const bool summary = summarise && 2 * kEdgeItems < shape[static_cast<std::size_t>(axis)];
        const std::int64_t leading = summary ? kEdgeItems : 0;
        const std::int64_t trailing = summary ? kEdgeItems : n;
        const std::int64_t stride = strides[static_cast<std::size_t>(axis)];
        const int left = ndim - axis;
        std::string s;
        if (left == 1) {
            const std::size_t elem_width = width - 1;
            std::string line = hanging;
            for (std::int64_t i = 0; i < leading; ++i) {
                extend_line(s, line, element(offset + i * stride), elem_width, hanging);
                line += " ";
            }
            if (summary) {
                extend_line(s, line, "...", elem_width, hanging);
                line += " ";
            }
            for (std::int64_t i = trailing; i > 1; --i) {
                extend_line(s, line, element(offset + (n - i) * stride), elem_width, hanging);
                line += " ";
            }
            extend_line(s, line, element(offset + (n - 1) * stride), elem_width, hanging);
            s += line;
        } else {
            const std::string separator = std::string(static_cast<std::size_t>(left - 1), '\n');
            for (std::int64_t i = 0; i < leading; ++i)
                s += hanging + self(self, axis + 1, offset + i * stride, next_hanging, next_width) +
                     separator;
            if (summary) s += hanging + "..." + separator;
            for (std::int64_t i = trailing; i > 1; --i)
                s += hanging +
                     self(self, axis + 1, offset + (n - i) * stride, next_hanging, next_width) +
                     separator;
            s +=
                hanging + self(self, axis + 1, offset + (n - 1) * stride, next_hanging, next_width);
        }
        return "[" + s.substr(hanging.size()) + "]";
    };
    return recurse(recurse, 0, 0, " ", kLineWidth);
}

/// The elements of a whole array that NumPy shows (the edge items of each long dimension when
/// summarising), as a smaller array.
Buffer edges_of(const Buffer& b) {
    const Shape& shape = b.shape();
    std::vector<std::vector<std::int64_t>> keep;
    Shape held;
    for (auto n : shape) {
        keep.push_back(shown_indices(n));
        held.push_back(static_cast<std::int64_t>(keep.back().size()));
    }
    Buffer out(b.dtype(), held);
    kernels::visit_dtype(b.dtype(), [&](auto t) {
        using T = decltype(t);
        const T* in = b.data<T>();
        T* dst = out.data<T>();
        std::vector<std::size_t> idx(shape.size(), 0);
        for (std::int64_t k = 0; k < out.size(); ++k) {
            std::int64_t flat = 0;
            for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + keep[d][idx[d]];
            dst[k] = in[flat];
            for (std::size_t d = shape.size(); d-- > 0;) {
                if (++idx[d] < keep[d].size()) break;
                idx[d] = 0;
            }
        }
    });
    return out;
}

}  // namespace

std::string format_float(double v) { return python_repr(v); }
std::string format_float32(float v) { return python_repr(v); }

std::vector<std::int64_t> shown_indices(std::int64_t n) {
    std::vector<std::int64_t> out;
    for (std::int64_t i = 0; i < n; ++i) {
        if (n > 2 * kEdgeItems && i == kEdgeItems) i = n - kEdgeItems;
        out.push_back(i);
    }
    return out;
}

bool is_summarised(const Shape& shape) { return kernels::shape_size(shape) > kThreshold; }

std::string format_array(const Buffer& b) {
    return is_summarised(b.shape()) ? format_array_edges(edges_of(b), b.shape())
                                    : format_array_edges(b, b.shape());
}

std::string format_array_edges(const Buffer& b, const Shape& shape) {
    if (shape.empty()) {
        return kernels::visit_dtype(b.dtype(), [&](auto t) -> std::string {
            using T = decltype(t);
            const T v = b.data<T>()[0];
            if constexpr (std::is_same_v<T, bool>)
                return v ? "True" : "False";
            else if constexpr (std::is_same_v<T, double>)
                return format_float(v);
            else if constexpr (std::is_same_v<T, float>)
                return format_float32(v);
            else
                return std::to_string(v);
        });
    }
    if (kernels::shape_size(shape) == 0) return "[]";
    const bool summarise = is_summarised(shape);
    return kernels::visit_dtype(b.dtype(), [&](auto t) -> std::string {
        using T = decltype(t);
        const T* data = b.data<T>();
        const std::vector<T> shown(data, data + b.size());
        if constexpr (std::is_same_v<T, bool>) {
            return format_nested(
                shape, b.shape(),
                [&](std::int64_t i) { return std::string(data[i] ? " True" : "False"); },
                summarise);
        } else if constexpr (std::is_floating_point_v<T>) {
            const FloatFormat<T> f(shown);
            return format_nested(
                shape, b.shape(), [&](std::int64_t i) { return f(data[i]); }, summarise);
        } else {
            const IntFormat f(std::vector<std::int64_t>(shown.begin(), shown.end()));
            return format_nested(
                shape, b.shape(), [&](std::int64_t i) { return f(data[i]); }, summarise);
        }
    });
}

}  // namespace tessera::script
