// Helpers for testing lockstep-impair with real UDP on 127.0.0.1: the relay as a child
// process, a UDP echo server, and a paced probe that measures round trips through the relay.
// Every loop here is bounded in count and time; nothing is sent anywhere but 127.0.0.1.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/test_media.h"

namespace lockstep::test {

/// lockstep-impair running as a child process, listening on an ephemeral 127.0.0.1 port.
class RelayProcess {
 public:
  RelayProcess() = default;
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;
  ~RelayProcess();  // kills the relay if it still runs

  /// Starts `lockstep-impair --listen 127.0.0.1:0 --to 127.0.0.1:<to_port> ARGS...` and waits
  /// (at most 5 s) for the line that names its port. False (with output()) on failure.
  bool start(uint16_t to_port, const std::vector<std::string>& args);
  uint16_t port() const { return port_; }
  const std::string& output() const { return output_; }

  /// Sends `signal` and waits at most 5 s for the relay to exit (then kills it).
  ProcessResult stop(int signal);

 private:
  void read_available(int timeout_ms);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  uint16_t port_ = 0;
  std::string output_;
};

/// Echoes every datagram back to its sender, from a thread, until destroyed.
class UdpEchoServer {
 public:
  UdpEchoServer();
  ~UdpEchoServer();
  uint16_t port() const { return port_; }
  int64_t received() const { return received_.load(); }
  /// Sender addresses seen ("127.0.0.1:PORT"); call after the traffic has stopped.
  std::set<std::string> peers() const;

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> received_{0};
  mutable std::mutex mutex_;
  std::set<std::string> peers_;  // guarded by mutex_
  std::thread thread_;
};

struct ProbeResult {
  int64_t sent = 0;
  int64_t received = 0;        // distinct sequence numbers that came back
  int64_t duplicates = 0;      // copies of a sequence number already seen
  int64_t reordered = 0;       // arrived after a later-sent packet
  int64_t foreign = 0;         // datagrams that were not this probe's
  std::vector<double> rtt_ms;  // one per distinct packet received
  // One-way delays, from the echo server's stamp (one machine, one clock), and send times.
  std::vector<double> up_ms;    // probe → echo server
  std::vector<double> down_ms;  // echo server → probe
  std::vector<int64_t> send_ns;
};

/// Sends `count` 32-byte datagrams to 127.0.0.1:`port`, one every `interval_us`, and collects
/// the echoes until `drain_ms` after the last send. `tag` marks this probe's packets.
ProbeResult run_probe(uint16_t port, int count, int interval_us, int drain_ms, uint32_t tag = 1);

/// Mean and nearest-rank percentile of a sample.
double mean_of(const std::vector<double>& v);
double percentile_of(std::vector<double> v, double p);

}  // namespace lockstep::test
