// The HTML report of a job (--report): one self-contained file, no network. The tables are
// plain HTML written here; the task stream and the memory chart are drawn by a small script
// from the events embedded as JSON.
#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scheduler.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "tessera/runtime/options.hpp"

namespace tessera {

namespace {

// Beyond this many events the stream shows an even sample (the tables count them all).
constexpr std::size_t kMaxDrawnTasks = 100000;
constexpr std::size_t kMaxDrawnTransfers = 50000;

std::string escape_html(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string seconds_text(double s) {
    std::ostringstream os;
    os.precision(3);
    if (s >= 1)
        os << std::fixed << s << " s";
    else if (s >= 1e-3)
        os << std::fixed << s * 1e3 << " ms";
    else
        os << std::fixed << s * 1e6 << " us";
    return os.str();
}

constexpr const char* kStyle = R"(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; }
th { border-bottom: 1px solid #999; } td:first-child, th:first-child { text-align: left; }
tr:nth-child(even) td { background: #f4f4f4; }
.facts span { display: inline-block; margin-right: 2em; }
canvas { border: 1px solid #ccc; display: block; }
#legend span { display: inline-block; margin-right: 1.2em; }
#legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
#tooltip { position: fixed; background: #fff; border: 1px solid #888; padding: 4px 8px; pointer-events: none;
           display: none; font-size: 12px; }
.note { color: #666; font-size: 12px; }
)";

// Draws the task stream (a lane per rank and thread) and memory over time from DATA.
constexpr const char* kScript = R"(
window.onerror = function (msg) { document.body.dataset.errors = (document.body.dataset.errors || '') + msg + ';'; };
(function () {
  const data = JSON.parse(document.getElementById('data').textContent);
  const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
                   '#9c755f', '#bab0ac', '#86bcb6', '#d37295'];
  const colour = {};
  data.functions.forEach(function (f, i) { colour[f] = palette[i % palette.length]; });
  const legend = document.getElementById('legend');
  data.functions.forEach(function (f) {
    const s = document.createElement('span');
    s.innerHTML = '<i style="background:' + colour[f] + '"></i>';
    s.appendChild(document.createTextNode(f));
    legend.appendChild(s);
  });
  const transferColour = '#999';
  const lanes = data.lanes;
  const laneHeight = 22, labelWidth = 190, width = Math.max(900, window.innerWidth - 60);
  const end = Math.max(data.end, 1e-9);
  const stream = document.getElementById('stream');
  stream.width = width; stream.height = lanes.length * laneHeight + 24;
  const g = stream.getContext('2d');
  const x = function (t) { return labelWidth + (width - labelWidth - 10) * t / end; };
  g.font = '12px sans-serif';
  lanes.forEach(function (name, i) {
    g.fillStyle = i % 2 ? '#fafafa' : '#f0f0f0';
    g.fillRect(0, i * laneHeight, width, laneHeight);
    g.fillStyle = '#333';
    g.fillText(name, 4, i * laneHeight + 15);
  });
  const boxes = [];
  function draw(e, fill) {
    const x0 = x(e[1]), x1 = Math.max(x(e[2]), x0 + 1);
    g.fillStyle = fill;
    g.fillRect(x0, e[0] * laneHeight + 3, x1 - x0, laneHeight - 6);
    boxes.push([x0, x1, e[0], e]);
  }
  data.tasks.forEach(function (e) { draw(e, colour[data.functions[e[3]]]); });
  data.transfers.forEach(function (e) { draw(e, transferColour); });
  g.fillStyle = '#333';
  for (let k = 0; k <= 10; ++k) {
    const t = end * k / 10;
    g.fillText(t.toPrecision(3) + ' s', x(t) - 10, lanes.length * laneHeight + 16);
  }
  const tip = document.getElementById('tooltip');
  stream.addEventListener('mousemove', function (ev) {
    const r = stream.getBoundingClientRect();
    const px = ev.clientX - r.left, lane = Math.floor((ev.clientY - r.top) / laneHeight);
    const hit = boxes.find(function (b) { return b[2] === lane && px >= b[0] - 1 && px <= b[1] + 1; });
    if (!hit) { tip.style.display = 'none'; return; }
    const e = hit[3];
    tip.textContent = (e.length > 5 ? 'transfer ' + e[4] + ' bytes from rank ' + e[5]
                                    : data.functions[e[3]] + ', ' + e[4] + ' bytes out') +
                      ', ' + ((e[2] - e[1]) * 1e3).toFixed(3) + ' ms at ' + e[1].toFixed(4) + ' s';
    tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px';
    tip.style.display = 'block';
  });
  stream.addEventListener('mouseleave', function () { tip.style.display = 'none'; });

  const memory = document.getElementById('memory');
  const mh = 260, mw = width;
  memory.width = mw; memory.height = mh;
  const m = memory.getContext('2d');
  let top = 1;
  data.memory.forEach(function (w) { w.points.forEach(function (p) { top = Math.max(top, p[1], p[2]); }); });
  const mx = function (t) { return 60 + (mw - 80) * t / end; };
  const my = function (b) { return mh - 30 - (mh - 50) * b / top; };
  m.font = '12px sans-serif'; m.strokeStyle = '#999';
  m.beginPath(); m.moveTo(60, 10); m.lineTo(60, mh - 30); m.lineTo(mw - 10, mh - 30); m.stroke();
  m.fillStyle = '#333';
  for (let k = 0; k <= 4; ++k) m.fillText((top * k / 4 / 1048576).toFixed(1) + ' MiB', 2, my(top * k / 4) + 4);
  for (let k = 0; k <= 10; ++k) m.fillText((end * k / 10).toPrecision(3) + ' s', mx(end * k / 10) - 10, mh - 12);
  data.memory.forEach(function (w, i) {
    [[1, palette[i % palette.length], []], [2, palette[i % palette.length], [4, 3]]].forEach(function (series) {
      m.strokeStyle = series[1]; m.setLineDash(series[2]); m.beginPath();
      w.points.forEach(function (p, k) { if (k === 0) m.moveTo(mx(p[0]), my(p[series[0]])); else m.lineTo(mx(p[0]), my(p[series[0]])); });
      m.stroke();
    });
    m.setLineDash([]); m.fillStyle = palette[i % palette.length];
    m.fillText(w.name, 70, 20 + 14 * i);
  });
  document.body.dataset.rendered = 'ok';
})();
)";

}  // namespace

void Scheduler::write_report(const std::string& path) {
    const RunSummary summary = collect();
    using nlohmann::json;
    auto& registry = FunctionRegistry::instance();
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();

    // Lanes: per worker rank, its executor and inline (progress) threads and its transfers.
    std::vector<std::string> lanes;
    std::map<std::pair<int, int>, int> lane_of;
    for (const auto& w : workers_) {
        for (int thread = 0; thread < 3; ++thread) {
            lane_of[{w.rank, thread}] = static_cast<int>(lanes.size());
            lanes.push_back("rank " + std::to_string(w.rank) +
                            (thread == 0   ? " executor"
                             : thread == 1 ? " inline"
                                           : " transfers in"));
        }
    }
    struct OpRow {
        std::uint64_t count = 0;
        double seconds = 0;
        std::uint64_t bytes_in = 0, bytes_out = 0;
    };
    std::map<std::string, OpRow> ops;
    std::map<std::pair<int, int>, OpRow> links;  // (from, to) -> transfers
    std::vector<std::string> functions;
    std::map<std::uint32_t, int> function_index;
    std::size_t total_tasks = 0, total_transfers = 0;
    for (const auto& s : worker_stats_) {
        total_tasks += s.tasks_run.size();
        total_transfers += s.transfers_in.size();
    }
    const std::size_t task_stride =
        std::max<std::size_t>(1, (total_tasks + kMaxDrawnTasks - 1) / kMaxDrawnTasks);
    const std::size_t transfer_stride =
        std::max<std::size_t>(1, (total_transfers + kMaxDrawnTransfers - 1) / kMaxDrawnTransfers);
    json tasks = json::array(), transfers = json::array(), memory = json::array();
    double end = 0;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        const int rank = workers_[i].rank;
        const auto& s = worker_stats_[i];
        json points = json::array();
        const std::size_t point_stride = std::max<std::size_t>(1, s.tasks_run.size() / 2000);
        for (std::size_t k = 0; k < s.tasks_run.size(); ++k) {
            const auto& e = s.tasks_run[k];
            const std::string& name = registry.get(e.fn).name;
            OpRow& row = ops[name];
            ++row.count;
            row.seconds += static_cast<double>(e.end_ns - e.start_ns) * 1e-9;
            row.bytes_in += e.bytes_in;
            row.bytes_out += e.bytes_out;
            const double t0 = static_cast<double>(e.start_ns) * 1e-9,
                         t1 = static_cast<double>(e.end_ns) * 1e-9;
            end = std::max(end, t1);
            auto [it, added] = function_index.emplace(e.fn, static_cast<int>(functions.size()));
            if (added) functions.push_back(name);
            if (k % task_stride == 0)
                tasks.push_back(
                    {lane_of[{rank, static_cast<int>(std::min<std::uint32_t>(e.thread, 1))}], t0,
                     t1, it->second, e.bytes_out});
            if (k % point_stride == 0 || k + 1 == s.tasks_run.size())
                points.push_back({t1, e.memory_bytes, e.spill_bytes});
        }
        memory.push_back(
            {{"name", "rank " + std::to_string(rank) + " (solid: in memory, dashed: spilled)"},
             {"points", points}});
        for (std::size_t k = 0; k < s.transfers_in.size(); ++k) {
            const auto& t = s.transfers_in[k];
            OpRow& link = links[{t.from, rank}];
            ++link.count;
            link.bytes_in += t.bytes;
            const double t0 = static_cast<double>(t.start_ns) * 1e-9,
                         t1 = static_cast<double>(t.end_ns) * 1e-9;
            link.seconds += t1 - t0;
            end = std::max(end, t1);
            if (k % transfer_stride == 0)
                transfers.push_back({lane_of[{rank, 2}], t0, t1, 0, t.bytes, t.from});
        }
    }
    json data = {{"lanes", lanes},         {"functions", functions}, {"tasks", tasks},
                 {"transfers", transfers}, {"memory", memory},       {"end", end}};
    std::string embedded = data.dump();
    // Keep "</script>" inside strings from ending the element.
    for (std::size_t p = 0; (p = embedded.find("</", p)) != std::string::npos; p += 3)
        embedded.replace(p, 2, "<\\/");

