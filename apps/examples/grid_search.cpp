// Grid search for a ridge-regression penalty, the seeds' custom-computation example written
// with tessera's delayed/futures API:
//   shared preprocessing (make the data once, standardise it once), a fit-and-score task per
//   (alpha, fold), the fold scores of each alpha merged as they finish, and a reduction to the
//   best alpha.
//
//   mpirun -n 3 tessera-grid-search --rows 200000 --features 40 --alphas 16 --folds 5
#include <CLI/CLI.hpp>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <random>

#include "../common/runtime_cli.hpp"
#include "tessera/kernels/linear_model.hpp"
#include "tessera/tessera.hpp"

namespace {

using tessera::kernels::Buffer;
using tessera::kernels::DType;

/// Cross-validated score of one penalty: a user type, serialized with Boost.
struct Score {
    double alpha = 0;
    double mse_sum = 0;
    int folds = 0;
    double mean() const { return folds ? mse_sum / folds : INFINITY; }
    template <class Archive>
    void serialize(Archive& ar, unsigned /*version*/) {
        ar& alpha& mse_sum& folds;
    }
};

/// Synthetic regression data: (rows, features + 1) float64, the last column the target
/// y = x . w + noise, columns on different scales so that standardising matters.
Buffer make_dataset(std::int64_t seed, std::int64_t rows, std::int64_t features) {
    Buffer data(DType::kFloat64, {rows, features + 1});
    std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
    std::normal_distribution<double> normal;
    std::vector<double> w(static_cast<std::size_t>(features));
    for (auto& v : w) v = normal(rng);
    double* d = data.data<double>();
    for (std::int64_t i = 0; i < rows; ++i) {
        double y = 0;
        for (std::int64_t j = 0; j < features; ++j) {
            const double scale = 1.0 + static_cast<double>(j % 7);
            const double x = scale * normal(rng) + static_cast<double>(j);
            d[i * (features + 1) + j] = x;
            y += w[static_cast<std::size_t>(j)] * (x - static_cast<double>(j)) / scale;
        }
        d[i * (features + 1) + features] = y + 3.0 * normal(rng);
    }
    return data;
}

/// Splits the (rows, features + 1) table into x and y.
std::pair<Buffer, Buffer> split_xy(const Buffer& data, std::int64_t begin, std::int64_t end,
                                   bool inside) {
    const std::int64_t rows = data.shape()[0], cols = data.shape()[1], p = cols - 1;
    const std::int64_t n = inside ? end - begin : rows - (end - begin);
    Buffer x(DType::kFloat64, {n, p}), y(DType::kFloat64, {n});
    const double* d = data.data<double>();
    std::int64_t k = 0;
    for (std::int64_t i = 0; i < rows; ++i) {
        if ((i >= begin && i < end) != inside) continue;
        std::copy(d + i * cols, d + i * cols + p, x.data<double>() + k * p);
        y.data<double>()[k++] = d[i * cols + p];
    }
    return {std::move(x), std::move(y)};
}

/// Shared preprocessing: standardise the feature columns (OpenMP kernel), keep the target.
Buffer standardize_features(Buffer data) {
    auto [x, y] = split_xy(data, 0, data.shape()[0], true);
    const auto scaled = tessera::kernels::standardize(x, tessera::kernels::column_scaling(x));
    const std::int64_t rows = data.shape()[0], p = x.shape()[1];
    double* d = data.data<double>();
    for (std::int64_t i = 0; i < rows; ++i)
        std::copy(scaled.data<double>() + i * p, scaled.data<double>() + (i + 1) * p,
                  d + i * (p + 1));
    return data;
}

/// Fits on every fold but `fold` and scores on `fold`.
Score fit_and_score(const Buffer& data, double alpha, std::int64_t fold, std::int64_t folds) {
    const std::int64_t rows = data.shape()[0];
    const std::int64_t begin = rows * fold / folds, end = rows * (fold + 1) / folds;
    auto [x_train, y_train] = split_xy(data, begin, end, false);
    auto [x_test, y_test] = split_xy(data, begin, end, true);
    const auto w = tessera::kernels::ridge_fit(x_train, y_train, alpha);
    return Score{alpha, tessera::kernels::mean_squared_error(x_test, y_test, w), 1};
}

Score merge_folds(Score a, Score b) {
    return Score{a.alpha, a.mse_sum + b.mse_sum, a.folds + b.folds};
}

/// Ties go to the smaller alpha, so the answer does not depend on reduction order.
Score better(Score a, Score b) {
    if (a.mean() != b.mean()) return a.mean() < b.mean() ? a : b;
    return a.alpha <= b.alpha ? a : b;
}

const auto make_dataset_fn = tessera::register_function("grid_search.make_dataset", make_dataset);
const auto standardize_fn =
    tessera::register_function("grid_search.standardize", standardize_features);
const auto fit_and_score_fn =
    tessera::register_function("grid_search.fit_and_score", fit_and_score);
const auto merge_folds_fn = tessera::register_function("grid_search.merge_folds", merge_folds);
const auto better_fn = tessera::register_function("grid_search.better", better);

/// Pairwise reduction in a fixed tree by position, so the result never depends on timing.
template <class T, class F>
T reduce_tree(std::vector<T> items, const F& combine) {
    while (items.size() > 1) {
        std::vector<T> next;
        for (std::size_t i = 0; i + 1 < items.size(); i += 2)
            next.push_back(combine(items[i], items[i + 1]));
        if (items.size() % 2) next.push_back(items.back());
        items = std::move(next);
    }
    return items.front();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "Ridge-regression grid search with cross-validation on tessera (delayed + futures)"};
    app.footer("Example:\n  mpirun -n 3 tessera-grid-search --rows 100000 --alphas 12 --folds 5");
    tessera::RuntimeOptions options;
    tessera::apps::add_runtime_options(app, options);
    std::int64_t rows = 100000, features = 32, seed = 42, folds = 5;
    int n_alphas = 12;
    bool check = false;
    std::string graph_path;
    app.add_option("--rows", rows, "Rows of the synthetic data set")->check(CLI::PositiveNumber);
    app.add_option("--features", features, "Feature columns")->check(CLI::PositiveNumber);
    app.add_option("--alphas", n_alphas, "Penalties to try, log-spaced from 1e-3 to 1e3")
        ->check(CLI::PositiveNumber);
    app.add_option("--folds", folds, "Cross-validation folds")->check(CLI::Range(2, 1000));
    app.add_option("--seed", seed, "Seed of the synthetic data");
    app.add_option("--graph", graph_path, "Write the task graph as Graphviz DOT");
    app.add_flag("--check", check, "Also compute the search serially on rank 0 and compare");
    if (auto code = tessera::apps::parse_command_line(app, argc, argv)) return *code;

