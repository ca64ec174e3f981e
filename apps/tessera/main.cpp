// The tessera command: run scripts on the ranks of an MPI job, generate inputs, list HDF5
// files. Every rank parses the same command line (SPMD); only rank 0 prints usage errors.
//
// Exit codes: 0 success, 1 the job failed (bad input, a failed task), 2 usage, 128 + N a signal N
// ended it (interruption.hpp).
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "../common/runtime_cli.hpp"
#include "commands.hpp"
#include "tessera/io/hdf5_library.hpp"
#include "tessera/io/scratch.hpp"
#include "tessera/runtime/runtime.hpp"
#include "tessera/version.hpp"

namespace {

std::string version_text() {
    return std::string("tessera ") + TESSERA_VERSION + "\nMPI: " + tessera::mpi_library_version() +
           "\nHDF5: " + tessera::io::hdf5_version() +
           (tessera::io::hdf5_is_parallel() ? " (parallel)" : " (serial)");
}

/// Where `tessera run [options] SCRIPT [ARGS...]` or `tessera run [options] -e CODE [ARGS...]`
/// stops being tessera's: the index of the first word that is neither an option of `run` nor an
/// option's value (argc when there is none), and whether -e was given.
struct ScriptSplit {
    int position;
    bool code_given;
};
ScriptSplit split_script_words(CLI::App* run, int argc, char** argv) {
    bool code_given = false;
    int i = 2;  // argv[1] is "run"
    while (i < argc) {
        const std::string word = argv[i];
        if (word == "--") return {i + 1, code_given};
        if (word.size() < 2 || word[0] != '-') break;
        const std::string name = word.substr(0, word.find('='));
        const CLI::Option* option = run->get_option_no_throw(name);
        if (!option) return {argc, code_given};  // an unknown option: CLI11 reports it
        if (name == "-e" || name == "--execute") code_given = true;
        i += option->get_expected_min() > 0 && word.find('=') == std::string::npos ? 2 : 1;
    }
    return {std::min(i, argc), code_given};
}

}  // namespace