    std::ofstream out(path);
    if (!out) throw Error("cannot write the report to " + path);
    out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tessera "
           "report</title><style>"
        << kStyle << "</style></head><body>\n<h1>tessera report</h1>\n<p class=\"facts\">"
        << "<span>" << workers_.size() << " worker rank" << (workers_.size() == 1 ? "" : "s")
        << "</span>"
        << "<span>" << summary.tasks << " tasks</span><span>" << seconds_text(wall)
        << " wall time</span>"
        << "<span>" << summary.transfers << " transfers ("
        << format_bytes(static_cast<double>(summary.transfer_bytes)) << ")</span><span>"
        << summary.spills << " spills (" << format_bytes(static_cast<double>(summary.spill_bytes))
        << ")</span><span>peak worker memory "
        << format_bytes(static_cast<double>(summary.peak_worker_memory)) << "</span></p>\n";
    out << "<h2>Task stream</h2>\n<div id=\"legend\"></div><canvas id=\"stream\"></canvas>\n";
    if (task_stride > 1 || transfer_stride > 1)
        out << "<p class=\"note\">Showing every " << task_stride << "th task and every "
            << transfer_stride << "th transfer of " << total_tasks << " tasks and "
            << total_transfers << " transfers; the tables count them all.</p>\n";
    out << "<h2>Operations</h2>\n<table><tr><th>operation</th><th>tasks</th><th>total "
           "time</th><th>mean time</th>"
           "<th>bytes in</th><th>bytes out</th></tr>\n";
    std::vector<std::pair<std::string, OpRow>> rows(ops.begin(), ops.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
    for (const auto& [name, r] : rows)
        out << "<tr><td>" << escape_html(name) << "</td><td>" << r.count << "</td><td>"
            << seconds_text(r.seconds) << "</td><td>"
            << seconds_text(r.seconds / static_cast<double>(std::max<std::uint64_t>(r.count, 1)))
            << "</td><td>" << format_bytes(static_cast<double>(r.bytes_in)) << "</td><td>"
            << format_bytes(static_cast<double>(r.bytes_out)) << "</td></tr>\n";
    out << "</table>\n<h2>Transfers</h2>\n";
    if (links.empty()) {
        out << "<p>No data moved between workers.</p>\n";
    } else {
        out << "<table><tr><th>from rank</th><th>to "
               "rank</th><th>transfers</th><th>bytes</th><th>time waiting</th>"
               "</tr>\n";
        for (const auto& [link, r] : links)
            out << "<tr><td>" << link.first << "</td><td>" << link.second << "</td><td>" << r.count
                << "</td><td>" << format_bytes(static_cast<double>(r.bytes_in)) << "</td><td>"
                << seconds_text(r.seconds) << "</td></tr>\n";
        out << "</table>\n";
    }
    out << "<h2>Memory and spill over time</h2>\n<canvas id=\"memory\"></canvas>\n"
        << "<p class=\"note\">Bytes each worker holds in its chunk store after each task (solid) "
           "and bytes it "
           "has spilled to its local directory so far (dashed).</p>\n"
        << "<div id=\"tooltip\"></div>\n<script type=\"application/json\" id=\"data\">" << embedded
        << "</script>\n<script>" << kScript << "</script>\n</body></html>\n";
    if (!out) throw Error("cannot write the report to " + path);
}

}  // namespace tessera
