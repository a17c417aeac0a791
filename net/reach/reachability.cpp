#include "net/reach/reachability.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#define ENABLE_STRNATPMPERR 1
#include <natpmp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <unistd.h>

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
        s += fmt::format("; udp/{} was taken on the router, so it forwards udp/{} here instead: share this "
                         "address",
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
      if (external_port > 0)
        return fmt::format("not reachable from the internet yet: {}'s internet address {} is private, so another "
                           "router sits in front of it; {} now forwards udp/{} here: forward udp/{} on the outer "
                           "router to {} as well, or {}",
                           router_named, external_ip, router_named.substr(4), external_port, external_port,
                           external_ip, elsewhere);
      return fmt::format("not reachable from the internet: {}'s internet address {} is private, so another "
                         "router sits in front of it; forward udp/{} on both routers, or {}",
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

std::string public_ipv4_here() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::string found;
  for (const ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
    char text[INET_ADDRSTRLEN] = {0};
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    if (classify_ipv4(text) == AddressKind::Public) found = text;
  }
  freeifaddrs(list);
  return found;
}

bool reach_disabled_by_env() {
  const char* v = std::getenv(kNoReachEnv);
  return v && *v && std::strcmp(v, "0") != 0;
}

namespace {

using Clock = std::chrono::steady_clock;
using Stopping = std::function<bool()>;

// Text from the router, cut to printable ASCII: it reaches logs, the overlay and JSON.
std::string printable(const char* s, size_t max) {
  std::string out;
  for (size_t i = 0; s[i] && out.size() < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);
  }
  return out;
}

// <friendlyName> from the router's description; an unsafe name is cut. (miniwget reads the
// whole answer, as UPNP_GetValidIGD's own fetch of the same description does; a device that
// drips an endless answer only holds the mapper's thread, which the owner leaves behind.)
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
  bool mapped = false;    // a mapping of ours exists on the router (also behind a double NAT)
};

// A lease the router gave: at least 10 s (a hostile router's 1 s would make us renew every
// half second), 0 for permanent.
int sane_lease(long s) { return s <= 0 ? 0 : static_cast<int>(std::clamp<long>(s, 10, 86400 * 7)); }

// ---- UPnP-IGD -------------------------------------------------------------------------------

