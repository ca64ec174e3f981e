// The tessera command. This first version reports how tessera was built; `run`, `gen` and
// `info` (scripts, synthetic inputs, HDF5 listings) are still to come.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "tessera/io/hdf5_library.hpp"
#include "tessera/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"tessera: chunked arrays and task graphs on the ranks of an MPI job"};
    app.footer("Example:\n  tessera --version");
    app.set_version_flag("--version", [] {
        char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0;
        MPI_Get_library_version(mpi, &len);
        std::string mpi_line(mpi, static_cast<std::size_t>(len));
        mpi_line = mpi_line.substr(0, mpi_line.find_first_of(",\n"));
        return std::string("tessera ") + TESSERA_VERSION + "\nMPI: " + mpi_line +
               "\nHDF5: " + tessera::io::hdf5_version() +
               (tessera::io::hdf5_is_parallel() ? " (parallel)" : " (serial)");
    });
    app.require_subcommand(0);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    std::cout << app.help();
    return 0;
}
