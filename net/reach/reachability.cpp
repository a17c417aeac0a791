#include "net/reach/reachability.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#define ENABLE_STRNATPMPERR 1
#include <natpmp.h>
#include <sys/select.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/miniwget.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace lockstep::net {

AddressKind classify_ipv4(const std::string& dotted) {
  in_addr a{};
  if (dotted.size() > 15 || inet_pton(AF_INET, dotted.c_str(), &a) != 1) return AddressKind::Invalid;
  const uint32_t ip = ntohl(a.s_addr);
  const auto in = [ip](uint32_t net, int bits) { return (ip >> (32 - bits)) == (net >> (32 - bits)); };
  if (ip == 0) return AddressKind::Unspecified;
  if (in(0x7F000000u, 8)) return AddressKind::Loopback;
  if (in(0xA9FE0000u, 16)) return AddressKind::LinkLocal;
  if (in(0x64400000u, 10)) return AddressKind::SharedCgnat;
  if (in(0x0A000000u, 8) || in(0xAC100000u, 12) || in(0xC0A80000u, 16)) return AddressKind::Private;
  if (in(0x00000000u, 8) || in(0xE0000000u, 4) || in(0xF0000000u, 4)) return AddressKind::Invalid;
  return AddressKind::Public;
}

const char* to_string(Reachability::State s) {
  using S = Reachability::State;
  switch (s) {
    case S::Off: return "off";
    case S::Trying: return "trying";
    case S::Mapped: return "mapped";
    case S::NoRouter: return "no-router";
    case S::Refused: return "refused";
    case S::NoPublicAddress: return "no-public-address";
    case S::DoubleNat: return "double-nat";
    case S::Cgnat: return "cgnat";
    case S::Lost: return "lost";
  }
  return "?";
}

std::string Reachability::words() const {
  using S = State;
  const std::string by_hand =
      lan_address.empty() ? fmt::format("forward udp/{} to this machine by hand (docs/hosting.md)", port)
                          : fmt::format("forward udp/{} to {} by hand (docs/hosting.md)", port, lan_address);
  // A UPnP router has a name; a NAT-PMP one only an address ("at 192.168.1.1").
  const std::string router_named = router.empty()                ? "the router"
                                   : router.rfind("at ", 0) == 0 ? "the router " + router
                                                                 : "the router '" + router + "'";
  const std::string elsewhere =
      "use a dedicated server on a public address (lockstep serve) or a VPN (docs/hosting.md)";
  switch (state) {
    case S::Off:
      return fmt::format("port mapping is off: nodes on this network can join; for the internet, {}", by_hand);
    case S::Trying: return fmt::format("asking the router to forward udp/{} (UPnP, NAT-PMP)\u2026", port);
    case S::Mapped: {
      std::string s = fmt::format("reachable from the internet at {}:{} ({}, {})", external_ip, external_port,
                                  method, router_named.substr(4));
      if (external_port != port)
        s += fmt::format("; udp/{} was taken on the router by another device, so it forwards udp/{} here "
                         "instead: share this address",
                         port, external_port);
      return s;
    }
    case S::NoRouter:
      return fmt::format("not reachable from the internet by itself: no router answered UPnP or NAT-PMP; "
                         "turn on UPnP (or NAT-PMP) in the router's settings, or {}",
                         by_hand);
    case S::Refused:
      return fmt::format("not reachable from the internet: {} refused to forward udp/{}{}; allow UPnP or "
                         "NAT-PMP port mapping for this machine in its settings, or {}",
                         router_named, port, detail.empty() ? "" : " (" + detail + ")", by_hand);
    case S::NoPublicAddress:
      return fmt::format("not reachable from the internet: {} says it has no public internet address of its own "
                         "(it is behind another router, or the provider's shared carrier-grade NAT), so port "
                         "forwarding cannot work; {}",
                         router_named, elsewhere);
    case S::DoubleNat:
      return fmt::format("not reachable from the internet: {}'s internet address {} is private, so another "
                         "router sits in front of it; forward udp/{} on that one as well, or {}",
                         router_named, external_ip, port, elsewhere);
    case S::Cgnat:
      return fmt::format("not reachable from the internet: {}'s internet address {} is in 100.64.0.0/10, "
                         "shared by the provider (carrier-grade NAT), so port forwarding cannot work; {}",
                         router_named, external_ip, elsewhere);
    case S::Lost:
      return fmt::format("no longer reachable from the internet: {} stopped renewing the forwarding of udp/{} "
                         "({}); trying again",
                         router_named, port, detail.empty() ? "no answer" : detail);
  }
  return {};
}

