#pragma once
// Runs a parsed tessera script on the driver (rank 0): expressions build lazy arrays; print,
// to_hdf5, compute and the conversions to Python numbers run them on the workers.
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "syntax.hpp"
#include "value.hpp"

namespace tessera::script {

struct ScriptOptions {
    /// argv[0] is the script's name, then the arguments after it on the command line.
    std::vector<std::string> argv;
    /// Print the plan of every computation instead of running it.
    bool explain = false;
    /// Workers the plans are estimated for (explain).
    int workers = 1;
};

/// One argument of a call, with where it was written.
struct Argument {
    Value value;
    Span span;
};

class Interpreter;

/// The arguments of one call to a built-in, bound to its parameter names like Python does.
struct CallArgs {
    std::string function;  // for messages
    Span span;             // the whole call
    std::vector<Argument> positional;
    std::vector<std::pair<std::string, Argument>> keywords;
    Interpreter* interpreter = nullptr;

    /// Matches positional and keyword arguments to `params` (the first `required` must be
    /// given). Throws ScriptError for too many, unknown (naming the closest), repeated or
    /// missing arguments.
    void bind(const std::vector<std::string>& params, std::size_t required);
    /// The bound argument, or null when it was not given (or given as None).
    const Argument* get(const std::string& name) const;
    /// A ScriptError pointing at the argument `name` (or at the call).
    ScriptError error(const std::string& name, const std::string& message) const;

private:
    std::map<std::string, const Argument*> bound_;
};

class Interpreter {
public:
    Interpreter(Source source, ScriptOptions options, std::ostream& out);

    /// Runs the whole script; throws ScriptError (render() it with source()).
    void run();

    const Source& source() const { return source_; }
    const ScriptOptions& options() const { return options_; }
    std::ostream& out() { return out_; }
    /// Under --explain: prints the plan of computing `arrays` for the action at `where`.
    void explain(const std::string& action, const std::vector<Array>& arrays, Span where);
    /// Computes arrays for the script (or, under --explain, refuses at `where`), remembering them
    /// for --graph.
    std::vector<Buffer> compute(const std::vector<Array>& arrays);
    /// Records arrays computed some other way (to_hdf5, explained plans).
    void record(const std::vector<Array>& arrays) {
        computed_.insert(computed_.end(), arrays.begin(), arrays.end());
    }
    /// Every array the script computed or explained so far.
    const std::vector<Array>& computed() const { return computed_; }

private:
    void execute(const Statement& s);
    Value evaluate(const Expr& e);
    Value call(const Expr& e);
    Value lookup(const std::string& name, Span where) const;

    Source source_;
    ScriptOptions options_;
    std::ostream& out_;
    std::map<std::string, Value> builtins_;
    std::map<std::string, Value> modules_;  // importable: "numpy", "dask.array", ...
    std::map<std::string, Value> variables_;
    int plans_ = 0;
    std::vector<Array> computed_;
};

/// The built-in names (functions, namespaces, constants) and the importable modules.
void install_builtins(std::map<std::string, Value>& builtins,
                      std::map<std::string, Value>& modules);
/// An attribute of a value (`x.T`, `x.mean`, `np.ones`); throws ScriptError naming the closest.
Value attribute(const Value& object, const std::string& name, Span where);
/// Python's operators on values, NumPy's when an array is involved.
Value binary_operation(const std::string& op, const Value& a, const Value& b, Span where);
Value unary_operation(const std::string& op, const Value& a, Span where);
/// value[index...].
Value subscript(const Value& object, const std::vector<Argument>& index, Span where);
/// Python's truth of a value, for bool(); arrays must have one element.
bool truth(const Value& v, Span where);

/// Up to three names among `candidates` closest to `name`, as "did you mean ...?" text (or "").
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace tessera::script