class Upnp {
 public:
  ~Upnp() {
    if (have_urls_) FreeUPNPUrls(&urls_);
  }
  Attempt map(const PortMapOptions& o, int lease_s, const Stopping& stopping) {
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
      if (igd == 3) return a;  // a UPnP device that is not a gateway: not the router
      connected_ = igd == 1;
      lan_ = printable(lan, 15);
      if (stopping()) return a;
      router_ = friendly_name(urls_.rootdescURL);
    }
    if (!igd_usable()) return a;
    a.answered = true;
    a.r.router = router_;
    a.r.lan_address = lan_;
    if (stopping()) return a;
    char ext[40] = {0};
    const int rc = UPNP_GetExternalIPAddress(urls_.controlURL, data_.first.servicetype, ext);
    if (rc != UPNPCOMMAND_SUCCESS && connected_) {
      a.r.state = Reachability::State::Refused;
      a.r.detail = fmt::format("UPnP error {} when asked for its internet address", rc);
      return a;
    }
    const std::string ext_ip = rc == UPNPCOMMAND_SUCCESS ? printable(ext, 15) : std::string();
    a.r.external_ip = ext_ip;
    const AddressKind kind = classify_ipv4(ext_ip);
    if (kind == AddressKind::SharedCgnat) { a.r.state = Reachability::State::Cgnat; return a; }
    if ((kind != AddressKind::Public && kind != AddressKind::Private) || !connected_) {
      a.r.state = Reachability::State::NoPublicAddress;
      return a;
    }
    const bool double_nat = kind == AddressKind::Private;
    if (classify_ipv4(lan_) == AddressKind::Invalid) {
      a.r.state = Reachability::State::Refused;
      a.r.detail = "it gave no usable address for this machine";
      return a;
    }
    // The port mapped before (a renewal keeps the address people were given), then the
    // session's port, then the next of nine that nobody else holds.
    std::vector<int> ports;
    if (!mapped_port_.empty()) ports.push_back(std::atoi(mapped_port_.c_str()));
    for (int p = o.port; p < std::min(o.port + 10, 65536); ++p)
      if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
    const std::string in_port = std::to_string(o.port);
    std::string problem;
    for (const int ext_port : ports) {
      if (stopping()) return a;
      const std::string ep = std::to_string(ext_port);
      const Holder h = holder(ep);
      if (h.error != 0) {  // cannot tell who holds it: never risk another's mapping
        problem = fmt::format("UPnP error {} when asked who holds udp/{}", h.error, ep);
        continue;
      }
      if (h.exists && !h.ours(lan_, in_port)) continue;  // another device's or program's
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
      // The lease the router really gave (some cap what is asked).
      int lease = sane_lease(std::atol(lease_text.c_str()));
      const Holder now = holder(ep);
      if (now.exists && now.lease_s > 0 && (lease == 0 || now.lease_s < lease)) lease = sane_lease(now.lease_s);
      if (!mapped_port_.empty() && mapped_port_ != ep) unmap();  // the old one, if still ours
      mapped_port_ = ep;
      a.mapped = true;
      a.r.state = double_nat ? Reachability::State::DoubleNat : Reachability::State::Mapped;
      a.r.external_port = ext_port;
      a.r.lease_s = lease;
      return a;
    }
    a.r.state = Reachability::State::Refused;
    a.r.detail = !problem.empty() ? problem
                                  : fmt::format("udp/{} to udp/{} are all taken on the router", o.port,
                                                std::min(o.port + 9, 65535));
    return a;
  }
  /// Removes our mapping, only while the router still says it is ours.
  void unmap() {
    if (!have_urls_ || mapped_port_.empty()) return;
    const Holder h = holder(mapped_port_);
    if (h.error == 0 && h.exists && h.ours(lan_, in_port_of_mapping_))
      UPNP_DeletePortMapping(urls_.controlURL, data_.first.servicetype, mapped_port_.c_str(), "UDP", nullptr);
    mapped_port_.clear();
  }
  void set_internal_port(int port) { in_port_of_mapping_ = std::to_string(port); }

 private:
  struct Holder {
    bool exists = false;
    int error = 0;  // a UPnP error other than "no such entry"
    std::string client, port;
    long lease_s = 0;
    bool ours(const std::string& lan, const std::string& in_port) const { return client == lan && port == in_port; }
  };
  Holder holder(const std::string& ext_port) {
    Holder h;
    char client[16] = {0}, iport[6] = {0}, desc[80] = {0}, enabled[4] = {0}, lease[16] = {0};
    const int q = UPNP_GetSpecificPortMappingEntry(urls_.controlURL, data_.first.servicetype, ext_port.c_str(), "UDP",
                                                   nullptr, client, iport, desc, enabled, lease);
    if (q == UPNPCOMMAND_SUCCESS) {
      h.exists = true;
      h.client = printable(client, 15);
      h.port = printable(iport, 5);
      h.lease_s = std::atol(printable(lease, 15).c_str());
    } else if (q != 714) {  // 714 NoSuchEntryInArray: free
      h.error = q;
    }
    return h;
  }
  bool igd_usable() const { return have_urls_ && !lan_.empty(); }

  UPNPUrls urls_{};
  IGDdatas data_{};
  bool have_urls_ = false;
  bool connected_ = false;
  std::string lan_, router_, mapped_port_, in_port_of_mapping_;
};

// ---- NAT-PMP --------------------------------------------------------------------------------

