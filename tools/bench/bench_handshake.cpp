#include <enet/enet.h>

#include <condition_variable>
#include <mutex>

#include "tools/bench/bench_common.h"

namespace lockstep::bench {

// ---------------------------------------------------------------------------------------
// handshake: how long a node takes to join, from its first datagram to the Welcome.

namespace {

/// A bare ENet connect (no cookie, no keys, no login) to a bare ENet host in this process:
/// the transport's own round trips, the reference for the session's handshake.
std::vector<double> bare_enet_connects_ms(int count) {
  std::vector<double> ms;
  ENetAddress any{};
  any.host = ENET_HOST_ANY;
  any.port = 0;
  ENetHost* server = enet_host_create(&any, 4, 1, 0, 0);
  ENetHost* client = enet_host_create(nullptr, 1, 1, 0, 0);
  if (!server || !client) return ms;
  ENetAddress to{};
  enet_address_set_host_ip(&to, "127.0.0.1");
  to.port = server->address.port;
  std::atomic<bool> stop{false};
  std::thread serve([&] {
    ENetEvent ev;
    while (!stop) enet_host_service(server, &ev, 5);
  });
  for (int i = 0; i < count && !g_stop; ++i) {
    const int64_t t0 = monotonic_ns();
    ENetPeer* peer = enet_host_connect(client, &to, 1, 0);
    ENetEvent ev;
    bool up = false;
    while (!up && monotonic_ns() - t0 < 2 * kNsPerSec)
      if (enet_host_service(client, &ev, 1) > 0 && ev.type == ENET_EVENT_TYPE_CONNECT) up = true;
    if (up) ms.push_back(double(monotonic_ns() - t0) / 1e6);
    enet_peer_disconnect_now(peer, 0);
    enet_host_flush(client);
    nap(0.01);
  }
  stop = true;
  serve.join();
  enet_host_destroy(client);
  enet_host_destroy(server);
  return ms;
}

/// `count` nodes joining one after the other; each leaves before the next joins.
std::vector<double> session_joins_ms(int port, int count, const std::optional<std::string>& password, int* failed) {
  std::vector<double> ms;
  for (int i = 0; i < count && !g_stop; ++i) {
    std::mutex m;
    std::condition_variable cv;
    bool welcomed = false;
    net::SessionClientParams cp;
    cp.server = net::Endpoint{"127.0.0.1", port};
    cp.name = "handshake-" + std::to_string(i);
    cp.password = password;
    cp.probe = [](const std::string&) -> Result<net::MediaEntry> { return net::MediaEntry{}; };
    net::SessionEvents ev;
    ev.on_welcome = [&](const net::SessionSnapshot&, const std::vector<net::MediaMatch>&) {
      std::lock_guard lock(m);
      welcomed = true;
      cv.notify_all();
    };
    const int64_t t0 = monotonic_ns();
    auto c = net::SessionClient::start(cp, ev);
    if (!c) {
      ++*failed;
      continue;
    }
    std::unique_lock lock(m);
    if (cv.wait_for(lock, std::chrono::seconds(10), [&] { return welcomed; }))
      ms.push_back(double(monotonic_ns() - t0) / 1e6);
    else
      ++*failed;
    lock.unlock();
    c->reset();  // says Bye, joins its thread
  }
  return ms;
}

void print_row(const char* what, const std::vector<double>& ms, double reference_p50) {
  const Spread s = spread_of(ms);
  std::printf("  %-44s p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  (%zu)", what, s.p50, s.p99, s.max, s.count);
  if (reference_p50 > 0) std::printf("  = %.1f x the bare ENet connect", s.p50 / reference_p50);
  std::printf("\n");
}

}  // namespace

int bench_handshake(const HandshakeOptions& o) {
  std::printf("handshake: %d joins each, one after the other, on loopback; load average %s\n", o.count,
              load_average().c_str());
  if (enet_initialize() != 0) {
    LS_ERROR("ENet could not be initialised");
    return 1;
  }
  auto dir = make_work_dir("handshake");
  if (!dir) {
    LS_ERROR("{}", dir.error());
    return 1;
  }
  const std::string password = "correct horse battery staple";
  std::ofstream(*dir + "/password") << password << "\n";
  const std::vector<double> bare = bare_enet_connects_ms(o.count);
  const double ref = spread_of(bare).p50;
  std::printf("reference, in this run:\n");
  print_row("bare ENet connect (no cookie, keys or login)", bare, 0);
  std::printf("lockstep (cookie, X25519 + Ed25519-signed Challenge, Auth, sealed Welcome):\n");
  int status = 0;
  for (const bool with_password : {false, true}) {
    auto port = free_udp_port();
    if (!port) {
      LS_ERROR("{}", port.error());
      return 1;
    }
    std::vector<std::string> argv{tool("lockstep"), "serve", "--port", std::to_string(*port), "--duration", "600"};
    if (with_password) argv.insert(argv.end(), {"--password-file", *dir + "/password"});
    auto server = Child::spawn(argv, *dir + "/server.out");
    if (!server) {
      LS_ERROR("{}", server.error());
      return 1;
    }
    nap(0.5);
    int failed = 0;
    const auto joins = session_joins_ms(*port, o.count, with_password ? std::optional(password) : std::nullopt, &failed);
    print_row(with_password ? "join with a password (CPace on Argon2id)" : "join without a password", joins, ref);
    if (failed > 0) {
      std::printf("    %d joins failed:\n%s", failed, tail_of(*dir + "/server.out").c_str());
      status = 1;
    }
    (*server)->stop(5);
  }
  std::printf("(a node with a password derives its Argon2id key once per join; the server once per start)\n");
  std::error_code ec;
  fs::remove_all(*dir, ec);
  enet_deinitialize();
  return status;
}

}  // namespace lockstep::bench
