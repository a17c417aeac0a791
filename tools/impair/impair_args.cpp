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

}  // namespace lockstep::impair