class NatPmp {
 public:
  ~NatPmp() {
    if (open_) closenatpmp(&n_);
  }
  Attempt map(const PortMapOptions& o, int lease_s, const Stopping& stopping) {
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
    drain();
    int rc = sendpublicaddressrequest(&n_);
    if (rc >= 0) rc = await(resp, o.discover_ms, NATPMP_RESPTYPE_PUBLICADDRESS, stopping);
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
    if (kind == AddressKind::SharedCgnat) { a.r.state = Reachability::State::Cgnat; return a; }
    if (kind != AddressKind::Public && kind != AddressKind::Private) {
      a.r.state = Reachability::State::NoPublicAddress;
      return a;
    }
    // A lifetime of 0 would ask to delete: "permanent" becomes two hours, renewed.
    const uint32_t lifetime = lease_s > 0 ? static_cast<uint32_t>(lease_s) : 7200u;
    drain();
    rc = sendnewportmappingrequest(&n_, NATPMP_PROTOCOL_UDP, static_cast<uint16_t>(o.port),
                                   static_cast<uint16_t>(public_port_ > 0 ? public_port_ : o.port), lifetime);
    if (rc >= 0) rc = await(resp, o.discover_ms, NATPMP_RESPTYPE_UDPPORTMAPPING, stopping);
    if (rc < 0 || resp.pnu.newportmapping.privateport != o.port || resp.pnu.newportmapping.mappedpublicport == 0) {
      a.r.state = Reachability::State::Refused;
      a.r.detail = rc < 0 ? "NAT-PMP: " + std::string(strnatpmperr(rc)) : "NAT-PMP: an answer for another port";
      return a;
    }
    a.mapped = true;
    a.r.state = kind == AddressKind::Private ? Reachability::State::DoubleNat : Reachability::State::Mapped;
    a.r.external_port = resp.pnu.newportmapping.mappedpublicport;
    a.r.lease_s = sane_lease(static_cast<long>(resp.pnu.newportmapping.lifetime));
    if (a.r.lease_s == 0) a.r.lease_s = 7200;
    mapped_ = true;
    port_ = o.port;
    public_port_ = a.r.external_port;
    return a;
  }
  void unmap(int ms) {
    if (!open_ || !mapped_) return;
    natpmpresp_t resp{};
    drain();
    if (sendnewportmappingrequest(&n_, NATPMP_PROTOCOL_UDP, static_cast<uint16_t>(port_), 0, 0) >= 0)
      await(resp, ms, NATPMP_RESPTYPE_UDPPORTMAPPING, [] { return false; });
    mapped_ = false;
  }

 private:
  // Late answers to an earlier request (libnatpmp resends) must not be read as this one's.
  void drain() {
    unsigned char buf[64];
    while (recv(n_.s, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
  }
  int await(natpmpresp_t& resp, int ms, uint16_t type, const Stopping& stopping) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    int rc = NATPMP_TRYAGAIN;
    while (rc == NATPMP_TRYAGAIN && Clock::now() < deadline && !stopping()) {
      timeval tv{};
      getnatpmprequesttimeout(&n_, &tv);
      const int64_t left_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      const int64_t wait_ms = std::clamp<int64_t>(int64_t(tv.tv_sec) * 1000 + tv.tv_usec / 1000, 1,
                                                  std::clamp<int64_t>(left_ms, 1, 250));
      pollfd p{n_.s, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(wait_ms));
      rc = readnatpmpresponseorretry(&n_, &resp);
      if (rc == 0 && resp.type != type) rc = NATPMP_TRYAGAIN;  // an answer to something else
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
  int public_port_ = 0;
};

}  // namespace

// What the mapper's thread and its owner share: the owner may leave before the thread ends
// (a router that does not answer), and the thread then finishes with this alone.
struct PortMapper::Shared {
  PortMapOptions options;
  Report report;
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  bool done = false;
  Reachability state;

  bool stopping() {
    std::lock_guard lock(mutex);
    return stop;
  }
  bool wait_stop_for(int64_t ms) {
    std::unique_lock lock(mutex);
    return wake.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop; });
  }
  void set(const Reachability& r) {
    bool changed = false;
    {
      std::lock_guard lock(mutex);
      changed = r.state != state.state || r.external_ip != state.external_ip ||
                r.external_port != state.external_port || r.detail != state.detail;
      state = r;
    }
    if (changed && report) report(r);
  }
};

