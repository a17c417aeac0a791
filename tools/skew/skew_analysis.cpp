#include "skew/skew_analysis.h"
#include "core/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace lockstep::skew {
namespace {

constexpr double kNsPerMsD = 1e6;

Distribution distribution(std::vector<double> abs_ms) {
  Distribution d;
  d.count = int64_t(abs_ms.size());
  if (abs_ms.empty()) return d;
  std::sort(abs_ms.begin(), abs_ms.end());
  d.p50_ms = percentile_of_sorted(abs_ms, 0.50);
  d.p99_ms = percentile_of_sorted(abs_ms, 0.99);
  d.max_ms = abs_ms.back();
  return d;
}

/// Index of the last line at or before t, or -1.
ptrdiff_t line_at(const NodeLog& log, int64_t t) {
  const auto it = std::upper_bound(log.lines.begin(), log.lines.end(), t,
                                   [](int64_t v, const PresentLine& l) { return v < l.t_ns; });
  return ptrdiff_t(it - log.lines.begin()) - 1;
}

/// Frame switches of one node inside [from, to], grouped by frame: times in order.
std::map<int64_t, std::vector<int64_t>> frame_switches(const NodeLog& log, int64_t from,
                                                       int64_t to) {
  std::map<int64_t, std::vector<int64_t>> out;
  for (size_t i = 1; i < log.lines.size(); ++i) {
    const PresentLine& l = log.lines[i];
    if (l.paused || l.shown == log.lines[i - 1].shown) continue;
    if (l.t_ns < from || l.t_ns > to) continue;
    out[l.shown].push_back(l.t_ns);
  }
  return out;
}

/// Index of the element of `sorted` nearest to t (non-empty input).
size_t nearest(const std::vector<int64_t>& sorted, int64_t t) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), t);
  if (it == sorted.end()) return sorted.size() - 1;
  const size_t i = size_t(it - sorted.begin());
  if (i == 0) return 0;
  return (t - sorted[i - 1] <= *it - t) ? i - 1 : i;
}

PairSkew pair_skew(const NodeLog& a, const NodeLog& b, size_t ia, size_t ib, int64_t window_start,
                   int64_t window_end) {
  PairSkew p;
  p.a = ia;
  p.b = ib;
  const auto sa = frame_switches(a, window_start, window_end);
  const auto sb = frame_switches(b, window_start, window_end);
  std::vector<std::pair<int64_t, int64_t>> matched;  // (t_a, t_b)
  int64_t paired_b = 0, total_b = 0;
  for (const auto& [frame, times] : sb) total_b += int64_t(times.size());
  for (const auto& [frame, times_a] : sa) {
    const auto it = sb.find(frame);
    if (it == sb.end()) {
      p.unpaired_a += int64_t(times_a.size());
      continue;
    }
    const std::vector<int64_t>& times_b = it->second;
    for (const int64_t ta : times_a) {
      const int64_t tb = times_b[nearest(times_b, ta)];
      if (times_a[nearest(times_a, tb)] != ta) {
        ++p.unpaired_a;
        continue;
      }
      matched.emplace_back(ta, tb);
      ++paired_b;
    }
  }
  p.unpaired_b = total_b - paired_b;
  std::sort(matched.begin(), matched.end());
  std::vector<double> abs_ms;
  double sum = 0.0;
  for (const auto& [ta, tb] : matched) {
    const double skew = double(tb - ta) / kNsPerMsD;
    abs_ms.push_back(std::fabs(skew));
    sum += skew;
    p.series.push_back({double(ta - window_start) / 1e9, skew});
  }
  p.mean_signed_ms = matched.empty() ? 0.0 : sum / double(matched.size());
  p.abs = distribution(std::move(abs_ms));
  return p;
}

