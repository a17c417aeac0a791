// lockstep-impair as a process, with real UDP on 127.0.0.1: delay and jitter seen in round
// trips, loss per direction, duplicates and reordering only when asked, one upstream socket
// per client, refusal of non-loopback addresses, and clear exits on bad arguments.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time.h"
#include "udp_probe.h"

namespace lockstep::test {
namespace {

/// |observed - n p| within 5 binomial standard deviations (plus one for tiny n p).
void expect_binomial(int64_t observed, int64_t n, double p, const std::string& what) {
  const double sd = std::sqrt(double(n) * p * (1.0 - p));
  EXPECT_NEAR(double(observed), double(n) * p, 5.0 * sd + 1.0)
      << what << ": " << observed << " of " << n << ", expected share " << p;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

size_t count_lines(const std::string& text) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ++n;
  return n;
}

TEST(ImpairRelay, RoundTripCarriesDelayAndJitterOfBothDirections) {
  UdpEchoServer echo;
  RelayProcess relay;
  ASSERT_TRUE(relay.start(
      echo.port(), {"--delay", "20ms", "--jitter", "5ms", "--seed", "1", "--duration", "15s"}))
      << relay.output();
  const ProbeResult r = run_probe(relay.port(), 2000, 2000, 200);
  const ProcessResult done = relay.stop(SIGTERM);
  EXPECT_EQ(done.exit_code, 0) << done.output;

  EXPECT_EQ(r.sent, 2000);
  EXPECT_EQ(r.received, 2000) << done.output;
  const double mean = mean_of(r.rtt_ms);
  const double lo = percentile_of(r.rtt_ms, 0.0), p95 = percentile_of(r.rtt_ms, 0.95);
  RecordProperty("rtt_mean_ms", std::to_string(mean));
  std::printf("round trip through 20 ms ± 5 ms each way: mean %.3f ms, min %.3f, p95 %.3f ms\n",
              mean, lo, p95);
  EXPECT_GE(mean, 30.0);
  EXPECT_LE(mean, 50.0);
  EXPECT_GE(lo, 30.0) << "a packet left the relay before its delay";
  EXPECT_LE(p95, 55.0);
  // Jitter keeps the order of a flow, and nothing was asked to be duplicated.
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.reordered, 0);
  EXPECT_NE(done.output.find("client->server in 2000 out 2000 dropped 0 (buffer full 0) duplicated 0 reordered 0"),
            std::string::npos)
      << done.output;
}

TEST(ImpairRelay, AsymmetricDelaysAreMeasuredEachWay) {
  UdpEchoServer echo;
  RelayProcess relay;
  ASSERT_TRUE(relay.start(echo.port(), {"--profile", "asymmetric", "--seed", "2", "--duration", "15s"})) << relay.output();
  EXPECT_NE(relay.output().find("client->server: delay 30 ms"), std::string::npos) << relay.output();
  EXPECT_NE(relay.output().find("server->client: delay 5 ms"), std::string::npos) << relay.output();
  const ProbeResult r = run_probe(relay.port(), 500, 4000, 200);
  relay.stop(SIGTERM);
  ASSERT_EQ(r.received, 500);
  ASSERT_EQ(r.up_ms.size(), 500u);
  const double up = percentile_of(r.up_ms, 0.5), down = percentile_of(r.down_ms, 0.5);
  std::printf("asymmetric profile: one-way delay p50 %.3f ms up, %.3f ms down\n", up, down);
  EXPECT_NEAR(up, 30.0, 1.5);
  EXPECT_NEAR(down, 5.0, 1.5);
  EXPECT_GE(percentile_of(r.up_ms, 0.0), 29.0);
  EXPECT_GE(percentile_of(r.down_ms, 0.0), 4.0);
}

TEST(ImpairRelay, ARouteChangeStepsTheDelayDuringTheRun) {
  UdpEchoServer echo;
  RelayProcess relay;
  ASSERT_TRUE(relay.start(echo.port(), {"--delay", "10ms", "--step-delay", "60ms", "--step-at", "1s", "--step-for", "1s",
                                        "--seed", "3", "--duration", "15s"}))
      << relay.output();
  // Packets every 10 ms for 3.2 s: the relay started just before the first.
  const ProbeResult r = run_probe(relay.port(), 320, 10000, 300);
  relay.stop(SIGTERM);
  ASSERT_GT(r.received, 300);
  const int64_t t0 = r.send_ns.front();
  std::vector<double> before, during, after;
  for (size_t i = 0; i < r.up_ms.size(); ++i) {
    const double t = double(r.send_ns[i] - t0) / 1e9;
    if (t < 0.8) before.push_back(r.up_ms[i]);
    else if (t > 1.2 && t < 1.8) during.push_back(r.up_ms[i]);
    else if (t > 2.3) after.push_back(r.up_ms[i]);
  }
  const double b = percentile_of(before, 0.5), d = percentile_of(during, 0.5), a = percentile_of(after, 0.5);
  std::printf("route change 10 -> 60 -> 10 ms: one-way p50 %.2f, %.2f, %.2f ms\n", b, d, a);
  EXPECT_NEAR(b, 10.0, 1.5);
  EXPECT_NEAR(d, 60.0, 1.5);
  EXPECT_NEAR(a, 10.0, 1.5);
  EXPECT_EQ(r.reordered, 0) << "the step back let packets overtake";
}

TEST(ImpairRelay, BurstsAndABufferFullLinkAreCounted) {
  UdpEchoServer echo;
  RelayProcess relay;
  const std::string stats = scratch_dir("impair") + "/bursts.json";
  ASSERT_TRUE(relay.start(echo.port(), {"--loss", "20%", "--burst", "5", "--seed", "9", "--duration", "15s", "--stats", stats}))
      << relay.output();
  const ProbeResult r = run_probe(relay.port(), 3000, 500, 200);
  const ProcessResult done = relay.stop(SIGTERM);
  ASSERT_EQ(done.exit_code, 0) << done.output;
  const auto j = read_json(stats);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_DOUBLE_EQ(j["settings"]["client_to_server"]["burst_length"].get<double>(), 5.0);
  // Both ways lose 20 % in bursts: about 64 % of the round trips come back.
  EXPECT_NEAR(double(r.received) / 3000.0, 0.64, 0.08) << done.output;

  UdpEchoServer echo2;
  RelayProcess link;
  ASSERT_TRUE(link.start(echo2.port(), {"--rate", "100kbit", "--queue", "50ms", "--seed", "4", "--duration", "15s"}))
      << link.output();
  // 32-byte probes every 0.5 ms = 512 kbit/s into a 100 kbit/s link: it queues, then drops.
  const ProbeResult q = run_probe(link.port(), 1000, 500, 300);
  const ProcessResult qd = link.stop(SIGTERM);
  EXPECT_NE(qd.output.find("buffer full"), std::string::npos) << qd.output;
  EXPECT_LT(q.received, 400) << qd.output;
  ASSERT_FALSE(q.up_ms.empty());
  EXPECT_GT(percentile_of(q.up_ms, 0.5), 30.0) << "a full buffer delays what passes (bufferbloat)";
  // The buffer's 50 ms, a packet's 2.56 ms on the wire, and the relay's own scheduling.
  EXPECT_LT(percentile_of(q.up_ms, 1.0), 60.0) << "nothing waits longer than the buffer holds";
}

TEST(ImpairRelay, LossIsTheAskedSharePerDirection) {
  UdpEchoServer echo;
  RelayProcess relay;
  const std::string stats = scratch_dir("impair_loss") + "/stats.json";
  std::remove(stats.c_str());
  ASSERT_TRUE(relay.start(echo.port(), {"--delay", "1ms", "--loss", "2%", "--seed", "5",
                                        "--duration", "15s", "--stats", stats}))
      << relay.output();
  const int n = 2000;
  const ProbeResult r = run_probe(relay.port(), n, 1000, 150);
  const ProcessResult done = relay.stop(SIGTERM);
  ASSERT_EQ(done.exit_code, 0) << done.output;

  const nlohmann::json j = read_json(stats);
  ASSERT_FALSE(j.is_discarded()) << "no stats JSON in " << stats;
  const auto& up = j["client_to_server"];
  const auto& down = j["server_to_client"];
  std::printf("dropped client->server %lld of %lld, server->client %lld of %lld\n",
              up["dropped"].get<long long>(), up["in"].get<long long>(),
              down["dropped"].get<long long>(), down["in"].get<long long>());
  EXPECT_EQ(up["in"].get<int64_t>(), n);
  expect_binomial(up["dropped"].get<int64_t>(), n, 0.02, "dropped client->server");
  expect_binomial(down["dropped"].get<int64_t>(), down["in"].get<int64_t>(), 0.02,
                  "dropped server->client");
  // Every packet the relay let through arrived, in both directions.
  EXPECT_EQ(up["out"].get<int64_t>(), up["in"].get<int64_t>() - up["dropped"].get<int64_t>());
  EXPECT_EQ(echo.received(), up["out"].get<int64_t>());
  EXPECT_EQ(down["in"].get<int64_t>(), echo.received());
  EXPECT_EQ(r.received, down["out"].get<int64_t>());
  expect_binomial(r.received, n, 0.98 * 0.98, "round trips that survived");
  EXPECT_EQ(j["clients"].get<int>(), 1);
}

TEST(ImpairRelay, DuplicatesAndReordersAppearWhenAsked) {
  UdpEchoServer echo;
  RelayProcess relay;
  const std::string stats = scratch_dir("impair_dup_reorder") + "/stats.json";
  std::remove(stats.c_str());
  ASSERT_TRUE(relay.start(
      echo.port(), {"--delay", "5ms", "--jitter", "2ms", "--duplicate", "5%", "--reorder", "5%",
                    "--seed", "9", "--duration", "15s", "--stats", stats}))
      << relay.output();
  const int n = 1000;
  const ProbeResult r = run_probe(relay.port(), n, 1000, 150);
  const ProcessResult done = relay.stop(SIGTERM);
  ASSERT_EQ(done.exit_code, 0) << done.output;
  std::printf("client saw %lld duplicates and %lld reordered of %lld\n",
              static_cast<long long>(r.duplicates), static_cast<long long>(r.reordered),
              static_cast<long long>(r.received));
  EXPECT_EQ(r.received, n);
  EXPECT_GT(r.duplicates, 0);
  EXPECT_GT(r.reordered, 0);

  const nlohmann::json j = read_json(stats);
  ASSERT_FALSE(j.is_discarded());
  const auto& up = j["client_to_server"];
  const auto& down = j["server_to_client"];
  expect_binomial(up["duplicated"].get<int64_t>(), n, 0.05, "duplicated client->server");
  expect_binomial(up["reordered"].get<int64_t>(), n, 0.05, "reordered client->server");
  expect_binomial(down["duplicated"].get<int64_t>(), down["in"].get<int64_t>(), 0.05,
                  "duplicated server->client");
  expect_binomial(down["reordered"].get<int64_t>(), down["in"].get<int64_t>(), 0.05,
                  "reordered server->client");
  EXPECT_EQ(up["out"].get<int64_t>(), n + up["duplicated"].get<int64_t>());
  // Copies that came back: the client's duplicates are exactly the extra packets delivered.
  EXPECT_EQ(r.received + r.duplicates, down["out"].get<int64_t>());
}

TEST(ImpairRelay, EachClientGetsItsOwnUpstreamSocketAndOnlyItsOwnReplies) {
  UdpEchoServer echo;
  RelayProcess relay;
  ASSERT_TRUE(relay.start(echo.port(), {"--delay", "2ms", "--duration", "15s"})) << relay.output();
  ProbeResult a, b;
  std::thread other([&] { b = run_probe(relay.port(), 300, 2000, 100, 2); });
  a = run_probe(relay.port(), 300, 2000, 100, 1);
  other.join();
  const ProcessResult done = relay.stop(SIGTERM);
  EXPECT_EQ(done.exit_code, 0) << done.output;
  EXPECT_EQ(a.received, 300);
  EXPECT_EQ(b.received, 300);
  EXPECT_EQ(a.foreign, 0) << "client 1 got replies meant for client 2";
  EXPECT_EQ(b.foreign, 0) << "client 2 got replies meant for client 1";
  EXPECT_EQ(echo.peers().size(), 2u) << "the server should see one peer per client";
  EXPECT_NE(done.output.find("2 client(s)"), std::string::npos) << done.output;
}

TEST(ImpairRelay, StopsByItselfAfterItsDuration) {
  UdpEchoServer echo;
  const int64_t t0 = monotonic_ns();
  const ProcessResult r =
      run_process({LOCKSTEP_IMPAIR, "--listen", "127.0.0.1:0", "--to",
                   "127.0.0.1:" + std::to_string(echo.port()), "--duration", "0.5s"},
                  10);
  const double seconds = double(monotonic_ns() - t0) / 1e9;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(seconds, 0.45);
  EXPECT_LT(seconds, 3.0);
  EXPECT_NE(r.output.find("client->server in 0 out 0"), std::string::npos) << r.output;
}

TEST(ImpairRelay, StopsOnSigintAndPrintsItsCounters) {
  UdpEchoServer echo;
  RelayProcess relay;
  ASSERT_TRUE(relay.start(echo.port(), {"--duration", "15s"})) << relay.output();
  const ProbeResult r = run_probe(relay.port(), 20, 1000, 50);
  const ProcessResult done = relay.stop(SIGINT);
  EXPECT_EQ(done.exit_code, 0) << done.output;
  EXPECT_EQ(r.received, 20);
  EXPECT_NE(done.output.find("client->server in 20 out 20"), std::string::npos) << done.output;
  EXPECT_NE(done.output.find("server->client in 20 out 20"), std::string::npos) << done.output;
}

TEST(ImpairRelay, RefusesAddressesOffLoopback) {
  const std::vector<std::vector<std::string>> cases = {
      {"--listen", "0.0.0.0:7460", "--to", "127.0.0.1:7450"},
      {"--listen", "127.0.0.1:0", "--to", "192.0.2.1:7450"},
      {"--listen", "127.0.0.1:0", "--to", "[2001:db8::1]:7450"},
      {"--listen", "127.0.0.1:0", "--to", "example.com:7450"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv{LOCKSTEP_IMPAIR};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--duration", "1s"});
    const ProcessResult r = run_process(argv, 10);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << args[3] << "\n" << r.output;
    EXPECT_NE(r.output.find("loopback address"), std::string::npos) << r.output;
    EXPECT_EQ(count_lines(r.output), 1u) << r.output;
  }
}

TEST(ImpairRelay, BadArgumentsExitWithTwoAndOneClearLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--listen", "127.0.0.1:70000", "--to", "127.0.0.1:7450"}, "out of range"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:0"}, "out of range"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:7450", "--delay", "20 parsecs"},
       "--delay: cannot read the duration '20 parsecs'"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:7450", "--jitter", "fast"},
       "--jitter: cannot read the duration 'fast'"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:7450", "--loss", "150%"}, "above 100%"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:7450", "--reorder", "some"},
       "--reorder: cannot read the percentage 'some'"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:7450", "--duration", "0s"}, "--duration"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:7450", "--duration", "2h"}, "--duration"},
      {{"--listen", "127.0.0.1:0", "--to", "127.0.0.1:7450", "--duration", "3601s"},
       "at most 3600 s"},
      {{"--listen", "127.0.0.1:0"}, "--to is required"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv{LOCKSTEP_IMPAIR};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = run_process(argv, 10);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos)
        << "expected '" << message << "' in: " << r.output;
    EXPECT_EQ(count_lines(r.output), 1u) << r.output;
  }
}

TEST(ImpairRelay, AnAddressInUseIsReported) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  const ProcessResult r = run_process(
      {LOCKSTEP_IMPAIR, "--listen", taken, "--to", "127.0.0.1:7450", "--duration", "1s"}, 10);
  close(fd);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot listen on " + taken + ": the address is already in use"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace lockstep::test
