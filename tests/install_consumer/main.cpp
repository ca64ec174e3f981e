// A program outside the tessera tree, built against an installed tessera.
#include <iostream>

#include "tessera/array.hpp"
#include "tessera/tessera.hpp"

namespace {
const auto add = tessera::register_function("consumer.add", [](int a, int b) { return a + b; });
}

int main(int argc, char** argv) {
    tessera::Runtime rt(argc, argv);
    return rt.run([] {
        const tessera::Array x = tessera::ones({30, 20}, tessera::ChunkSpec(7));
        std::cout << "consumer: " << add(40, 2).compute() << ' ' << x.sum().item<double>() << '\n';
    });
}
