#include "impair/impair_args.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/time.h"

namespace lockstep::impair {
namespace {

/// Splits "12.5ms" into 12.5 and "ms". Fails on an empty, negative or non-finite number.
bool split_number(std::string_view text, double& value, std::string_view& suffix) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first == last || *first == '-' || *first == '+') return false;
  const auto [end, ec] = std::from_chars(first, last, value, std::chars_format::fixed);
  if (ec != std::errc() || !std::isfinite(value)) return false;
  suffix = std::string_view(end, size_t(last - end));
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  return true;
}

}  // namespace

Result<int64_t> parse_duration_ns(std::string_view text, int64_t bare_unit_ns) {
  double value = 0;
  std::string_view unit;
  const auto bad = [&] {
    return make_error(fmt::format(
        "cannot read the duration '{}': write a number and a unit, e.g. 20ms, 0.5s, 250us", text));
  };
  if (!split_number(text, value, unit)) return bad();
  double scale = 0;
  if (unit.empty())
    scale = double(bare_unit_ns);
  else if (unit == "ns")
    scale = 1;
  else if (unit == "us" || unit == "µs")
    scale = double(kNsPerUs);
  else if (unit == "ms")
    scale = double(kNsPerMs);
  else if (unit == "s")
    scale = double(kNsPerSec);
  else if (unit == "min")
    scale = 60.0 * double(kNsPerSec);
  else
    return bad();
  const double ns = value * scale;
  if (ns > 1e18) return bad();
  return int64_t(std::llround(ns));
}

Result<double> parse_share(std::string_view text) {
  double value = 0;
  std::string_view unit;
  if (!split_number(text, value, unit) || !(unit.empty() || unit == "%"))
    return make_error(fmt::format("cannot read the percentage '{}': write e.g. 2% or 0.5%", text));
  if (value > 100.0) return make_error(fmt::format("the percentage '{}' is above 100%", text));
  return value / 100.0;
}

Result<LoopbackEndpoint> parse_loopback_endpoint(std::string_view text, bool allow_port_zero) {
  const auto refused = [&] {
    return make_error(fmt::format(
        "'{}' is not a loopback address: lockstep-impair only relays between addresses in "
        "127.0.0.0/8 and ::1 (write e.g. 127.0.0.1:7460 or [::1]:7460)",
        text));
  };
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error(fmt::format("cannot read the address '{}': write [::1]:PORT", text));
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return make_error(
          fmt::format("cannot read the address '{}': write HOST:PORT, e.g. 127.0.0.1:7460", text));
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      return make_error(
          fmt::format("cannot read the address '{}': write IPv6 addresses as [::1]:PORT", text));
  }
  if (host == "localhost") host = "127.0.0.1";

  unsigned long port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size())
    return make_error(fmt::format("cannot read the port in '{}': write HOST:PORT", text));
  const unsigned long min_port = allow_port_zero ? 0 : 1;
  if (port < min_port || port > 65535)
    return make_error(
        fmt::format("port {} in '{}' is out of range ({}-65535)", port_text, text, min_port));

  LoopbackEndpoint ep;
  ep.port = uint16_t(port);
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ep.addr);
    sa->sin_family = AF_INET;
    sa->sin_addr = v4;
    sa->sin_port = htons(ep.port);
    ep.family = AF_INET;
    ep.addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    sa->sin6_family = AF_INET6;
    sa->sin6_addr = v6;
    sa->sin6_port = htons(ep.port);
    ep.family = AF_INET6;
    ep.addr_len = sizeof(sockaddr_in6);
  } else {
    // Host names are not looked up: no lookup may lead off this machine.
    return make_error(fmt::format(
        "'{}' is not a numeric loopback address: lockstep-impair does not look up host names "
        "and only relays on 127.0.0.0/8 and ::1 (write e.g. 127.0.0.1:7460 or [::1]:7460)",
        text));
  }
  if (!is_loopback(ep.addr)) return refused();
  return ep;
}

