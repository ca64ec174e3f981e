#pragma once
// The C++ face of dask.delayed and futures.
//
//   const auto add = tessera::register_function("add", [](long a, long b) { return a + b; });
//   tessera::Delayed<long> x = add(1, 2);           // lazy: builds a task, runs nothing
//   tessera::Delayed<long> y = add(x, 10);          // lazy results are arguments of other calls
//   long v = y.compute();                           // runs the graph on the workers
//
// Registration happens at namespace scope (static initialisation) so every rank of the binary
// knows the function by the same name. Argument types are checked when the call is built:
// at compile time through a Function handle, at run time (UsageError) through call("name", ...).
#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "tessera/runtime/task_graph.hpp"

namespace tessera {

template <class T>
class Delayed;
template <class T>
class Future;

namespace detail {
// Bridges to the client that owns a graph; defined in client.cpp.
std::shared_ptr<GraphState> building_graph();
std::vector<Bytes> compute(GraphState& g, std::span<const TaskId> targets);
void hold(GraphState& g, TaskId id);
void release_hold(GraphState& g, TaskId id);
void submit(GraphState& g, std::span<const TaskId> targets);
Bytes future_result(GraphState& g, TaskId id);
std::vector<Bytes> gather(GraphState& g, std::span<const TaskId> ids);
bool finished(GraphState& g, TaskId id);
std::size_t wait_any(GraphState& g, std::span<const TaskId> ids);

/// Keeps a future's result alive on the workers while any copy of the future exists.
struct Hold {
    std::shared_ptr<GraphState> graph;
    TaskId id;
    Hold(std::shared_ptr<GraphState> g, TaskId t) : graph(std::move(g)), id(t) { hold(*graph, id); }
    ~Hold() { release_hold(*graph, id); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
};

template <class T>
struct LazyTraits : std::false_type {};
template <class T>
struct LazyTraits<Delayed<T>> : std::true_type {
    using value_type = T;
    using type = T;
};
template <class T>
struct LazyTraits<Future<T>> : std::true_type {
    using value_type = T;
    using type = T;
};

template <class>
inline constexpr bool kAlwaysFalse = false;

template <class P, class A>
ArgRef bind_argument(GraphState& g, A&& arg) {
    using D = std::decay_t<A>;
    if constexpr (LazyTraits<D>::value) {
        static_assert(std::is_same_v<typename LazyTraits<D>::value_type, P>,
                      "a lazy argument's result type must be the parameter's type");
        if (arg.graph_state().get() != &g)
            throw UsageError(
                "a lazy value from another graph or runtime was passed as an argument");
        return ArgRef::task(arg.id());
    } else {
        static_assert(std::is_convertible_v<A&&, P>,
                      "argument not convertible to the parameter type");
        const Bytes b = encode<P>(P(std::forward<A>(arg)));
        return ArgRef::literal(g.graph.add_literal(b.data(), b.size()));
    }
}

template <class F>
struct CallSignature : CallSignature<decltype(&F::operator())> {};
template <class R, class... A>
struct CallSignature<R (*)(A...)> {
    using type = R(std::decay_t<A>...);
};
template <class C, class R, class... A>
struct CallSignature<R (C::*)(A...) const> {
    using type = R(std::decay_t<A>...);
};
template <class C, class R, class... A>
struct CallSignature<R (C::*)(A...)> {
    using type = R(std::decay_t<A>...);
};

template <class R, class... A, class F, std::size_t... I>
void invoke_decoded(const F& f, std::span<const ArgView> args, Bytes& out,
                    std::index_sequence<I...>) {
    // Braced initialisation evaluates left to right, decoding arguments in order.
    std::tuple<A...> decoded{decode<A>(args[I].data, args[I].size)...};
    ByteWriter w(out);
    Codec<R>::encode(std::apply(f, std::move(decoded)), w);
}
}  // namespace detail

/// A lazy value: the result of a task not yet run. Cheap to copy.
template <class T>
class Delayed {
public:
    using value_type = T;
    Delayed(std::shared_ptr<detail::GraphState> g, TaskId id) : graph_(std::move(g)), id_(id) {}

    /// Runs the graph this value needs and returns the value on the driver.
    T compute() const {
        const TaskId targets[] = {id_};
        auto results = detail::compute(*graph_, targets);
        return decode<T>(results[0].data(), results[0].size());
    }

    TaskId id() const { return id_; }
    const std::shared_ptr<detail::GraphState>& graph_state() const { return graph_; }

private:
    std::shared_ptr<detail::GraphState> graph_;
    TaskId id_;
};

/// A task submitted for execution right away; its result stays on the worker that made it while
/// any copy of the future exists. Progress happens inside tessera calls on the driver
/// (result, gather, as_completed, compute, submit).
template <class T>
class Future {
public:
    using value_type = T;
    Future(std::shared_ptr<detail::GraphState> g, TaskId id)
        : hold_(std::make_shared<detail::Hold>(std::move(g), id)) {}

    /// Waits for the task and fetches its result; rethrows a TaskError if it failed.
    T result() const {
        const Bytes b = detail::future_result(*hold_->graph, hold_->id);
        return decode<T>(b.data(), b.size());
    }
    bool done() const { return detail::finished(*hold_->graph, hold_->id); }
    /// The same task as a lazy value, to build further calls or compute with other values.
    operator Delayed<T>() const { return Delayed<T>(hold_->graph, hold_->id); }

