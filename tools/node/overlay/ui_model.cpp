// The connect form's checks, the background host resolver and the names of the model's
// enums. The config file and the --ui-state JSON are in ui_state.cpp; the listening
// addresses in listen_addresses.cpp.
#include "tools/node/overlay/ui_model.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>

#include "core/endpoint.h"

namespace lockstep {

std::string format_timecode(int64_t index, double fps) {
  const int64_t base = std::max<int64_t>(1, std::llround(fps));
  const int64_t ff = index % base;
  const int64_t total_s = index / base;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld:%02lld", (long long)(total_s / 3600),
                (long long)(total_s / 60 % 60), (long long)(total_s % 60), (long long)ff);
  return buf;
}

}  // namespace lockstep

namespace lockstep::ui {

namespace {

constexpr const char* kPortRange = "a port is a number from 1 to 65535";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

const char* to_string(NetRole role) {
  switch (role) {
    case NetRole::Server:
      return "server";
    case NetRole::Client:
      return "client";
    case NetRole::Dedicated:
      return "dedicated";
  }
  return "client";
}

std::optional<NetRole> net_role_from_string(const std::string& text) {
  for (NetRole r : {NetRole::Server, NetRole::Client, NetRole::Dedicated})
    if (text == to_string(r)) return r;
  return std::nullopt;
}

const char* to_string(LinkPhase phase) {
  switch (phase) {
    case LinkPhase::Idle:
      return "idle";
    case LinkPhase::Listening:
      return "listening";
    case LinkPhase::Connecting:
      return "connecting";
    case LinkPhase::Connected:
      return "connected";
    case LinkPhase::Reconnecting:
      return "reconnecting";
    case LinkPhase::Failed:
      return "failed";
  }
  return "idle";
}

bool link_active(LinkPhase phase) { return phase != LinkPhase::Idle && phase != LinkPhase::Failed; }

std::string server_command(int port, bool with_password) {
  std::string line = "lockstep serve --port " + std::to_string(port);
  if (with_password) line += " --password-file FILE";
  return line;
}

// ---- Port and form checks --------------------------------------------------------------

FieldCheck check_port(const std::string& raw) {
  const std::string text = trim(raw);
  if (text.empty()) return {};
  if (parse_port(text)) return {};
  // parse_port says why in its own words; the panel's sentence names the value and the range.
  const bool digits = std::all_of(text.begin() + (text[0] == '-' || text[0] == '+' ? 1 : 0),
                                  text.end(), [](unsigned char c) { return std::isdigit(c); }) &&
                      text.size() > (text[0] == '-' || text[0] == '+' ? 1u : 0u);
  if (digits) return {false, "'" + text + "' is out of range: " + kPortRange};
  return {false, "'" + text + "' is not a number: " + kPortRange};
}

FormChecks check_form(const NetworkForm& form, int default_port, HostResolver* resolver) {
  FormChecks c;
  c.port = check_port(form.port);
  const std::string port_text = trim(form.port);
  const int field_port =
      (c.port.ok && !port_text.empty()) ? *parse_port(port_text) : default_port;

  if (form.role != NetRole::Client) {
    c.endpoint_port = field_port;
    c.button_enabled = form.role == NetRole::Server && c.port.ok;
    return c;
  }

  const std::string host = trim(form.host);
  if (host.empty()) {
    c.host = {false, "Enter the server's address (name, IP, or udp://host:port)"};
    return c;
  }
  // With a default of 0, a port of 0 tells that the host text carries no port of its own.
  auto parsed = parse_endpoint(host, 0);
  if (!parsed) {
    std::string message = parsed.error();
    if (!message.empty())
      message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
    c.host = {false, message};
    return c;
  }
  c.endpoint_host = parsed->host;
  c.endpoint_fingerprint = parsed->fingerprint;
  if (parsed->port != 0) {
    c.endpoint_port = parsed->port;
    // The port in Host wins: a bad Port field no longer matters, but say which port is used.
    c.port = {true, "The port in Host (" + std::to_string(parsed->port) + ") is used"};
  } else {
    c.endpoint_port = field_port;
  }
  if (resolver) {
    const HostResolver::Outcome outcome = resolver->lookup(parsed->host);
    if (outcome.state == HostResolver::State::Pending) {
      c.resolving = true;
      c.host = {true, "Looking up '" + parsed->host + "'\u2026"};
    } else if (outcome.state == HostResolver::State::NotFound) {
      c.host = {false, outcome.message};
    }
  }
  c.button_enabled = c.host.ok && c.port.ok && !c.resolving;
  return c;
}

// ---- HostResolver ----------------------------------------------------------------------

namespace {

/// One getaddrinfo call (blocking; resolver thread only).
HostResolver::Outcome resolve_now(const std::string& host, bool* temporary) {
  *temporary = false;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, &freeaddrinfo);
  if (rc != 0) {
    if (rc == EAI_AGAIN) {
      *temporary = true;
      return {HostResolver::State::NotFound,
              "'" + host +
                  "' could not be looked up (no answer from the name server): check the "
                  "network, or use the IP address"};
    }
    return {HostResolver::State::NotFound,
            "'" + host + "' was not found: check the name, or use the IP address"};
  }
  bool ipv4 = false;
  for (const addrinfo* a = list; a; a = a->ai_next) ipv4 = ipv4 || a->ai_family == AF_INET;
  if (!ipv4)
    return {HostResolver::State::NotFound,
            "'" + host +
                "' has only IPv6 addresses; this version of lockstep connects over IPv4: "
                "use the host's IPv4 address"};
  return {HostResolver::State::Found, ""};
}

}  // namespace

struct HostResolver::Impl {
  struct Entry {
    Outcome outcome;
    // Temporary failures (no answer from the name server) are asked again after this.
    std::optional<std::chrono::steady_clock::time_point> expires;
  };

  std::mutex mutex;
  std::condition_variable wake;
  // Protected by `mutex`:
  std::map<std::string, Entry> cache;
  std::deque<std::string> queue;
  bool stopping = false;

  std::thread worker;  // owns the blocking getaddrinfo calls

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (stopping) return;
      const std::string host = queue.front();
      queue.pop_front();
      lock.unlock();
      bool temporary = false;
      Outcome outcome = resolve_now(host, &temporary);
      lock.lock();
      Entry& entry = cache[host];
      entry.outcome = std::move(outcome);
      if (temporary) entry.expires = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
  }
};

HostResolver::HostResolver() : impl_(std::make_shared<Impl>()) {
  impl_->worker = std::thread([impl = impl_] { impl->run(); });
}

HostResolver::~HostResolver() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  // A lookup may be stuck in DNS for many seconds: quitting must not wait for it. The
  // worker owns a reference to its state and ends on its own.
  impl_->worker.detach();
}

HostResolver::Outcome HostResolver::lookup(const std::string& host) {
  if (is_ip_literal(host)) return {State::Found, ""};
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->cache.find(host);
  if (it != impl_->cache.end()) {
    const auto& expires = it->second.expires;
    if (!expires || std::chrono::steady_clock::now() < *expires) return it->second.outcome;
  }
  // Only the name asked for last matters (a person typing it): names still waiting in line
  // are dropped, and looked up again if they are asked for again.
  for (const auto& waiting : impl_->queue) impl_->cache.erase(waiting);
  impl_->queue.clear();
  impl_->cache[host] = Impl::Entry{};
  impl_->queue.push_back(host);
  impl_->wake.notify_one();
  return {State::Pending, ""};
}

}  // namespace lockstep::ui
