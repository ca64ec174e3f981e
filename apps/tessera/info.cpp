// tessera info: what an HDF5 file holds, as h5ls -v would summarise it.
#include <iostream>

#include "commands.hpp"
#include "tessera/io/hdf5.hpp"

namespace tessera::apps {

int describe_hdf5(const std::string& path) {
    std::vector<io::ObjectListing> objects;
    try {
        objects = io::describe_file(path);
    } catch (const std::exception& e) {
        std::cerr << "tessera: error: " << e.what() << '\n';
        return 1;
    }
    using kernels::shape_text;
    std::cout << path << '\n';
    for (const auto& o : objects) {
        if (o.is_group) {
            std::cout << o.path << "  group\n";
        } else {
            std::cout << o.path << "  dataset " << shape_text(o.shape) << ' ' << o.type << "  "
                      << (o.chunks.empty() ? "contiguous" : "chunks " + shape_text(o.chunks))
                      << (o.compression.empty() ? "" : "  " + o.compression) << '\n';
        }
        for (const auto& [name, value] : o.attributes)
            std::cout << "    @" << name << " = " << value << '\n';
    }
    return 0;
}

}  // namespace tessera::apps
