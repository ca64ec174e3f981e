#include "interpreter.hpp"

#include <ostream>

#include "tessera/runtime/function_registry.hpp"
#include "tessera/runtime/runtime.hpp"

namespace tessera::script {

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
    const auto close = closest_names(name, candidates, 3);
    if (close.empty()) return "";
    std::string out = "; did you mean ";
    for (std::size_t i = 0; i < close.size(); ++i) {
        if (i) out += i + 1 == close.size() ? " or " : ", ";
        out += "'" + close[i] + "'";
    }
    return out + "?";
}

// ---------------------------------------------------------------------------------------------
// Arguments

void CallArgs::bind(const std::vector<std::string>& params, std::size_t required) {
    bound_.clear();
    if (positional.size() > params.size()) {
        throw ScriptError(function + "() takes " + (required == params.size() ? "" : "at most ") +
                              std::to_string(params.size()) + " positional argument" +
                              (params.size() == 1 ? "" : "s") + " but " +
                              std::to_string(positional.size()) + " were given",
                          positional[params.size()].span);
    }
    for (std::size_t i = 0; i < positional.size(); ++i) bound_[params[i]] = &positional[i];
    for (const auto& [name, arg] : keywords) {
        if (std::find(params.begin(), params.end(), name) == params.end())
            throw ScriptError(function + "() got an unexpected keyword argument '" + name + "'" +
                                  did_you_mean(name, params),
                              arg.span);
        if (bound_.count(name))
            throw ScriptError(function + "() got multiple values for argument '" + name + "'",
                              arg.span);
        bound_[name] = &arg;
    }
    for (std::size_t i = 0; i < required; ++i)
        if (!bound_.count(params[i]))
            throw ScriptError(function + "() missing required argument '" + params[i] + "'", span);
}

const Argument* CallArgs::get(const std::string& name) const {
    auto it = bound_.find(name);
    if (it == bound_.end() || it->second->value.is<NoneValue>()) return nullptr;
    return it->second;
}

ScriptError CallArgs::error(const std::string& name, const std::string& message) const {
    auto it = bound_.find(name);
    return ScriptError(function + "(): " + message, it == bound_.end() ? span : it->second->span);
}

// ---------------------------------------------------------------------------------------------
// The interpreter

Interpreter::Interpreter(Source source, ScriptOptions options, std::ostream& out)
    : source_(std::move(source)), options_(std::move(options)), out_(out) {
    install_builtins(builtins_, modules_);
    Values argv;
    for (const auto& a : options_.argv) argv.emplace_back(a);
    builtins_["argv"] = make_list(std::move(argv));
}

void Interpreter::run() {
    const std::vector<Statement> program = parse(source_);
    for (const auto& s : program) {
        set_driver_location(source_.name + ":" + std::to_string(s.span.line));
        execute(s);
    }
    out_.flush();
}

void Interpreter::execute(const Statement& s) {
    switch (s.kind) {
        case Statement::Kind::kExpression:
            evaluate(*s.value);
            return;
        case Statement::Kind::kImport: {
            auto it = modules_.find(s.module);
            if (it == modules_.end()) {
                std::vector<std::string> names;
                for (const auto& [n, _] : modules_) names.push_back(n);
                throw ScriptError(
                    "no module named '" + s.module + "' (tessera scripts can import " +
                        "numpy, dask.array and tessera, which all name tessera's arrays)" +
                        did_you_mean(s.module, names),
                    s.value->span);
            }
            // 'import dask.array' binds 'dask', as in Python.
            const std::string top = s.module.substr(0, s.module.find('.'));
            const bool aliased = s.targets[0].first != top;
            variables_[s.targets[0].first] = aliased ? it->second : modules_.at(top);
            return;
        }
        case Statement::Kind::kAssign: {
            Value v = evaluate(*s.value);
            if (s.targets.size() == 1) {
                variables_[s.targets[0].first] = std::move(v);
                return;
            }
            const Values* items = v.is<Tuple>()  ? v.as<Tuple>().items.get()
                                  : v.is<List>() ? v.as<List>().items.get()
                                                 : nullptr;
            if (!items)
                throw ScriptError("cannot unpack a value of type '" + type_name(v) + "' into " +
                                      std::to_string(s.targets.size()) + " names",
                                  s.value->span);
            if (items->size() != s.targets.size())
                throw ScriptError("cannot unpack " + std::to_string(items->size()) +
                                      " values into " + std::to_string(s.targets.size()) + " names",
                                  s.value->span);
            for (std::size_t i = 0; i < items->size(); ++i)
                variables_[s.targets[i].first] = (*items)[i];
            return;
        }
        case Statement::Kind::kAugAssign: {
            const auto& [name, where] = s.targets[0];
            Value current = lookup(name, where);
            Value rhs = evaluate(*s.value);
            variables_[name] = binary_operation(s.op, current, rhs, s.span);
            return;
        }
    }
}

Value Interpreter::lookup(const std::string& name, Span where) const {
    if (auto it = variables_.find(name); it != variables_.end()) return it->second;
    if (auto it = builtins_.find(name); it != builtins_.end()) return it->second;
    std::vector<std::string> names;
    for (const auto& [n, _] : variables_) names.push_back(n);
    for (const auto& [n, _] : builtins_) names.push_back(n);
    throw ScriptError("name '" + name + "' is not defined" + did_you_mean(name, names), where);
}

