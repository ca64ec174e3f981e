// A program outside the tessera tree, built against an installed tessera.
#include <iostream>

#include "tessera/tessera.hpp"

namespace {
const auto add = tessera::register_function("consumer.add", [](int a, int b) { return a + b; });
}

int main(int argc, char** argv) {
    tessera::Runtime rt(argc, argv);
    return rt.run([] { std::cout << "consumer: " << add(40, 2).compute() << '\n'; });
}