    TaskId id() const { return hold_->id; }
    const std::shared_ptr<detail::GraphState>& graph_state() const { return hold_->graph; }

private:
    std::shared_ptr<detail::Hold> hold_;
};

/// Starts computing a lazy value now and returns its future (Client.compute/persist in Dask).
template <class T>
Future<T> submit(const Delayed<T>& value) {
    Future<T> future(value.graph_state(), value.id());
    const TaskId targets[] = {value.id()};
    detail::submit(*value.graph_state(), targets);
    return future;
}

template <class Sig>
class Function;

/// A handle to a registered function. Calling it builds a lazy task; `submit` runs it now.
template <class R, class... A>
class Function<R(A...)> {
public:
    explicit Function(const FunctionInfo* info) : info_(info) {}

    template <class... Ts>
    Delayed<R> operator()(Ts&&... args) const {
        static_assert(sizeof...(Ts) == sizeof...(A), "wrong number of arguments");
        auto g = detail::building_graph();
        // Braced initialisation binds the arguments left to right.
        const std::array<ArgRef, sizeof...(A)> refs = {
            detail::bind_argument<A>(*g, std::forward<Ts>(args))...};
        const TaskId id = g->graph.add_task(info_->id, refs);
        return Delayed<R>(std::move(g), id);
    }

    /// Submits the call now and returns its future (Client.submit in Dask).
    template <class... Ts>
    Future<R> submit(Ts&&... args) const {
        return tessera::submit((*this)(std::forward<Ts>(args)...));
    }

    /// One future per element of `inputs` (Client.map in Dask); all are submitted at once.
    template <class Range>
    std::vector<Future<R>> map(const Range& inputs) const {
        static_assert(sizeof...(A) == 1, "map needs a function of one argument");
        std::vector<Future<R>> futures;
        std::vector<TaskId> ids;
        for (const auto& input : inputs) {
            Delayed<R> lazy = (*this)(input);
            futures.emplace_back(lazy.graph_state(), lazy.id());
            ids.push_back(lazy.id());
        }
        if (!futures.empty()) detail::submit(*futures.front().graph_state(), ids);
        return futures;
    }

    const FunctionInfo& info() const { return *info_; }
    const std::string& name() const { return info_->name; }

private:
    const FunctionInfo* info_;
};

/// Registers `f` (a function pointer or a non-generic lambda) under `name`. Call at namespace
/// scope so that every rank registers it before the runtime starts.
template <class F>
auto register_function(std::string name, F f) {
    using Sig = typename detail::CallSignature<std::decay_t<F>>::type;
    return [&]<class R, class... A>(R (*)(A...)) {
        static_assert(!std::is_void_v<R>, "a task function must return a value");
        FunctionInfo info;
        info.name = std::move(name);
        info.arg_types = {type_name<A>()...};
        info.result_type = type_name<R>();
        info.invoke = [f](std::span<const ArgView> args, Bytes& out) {
            detail::invoke_decoded<R, A...>(f, args, out, std::index_sequence_for<A...>{});
        };
        return Function<R(A...)>(&FunctionRegistry::instance().add(std::move(info)));
    }(static_cast<Sig*>(nullptr));
}

/// Builds a call of a function known only by name (for scripts and other dynamic front ends).
/// Unknown names, wrong argument counts and wrong argument types throw UsageError here, when the
/// graph is built, with the registered signature in the message.
template <class R, class... Ts>
Delayed<R> call(std::string_view name, Ts&&... args) {
    const FunctionInfo& info = FunctionRegistry::instance().find(name);
    const std::vector<std::string> given = {[] {
        using D = std::decay_t<Ts>;
        if constexpr (detail::LazyTraits<D>::value)
            return type_name<typename detail::LazyTraits<D>::value_type>();
        else
            return type_name<D>();
    }()...};
    std::string signature = info.name + "(";
    for (std::size_t i = 0; i < info.arg_types.size(); ++i)
        signature += (i ? ", " : "") + info.arg_types[i];
    signature += ") -> " + info.result_type;
    if (given.size() != info.arg_types.size())
        throw UsageError(info.name + " takes " + std::to_string(info.arg_types.size()) +
                         " argument(s), got " + std::to_string(given.size()) +
                         "; signature: " + signature);
    for (std::size_t i = 0; i < given.size(); ++i)
        if (given[i] != info.arg_types[i])
            throw UsageError("argument " + std::to_string(i + 1) + " of " + info.name + " is " +
                             given[i] + ", expected " + info.arg_types[i] +
                             "; signature: " + signature);
    if (type_name<R>() != info.result_type)
        throw UsageError(info.name + " returns " + info.result_type + ", not " + type_name<R>());
    auto g = detail::building_graph();
    std::vector<ArgRef> refs;
    (refs.push_back(
         detail::bind_argument<std::decay_t<typename std::conditional_t<
             detail::LazyTraits<std::decay_t<Ts>>::value, detail::LazyTraits<std::decay_t<Ts>>,
             std::type_identity<std::decay_t<Ts>>>::type>>(*g, std::forward<Ts>(args))),
     ...);
    const TaskId id = g->graph.add_task(info.id, refs);
    return Delayed<R>(std::move(g), id);
}

}  // namespace tessera
