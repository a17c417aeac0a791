#include "udp_probe.h"
#include "core/stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/time.h"

namespace lockstep::test {
namespace {

constexpr size_t kProbeBytes = 32;
constexpr uint32_t kMagic = 0x4c535450;  // "LSTP"

struct ProbePacket {
  uint32_t magic;
  uint32_t tag;
  uint32_t seq;
  uint32_t pad;
  int64_t send_ns;
  int64_t echo_ns;  // when the echo server received it (same clock: one machine)
};
static_assert(sizeof(ProbePacket) == kProbeBytes);

int loopback_socket(uint16_t port, bool bind_it) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const int rc = bind_it ? bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a)
                         : connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0) {
    close(fd);
    return -1;
  }
  const int bytes = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

}  // namespace

RelayProcess::~RelayProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

void RelayProcess::read_available(int timeout_ms) {
  pollfd p{out_fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  const ssize_t got = read(out_fd_, buf, sizeof buf);
  if (got > 0) output_.append(buf, size_t(got));
}

bool RelayProcess::start(uint16_t to_port, const std::vector<std::string>& args) {
  std::vector<std::string> argv{LOCKSTEP_IMPAIR, "--listen", "127.0.0.1:0", "--to",
                                "127.0.0.1:" + std::to_string(to_port)};
  argv.insert(argv.end(), args.begin(), args.end());
  int fds[2];
  if (pipe(fds) != 0) return false;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  close(fds[1]);
  out_fd_ = fds[0];
  const std::string marker = "listening on 127.0.0.1:";
  const int64_t deadline = monotonic_ns() + 5 * kNsPerSec;
  while (monotonic_ns() < deadline) {
    read_available(100);
    const size_t at = output_.find(marker);
    if (at != std::string::npos && output_.find('\n', at) != std::string::npos) {
      port_ = uint16_t(std::stoi(output_.substr(at + marker.size())));
      return port_ != 0;
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      read_available(0);
      return false;
    }
  }
  return false;
}

ProcessResult RelayProcess::stop(int signal) {
  ProcessResult r;
  if (pid_ <= 0) return r;
  kill(pid_, signal);
  const int64_t deadline = monotonic_ns() + 5 * kNsPerSec;
  int status = 0;
  bool exited = false;
  while (monotonic_ns() < deadline) {
    read_available(20);
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited = true;
      break;
    }
  }
  if (!exited) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    output_ += "\n[test] relay killed: it did not stop within 5 s\n";
  }
  pid_ = -1;
  for (int i = 0; i < 100; ++i) {  // the rest of its output (bounded)
    const size_t before = output_.size();
    read_available(10);
    if (output_.size() == before) break;
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = output_;
  return r;
}

UdpEchoServer::UdpEchoServer() {
  fd_ = loopback_socket(0, true);
  port_ = fd_ >= 0 ? local_port(fd_) : 0;
  thread_ = std::thread([this] {
    char buf[2048];
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t got =
          recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
      if (got < 0) continue;
      ++received_;
      if (got == ssize_t(sizeof(ProbePacket))) {  // stamp a probe's arrival: one-way delays
        ProbePacket p{};
        std::memcpy(&p, buf, sizeof p);
        if (p.magic == kMagic) {
          p.echo_ns = monotonic_ns();
          std::memcpy(buf, &p, sizeof p);
        }
      }
      char host[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &from.sin_addr, host, sizeof host);
      {
        std::lock_guard lock(mutex_);
        peers_.insert(std::string(host) + ":" + std::to_string(ntohs(from.sin_port)));
      }
      sendto(fd_, buf, size_t(got), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
}

UdpEchoServer::~UdpEchoServer() {
  stop_ = true;
  thread_.join();
  if (fd_ >= 0) close(fd_);
}

std::set<std::string> UdpEchoServer::peers() const {
  std::lock_guard lock(mutex_);
  return peers_;
}

ProbeResult run_probe(uint16_t port, int count, int interval_us, int drain_ms, uint32_t tag) {
  ProbeResult r;
  const int fd = loopback_socket(port, false);
  if (fd < 0) return r;
  std::vector<uint8_t> seen(size_t(count), 0);
  int64_t highest = -1;
  const int64_t start = monotonic_ns();
  const int64_t interval = int64_t(interval_us) * kNsPerUs;
  const int64_t last_send = start + interval * (count - 1);
  const int64_t end = last_send + int64_t(drain_ms) * kNsPerMs;
  for (;;) {
    const int64_t now = monotonic_ns();
    if (now >= end) break;
    if (r.sent < count && now >= start + interval * r.sent) {
      ProbePacket p{kMagic, tag, uint32_t(r.sent), 0, monotonic_ns(), 0};
      if (send(fd, &p, sizeof p, 0) == ssize_t(sizeof p))
        ++r.sent;
      else
        ++r.sent;  // a refused send counts as sent and lost
      continue;
    }
    const int64_t wake = r.sent < count ? start + interval * r.sent : end;
    pollfd pfd{fd, POLLIN, 0};
    const int wait_ms = int(std::clamp<int64_t>((wake - now) / kNsPerMs, 0, 50));
    if (poll(&pfd, 1, wait_ms) <= 0) continue;
    for (int i = 0; i < 256; ++i) {
      ProbePacket p{};
      const ssize_t got = recv(fd, &p, sizeof p, MSG_DONTWAIT);
      if (got < 0) break;
      const int64_t arrived = monotonic_ns();
      if (got != ssize_t(sizeof p) || p.magic != kMagic || p.tag != tag ||
          p.seq >= uint32_t(count)) {
        ++r.foreign;
        continue;
      }
      if (seen[p.seq]) {
        ++r.duplicates;
        continue;
      }
      seen[p.seq] = 1;
      ++r.received;
      if (int64_t(p.seq) < highest) ++r.reordered;
      highest = std::max<int64_t>(highest, p.seq);
      r.rtt_ms.push_back(double(arrived - p.send_ns) / 1e6);
      if (p.echo_ns != 0) {
        r.up_ms.push_back(double(p.echo_ns - p.send_ns) / 1e6);
        r.down_ms.push_back(double(arrived - p.echo_ns) / 1e6);
        r.send_ns.push_back(p.send_ns);
      }
    }
  }
  close(fd);
  return r;
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

double percentile_of(std::vector<double> v, double p) { return percentile(std::move(v), p); }

}  // namespace lockstep::test
