#include "net/clocksync/sim_clock.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace lockstep::net {
namespace {

constexpr double kMaxOffsetNs = 1e15;  // 1e6 s
constexpr double kMaxDrift = 10'000e-6;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Quantity {
  double number = 0;
  std::string_view unit;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Splits "-1.5ms" into -1.5 and "ms"; the number must be a plain decimal.
std::optional<Quantity> split_quantity(std::string_view value) {
  size_t unit_at = 0;
  for (; unit_at < value.size(); ++unit_at) {
    const char c = value[unit_at];
    if (is_digit(c) || c == '.' || c == '-' || c == '+') continue;
    // 'e' is an exponent only when a digit or sign follows ("1e3ns"); never a unit here.
    const char next = unit_at + 1 < value.size() ? value[unit_at + 1] : '\0';
    if ((c == 'e' || c == 'E') && (is_digit(next) || next == '-' || next == '+')) continue;
    break;
  }
  std::string_view number = trim(value.substr(0, unit_at));
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  if (number.empty()) return std::nullopt;
  Quantity q;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), q.number);
  if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(q.number)) {
    return std::nullopt;
  }
  q.unit = trim(value.substr(unit_at));
  return q;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

Result<int64_t> parse_offset(std::string_view value, const std::string& where) {
  const auto q = split_quantity(value);
  if (!q) {
    return make_error(where + ": offset " + quoted(value) +
                      " is not a number with a unit; write e.g. offset=-5s or offset=1.5ms");
  }
  double unit_ns = 0;
  if (q->unit == "s") {
    unit_ns = 1e9;
  } else if (q->unit == "ms") {
    unit_ns = 1e6;
  } else if (q->unit == "us" || q->unit == "\xC2\xB5s") {
    unit_ns = 1e3;
  } else if (q->unit == "ns") {
    unit_ns = 1;
  } else if (q->unit.empty()) {
    return make_error(where + ": offset " + quoted(value) +
                      " has no unit; use s, ms, us or ns (e.g. offset=-5s)");
  } else {
    return make_error(where + ": offset unit " + quoted(q->unit) + " is not one of s, ms, us, ns");
  }
  const double ns = q->number * unit_ns;
  if (std::abs(ns) > kMaxOffsetNs) {
    return make_error(where + ": offset " + quoted(value) + " is out of range (at most 1e6 s)");
  }
  return static_cast<int64_t>(std::llround(ns));
}

Result<double> parse_drift(std::string_view value, const std::string& where) {
  const auto q = split_quantity(value);
  if (!q) {
    return make_error(where + ": drift " + quoted(value) +
                      " is not a number with a unit; write e.g. drift=200ppm or drift=-50ppb");
  }
  double scale = 0;
  if (q->unit == "ppm") {
    scale = 1e-6;
  } else if (q->unit == "ppb") {
    scale = 1e-9;
  } else if (q->unit.empty()) {
    return make_error(where + ": drift " + quoted(value) +
                      " has no unit; use ppm or ppb (e.g. drift=200ppm)");
  } else {
    return make_error(where + ": drift unit " + quoted(q->unit) + " is not ppm or ppb");
  }
  const double drift = q->number * scale;
  if (std::abs(drift) > kMaxDrift) {
    return make_error(where + ": drift " + quoted(value) + " is out of range (at most 10000 ppm)");
  }
  return drift;
}

}  // namespace

int64_t SimulatedClock::local_from_true(int64_t true_ns) const {
  const long double since = static_cast<long double>(true_ns - t0_ns);
  return true_ns + offset_ns + static_cast<int64_t>(std::llround(drift * since));
}

int64_t SimulatedClock::true_from_local(int64_t local_ns) const {
  // local - t0 - offset = (true - t0) * (1 + drift)
  const long double since = static_cast<long double>(local_ns - t0_ns - offset_ns) / (1.0L + drift);
  return t0_ns + static_cast<int64_t>(std::llround(since));
}

Result<SimulatedClock> parse_simulated_clock(const std::string& spec) {
  const std::string where = "simulated clock " + quoted(spec);
  if (trim(spec).empty()) {
    return make_error(where + ": empty; write e.g. offset=-5s,drift=200ppm");
  }
  SimulatedClock clock;
  bool have_offset = false, have_drift = false;
  std::string_view rest = spec;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view part = trim(rest.substr(0, comma));
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return make_error(where + ": part " + quoted(part) +
                        " is not key=value; keys are offset and drift");
    }
    const std::string_view key = trim(part.substr(0, eq));
    const std::string_view value = trim(part.substr(eq + 1));
    if (key == "offset") {
      if (have_offset) return make_error(where + ": offset is given twice");
      auto offset = parse_offset(value, where);
      if (!offset) return make_error(offset.error());
      clock.offset_ns = *offset;
      have_offset = true;
    } else if (key == "drift") {
      if (have_drift) return make_error(where + ": drift is given twice");
      auto drift = parse_drift(value, where);
      if (!drift) return make_error(drift.error());
      clock.drift = *drift;
      have_drift = true;
    } else {
      return make_error(where + ": unknown key " + quoted(key) + "; keys are offset and drift");
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return clock;
}

Result<std::optional<SimulatedClock>> simulated_clock_from_env(int64_t t0_ns) {
  const char* spec = std::getenv(kSimClockEnv);
  if (spec == nullptr || *spec == '\0') return std::optional<SimulatedClock>{};
  auto clock = parse_simulated_clock(spec);
  if (!clock) return make_error(std::string(kSimClockEnv) + ": " + clock.error());
  clock->t0_ns = t0_ns;
  return std::optional<SimulatedClock>{*clock};
}

}  // namespace lockstep::net
