#pragma once
// The subcommands of the `tessera` command. Each returns the process exit code: 0 success,
// 1 the job failed (bad input, a failed task), 2 usage (wrong command line, handled by CLI11),
// 128 + N a signal N ended the job.
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/runtime/options.hpp"

namespace tessera::apps {

struct RunRequest {
    std::string script_path;  // empty with -e
    std::string code;         // -e CODE
    std::vector<std::string> args;
    RuntimeOptions runtime;
    std::string graph_path;
    bool explain = false;
};
/// tessera run: the script on rank 0, workers on the other ranks.
int run_script(const RunRequest& request, int& argc, char**& argv);

struct GenArrayRequest {
    std::string path;
    std::string dataset = "x";
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> chunks;
    std::string dtype = "float64";
    std::string distribution = "uniform";
    std::uint64_t seed = 0;
    RuntimeOptions runtime;
};
/// tessera gen array: a random HDF5 dataset written in parallel by the workers.
int generate_array(const GenArrayRequest& request, int& argc, char**& argv);

struct GenTaxiRequest {
    std::string directory;
    std::int64_t files = 8;
    std::int64_t rows = 1'000'000;
    std::uint64_t seed = 42;
    RuntimeOptions runtime;
};
/// tessera gen taxi: NYC-taxi-like CSV files (the columns of ../shared/bench/make_data.py), one
/// task per file.
int generate_taxi(const GenTaxiRequest& request, int& argc, char**& argv);

struct CleanRequest {
    std::vector<std::string> directories;
    bool any_host = false;
    bool dry_run = false;
};
/// tessera clean: the spill directories and temporary outputs in each directory whose job has
/// ended; what a running job on this host uses is kept. 1 if something could not be removed.
int clean_scratch(const CleanRequest& request);

/// tessera info: groups and datasets of an HDF5 file.
int describe_hdf5(const std::string& path);

}  // namespace tessera::apps
