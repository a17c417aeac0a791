#include "impair/udp_relay.h"

#include <errno.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/time.h"

namespace lockstep::impair {
namespace {

/// Owns one file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

constexpr size_t kMaxDatagram = 65536;
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;
// Datagrams read from one socket per wake-up, so that a flood cannot delay releases.
constexpr int kReadBurst = 64;

enum class Direction { kUp, kDown };

/// One client address and its own upstream socket towards the server.
struct Flow {
  UniqueFd upstream;  // connected to the server: the kernel keeps only the server's replies
  sockaddr_storage client{};
  socklen_t client_len = 0;
  FlowLane up;
  FlowLane down;
};

struct Queued {
  int64_t release_ns = 0;
  uint64_t seq = 0;  // ties leave in arrival order (a duplicate right after its original)
  Flow* flow = nullptr;
  Direction dir = Direction::kUp;
  std::vector<uint8_t> payload;
};

struct ReleasesLater {
  bool operator()(const Queued& a, const Queued& b) const {
    return a.release_ns != b.release_ns ? a.release_ns > b.release_ns : a.seq > b.seq;
  }
};

std::string address_key(const sockaddr_storage& addr, socklen_t len) {
  return std::string(reinterpret_cast<const char*>(&addr), len);
}

void enlarge_buffers(int fd) {
  const int bytes = kSocketBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

/// The state of one run. Owned and used by the thread that calls UdpRelay::run only.
class RelayLoop {
 public:
  RelayLoop(const RelayParams& params, int listen_fd)
      : params_(params),
        listen_fd_(listen_fd),
        up_model_(params.up, params.seed * 2 + 1, monotonic_ns()),
        down_model_(params.down, params.seed * 2 + 2, monotonic_ns()),
        buffer_(kMaxDatagram) {}

  Result<RelayReport> run() {
    const int64_t start = monotonic_ns();
    const int64_t deadline = start + params_.duration_ns;
    std::vector<pollfd> fds;
    std::vector<Flow*> fd_flows;  // fds[i] belongs to fd_flows[i] (nullptr: not a flow)
    for (;;) {
      int64_t now = monotonic_ns();
      release_due(now);
      if (now >= deadline) break;

      rebuild_poll_set(fds, fd_flows);
      const int64_t wake =
          queue_.empty() ? deadline : std::min(deadline, queue_.front().release_ns);
      const int64_t wait = std::max<int64_t>(wake - now, 0);
      const timespec timeout{time_t(wait / kNsPerSec), long(wait % kNsPerSec)};
      const int n = ppoll(fds.data(), fds.size(), &timeout, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        return make_error(fmt::format("poll failed: {}", std::strerror(errno)));
      }
      if (n == 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (fds[i].fd == params_.stop_fd) {
          report_.stopped_by_request = true;
          return finish(start);
        }
        if (fds[i].fd == listen_fd_)
          receive_from_clients();
        else
          receive_from_server(*fd_flows[i]);
      }
    }
    return finish(start);
  }

 private:
  RelayReport finish(int64_t start) {
    report_.pending = queue_.size();
    report_.clients = flows_.size();
    report_.seconds = double(monotonic_ns() - start) / 1e9;
    return report_;
  }

  void rebuild_poll_set(std::vector<pollfd>& fds, std::vector<Flow*>& fd_flows) {
    fds.clear();
    fd_flows.clear();
    if (params_.stop_fd >= 0) {
      fds.push_back({params_.stop_fd, POLLIN, 0});
      fd_flows.push_back(nullptr);
    }
    fds.push_back({listen_fd_, POLLIN, 0});
    fd_flows.push_back(nullptr);
    for (const auto& flow : flows_) {
      fds.push_back({flow->upstream.get(), POLLIN, 0});
      fd_flows.push_back(flow.get());
    }
  }

  Flow* flow_for(const sockaddr_storage& from, socklen_t from_len) {
    const std::string key = address_key(from, from_len);
    if (auto it = by_address_.find(key); it != by_address_.end()) return it->second;
    // The listening socket is bound to loopback, so only loopback peers reach it; checked
    // again because replies are sent to this address.
    if (!is_loopback(from) || flows_.size() >= params_.max_clients) return nullptr;
    UniqueFd fd(socket(params_.server.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return nullptr;
    enlarge_buffers(fd.get());
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&params_.server.addr),
                params_.server.addr_len) != 0)
      return nullptr;
    auto flow = std::make_unique<Flow>();
    flow->upstream = std::move(fd);
    flow->client = from;
    flow->client_len = from_len;
    Flow* raw = flow.get();
    flows_.push_back(std::move(flow));
    by_address_.emplace(key, raw);
    return raw;
  }

  void receive_from_clients() {
    for (int i = 0; i < kReadBurst; ++i) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      const ssize_t got = recvfrom(listen_fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &from_len);
      if (got < 0) return;  // EAGAIN, or an ICMP error from an earlier send: nothing to read
      const int64_t arrival = monotonic_ns();
      ++report_.up.in;
      Flow* flow = flow_for(from, from_len);
      if (!flow) {
        ++report_.up.overflow;
        continue;
      }
      enqueue(*flow, Direction::kUp, size_t(got), arrival);
    }
  }