bool is_loopback(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(&addr);
    return (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr.ss_family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(&addr);
    return IN6_IS_ADDR_LOOPBACK(&sa->sin6_addr);
  }
  return false;
}

std::string format_endpoint(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sa->sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(sa->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &sa->sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(sa->sin6_port));
  }
  return "(unknown address)";
}

std::string format_duration(int64_t ns) {
  if (ns == 0) return "0 ms";
  if (ns % kNsPerSec == 0) return fmt::format("{} s", ns / kNsPerSec);
  if (ns >= kNsPerSec) return fmt::format("{:g} s", double(ns) / 1e9);
  if (ns >= kNsPerMs) return fmt::format("{:g} ms", double(ns) / 1e6);
  return fmt::format("{:g} us", double(ns) / 1e3);
}

Result<double> parse_rate_bps(std::string_view text) {
  double value = 0;
  std::string_view unit;
  const auto bad = [&] {
    return make_error(fmt::format("cannot read the rate '{}': write e.g. 2Mbit, 500kbit or 1Gbit (per second)", text));
  };
  if (!split_number(text, value, unit)) return bad();
  double scale = 0;
  if (unit.empty() || unit == "bit") scale = 1;
  else if (unit == "kbit") scale = 1e3;
  else if (unit == "Mbit") scale = 1e6;
  else if (unit == "Gbit") scale = 1e9;
  else return bad();
  const double bps = value * scale;
  if (bps < 8000 || bps > 1e11)
    return make_error(fmt::format("the rate '{}' is out of range: give 8kbit to 100Gbit", text));
  return bps;
}

namespace {

struct ProfileDef {
  Profile profile;
  ImpairOptions options;  // what it sets, as options
};

const std::vector<ProfileDef>& profile_defs() {
  static const std::vector<ProfileDef> defs = [] {
    std::vector<ProfileDef> d;
    auto add = [&](const char* name, const char* what, ImpairOptions o) { d.push_back({{name, what}, std::move(o)}); };
    ImpairOptions o;
    o = {};
    o.delay = "0.2ms", o.jitter = "0.1ms";
    add("lan", "0.2 ms ± 0.1 ms each way", o);
    o = {};
    o.delay = "20ms", o.jitter = "5ms", o.loss = "2%";
    add("wan", "20 ms ± 5 ms, 2 % loss each way", o);
    o = {};
    o.delay = "80ms", o.jitter = "25ms", o.loss = "5%", o.reorder = "2%", o.duplicate = "1%";
    add("intercontinental", "80 ms ± 25 ms, 5 % loss, 2 % reordered, 1 % duplicated each way", o);
    o = {};
    o.delay = "4ms", o.jitter = "3ms", o.loss = "15%", o.burst = "4";
    add("wifi", "4 ms ± 3 ms, 15 % loss in bursts of 4 packets on average, each way", o);
    o = {};
    o.delay = "20ms", o.jitter = "2ms", o.step_delay = "120ms", o.step_at = "10s", o.step_for = "10s";
    add("route-change", "20 ms ± 2 ms, stepping to 120 ms from 10 s to 20 s after the start, each way", o);
    o = {};
    o.up_delay = "30ms", o.down_delay = "5ms", o.jitter = "1ms";
    add("asymmetric", "30 ms client to server, 5 ms back, ± 1 ms", o);
    o = {};
    o.delay = "10ms", o.rate = "2Mbit", o.queue = "300ms";
    add("bufferbloat", "10 ms, a 2 Mbit/s link with a 300 ms buffer, each way", o);
    return d;
  }();
  return defs;
}

/// `over` wins where it gives a value.
ImpairOptions overlay(ImpairOptions base, const ImpairOptions& over) {
  for (auto [b, o] : {std::pair{&base.delay, &over.delay}, {&base.up_delay, &over.up_delay},
                      {&base.down_delay, &over.down_delay}, {&base.jitter, &over.jitter}, {&base.loss, &over.loss},
                      {&base.burst, &over.burst}, {&base.reorder, &over.reorder}, {&base.duplicate, &over.duplicate},
                      {&base.step_delay, &over.step_delay}, {&base.step_at, &over.step_at},
                      {&base.step_for, &over.step_for}, {&base.rate, &over.rate}, {&base.queue, &over.queue}})
    if (!o->empty()) *b = *o;
  return base;
}

}  // namespace

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> list = [] {
    std::vector<Profile> l;
    for (const auto& d : profile_defs()) l.push_back(d.profile);
    return l;
  }();
  return list;
}