bool reach_disabled_by_env() {
  const char* v = std::getenv(kNoReachEnv);
  return v && *v && std::strcmp(v, "0") != 0;
}

namespace {

using Clock = std::chrono::steady_clock;

// Text from the router, cut to printable ASCII: it reaches logs, the overlay and JSON.
std::string printable(const char* s, size_t max) {
  std::string out;
  for (size_t i = 0; s[i] && out.size() < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);
  }
  return out;
}

// <friendlyName> from the router's description (at most 4 KiB read; an unsafe name is cut).
std::string friendly_name(const char* desc_url) {
  if (!desc_url || !*desc_url) return {};
  int size = 0, status = 0;
  char* body = static_cast<char*>(miniwget(desc_url, &size, 0, &status));
  if (!body) return {};
  std::string xml(body, static_cast<size_t>(std::clamp(size, 0, 65536)));
  std::free(body);
  const auto b = xml.find("<friendlyName>");
  const auto e = b == std::string::npos ? b : xml.find("</friendlyName>", b);
  if (e == std::string::npos) return {};
  const std::string raw = xml.substr(b + 14, std::min<size_t>(e - b - 14, 200));
  return printable(raw.c_str(), 64);
}

struct Attempt {
  Reachability r;
  bool answered = false;  // the router spoke this protocol
};

// ---- UPnP-IGD -------------------------------------------------------------------------------

class Upnp {
 public:
  ~Upnp() {
    if (have_urls_) FreeUPNPUrls(&urls_);
  }
  Attempt map(const PortMapOptions& o, int lease_s) {
    Attempt a;
    a.r.method = "UPnP";
    a.r.port = o.port;
    if (!have_urls_) {
      int err = 0;
      UPNPDev* devs = upnpDiscover(o.discover_ms, nullptr, nullptr, 0, 0, 2, &err);
      if (!devs) return a;
      char lan[64] = {0};
      const int igd = UPNP_GetValidIGD(devs, &urls_, &data_, lan, sizeof lan);
      freeUPNPDevlist(devs);
      if (igd == 0) return a;  // UPnP devices, none a gateway
      have_urls_ = true;
      connected_ = igd == 1;
      lan_ = printable(lan, 15);
      router_ = friendly_name(urls_.rootdescURL);
    }
    a.answered = true;
    a.r.router = router_;
    a.r.lan_address = lan_;
    char ext[40] = {0};
    const int rc = UPNP_GetExternalIPAddress(urls_.controlURL, data_.first.servicetype, ext);
    const std::string ext_ip = rc == UPNPCOMMAND_SUCCESS ? printable(ext, 15) : std::string();
    a.r.external_ip = ext_ip;
    const AddressKind kind = classify_ipv4(ext_ip);
    if (kind == AddressKind::Private) { a.r.state = Reachability::State::DoubleNat; return a; }
    if (kind == AddressKind::SharedCgnat) { a.r.state = Reachability::State::Cgnat; return a; }
    if (kind != AddressKind::Public || !connected_) {
      a.r.state = Reachability::State::NoPublicAddress;
      return a;
    }
    if (classify_ipv4(lan_) == AddressKind::Invalid) {
      a.r.state = Reachability::State::Refused;
      a.r.detail = "it gave no usable address for this machine";
      return a;
    }
    // The session's port on the router, or the next of ten that nobody else holds.
    const std::string in_port = std::to_string(o.port);
    for (int ext_port = o.port; ext_port < std::min(o.port + 10, 65536); ++ext_port) {
      const std::string ep = std::to_string(ext_port);
      char client[16] = {0}, iport[6] = {0}, desc[80] = {0}, enabled[4] = {0}, lease[16] = {0};
      const int q = UPNP_GetSpecificPortMappingEntry(urls_.controlURL, data_.first.servicetype, ep.c_str(), "UDP",
                                                     nullptr, client, iport, desc, enabled, lease);
      if (q == UPNPCOMMAND_SUCCESS && !(printable(client, 15) == lan_ && printable(iport, 5) == in_port))
        continue;  // another device's or program's: never touched
      std::string lease_text = std::to_string(lease_s);
      int add = UPNP_AddPortMapping(urls_.controlURL, data_.first.servicetype, ep.c_str(), in_port.c_str(),
                                    lan_.c_str(), o.description.c_str(), "UDP", nullptr, lease_text.c_str());
      if (add == 725) {  // OnlyPermanentLeasesSupported
        lease_text = "0";
        add = UPNP_AddPortMapping(urls_.controlURL, data_.first.servicetype, ep.c_str(), in_port.c_str(),
                                  lan_.c_str(), o.description.c_str(), "UDP", nullptr, lease_text.c_str());
      }
      if (add == 718) continue;  // ConflictInMappingEntry: taken
      if (add != UPNPCOMMAND_SUCCESS) {
        a.r.state = Reachability::State::Refused;
        a.r.detail = fmt::format("UPnP error {}: {}", add, printable(strupnperror(add) ? strupnperror(add) : "?", 60));
        return a;
      }
      a.r.state = Reachability::State::Mapped;
      a.r.external_port = ext_port;
      a.r.lease_s = std::atoi(lease_text.c_str());
      mapped_port_ = ep;
      return a;
    }
    a.r.state = Reachability::State::Refused;
    a.r.detail = fmt::format("udp/{} to udp/{} are all taken on the router", o.port, o.port + 9);
    return a;
  }
  void unmap() {
    if (!have_urls_ || mapped_port_.empty()) return;
    UPNP_DeletePortMapping(urls_.controlURL, data_.first.servicetype, mapped_port_.c_str(), "UDP", nullptr);
    mapped_port_.clear();
  }

