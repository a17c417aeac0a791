#include "net/reach/lan_discovery.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "core/endpoint.h"

namespace lockstep::net {

namespace {

constexpr size_t kMaxSessions = 64;

// Text from the network, kept only as valid UTF-8 without control or direction characters,
// cut to `max` bytes on a character boundary.
std::string clean_text(const std::string& s, size_t max) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok) {
      const bool control = cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
      const bool bidi = (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
                        cp == 0x200F || cp == 0x061C;
      const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF);
      if (!control && !bidi && !overlong) {
        if (out.size() + len > max) break;
        out.append(s, i, len);
      }
      i += len;
    } else {
      ++i;
    }
  }
  return out;
}

bool fingerprint_shaped(const std::string& fp) {
  return fp.size() == 50 && fp.rfind("SHA256:", 0) == 0 &&
         std::all_of(fp.begin() + 7, fp.end(), [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/'; });
}

std::string this_host() {
  char name[256] = {0};
  gethostname(name, sizeof name - 1);
  return clean_text(name, 40);
}

std::string txt_value(AvahiStringList* txt, const char* key) {
  AvahiStringList* item = avahi_string_list_find(txt, key);
  if (!item) return {};
  char* k = nullptr;
  char* v = nullptr;
  size_t size = 0;
  if (avahi_string_list_get_pair(item, &k, &v, &size) < 0) return {};
  std::string out = v ? std::string(v, std::min<size_t>(size, 255)) : std::string();
  avahi_free(k);
  avahi_free(v);
  return out;
}

// A threaded poll and a client on it; freed in the right order.
struct AvahiBase {
  AvahiThreadedPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  mutable std::mutex mutex;
  std::string problem;  // guarded by mutex

  void set_problem(const std::string& p) {
    std::lock_guard lock(mutex);
    problem = p;
  }
  std::string get_problem() const {
    std::lock_guard lock(mutex);
    return problem;
  }
  // Creates the client (its callback may run before this returns); false with the problem set.
  bool open(AvahiClientCallback cb, void* self) {
    poll = avahi_threaded_poll_new();
    if (!poll) {
      set_problem("LAN discovery is off: could not start its event loop (out of memory?)");
      return false;
    }
    int err = 0;
    client = avahi_client_new(avahi_threaded_poll_get(poll), AvahiClientFlags(0), cb, self, &err);
    if (!client) {
      set_problem(no_avahi_words(avahi_strerror(err)));
      avahi_threaded_poll_free(poll);
      poll = nullptr;
      return false;
    }
    avahi_threaded_poll_start(poll);
    return true;
  }
  void close() {
    if (poll) avahi_threaded_poll_stop(poll);
    if (client) avahi_client_free(client);  // frees its groups, browsers and resolvers
    if (poll) avahi_threaded_poll_free(poll);
    poll = nullptr;
    client = nullptr;
  }
};

}  // namespace

std::string no_avahi_words(const std::string& avahi_error) {
  return "LAN discovery is off: no Avahi daemon answers on this machine (" + avahi_error +
         "); to announce and find sessions on this network, install and start it (apt install avahi-daemon), "
         "or share an address or invite link instead";
}

std::string LanSession::invite() const { return invite_link(address, port, fingerprint); }

// ---- announcing ---------------------------------------------------------------------------------

struct LanAnnouncer::Impl : AvahiBase {
  LanAnnouncement what;
  std::string name;       // poll thread only
  std::string announced;  // guarded by mutex
  AvahiEntryGroup* group = nullptr;

  void publish(AvahiClient* c) {
    if (!group) group = avahi_entry_group_new(c, &Impl::on_group, this);
    if (!group) {
      set_problem("LAN discovery: Avahi refused the announcement (" +
                  std::string(avahi_strerror(avahi_client_errno(c))) + ")");
      return;
    }
    if (!avahi_entry_group_is_empty(group)) return;
    const std::string media = "media=" + clean_text(what.media, 100);
    const std::string pw = std::string("pw=") + (what.password ? "yes" : "no");
    const std::string fp = "fp=" + what.fingerprint;
    for (int tries = 0; tries < 10; ++tries) {
      const int rc = avahi_entry_group_add_service(group, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET, AvahiPublishFlags(0),
                                                   name.c_str(), kLanServiceType, nullptr, nullptr,
                                                   static_cast<uint16_t>(what.port), "v=1", media.c_str(), pw.c_str(),
                                                   fp.c_str(), nullptr);
      if (rc == AVAHI_ERR_COLLISION) {
        rename();
        continue;
      }
      if (rc < 0) {
        set_problem("LAN discovery: Avahi refused the announcement (" + std::string(avahi_strerror(rc)) + ")");
        return;
      }
      avahi_entry_group_commit(group);
      return;
    }
  }
  void rename() {
    char* alt = avahi_alternative_service_name(name.c_str());
    name = alt ? alt : name + " 2";
    avahi_free(alt);
  }
  static void on_group(AvahiEntryGroup* g, AvahiEntryGroupState state, void* user) {
    auto* self = static_cast<Impl*>(user);
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED: {
        std::lock_guard lock(self->mutex);
        self->announced = self->name;
        self->problem.clear();
        break;
      }
      case AVAHI_ENTRY_GROUP_COLLISION:
        self->rename();
        avahi_entry_group_reset(g);
        self->publish(avahi_entry_group_get_client(g));
        break;
      case AVAHI_ENTRY_GROUP_FAILURE:
        self->set_problem("LAN discovery: the announcement failed (" +
                          std::string(avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g)))) + ")");
        break;
      default: break;
    }
  }
  static void on_client(AvahiClient* c, AvahiClientState state, void* user) {
    auto* self = static_cast<Impl*>(user);
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING: self->publish(c); break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        if (self->group) avahi_entry_group_reset(self->group);
        break;
      case AVAHI_CLIENT_FAILURE: self->set_problem(no_avahi_words(avahi_strerror(avahi_client_errno(c)))); break;
      default: break;
    }
  }
};