  void receive_from_server(Flow& flow) {
    for (int i = 0; i < kReadBurst; ++i) {
      const ssize_t got = recv(flow.upstream.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        continue;  // ECONNREFUSED: the server was not listening for an earlier packet
      }
      const int64_t arrival = monotonic_ns();
      ++report_.down.in;
      enqueue(flow, Direction::kDown, size_t(got), arrival);
    }
  }

  void enqueue(Flow& flow, Direction dir, size_t size, int64_t arrival) {
    const bool up = dir == Direction::kUp;
    DirectionCounters& counters = up ? report_.up : report_.down;
    const PacketFate fate = (up ? up_model_ : down_model_).next(arrival, up ? flow.up : flow.down, size);
    if (fate.copies == 0) {
      ++counters.dropped;
      if (fate.queue_full) ++counters.queue_full;
      return;
    }
    if (fate.reordered) ++counters.reordered;
    for (int copy = 0; copy < fate.copies; ++copy) {
      if (queue_.size() >= params_.max_queued_packets ||
          queued_bytes_ + size > params_.max_queued_bytes) {
        ++counters.overflow;
        continue;
      }
      if (copy > 0) ++counters.duplicated;
      Queued q;
      q.release_ns = fate.release_ns;
      q.seq = next_seq_++;
      q.flow = &flow;
      q.dir = dir;
      q.payload.assign(buffer_.begin(), buffer_.begin() + ptrdiff_t(size));
      queued_bytes_ += size;
      queue_.push_back(std::move(q));
      std::push_heap(queue_.begin(), queue_.end(), ReleasesLater{});
    }
  }

  void release_due(int64_t now) {
    while (!queue_.empty() && queue_.front().release_ns <= now) {
      std::pop_heap(queue_.begin(), queue_.end(), ReleasesLater{});
      Queued q = std::move(queue_.back());
      queue_.pop_back();
      queued_bytes_ -= q.payload.size();
      send(q);
    }
  }

  void send(const Queued& q) {
    ssize_t sent = 0;
    if (q.dir == Direction::kUp) {
      sent = ::send(q.flow->upstream.get(), q.payload.data(), q.payload.size(), MSG_DONTWAIT);
    } else {
      sent = sendto(listen_fd_, q.payload.data(), q.payload.size(), MSG_DONTWAIT,
                    reinterpret_cast<const sockaddr*>(&q.flow->client), q.flow->client_len);
    }
    DirectionCounters& counters = q.dir == Direction::kUp ? report_.up : report_.down;
    if (sent < 0)
      ++counters.send_errors;
    else
      ++counters.out;
  }

  const RelayParams& params_;
  const int listen_fd_;
  ImpairmentModel up_model_;
  ImpairmentModel down_model_;
  std::vector<uint8_t> buffer_;
  std::vector<std::unique_ptr<Flow>> flows_;
  std::map<std::string, Flow*> by_address_;
  std::vector<Queued> queue_;  // a min-heap on (release_ns, seq)
  size_t queued_bytes_ = 0;
  uint64_t next_seq_ = 0;
  RelayReport report_;
};

}  // namespace

Result<UdpRelay> UdpRelay::open(const RelayParams& params) {
  const std::string where = format_endpoint(params.listen.addr);
  UniqueFd fd(socket(params.listen.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0)
    return make_error(fmt::format("cannot open a UDP socket: {}", std::strerror(errno)));
  if (params.listen.family == AF_INET6) {
    const int only = 1;
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
  }
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&params.listen.addr),
           params.listen.addr_len) != 0) {
    if (errno == EADDRINUSE)
      return make_error(fmt::format(
          "cannot listen on {}: the address is already in use (another relay or node on that "
          "port?); pick another --listen port",
          where));
    return make_error(fmt::format("cannot listen on {}: {}", where, std::strerror(errno)));
  }
  enlarge_buffers(fd.get());
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  return UdpRelay(params, fd.release(), bound);
}

UdpRelay::UdpRelay(const RelayParams& params, int listen_fd, const sockaddr_storage& bound)
    : params_(params), listen_fd_(listen_fd), bound_(bound) {}

UdpRelay::UdpRelay(UdpRelay&& other) noexcept
    : params_(other.params_),
      listen_fd_(std::exchange(other.listen_fd_, -1)),
      bound_(other.bound_) {}

UdpRelay::~UdpRelay() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

Result<RelayReport> UdpRelay::run() {
  RelayLoop loop(params_, listen_fd_);
  return loop.run();
}

}  // namespace lockstep::impair
