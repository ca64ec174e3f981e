// tessera run: rank 0 reads, parses and runs the script; the other ranks are workers.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "script/interpreter.hpp"
#include "tessera/runtime/runtime.hpp"

namespace tessera::apps {

namespace {

script::Source load(const RunRequest& r) {
    if (!r.code.empty()) return {"-e", r.code};
    std::error_code ec;
    if (std::filesystem::is_directory(r.script_path, ec))
        throw Error("cannot read the script " + r.script_path + ": it is a directory");
    std::ifstream in(r.script_path, std::ios::binary);
    if (!in) throw Error("cannot read the script " + r.script_path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw Error("cannot read the script " + r.script_path + ": " + std::strerror(errno));
    return {r.script_path, text.str()};
}

}  // namespace

int run_script(const RunRequest& request, int& argc, char**& argv) {
    Runtime rt(argc, argv, request.runtime);
    return rt.run([&] {
        const script::Source source = load(request);
        script::ScriptOptions options;
        options.argv.push_back(source.name);
        options.argv.insert(options.argv.end(), request.args.begin(), request.args.end());
        options.explain = request.explain;
        options.workers = rt.client().num_workers();
        script::Interpreter interpreter(source, options, std::cout);
        try {
            interpreter.run();
        } catch (const script::ScriptError& e) {
            std::cout.flush();
            std::cerr << e.render(source);
            rt.client().set_exit_code(1);
            return;
        }
        if (!request.graph_path.empty()) write_dot(request.graph_path, interpreter.computed());
    });
}

}  // namespace tessera::apps