 private:
  UPNPUrls urls_{};
  IGDdatas data_{};
  bool have_urls_ = false;
  bool connected_ = false;
  std::string lan_, router_, mapped_port_;
};

// ---- NAT-PMP --------------------------------------------------------------------------------

class NatPmp {
 public:
  ~NatPmp() {
    if (open_) closenatpmp(&n_);
  }
  Attempt map(const PortMapOptions& o, int lease_s) {
    Attempt a;
    a.r.method = "NAT-PMP";
    a.r.port = o.port;
    if (!open_) {
      if (initnatpmp(&n_, 0, 0) < 0) return a;  // no default gateway
      open_ = true;
    }
    char gw[INET_ADDRSTRLEN] = {0};
    in_addr g{};
    g.s_addr = n_.gateway;
    inet_ntop(AF_INET, &g, gw, sizeof gw);
    a.r.router = std::string("at ") + gw;
    a.r.lan_address = lan_address_toward(n_.gateway);
    natpmpresp_t resp{};
    int rc = sendpublicaddressrequest(&n_);
    if (rc >= 0) rc = await(resp, o.discover_ms);
    if (rc == NATPMP_TRYAGAIN || rc == NATPMP_ERR_NOGATEWAYSUPPORT || rc == NATPMP_ERR_RECVFROM ||
        rc == NATPMP_ERR_SOCKETERROR || rc == NATPMP_ERR_SENDERR)
      return a;  // nothing answered
    a.answered = true;
    if (rc == NATPMP_ERR_NETWORKFAILURE) { a.r.state = Reachability::State::NoPublicAddress; return a; }
    if (rc < 0) { a.r.state = Reachability::State::Refused; a.r.detail = "NAT-PMP: " + std::string(strnatpmperr(rc)); return a; }
    char ext[INET_ADDRSTRLEN] = {0};
    inet_ntop(AF_INET, &resp.pnu.publicaddress.addr, ext, sizeof ext);
    a.r.external_ip = ext;
    const AddressKind kind = classify_ipv4(ext);
    if (kind == AddressKind::Private) { a.r.state = Reachability::State::DoubleNat; return a; }
    if (kind == AddressKind::SharedCgnat) { a.r.state = Reachability::State::Cgnat; return a; }
    if (kind != AddressKind::Public) { a.r.state = Reachability::State::NoPublicAddress; return a; }
    rc = sendnewportmappingrequest(&n_, NATPMP_PROTOCOL_UDP, static_cast<uint16_t>(o.port),
                                   static_cast<uint16_t>(o.port), static_cast<uint32_t>(lease_s));
    if (rc >= 0) rc = await(resp, o.discover_ms);
    if (rc < 0 || resp.type != NATPMP_RESPTYPE_UDPPORTMAPPING || resp.pnu.newportmapping.privateport != o.port) {
      a.r.state = Reachability::State::Refused;
      a.r.detail = rc < 0 ? "NAT-PMP: " + std::string(strnatpmperr(rc)) : "NAT-PMP: an answer for another port";
      return a;
    }
    a.r.state = Reachability::State::Mapped;
    a.r.external_port = resp.pnu.newportmapping.mappedpublicport;
    a.r.lease_s = static_cast<int>(std::min<uint32_t>(resp.pnu.newportmapping.lifetime, 86400 * 7));
    mapped_ = true;
    port_ = o.port;
    return a;
  }
  void unmap(int discover_ms) {
    if (!open_ || !mapped_) return;
    natpmpresp_t resp{};
    if (sendnewportmappingrequest(&n_, NATPMP_PROTOCOL_UDP, static_cast<uint16_t>(port_), 0, 0) >= 0)
      await(resp, discover_ms);
    mapped_ = false;
  }

