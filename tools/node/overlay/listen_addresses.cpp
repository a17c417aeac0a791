// The addresses a listening server can be reached at, and how far (this machine, the LAN,
// the internet), from this machine's interfaces.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>

#include "tools/node/overlay/ui_model.h"

namespace lockstep::ui {

namespace {

enum class Reach { Loopback, Private, Public };

/// By RFC 1918 (private), RFC 6598 (carrier-grade NAT), RFC 3927 (link-local) and 127/8.
Reach classify(uint32_t host_order) {
  const uint32_t a = host_order >> 24, b = (host_order >> 16) & 0xff;
  if (a == 127) return Reach::Loopback;
  if (a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168) ||
      (a == 100 && b >= 64 && b <= 127) || (a == 169 && b == 254))
    return Reach::Private;
  return Reach::Public;
}

}  // namespace

ListenAddresses listening_addresses(int port) {
  const std::string suffix = ":" + std::to_string(port);
  const std::string udp = "UDP " + std::to_string(port);
  std::vector<std::pair<Reach, std::string>> found;

  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owner(list, &freeifaddrs);
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
      const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      char text[INET_ADDRSTRLEN] = {};
      if (!inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) continue;
      const std::string address = std::string(text) + suffix;
      const bool seen = std::any_of(found.begin(), found.end(),
                                    [&](const auto& f) { return f.second == address; });
      if (!seen) found.emplace_back(classify(ntohl(in->sin_addr.s_addr)), address);
    }
  }
  // Loopback is always there for the server's own node, even when getifaddrs gives nothing.
  if (std::none_of(found.begin(), found.end(),
                   [](const auto& f) { return f.first == Reach::Loopback; }))
    found.emplace_back(Reach::Loopback, "127.0.0.1" + suffix);
  std::stable_sort(found.begin(), found.end(), [](const auto& x, const auto& y) {
    return static_cast<int>(x.first) > static_cast<int>(y.first);  // public, private, loopback
  });

  ListenAddresses out;
  for (const auto& f : found) out.addresses.push_back(f.second);
  const Reach widest = found.front().first;
  if (widest == Reach::Public)
    out.reachability =
        "Reachable from the internet at " + found.front().second + " if no firewall blocks " + udp;
  else if (widest == Reach::Private)
    out.reachability = "Reachable on this LAN only: for the internet, forward " + udp +
                       " on the router (docs/hosting.md)";
  else
    out.reachability = "Reachable from this machine only";
  return out;
}

}  // namespace lockstep::ui