std::unique_ptr<PortMapper> PortMapper::start(const PortMapOptions& options, Report report) {
  return std::unique_ptr<PortMapper>(new PortMapper(options, std::move(report)));
}

PortMapper::PortMapper(const PortMapOptions& options, Report report) : shared_(std::make_shared<Shared>()) {
  shared_->options = options;
  shared_->report = std::move(report);
  shared_->state.state = Reachability::State::Trying;
  shared_->state.port = options.port;
  thread_ = std::thread([s = shared_] { run(s); });
}

PortMapper::~PortMapper() {
  std::unique_lock lock(shared_->mutex);
  shared_->stop = true;
  shared_->wake.notify_all();
  // The mapping is removed within a few seconds; a router that does not answer is left to
  // the thread (it ends on its own, holding only what it shares), never to the caller.
  const bool done = shared_->wake.wait_for(lock, std::chrono::seconds(4), [this] { return shared_->done; });
  lock.unlock();
  if (done)
    thread_.join();
  else
    thread_.detach();
}

Reachability PortMapper::now() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->state;
}

void PortMapper::run(std::shared_ptr<Shared> s) {
  const PortMapOptions& o = s->options;
  const Stopping stopping = [&s] { return s->stopping(); };
  {
    Upnp upnp;
    upnp.set_internal_port(o.port);
    NatPmp natpmp;
    const int lease = std::max(o.lease_s, 0);
    // The first answer that maps wins; otherwise the most telling of the answers.
    const auto attempt = [&]() -> Attempt {
      Attempt best;
      best.r.state = Reachability::State::NoRouter;
      best.r.port = o.port;
      if (o.upnp) {
        Attempt u = upnp.map(o, lease, stopping);
        if (u.mapped) return u;
        if (u.answered) best = u;
      }
      if (o.natpmp && !stopping()) {
        Attempt n = natpmp.map(o, lease, stopping);
        if (n.mapped) return n;
        if (best.r.lan_address.empty()) best.r.lan_address = n.r.lan_address;
        // A refusal with the router's name and reason says more than a bare one.
        if (n.answered && !(best.answered && n.r.state == Reachability::State::Refused)) best = n;
      }
      return best;
    };
    Attempt a = attempt();
    if (!stopping()) s->set(a.r);
    const bool ever = a.mapped;
    int renewals = 0;
    int64_t backoff_ms = 30000;
    std::string method = a.r.method;
    while (!stopping()) {
      if (a.mapped) {
        // Renew at half the lease (a permanent one is checked every 20 minutes).
        const int64_t wait_ms =
            a.r.lease_s > 0 ? std::max<int64_t>(int64_t(a.r.lease_s) * 500, 5000) : 20 * 60 * 1000;
        if (s->wait_stop_for(wait_ms)) break;
        method = a.r.method;
        Attempt again = method == "UPnP" ? upnp.map(o, lease, stopping) : natpmp.map(o, lease, stopping);
        if (stopping()) break;
        if (again.mapped) {
          again.r.renewals = ++renewals;
        } else {
          again.r.state = Reachability::State::Lost;
          again.r.method = method;
          backoff_ms = 30000;
        }
        a = again;
        s->set(a.r);
        continue;
      }
      if (!ever) break;  // nothing to keep: wait for the end
      // A mapping that worked and was lost (a router restart): ask again, less and less often.
      if (s->wait_stop_for(backoff_ms)) break;
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 300000);
      Attempt again = attempt();
      if (stopping()) break;
      if (again.mapped) {
        a = again;
        s->set(a.r);
      }
    }
    if (!stopping()) {
      std::unique_lock lock(s->mutex);
      s->wake.wait(lock, [&s] { return s->stop; });
    }
    upnp.unmap();
    natpmp.unmap(1000);
  }
  std::lock_guard lock(s->mutex);
  s->done = true;
  s->wake.notify_all();
}

}  // namespace lockstep::net
