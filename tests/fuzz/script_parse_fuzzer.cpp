// libFuzzer target: the script lexer and parser on any bytes. Every input must end in a program or
// in one ScriptError that renders (message, line, caret) without touching memory it should not.
#include <cstddef>
#include <cstdint>
#include <string>

#include "script/syntax.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tessera::script;
    const Source source{"fuzz.tsr", std::string(reinterpret_cast<const char*>(data), size)};
    try {
        const std::vector<Statement> program = parse(source);
        for (const auto& s : program)
            if (s.value) (void)height(*s.value);
    } catch (const ScriptError& e) {
        (void)e.render(source);
    }
    return 0;
}
