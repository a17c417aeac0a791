// The dedicated server's status page (`lockstep serve --status-http`): real processes — a
// server and two joined nodes over loopback UDP — read through HTTP as JSON and Prometheus
// metrics, and in headless Chromium as a wall operator would open it.
#define CPPHTTPLIB_NO_EXCEPTIONS
#include <httplib.h>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <regex>
#include <thread>

#include "session_nodes.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

using test::ChildProcess;

/// A TCP port free right now on loopback (bound to 0, read back, closed).
int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Page {
  int status = 0;
  std::string body;
  std::string content_type;
};

Page get(int port, const std::string& path, const httplib::Headers& headers = {}) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  auto r = c.Get(path, headers);
  if (!r) return {};
  return {r->status, r->body, r->get_header_value("Content-Type")};
}

nlohmann::json status(int port) {
  const Page p = get(port, "/status.json");
  if (p.status != 200) return {};
  return nlohmann::json::parse(p.body, nullptr, false);
}

/// Waits up to `timeout_s` for the JSON to satisfy `ok`; the last JSON read.
template <class Pred>
nlohmann::json wait_status(int port, double timeout_s, Pred ok) {
  nlohmann::json last;
  for (int i = 0; i < int(timeout_s * 10); ++i) {
    last = status(port);
    if (!last.is_discarded() && !last.is_null() && ok(last)) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

/// The page as Chromium shows it after its script ran: the DOM, or "" without Chromium.
std::string chromium_dom(int port) {
  const std::string profile = test::scratch_dir("chromium-profile");
  const auto r = test::run_process({"/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    "--user-data-dir=" + profile, "--virtual-time-budget=3000", "--dump-dom",
                                    "http://127.0.0.1:" + std::to_string(port) + "/"},
                                   90);
  return r.output;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool have_chromium() { return ::access("/usr/bin/chromium", X_OK) == 0; }

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class StatusPage : public ::testing::Test {
 protected:
  void SetUp() override {
    clip = test::session_clip();
    ASSERT_FALSE(clip.empty());
    dir = test::scratch_dir("status_page");
    udp = test::session_port(31000, 0);
    http = free_tcp_port();
    server = std::make_unique<ChildProcess>(
        std::vector<std::string>{test::player_path(), "serve", "--port", std::to_string(udp), "--duration", "90",
                                 "--status-http", "127.0.0.1:" + std::to_string(http), clip},
        dir + "/server.out");
    // The page answers once the server runs.
    for (int i = 0; i < 100 && get(http, "/").status != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(get(http, "/").status, 200) << read_text(dir + "/server.out");
  }
  std::string clip, dir;
  int udp = 0, http = 0;
  std::unique_ptr<ChildProcess> server;
};

TEST_F(StatusPage, JsonAndMetricsShowTwoJoinedNodesAndFollowALeave) {
  const std::string addr = "127.0.0.1:" + std::to_string(udp);
  auto a = test::start_node(dir, "wall-a", addr, "", 60, {"--play"});
  auto b = test::start_node(dir, "wall-b", addr, "", 60);
  const auto two = wait_status(http, 20, [](const nlohmann::json& j) {
    if (j["nodes"].size() != 2) return false;
    for (const auto& n : j["nodes"])
      if (n["state"] != "playing" || n["media"].empty()) return false;
    return j["transport"]["state"] == "playing";
  });
  ASSERT_EQ(two["nodes"].size(), 2u) << two.dump(2) << read_text(a.out);
  std::set<std::string> names;
  for (const auto& n : two["nodes"]) {
    names.insert(n["name"].get<std::string>());
    EXPECT_EQ(n["state"], "playing") << n.dump();
    EXPECT_GE(n["rtt_ms"].get<double>(), 0.0);
    EXPECT_LT(std::abs(n["sync_error_ms"].get<double>()), 50.0) << n.dump();
    // Playing on loopback: the clock is long settled, to microseconds.
    EXPECT_GE(n["clock_uncertainty_ms"].get<double>(), 0.0) << n.dump();
    EXPECT_LE(n["clock_uncertainty_ms"].get<double>(), 0.5) << n.dump();
    ASSERT_EQ(n["media"].size(), 1u);
    EXPECT_EQ(n["media"][0]["status"], "found");
    EXPECT_EQ(n["media"][0]["name"], "session_320x180_30_12s.mp4");
    EXPECT_TRUE(n["address"].get<std::string>().rfind("127.0.0.1:", 0) == 0) << n.dump();
  }
  EXPECT_EQ(names, (std::set<std::string>{"wall-a", "wall-b"}));
  // A node says when its clock can be trusted: on loopback 5 s after joining (its
  // uncertainty below 0.5 ms for 5 s).
  for (int i = 0; i < 100 && read_text(a.out).find("clock in step with the server's") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(read_text(a.out).find("clock in step with the server's to about"), std::string::npos) << read_text(a.out);
  EXPECT_EQ(two["media"][0]["found_by"], 2);
  EXPECT_EQ(two["server"]["port"], udp);
  EXPECT_TRUE(two["server"]["fingerprint"].get<std::string>().rfind("SHA256:", 0) == 0);
  EXPECT_GT(two["transport"]["frame"].get<int64_t>(), 0);

  // Prometheus: every sample line is NAME{LABELS} VALUE or NAME VALUE, after its HELP/TYPE.
  const Page m = get(http, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.content_type.find("version=0.0.4"), std::string::npos) << m.content_type;
  std::istringstream lines(m.body);
  std::string line;
  std::set<std::string> typed;
  std::map<std::string, double> samples;
  const std::regex sample(R"(([a-z_]+)(\{[^}]*\})? (-?[0-9.eE+-]+))");
  while (std::getline(lines, line)) {
    std::smatch mm;
    if (line.rfind("# TYPE ", 0) == 0) {
      typed.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    ASSERT_TRUE(std::regex_match(line, mm, sample)) << "not a sample: " << line;
    EXPECT_TRUE(typed.count(mm[1])) << mm[1] << " has no # TYPE before it";
    samples[std::string(mm[1]) + std::string(mm[2])] = std::stod(mm[3]);
  }
  EXPECT_EQ(samples["lockstep_nodes"], 2.0);
  EXPECT_EQ(samples["lockstep_session_playing"], 1.0);
  int node_rtts = 0, node_clocks = 0;
  for (const auto& [k, v] : samples) {
    if (k.rfind("lockstep_node_rtt_seconds{", 0) == 0) ++node_rtts;
    if (k.rfind("lockstep_node_clock_uncertainty_seconds{", 0) == 0 && v >= 0.0 && v <= 0.0005) ++node_clocks;
  }
  EXPECT_EQ(node_rtts, 2);
  EXPECT_EQ(node_clocks, 2);

  // One node leaves (its process ends): the table follows.
  b.process.reset();
  const auto one = wait_status(http, 15, [](const nlohmann::json& j) { return j["nodes"].size() == 1; });
  ASSERT_EQ(one["nodes"].size(), 1u) << one.dump(2);
  EXPECT_EQ(one["nodes"][0]["name"], "wall-a");
}

TEST_F(StatusPage, ChromiumShowsTheNodesAndUpdatesWhenOneLeaves) {
  if (!have_chromium()) GTEST_SKIP() << "chromium is not installed (apt-get install chromium; ./tools/run-tests installs it)";
  const std::string addr = "127.0.0.1:" + std::to_string(udp);
  auto a = test::start_node(dir, "left-screen", addr, "", 60, {"--play"});
  auto b = test::start_node(dir, "right-screen", addr, "", 60);
  ASSERT_EQ(wait_status(http, 20, [](const nlohmann::json& j) { return j["nodes"].size() == 2; })["nodes"].size(), 2u);
  const std::string dom = chromium_dom(http);
  // The script built one row per node, with its name and state, and the media table.
  EXPECT_EQ(count_of(dom, "<tr data-node="), 2) << dom;
  EXPECT_NE(dom.find("left-screen"), std::string::npos) << dom;
  EXPECT_NE(dom.find("right-screen"), std::string::npos) << dom;
  EXPECT_NE(dom.find("2 nodes"), std::string::npos) << dom;
  EXPECT_NE(dom.find("session_320x180_30_12s.mp4"), std::string::npos) << dom;
  EXPECT_EQ(dom.find("does not answer\" style=\"display: inline"), std::string::npos);

  b.process.reset();
  ASSERT_EQ(wait_status(http, 15, [](const nlohmann::json& j) { return j["nodes"].size() == 1; })["nodes"].size(), 1u);
  const std::string after = chromium_dom(http);
  EXPECT_EQ(count_of(after, "<tr data-node="), 1) << after;
  EXPECT_NE(after.find("left-screen"), std::string::npos);
  EXPECT_EQ(after.find("right-screen"), std::string::npos) << after;
  EXPECT_NE(after.find("1 node "), std::string::npos) << after;
}

TEST_F(StatusPage, IsReadOnlyAndAnswersLoopbackNamesOnly) {
  httplib::Client c("127.0.0.1", http);
  auto post = c.Post("/status.json", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto del = c.Delete("/");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_EQ(get(http, "/admin").status, 404);
  // A page elsewhere that rebinds its own name to 127.0.0.1 is not answered.
  EXPECT_EQ(get(http, "/status.json", {{"Host", "attacker.example:" + std::to_string(http)}}).status, 421);
  EXPECT_EQ(get(http, "/status.json", {{"Host", "localhost:" + std::to_string(http)}}).status, 200);
  // Found by an outsider: the check looked at the start of the name only.
  for (const char* name : {"127.0.0.1.attacker.example", "127.attacker.example", "[::1].attacker.example", "localhost.attacker.example"})
    EXPECT_EQ(get(http, "/status.json", {{"Host", std::string(name) + ":" + std::to_string(http)}}).status, 421) << name;
  const Page page = get(http, "/");
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);
  // The script never writes HTML from data (names come from the network).
  const Page js = get(http, "/status.js");
  EXPECT_EQ(js.body.find("innerHTML"), std::string::npos);
}

TEST(StatusPageArgs, BadAddressesAreExplained) {
  for (const std::string bad : {"99999", "127.0.0.1", "not a host:80", "0"}) {
    const auto r = test::run_process({test::player_path(), "serve", "--status-http", bad, "--duration", "1"}, 30);
    EXPECT_NE(r.exit_code, 0) << bad << ": " << r.output;
    EXPECT_NE(r.output.find("--status-http"), std::string::npos) << bad << ": " << r.output;
  }
  // A port already taken: the server says so and stops, naming the option.
  const int port = free_tcp_port();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::listen(fd, 1);
  const auto r = test::run_process({test::player_path(), "serve", "--port", std::to_string(test::session_port(31000, 1)),
                                    "--status-http", std::to_string(port), "--duration", "1"}, 30);
  ::close(fd);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("port is in use"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace lockstep