    tessera::Runtime rt(argc, argv, options);
    return rt.run([&] {
        std::vector<double> alphas;
        alphas.reserve(static_cast<std::size_t>(n_alphas));
        for (int i = 0; i < n_alphas; ++i)
            alphas.push_back(n_alphas == 1 ? 1.0 : std::pow(10.0, -3.0 + 6.0 * i / (n_alphas - 1)));

        // Shared preprocessing, submitted once; every fit reads its result where it lives.
        auto prepared = standardize_fn.submit(make_dataset_fn(seed, rows, features));
        // Per alpha, one fit per fold, merged by a small tree of tasks; submitted at once.
        std::vector<tessera::Future<Score>> per_alpha;
        for (double alpha : alphas) {
            std::vector<tessera::Delayed<Score>> fold_scores;
            for (std::int64_t f = 0; f < folds; ++f)
                fold_scores.push_back(fit_and_score_fn(prepared, alpha, f, folds));
            auto merged = reduce_tree(
                fold_scores, [](const auto& a, const auto& b) { return merge_folds_fn(a, b); });
            per_alpha.push_back(tessera::submit(merged));
        }
        for (auto done = tessera::as_completed(per_alpha); auto f = done.next();) {
            const Score s = f->result();
            std::cout << "alpha " << std::setw(10) << std::setprecision(4) << s.alpha << "  cv mse "
                      << std::setprecision(8) << s.mean() << '\n';
        }
        const std::vector<tessera::Delayed<Score>> candidates(per_alpha.begin(), per_alpha.end());
        const auto best =
            reduce_tree(candidates, [](const auto& a, const auto& b) { return better_fn(a, b); });
        if (!graph_path.empty()) rt.client().write_dot(graph_path, best);
        const Score result = best.compute();
        std::cout << std::setprecision(17) << "best alpha " << result.alpha << " cv mse "
                  << result.mean() << '\n';

        if (check) {
            const Buffer data = standardize_features(make_dataset(seed, rows, features));
            Score serial{0, INFINITY, 0};
            for (double alpha : alphas) {
                std::vector<Score> scores;
                for (std::int64_t f = 0; f < folds; ++f)
                    scores.push_back(fit_and_score(data, alpha, f, folds));
                serial = better(serial, reduce_tree(scores, merge_folds));
            }
            const bool same = serial.alpha == result.alpha && serial.mean() == result.mean();
            std::cout << "serial check: " << (same ? "same result" : "DIFFERENT") << '\n';
            if (!same) throw tessera::Error("distributed and serial grid searches disagree");
        }
    });
}