Value Interpreter::evaluate(const Expr& e) {
    switch (e.kind) {
        case Expr::Kind::kName:
            return lookup(e.text, e.span);
        case Expr::Kind::kInt:
            return e.int_value;
        case Expr::Kind::kFloat:
            return e.float_value;
        case Expr::Kind::kString:
            return e.text;
        case Expr::Kind::kTrue:
            return true;
        case Expr::Kind::kFalse:
            return false;
        case Expr::Kind::kNone:
            return NoneValue{};
        case Expr::Kind::kEllipsis:
            return EllipsisValue{};
        case Expr::Kind::kTuple:
        case Expr::Kind::kList: {
            Values items;
            for (const auto& i : e.items) items.push_back(evaluate(*i));
            return e.kind == Expr::Kind::kTuple ? make_tuple(std::move(items))
                                                : make_list(std::move(items));
        }
        case Expr::Kind::kDict: {
            Dict d{std::make_shared<std::vector<std::pair<std::string, Value>>>()};
            for (std::size_t i = 0; i < e.items.size(); i += 2) {
                Value key = evaluate(*e.items[i]);
                if (!key.is<std::string>())
                    throw ScriptError(
                        "dictionary keys must be strings, not '" + type_name(key) + "'",
                        e.items[i]->span);
                Value value = evaluate(*e.items[i + 1]);
                auto& items = *d.items;
                auto it = std::find_if(items.begin(), items.end(), [&](const auto& kv) {
                    return kv.first == key.as<std::string>();
                });
                if (it != items.end())
                    it->second = std::move(value);
                else
                    items.emplace_back(key.as<std::string>(), std::move(value));
            }
            return d;
        }
        case Expr::Kind::kUnary:
            return unary_operation(e.text, evaluate(*e.items[0]), e.span);
        case Expr::Kind::kBinary: {
            Value a = evaluate(*e.items[0]);
            Value b = evaluate(*e.items[1]);
            return binary_operation(e.text, a, b, e.span);
        }
        case Expr::Kind::kCall:
            return call(e);
        case Expr::Kind::kConditional:
            return truth(evaluate(*e.items[1]), e.items[1]->span) ? evaluate(*e.items[0])
                                                                  : evaluate(*e.items[2]);
        case Expr::Kind::kAttribute:
            return attribute(evaluate(*e.items[0]), e.text, e.span);
        case Expr::Kind::kSubscript: {
            Value object = evaluate(*e.items[0]);
            std::vector<Argument> index;
            for (std::size_t i = 1; i < e.items.size(); ++i)
                index.push_back({evaluate(*e.items[i]), e.items[i]->span});
            return subscript(object, index, e.span);
        }
        case Expr::Kind::kSlice: {
            SliceValue s;
            std::optional<std::int64_t>* parts[] = {&s.start, &s.stop, &s.step};
            for (std::size_t i = 0; i < 3; ++i) {
                if (!e.items[i]) continue;
                Value v = evaluate(*e.items[i]);
                if (v.is<NoneValue>()) continue;
                if (!v.is<std::int64_t>() && !v.is<bool>())
                    throw ScriptError(
                        "slice indices must be integers or None, not '" + type_name(v) + "'",
                        e.items[i]->span);
                *parts[i] = v.is<bool>() ? std::int64_t{v.as<bool>()} : v.as<std::int64_t>();
            }
            if (s.step && *s.step == 0)
                throw ScriptError("slice step cannot be zero", e.items[2]->span);
            return s;
        }
    }
    throw ScriptError("internal: unknown expression", e.span);
}

Value Interpreter::call(const Expr& e) {
    Value callee = evaluate(*e.items[0]);
    if (!callee.is<FunctionPtr>())
        throw ScriptError("'" + type_name(callee) + "' object is not callable", e.items[0]->span);
    const Function& f = *callee.as<FunctionPtr>();
    CallArgs args;
    args.function = f.name;
    args.span = e.span;
    args.interpreter = this;
    for (std::size_t i = 1; i < e.items.size(); ++i)
        args.positional.push_back({evaluate(*e.items[i]), e.items[i]->span});
    for (const auto& k : e.keywords) {
        const Span whole{k.name_span.line, k.name_span.column,
                         k.value->span.line == k.name_span.line ? k.value->span.end_column
                                                                : k.name_span.end_column};
        args.keywords.push_back({k.name, {evaluate(*k.value), whole}});
    }
    try {
        return f.call(args);
    } catch (const ScriptError&) {
        throw;
    } catch (const TaskError& err) {
        throw ScriptError(err.what(), e.span);
    } catch (const Error& err) {
        // The C++ API names itself ("to_hdf5: ..."); the script's message names the call once.
        std::string_view what = err.what();
        if (what.starts_with(f.name + ": ")) what.remove_prefix(f.name.size() + 2);
        throw ScriptError(f.name + "(): " + std::string(what), e.span);
    } catch (const std::bad_alloc& err) {
        throw ScriptError(f.name + "(): " + error_message(err), e.span);
    }
}

std::vector<Buffer> Interpreter::compute(const std::vector<Array>& arrays) {
    record(arrays);
    return tessera::compute(arrays);
}

void Interpreter::explain(const std::string& action, const std::vector<Array>& arrays, Span where) {
    record(arrays);
    const Plan plan = tessera::explain(arrays, options_.workers);
    out_ << "plan " << ++plans_ << ": " << action << " at " << source_.name << ':' << where.line
         << '\n'
         << plan.to_string() << '\n';
}

}  // namespace tessera::script