Agreement agreement(const std::vector<NodeLog>& logs, int64_t start, int64_t end) {
  Agreement a;
  // Ticks: every non-paused line of every node inside the window.
  for (size_t n = 0; n < logs.size(); ++n) {
    for (const PresentLine& tick : logs[n].lines) {
      if (tick.paused || tick.t_ns < start || tick.t_ns > end) continue;
      bool counted = true, agree = true;
      for (size_t m = 0; m < logs.size() && counted; ++m) {
        if (m == n) continue;
        const ptrdiff_t i = line_at(logs[m], tick.t_ns);
        if (i < 0 || logs[m].lines[size_t(i)].paused)
          counted = false;
        else if (logs[m].lines[size_t(i)].shown != tick.shown)
          agree = false;
      }
      if (!counted) continue;
      ++a.ticks;
      if (agree) ++a.agreeing;
    }
  }
  a.tick_share = a.ticks ? double(a.agreeing) / double(a.ticks) : 0.0;

  // Time: between consecutive line times (of any node) what every node shows is constant.
  std::vector<int64_t> edges{start, end};
  for (const NodeLog& log : logs)
    for (const PresentLine& l : log.lines)
      if (l.t_ns > start && l.t_ns < end) edges.push_back(l.t_ns);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  int64_t playing_ns = 0, same_ns = 0;
  for (size_t k = 0; k + 1 < edges.size(); ++k) {
    bool playing = true, same = true;
    int64_t first = 0;
    for (size_t m = 0; m < logs.size() && playing; ++m) {
      const ptrdiff_t i = line_at(logs[m], edges[k]);
      if (i < 0 || logs[m].lines[size_t(i)].paused) {
        playing = false;
        break;
      }
      const int64_t shown = logs[m].lines[size_t(i)].shown;
      if (m == 0)
        first = shown;
      else if (shown != first)
        same = false;
    }
    if (!playing) continue;
    const int64_t span = edges[k + 1] - edges[k];
    playing_ns += span;
    if (same) same_ns += span;
  }
  a.time_share = playing_ns ? double(same_ns) / double(playing_ns) : 0.0;

  // Session ticks: the frame each node presented for the same tick of the session clock.
  std::map<int64_t, std::vector<std::optional<int64_t>>> by_tick;  // session_ns → frame per node
  for (size_t n = 0; n < logs.size(); ++n) {
    for (const PresentLine& l : logs[n].lines) {
      if (!l.session_ns || l.t_ns < start || l.t_ns > end) continue;
      auto& row = by_tick[*l.session_ns];
      row.resize(logs.size());
      row[n] = l.paused ? std::optional<int64_t>() : std::optional<int64_t>(l.shown);
    }
  }
  for (const auto& [tick, row] : by_tick) {
    if (row.size() != logs.size() ||
        std::any_of(row.begin(), row.end(), [](const auto& f) { return !f.has_value(); }))
      continue;
    ++a.session_ticks;
    if (std::all_of(row.begin(), row.end(), [&](const auto& f) { return *f == *row[0]; }))
      ++a.session_agreeing;
  }
  a.session_tick_share = a.session_ticks ? double(a.session_agreeing) / double(a.session_ticks) : 0.0;
  return a;
}

nlohmann::json distribution_json(const Distribution& d) {
  return {{"count", d.count}, {"p50_ms", d.p50_ms}, {"p99_ms", d.p99_ms}, {"max_ms", d.max_ms}};
}

}  // namespace

Result<NodeLog> parse_present_log(std::string_view text, const std::string& name) {
  NodeLog log;
  log.name = name;
  size_t pos = 0;
  int line_number = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    const bool complete = eol != std::string_view::npos;
    if (!complete) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    PresentLine parsed;
    const std::string why = parse_present_line(line, parsed);
    if (why.empty()) {
      log.lines.push_back(parsed);
    } else if (!complete) {
      log.truncated_tail = true;  // the node was cut off while writing its last line
    } else {
      return make_error(
          fmt::format("{} line {}: {} (is this a present log written by "
                      "'lockstep play --present-log'?)",
                      name, line_number, why));
    }
  }
  if (log.lines.empty())
    return make_error(fmt::format("{} has no present lines (empty log: did the node play?)", name));
  std::stable_sort(log.lines.begin(), log.lines.end(),
                   [](const PresentLine& x, const PresentLine& y) { return x.t_ns < y.t_ns; });
  return log;
}