 private:
  int await(natpmpresp_t& resp, int ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    int rc = NATPMP_TRYAGAIN;
    while (rc == NATPMP_TRYAGAIN && Clock::now() < deadline) {
      timeval tv{};
      getnatpmprequesttimeout(&n_, &tv);
      const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
      const int64_t wait_us = std::min<int64_t>(int64_t(tv.tv_sec) * 1000000 + tv.tv_usec, std::max<int64_t>(left, 0));
      tv.tv_sec = static_cast<time_t>(wait_us / 1000000);
      tv.tv_usec = static_cast<suseconds_t>(wait_us % 1000000);
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(n_.s, &fds);
      select(n_.s + 1, &fds, nullptr, nullptr, &tv);
      rc = readnatpmpresponseorretry(&n_, &resp);
    }
    return rc;
  }
  static std::string lan_address_toward(in_addr_t gateway) {
    const int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) return {};
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(NATPMP_PORT);
    to.sin_addr.s_addr = gateway;
    std::string out;
    sockaddr_in me{};
    socklen_t len = sizeof me;
    if (connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
        getsockname(s, reinterpret_cast<sockaddr*>(&me), &len) == 0) {
      char buf[INET_ADDRSTRLEN] = {0};
      inet_ntop(AF_INET, &me.sin_addr, buf, sizeof buf);
      out = buf;
    }
    close(s);
    return out;
  }
  natpmp_t n_{};
  bool open_ = false;
  bool mapped_ = false;
  int port_ = 0;
};

}  // namespace

std::unique_ptr<PortMapper> PortMapper::start(const PortMapOptions& options, Report report) {
  return std::unique_ptr<PortMapper>(new PortMapper(options, std::move(report)));
}

PortMapper::PortMapper(const PortMapOptions& options, Report report) : options_(options), report_(std::move(report)) {
  state_.state = Reachability::State::Trying;
  state_.port = options.port;
  thread_ = std::thread([this] { run(); });
}

PortMapper::~PortMapper() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Reachability PortMapper::now() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void PortMapper::set(const Reachability& r) {
  bool changed = false;
  {
    std::lock_guard lock(mutex_);
    changed = r.state != state_.state || r.external_ip != state_.external_ip ||
              r.external_port != state_.external_port || r.detail != state_.detail;
    state_ = r;
  }
  if (changed && report_) report_(r);
}

bool PortMapper::wait_stop_for(int64_t ms) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
}

void PortMapper::run() {
  Upnp upnp;
  NatPmp natpmp;
  const int lease = std::max(options_.lease_s, 0);
  // The first answer that maps wins; otherwise the most telling of the answers.
  const auto attempt = [&]() -> Attempt {
    Attempt best;
    best.r.state = Reachability::State::NoRouter;
    best.r.port = options_.port;
    if (options_.upnp) {
      Attempt u = upnp.map(options_, lease);
      if (u.r.reachable()) return u;
      if (u.answered) best = u;
    }
    if (options_.natpmp) {
      Attempt n = natpmp.map(options_, lease);
      if (n.r.reachable()) return n;
      if (best.r.lan_address.empty()) best.r.lan_address = n.r.lan_address;
      // A refusal with a name and a reason says more than a bare one.
      if (n.answered && (!best.answered || best.r.state == Reachability::State::Refused)) {
        if (!(best.answered && n.r.state == Reachability::State::Refused)) best = n;
      }
    }
    return best;
  };
  Attempt a = attempt();
  set(a.r);
  int renewals = 0;
  while (a.r.reachable()) {
    // Renew at half the lease (a permanent one is checked every 20 minutes).
    const int64_t wait_ms = a.r.lease_s > 0 ? std::max<int64_t>(int64_t(a.r.lease_s) * 500, 1000) : 20 * 60 * 1000;
    if (wait_stop_for(wait_ms)) break;
    const std::string method = a.r.method;
    Attempt again = method == "UPnP" ? upnp.map(options_, lease) : natpmp.map(options_, lease);
    if (!again.r.reachable()) {
      again.r.state = Reachability::State::Lost;
      again.r.method = method;
      set(again.r);
      if (wait_stop_for(30000)) break;
      again = attempt();
    } else {
      again.r.renewals = ++renewals;
    }
    a = again;
    set(a.r);
  }
  if (!a.r.reachable()) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stop_; });
  }
  upnp.unmap();
  natpmp.unmap(options_.discover_ms);
}

}  // namespace lockstep::net