Result<Impairments> make_impairments(const ImpairOptions& given) {
  ImpairOptions o = given;
  if (!given.profile.empty()) {
    const ProfileDef* found = nullptr;
    for (const auto& d : profile_defs())
      if (given.profile == d.profile.name) found = &d;
    if (!found) {
      std::string names;
      for (const auto& d : profile_defs()) names += std::string(names.empty() ? "" : ", ") + d.profile.name;
      return make_error("--profile: no profile '" + given.profile + "' (there are: " + names + ")");
    }
    o = overlay(found->options, given);
  }
  ImpairmentParams p;
  const auto duration = [](const char* name, const std::string& text, int64_t bare_unit, int64_t* out) -> Status {
    if (text.empty()) return {};
    auto v = parse_duration_ns(text, bare_unit);
    if (!v) return make_error(std::string(name) + ": " + v.error());
    if (*v > 60 * kNsPerSec && std::string(name) != "--step-at" && std::string(name) != "--step-for")
      return make_error(std::string(name) + " must be at most 60 s");
    *out = *v;
    return {};
  };
  const auto share = [](const char* name, const std::string& text, double* out) -> Status {
    if (text.empty()) return {};
    auto v = parse_share(text);
    if (!v) return make_error(std::string(name) + ": " + v.error());
    *out = *v;
    return {};
  };
  int64_t up_delay = -1, down_delay = -1;
  for (const Status& s : {duration("--delay", o.delay, kNsPerMs, &p.delay_ns), duration("--jitter", o.jitter, kNsPerMs, &p.jitter_ns),
                          duration("--up-delay", o.up_delay, kNsPerMs, &up_delay),
                          duration("--down-delay", o.down_delay, kNsPerMs, &down_delay),
                          duration("--step-delay", o.step_delay, kNsPerMs, &p.step_delay_ns),
                          duration("--step-at", o.step_at, kNsPerSec, &p.step_at_ns),
                          duration("--step-for", o.step_for, kNsPerSec, &p.step_for_ns),
                          duration("--queue", o.queue, kNsPerMs, &p.queue_ns), share("--loss", o.loss, &p.loss),
                          share("--reorder", o.reorder, &p.reorder), share("--duplicate", o.duplicate, &p.duplicate)})
    if (!s) return make_error(s.error());
  if (!o.burst.empty()) {
    double len = 0;
    std::string_view unit;
    if (!split_number(o.burst, len, unit) || !unit.empty() || len < 1.0 || len > 1000.0)
      return make_error("--burst: '" + o.burst + "' is not a mean burst length: give a number of packets from 1 to 1000");
    if (p.loss <= 0.0) return make_error("--burst needs --loss (the long-run share lost in the bursts)");
    if (p.loss >= 1.0) return make_error("--burst needs --loss below 100%");
    p.burst_length = len;
  }
  if (!o.rate.empty()) {
    auto r = parse_rate_bps(o.rate);
    if (!r) return make_error("--rate: " + r.error());
    p.rate_bps = *r;
  } else if (!o.queue.empty()) {
    return make_error("--queue needs --rate (the link whose buffer it is)");
  }
  if ((!o.step_at.empty() || !o.step_for.empty()) && o.step_delay.empty())
    return make_error("--step-at and --step-for need --step-delay (the delay during the step)");
  Impairments out{p, p};
  if (up_delay >= 0) out.up.delay_ns = up_delay;
  if (down_delay >= 0) out.down.delay_ns = down_delay;
  return out;
}

}  // namespace lockstep::impair