Result<NodeLog> read_present_log(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return make_error(fmt::format("cannot read the present log '{}': it is a folder", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(fmt::format("cannot read the present log '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(fmt::format("cannot read the present log '{}'", path));
  return parse_present_log(text.str(), path);
}

Result<SkewReport> analyse(const std::vector<NodeLog>& logs, const SkewParams& params) {
  if (logs.size() < 2)
    return make_error(
        fmt::format("need the present logs of at least 2 nodes, got {}", logs.size()));
  SkewReport r;
  int64_t latest_first = INT64_MIN, earliest_last = INT64_MAX;
  for (const NodeLog& log : logs) {
    if (log.lines.empty()) return make_error(fmt::format("{} has no present lines", log.name));
    r.nodes.push_back(log.name);
    latest_first = std::max(latest_first, log.lines.front().t_ns);
    earliest_last = std::min(earliest_last, log.lines.back().t_ns);
  }
  r.window_start_ns = latest_first + int64_t(std::llround(params.after_s * 1e9));
  r.window_end_ns = earliest_last;
  if (r.window_end_ns <= r.window_start_ns)
    return make_error(fmt::format(
        "the logs do not overlap in time{}: were they written by nodes running at the same "
        "time on this machine?",
        params.after_s > 0 ? fmt::format(" after the first {} s (--after)", params.after_s) : ""));

  for (size_t a = 0; a < logs.size(); ++a)
    for (size_t b = a + 1; b < logs.size(); ++b)
      r.pairs.push_back(pair_skew(logs[a], logs[b], a, b, r.window_start_ns, r.window_end_ns));
  r.agreement = agreement(logs, r.window_start_ns, r.window_end_ns);

  for (size_t n = 0; n < logs.size(); ++n) {
    std::vector<double> abs_ms;
    double sum = 0.0;
    for (const PresentLine& l : logs[n].lines) {
      if (!l.clock_err_ns || l.t_ns < r.window_start_ns || l.t_ns > r.window_end_ns) continue;
      const double ms = double(*l.clock_err_ns) / kNsPerMsD;
      abs_ms.push_back(std::fabs(ms));
      sum += ms;
    }
    if (abs_ms.empty()) continue;
    ClockErrorStats c;
    c.node = n;
    c.mean_signed_ms = sum / double(abs_ms.size());
    c.abs = distribution(std::move(abs_ms));
    r.clock_errors.push_back(c);
  }
  return r;
}

nlohmann::json to_json(const SkewReport& r) {
  nlohmann::json j;
  j["nodes"] = r.nodes;
  j["window"] = {{"start_ns", r.window_start_ns},
                 {"end_ns", r.window_end_ns},
                 {"seconds", double(r.window_end_ns - r.window_start_ns) / 1e9}};
  j["pairs"] = nlohmann::json::array();
  for (const PairSkew& p : r.pairs) {
    nlohmann::json pj = distribution_json(p.abs);
    pj["a"] = r.nodes[p.a];
    pj["b"] = r.nodes[p.b];
    pj["mean_signed_ms"] = p.mean_signed_ms;
    pj["unpaired_a"] = p.unpaired_a;
    pj["unpaired_b"] = p.unpaired_b;
    j["pairs"].push_back(pj);
  }
  j["same_frame"] = {{"ticks", r.agreement.ticks},
                     {"agreeing", r.agreement.agreeing},
                     {"tick_share", r.agreement.tick_share},
                     {"time_share", r.agreement.time_share},
                     {"session_ticks", r.agreement.session_ticks},
                     {"session_tick_share", r.agreement.session_tick_share}};
  j["clock_error"] = nlohmann::json::array();
  for (const ClockErrorStats& c : r.clock_errors) {
    nlohmann::json cj = distribution_json(c.abs);
    cj["node"] = r.nodes[c.node];
    cj["mean_signed_ms"] = c.mean_signed_ms;
    j["clock_error"].push_back(cj);
  }
  return j;
}

std::string format_text(const SkewReport& r) {
  std::string out;
  for (size_t n = 0; n < r.nodes.size(); ++n) out += fmt::format("node {}: {}\n", n, r.nodes[n]);
  out += fmt::format("window: {:.3f} s where all nodes are logging\n",
                     double(r.window_end_ns - r.window_start_ns) / 1e9);
  for (const PairSkew& p : r.pairs) {
    out += fmt::format(
        "frame-switch skew node {} vs {}: p50 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms  "
        "count {}  mean signed {:+.3f} ms ({} later)",
        p.a, p.b, p.abs.p50_ms, p.abs.p99_ms, p.abs.max_ms, p.abs.count, p.mean_signed_ms, p.b);
    if (p.unpaired_a || p.unpaired_b)
      out += fmt::format("  unpaired {}/{}", p.unpaired_a, p.unpaired_b);
    out += "\n";
  }
  const Agreement& a = r.agreement;
  out +=
      fmt::format("same frame on all nodes: {:.2f} % of {} refresh ticks, {:.2f} % of the time\n",
                  a.tick_share * 100.0, a.ticks, a.time_share * 100.0);
  if (a.session_ticks > 0)
    out += fmt::format("same frame for the same session tick: {:.2f} % of {} ticks\n",
                       a.session_tick_share * 100.0, a.session_ticks);
  for (const ClockErrorStats& c : r.clock_errors)
    out += fmt::format(
        "clock-estimate error node {}: p50 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms  "
        "count {}  mean signed {:+.3f} ms\n",
        c.node, c.abs.p50_ms, c.abs.p99_ms, c.abs.max_ms, c.abs.count, c.mean_signed_ms);
  return out;
}

NearestTickAgreement agreement_by_nearest_tick(const std::vector<NodeLog>& logs, const SkewReport& r) {
  struct Tick {
    int64_t session_ns, shown;
    bool paused;
  };
  std::vector<std::vector<Tick>> ticks(logs.size());
  for (size_t n = 0; n < logs.size(); ++n) {
    for (const auto& l : logs[n].lines)
      if (l.session_ns && l.t_ns >= r.window_start_ns && l.t_ns <= r.window_end_ns)
        ticks[n].push_back({*l.session_ns, l.shown, l.paused});
    std::sort(ticks[n].begin(), ticks[n].end(), [](const Tick& a, const Tick& b) { return a.session_ns < b.session_ns; });
  }
  NearestTickAgreement out;
  if (ticks.empty() || ticks[0].size() < 2) return out;
  std::vector<double> gaps;
  for (size_t i = 1; i < ticks[0].size(); ++i) gaps.push_back(double(ticks[0][i].session_ns - ticks[0][i - 1].session_ns));
  const double period = percentile(gaps, 0.5);
  out.period_ms = period / 1e6;
  for (const Tick& t : ticks[0]) {
    if (t.paused) continue;
    ++out.node0_ticks;
    bool complete = true, same = true;
    for (size_t n = 1; n < ticks.size() && complete; ++n) {
      const auto& v = ticks[n];
      auto it = std::lower_bound(v.begin(), v.end(), t.session_ns,
                                 [](const Tick& a, int64_t s) { return a.session_ns < s; });
      const Tick* best = nullptr;
      if (it != v.end()) best = &*it;
      if (it != v.begin() && (!best || t.session_ns - std::prev(it)->session_ns < best->session_ns - t.session_ns))
        best = &*std::prev(it);
      if (!best || best->paused || double(std::llabs(best->session_ns - t.session_ns)) > period / 2) complete = false;
      else if (best->shown != t.shown) same = false;
    }
    if (!complete) continue;
    ++out.ticks;
    if (same) ++out.agreeing;
  }
  return out;
}

}  // namespace lockstep::skew
