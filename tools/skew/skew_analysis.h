// Sync figures from the present logs of several nodes on one machine (they share
// CLOCK_MONOTONIC, so their "t_ns" give the true skew): frame-switch skew per node pair, the
// share of refresh ticks on which all nodes show the same frame, and the clock-estimate
// error when the nodes log it. Pure functions over loaded logs; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "player/present_log.h"

namespace lockstep::skew {

/// One line of a `lockstep play --present-log` file (player/present_log.h: "shown" is the
/// frame read back from the pixels when logged, else the frame drawn).
using lockstep::PresentLine;

/// A node's log, lines sorted by t_ns.
struct NodeLog {
  std::string name;  // the file name, or what the caller chose
  std::vector<PresentLine> lines;
  bool truncated_tail = false;  // the last line was cut off (the node was still writing)
};

/// Parses a present log. Empty lines are skipped; a last line without its newline that does
/// not parse is dropped (a node still writing); any other bad line fails with its number.
Result<NodeLog> parse_present_log(std::string_view text, const std::string& name);

/// Reads and parses a present log file; fails when it is unreadable or has no lines.
Result<NodeLog> read_present_log(const std::string& path);

struct SkewParams {
  double after_s = 0.0;  // ignore the first seconds after the last node started logging
};

/// Absolute figures in ms; percentiles by nearest rank on the sorted values.
struct Distribution {
  int64_t count = 0;
  double p50_ms = 0.0;
  double p99_ms = 0.0;
  double max_ms = 0.0;
};

/// A frame switch of node b against node a: b switched `skew_ms` after a (negative: before).
struct SkewPoint {
  double t_s = 0.0;  // node a's switch time, seconds after the window start
  double skew_ms = 0.0;
};

/// Frame-switch skew of one pair. A frame switch is a non-paused line whose shown frame
/// differs from the line before it; switches to the same frame on the two nodes are paired
/// when each is the other's nearest (so looped clips pair loop by loop, and a frame one node
/// never showed is left out).
struct PairSkew {
  size_t a = 0, b = 0;  // node indices
  Distribution abs;     // |t_b - t_a|
  double mean_signed_ms = 0.0;
  int64_t unpaired_a = 0;  // switches of a with no partner on b (missed or dropped frames)
  int64_t unpaired_b = 0;
  std::vector<SkewPoint> series;  // in time order, for the plot
};

/// Same-frame agreement over the window where all nodes are logging.
struct Agreement {
  /// At each non-paused tick of every node, every other node's last line at or before that
  /// instant is looked up; a tick agrees when all show the same frame. Ticks where another
  /// node is paused are left out. Note that a tick on which a node switches a little ahead
  /// of the others counts as a disagreement.
  int64_t ticks = 0;
  int64_t agreeing = 0;
  double tick_share = 0.0;
  /// The same question asked at every instant: the share of the window's non-paused time in
  /// which all nodes show the same frame. Insensitive to where the ticks fall.
  double time_share = 0.0;
  /// Session nodes tick on one grid of session time ("session_ns"): for each session tick
  /// presented by every node (none paused), do all show the same frame? This is the
  /// per-refresh question asked of a wall of synced displays.
  int64_t session_ticks = 0;
  int64_t session_agreeing = 0;
  double session_tick_share = 0.0;
};

struct ClockErrorStats {
  size_t node = 0;
  Distribution abs;  // |clock_err_ns|
  double mean_signed_ms = 0.0;
};

struct SkewReport {
  std::vector<std::string> nodes;
  int64_t window_start_ns = 0;  // latest first line + after_s
  int64_t window_end_ns = 0;    // earliest last line
  std::vector<PairSkew> pairs;  // (0,1), (0,2), ..., (1,2), ...
  Agreement agreement;
  std::vector<ClockErrorStats> clock_errors;  // only nodes that log clock_err_ns
};

/// Computes the figures. Fails with a message when fewer than two logs are given or when the
/// logs do not overlap in time (after `after_s`).
Result<SkewReport> analyse(const std::vector<NodeLog>& logs, const SkewParams& params = {});

/// Same frame per session tick, with the ticks of the nodes paired by nearest session time
/// (within half a tick period) rather than by exactly equal "session_ns": while a node's
/// clock mapping slews, its ticks' session times move by microseconds, and the exact-match
/// figure (skew::Agreement::session_tick_share) silently leaves those ticks out.
struct NearestTickAgreement {
  int64_t node0_ticks = 0;  // node 0's non-paused ticks in the window
  int64_t ticks = 0;        // those with a non-paused partner tick on every other node
  int64_t agreeing = 0;
  double period_ms = 0.0;
};

NearestTickAgreement agreement_by_nearest_tick(const std::vector<NodeLog>& logs, const SkewReport& report);

/// The report as JSON (the same figures as the text output).
nlohmann::json to_json(const SkewReport& report);

/// The report as a few lines of text for a person.
std::string format_text(const SkewReport& report);

}  // namespace lockstep::skew