LanAnnouncer::LanAnnouncer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LanAnnouncer::~LanAnnouncer() {
  if (impl_) impl_->close();
}

std::unique_ptr<LanAnnouncer> LanAnnouncer::start(const LanAnnouncement& what) {
  auto impl = std::make_unique<Impl>();
  impl->what = what;
  impl->name = clean_text(what.name.empty() ? "lockstep on " + this_host() : what.name, 60);
  if (impl->name.empty()) impl->name = "lockstep";
  impl->open(&Impl::on_client, impl.get());
  return std::unique_ptr<LanAnnouncer>(new LanAnnouncer(std::move(impl)));
}

std::string LanAnnouncer::problem() const { return impl_->get_problem(); }
std::string LanAnnouncer::announced_name() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->announced;
}

// ---- browsing -----------------------------------------------------------------------------------

struct LanBrowser::Impl : AvahiBase {
  AvahiServiceBrowser* browser = nullptr;
  std::map<std::string, LanSession> found;  // guarded by mutex; key: name and interface
  // Resolvers still at work (poll thread only): counted against the bound, freed when their
  // service goes before it is resolved (else it would come back as a ghost row).
  std::map<std::string, AvahiServiceResolver*> pending;

  static std::string key(AvahiIfIndex interface, const char* name) {
    return std::string(name ? name : "") + "%" + std::to_string(interface);
  }
  static void on_resolve(AvahiServiceResolver* r, AvahiIfIndex interface, AvahiProtocol, AvahiResolverEvent event,
                         const char* name, const char*, const char*, const char* host_name, const AvahiAddress* a,
                         uint16_t port, AvahiStringList* txt, AvahiLookupResultFlags, void* user) {
    auto* self = static_cast<Impl*>(user);
    self->pending.erase(key(interface, name));
    if (event == AVAHI_RESOLVER_FOUND && a && port > 0) {
      LanSession s;
      s.name = clean_text(name ? name : "", 63);
      s.host = clean_text(host_name ? host_name : "", 63);
      char addr[AVAHI_ADDRESS_STR_MAX] = {0};
      avahi_address_snprint(addr, sizeof addr, a);
      s.address = clean_text(addr, 15);
      s.port = port;
      s.media = clean_text(txt_value(txt, "media"), 100);
      s.password = txt_value(txt, "pw") == "yes";
      const std::string fp = txt_value(txt, "fp");
      s.fingerprint = fingerprint_shaped(fp) ? fp : std::string();
      if (a->proto == AVAHI_PROTO_INET) {
        std::lock_guard lock(self->mutex);
        if (self->found.size() < kMaxSessions || self->found.count(key(interface, name))) self->found[key(interface, name)] = s;
      }
    }
    avahi_service_resolver_free(r);
  }
  static void on_browse(AvahiServiceBrowser* b, AvahiIfIndex interface, AvahiProtocol protocol,
                        AvahiBrowserEvent event, const char* name, const char* type, const char* domain,
                        AvahiLookupResultFlags, void* user) {
    auto* self = static_cast<Impl*>(user);
    switch (event) {
      case AVAHI_BROWSER_NEW: {
        const std::string k = key(interface, name);
        size_t n = 0;
        {
          std::lock_guard lock(self->mutex);
          n = self->found.size();
        }
        if (n + self->pending.size() < kMaxSessions && !self->pending.count(k)) {
          AvahiServiceResolver* r =
              avahi_service_resolver_new(avahi_service_browser_get_client(b), interface, protocol, name, type, domain,
                                         AVAHI_PROTO_INET, AvahiLookupFlags(0), &Impl::on_resolve, self);
          if (r) self->pending[k] = r;
        }
        break;
      }
      case AVAHI_BROWSER_REMOVE: {
        const std::string k = key(interface, name);
        if (auto it = self->pending.find(k); it != self->pending.end()) {
          avahi_service_resolver_free(it->second);
          self->pending.erase(it);
        }
        std::lock_guard lock(self->mutex);
        self->found.erase(k);
        break;
      }
      case AVAHI_BROWSER_FAILURE:
        self->set_problem("LAN discovery: browsing failed (" +
                          std::string(avahi_strerror(avahi_client_errno(avahi_service_browser_get_client(b)))) + ")");
        break;
      default: break;
    }
  }
  static void on_client(AvahiClient* c, AvahiClientState state, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (state == AVAHI_CLIENT_S_RUNNING && !self->browser) {
      self->browser = avahi_service_browser_new(c, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET, kLanServiceType, nullptr,
                                                AvahiLookupFlags(0), &Impl::on_browse, self);
      if (!self->browser)
        self->set_problem("LAN discovery: Avahi would not browse (" + std::string(avahi_strerror(avahi_client_errno(c))) + ")");
    } else if (state == AVAHI_CLIENT_FAILURE) {
      self->set_problem(no_avahi_words(avahi_strerror(avahi_client_errno(c))));
    }
  }
};

LanBrowser::LanBrowser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LanBrowser::~LanBrowser() {
  if (impl_) impl_->close();
}

std::unique_ptr<LanBrowser> LanBrowser::start() {
  auto impl = std::make_unique<Impl>();
  impl->open(&Impl::on_client, impl.get());
  return std::unique_ptr<LanBrowser>(new LanBrowser(std::move(impl)));
}

std::vector<LanSession> LanBrowser::sessions() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<LanSession> out;
  for (const auto& [k, s] : impl_->found) {
    // One row per session, however many interfaces it was seen on.
    if (std::none_of(out.begin(), out.end(), [&](const LanSession& o) { return o.name == s.name && o.host == s.host; }))
      out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const LanSession& a, const LanSession& b) { return a.name < b.name; });
  return out;
}

std::string LanBrowser::problem() const { return impl_->get_problem(); }

}  // namespace lockstep::net