int main(int argc, char** argv) {
    using namespace tessera::apps;
    CLI::App app{"tessera: chunked arrays and task graphs on the ranks of an MPI job"};
    app.footer(
        "Examples:\n"
        "  mpirun -n 4 tessera run examples/seeds.tsr\n"
        "  tessera run -e 'print(ones((3, 3)).sum())'\n"
        "  mpirun -n 3 tessera gen array x.h5 --shape 4000,4000 --chunks 1000,1000\n"
        "  tessera info x.h5\n"
        "  tessera clean /tmp\n\n"
        "Exit codes: 0 success, 1 the job failed (bad input or a failed task), 2 usage,\n"
        "128 + N a signal N ended the job (130 SIGINT, 138 SIGUSR1, 140 SIGUSR2, 143 SIGTERM).");
    app.set_version_flag("--version", version_text);
    app.require_subcommand(1);

    RunRequest run;
    CLI::App* run_cmd =
        app.add_subcommand("run", "Run a script (a NumPy-like subset of Python) on all the ranks");
    run_cmd->footer(
        "Rank 0 runs the script and schedules; the other ranks are workers. Arguments after the\n"
        "script reach it as argv (argv[0] is the script).\n\n"
        "Examples:\n"
        "  mpirun -n 4 tessera run seeds.tsr 4000\n"
        "  srun tessera run --memory-limit 8GB --report job.html analysis.tsr input.h5\n"
        "  tessera run -e 'x = random.random((1000, 1000), chunks=250, seed=1); print(x.mean())'\n"
        "  tessera run --explain seeds.tsr");
    run_cmd->add_option("script", run.script_path, "The script file")->type_name("SCRIPT");
    run_cmd->add_option("-e,--execute", run.code, "Run CODE instead of a script file")
        ->type_name("CODE");
    add_runtime_options(*run_cmd, run.runtime);
    run_cmd
        ->add_option("--graph", run.graph_path,
                     "Write the task graph of the script's computations (Graphviz DOT)")
        ->check(output_file())
        ->type_name("FILE.dot");
    run_cmd->add_flag(
        "--explain", run.explain,
        "Print the plan of each computation (layers, tasks, chunks, bytes, estimated peak memory "
        "per worker) without running it");

    CLI::App* gen_cmd =
        app.add_subcommand("gen", "Write synthetic inputs (an HDF5 array, taxi-like CSV files)");
    gen_cmd->require_subcommand(1);
    gen_cmd->footer(
        "Examples:\n"
        "  mpirun -n 3 tessera gen array x.h5 --shape 4000,4000 --chunks 1000,1000 --seed 1\n"
        "  mpirun -n 3 tessera gen taxi trips/ --files 8 --rows 1000000");
    GenArrayRequest gen_array;
    CLI::App* array_cmd = gen_cmd->add_subcommand(
        "array", "A random HDF5 dataset, written in parallel by the workers");
    array_cmd->footer(
        "Example:\n  mpirun -n 3 tessera gen array x.h5 --shape 4000,4000 --chunks 1000,1000 "
        "--seed 1");
    array_cmd->add_option("path", gen_array.path, "Output HDF5 file")
        ->required()
        ->type_name("FILE.h5");
    array_cmd->add_option("--shape", gen_array.shape, "Extent per dimension")
        ->required()
        ->delimiter(',');
    array_cmd
        ->add_option("--chunks", gen_array.chunks,
                     "Chunk per dimension, also the file's chunking (default: about 128 MiB)")
        ->delimiter(',');
    array_cmd->add_option("--dataset", gen_array.dataset, "Dataset name")->capture_default_str();
    array_cmd->add_option("--dtype", gen_array.dtype, "float64, float32, int64 or int32")
        ->capture_default_str();
    array_cmd
        ->add_option("--distribution", gen_array.distribution,
                     "uniform ([0, 1)), normal (0, 1) or integers ([0, 100))")
        ->check(CLI::IsMember({"uniform", "normal", "integers"}))
        ->capture_default_str();
    array_cmd
        ->add_option("--seed", gen_array.seed,
                     "Seed (the same seed gives the same data for any rank count)")
        ->capture_default_str();
    add_runtime_options(*array_cmd, gen_array.runtime);
    GenTaxiRequest gen_taxi;
    CLI::App* taxi_cmd = gen_cmd->add_subcommand(
        "taxi", "NYC-taxi-like CSV files (pickup, passengers, distance, fare, tip)");
    taxi_cmd->footer("Example:\n  mpirun -n 3 tessera gen taxi trips/ --files 8 --rows 1000000");
    taxi_cmd->add_option("directory", gen_taxi.directory, "Output directory (created if missing)")
        ->required();
    taxi_cmd->add_option("--files", gen_taxi.files, "Number of files (trips-0.csv, ...)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    taxi_cmd->add_option("--rows", gen_taxi.rows, "Rows per file")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    taxi_cmd->add_option("--seed", gen_taxi.seed, "Seed")->capture_default_str();
    add_runtime_options(*taxi_cmd, gen_taxi.runtime);

    std::string info_path;
    CLI::App* info_cmd = app.add_subcommand("info", "List the groups and datasets of an HDF5 file");
    info_cmd->footer("Example:\n  tessera info x.h5");
    info_cmd->add_option("path", info_path, "HDF5 file")->required()->type_name("FILE.h5");

    CleanRequest clean;
    CLI::App* clean_cmd = app.add_subcommand(
        "clean", "Remove the spill files and temporary outputs of jobs that were killed");
    clean_cmd->footer(
        "A job removes its own scratch when it ends, even by SIGTERM, SIGINT, SIGUSR1 or SIGUSR2;\n"
        "a SIGKILL or a lost node leaves it, named after its host and process. What a running job\n"
        "on this host uses is kept. Workers also remove abandoned spill directories as they "
        "start.\n\n"
        "Examples:\n"
        "  tessera clean                  # $TMPDIR, or /tmp\n"
        "  tessera clean /local/scratch results/ --dry-run");
    clean_cmd
        ->add_option("directories", clean.directories,
                     "Where to look: spill directories (--local-dir) and output directories "
                     "(default: $TMPDIR or /tmp)")
        ->type_name("DIR");
    clean_cmd->add_flag("--any-host", clean.any_host,
                        "Also remove what other hosts' jobs left (their liveness cannot be checked "
                        "from here)");
    clean_cmd->add_flag("--dry-run", clean.dry_run, "Only list what would be removed");

    const std::string first = argc > 1 ? argv[1] : "";
    if (!first.empty() && first[0] != '-' && first != "run" && first != "gen" && first != "info" &&
        first != "clean") {
        if (tessera::launcher_rank().value_or(0) == 0)
            std::cerr << "tessera: unknown command '" << first
                      << "' (the commands are run, gen, info and clean)\n"
                      << "Run with --help for more information.\n";
        return usage_error_code();
    }
    // Everything after the script (or after -e CODE, the first positional on) belongs to the
    // script: only the words before it are tessera's.
    int tessera_argc = argc;
    if (first == "run") {
        const ScriptSplit split = split_script_words(run_cmd, argc, argv);
        tessera_argc =
            split.position < argc && !split.code_given ? split.position + 1 : split.position;
        for (int i = tessera_argc; i < argc; ++i) run.args.emplace_back(argv[i]);
    }
    if (auto code = parse_command_line(app, tessera_argc, argv)) return *code;

    if (run_cmd->parsed()) {
        if (run.code.empty() && run.script_path.empty()) {
            if (tessera::launcher_rank().value_or(0) == 0)
                std::cerr
                    << "tessera run: give a script file or -e CODE (see tessera run --help)\n";
            return usage_error_code();
        }
        return run_script(run, argc, argv);
    }
    if (array_cmd->parsed()) return generate_array(gen_array, argc, argv);
    if (taxi_cmd->parsed()) return generate_taxi(gen_taxi, argc, argv);
    if (info_cmd->parsed()) return describe_hdf5(info_path);
    if (clean_cmd->parsed()) {
        if (clean.directories.empty())
            clean.directories.push_back(tessera::io::default_scratch_directory().string());
        return clean_scratch(clean);
    }
    return 2;
}
