// Command-line values of lockstep-impair: durations ("20ms", "0.5s"), shares ("2%") and
// loopback-only UDP endpoints ("127.0.0.1:7460", "[::1]:7460"). Pure functions, thread-safe.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "impair/impairment.h"

namespace lockstep::impair {

/// Parses a duration: a non-negative decimal number followed by ns, us, ms, s or min
/// ("20ms", "0.5s", "250us"). A bare number is taken in `bare_unit_ns` (so "--delay 20" is
/// 20 ms when the caller passes kNsPerMs). Returns nanoseconds.
Result<int64_t> parse_duration_ns(std::string_view text, int64_t bare_unit_ns);

/// Parses a share in percent ("2%", "0.5%", or a bare "2", also percent) into a
/// probability in [0, 1].
Result<double> parse_share(std::string_view text);

/// A UDP address on this machine's loopback.
struct LoopbackEndpoint {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int family = 0;     // AF_INET or AF_INET6
  uint16_t port = 0;  // host byte order; 0 only where allowed (ephemeral listen port)
};

/// Parses "HOST:PORT" where HOST is a numeric IPv4 address in 127.0.0.0/8, "[::1]", or
/// "localhost" (127.0.0.1). Any other address is refused: this tool never sends anywhere
/// but loopback. `allow_port_zero` lets a listening socket take an ephemeral port.
Result<LoopbackEndpoint> parse_loopback_endpoint(std::string_view text, bool allow_port_zero);

/// True for 127.0.0.0/8 and ::1.
bool is_loopback(const sockaddr_storage& addr);

/// "127.0.0.1:7460" or "[::1]:7460".
std::string format_endpoint(const sockaddr_storage& addr);

/// "20 ms", "0.5 s", "250 us": a duration as a person would write it.
std::string format_duration(int64_t ns);

/// Parses a link rate: a number and bit, kbit, Mbit or Gbit (per second; "2Mbit", "500kbit");
/// a bare number is bits per second.
Result<double> parse_rate_bps(std::string_view text);

/// The impairment options as typed; empty: not given (the profile's value, or none).
struct ImpairOptions {
  std::string profile;
  std::string delay, up_delay, down_delay, jitter, loss, burst, reorder, duplicate;
  std::string step_delay, step_at, step_for, rate, queue;
};

/// The named profiles (--profile) and what each sets, for --help and the docs.
struct Profile {
  const char* name;
  const char* what;
};
const std::vector<Profile>& profiles();

/// Both directions' settings: the profile first, then each option given over it.
struct Impairments {
  ImpairmentParams up;    // client → server
  ImpairmentParams down;  // server → client
};
Result<Impairments> make_impairments(const ImpairOptions& options);

}  // namespace lockstep::impair
