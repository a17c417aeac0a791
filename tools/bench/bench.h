// lockstep-bench — figures, not assertions. Each one is printed next to a reference measured
// in the same run on the same file.
//   decode FILE [--threads N]   lockstep's decode throughput / `ffmpeg -threads N -i FILE -an -f null -`
//   render FILE [--size WxH]    untimed decode + upload + convert + draw (offscreen) fps,
//                               as a multiple of real time, and the peak RSS
//   sync [--nodes 3] [--impair none|wan] [--seconds 30] [--clip FILE] [--plot FILE.svg]
//        [--node-size 320x180] [--node-threads 1]
//                               a `lockstep serve` + N `lockstep join` processes on this
//                               machine (simulated clock offsets/drift), optionally through
//                               lockstep-impair; frame-switch skew, same-frame share and
//                               clock-estimate error from their present logs
//   fanout [--clients 256] [--seconds 20]
//                               one `lockstep serve` and N SessionClients in this process:
//                               the server's CPU share and the clients' clock error
//   soak [--minutes 60] [--nodes 4]
//                               a server and N nodes looping a clip, with pauses, seeks, a
//                               server restart and a node restart: sync over time, and each
//                               process's memory and open files at the start and the end
//   handshake [--count 50]      a node's join, first datagram to Welcome, with and without a
//                               password, against a bare ENet connect in the same run
//
// One file per benchmark (bench_decode.cpp: decode and render; bench_sync.cpp; bench_fanout.cpp),
// their shared helpers in bench_common.h, the command line in bench_main.cpp.
#pragma once

#include <string>

namespace lockstep::bench {

int bench_decode(const std::string& file, int threads, int repeat);
int bench_render(const std::string& file, int width, int height, int threads);

struct SyncOptions {
  int nodes = 3;
  std::string impair = "none";
  double seconds = 30;
  std::string clip;
  std::string plot;
  unsigned seed = 7;
  double skip_s = 1.0;
  bool keep = false;
  /// The server's and nodes' XDG_CONFIG_HOME (their keys, the servers met, the clock drift
  /// remembered against each); empty: a fresh one in the run's folder, so that every run
  /// measures a first meeting. The same folder twice measures a node's later joins.
  std::string config_dir;
  // Every node decodes and renders on this machine's CPU (lavapipe): the smaller their work,
  // the less the nodes delay each other's presents, which is what the skew would measure
  // otherwise. The frame index is still read back from each rendered picture.
  std::string node_size = "320x180";  // headless target; "clip" = the clip's own size
  int node_threads = 1;               // decoder threads per node; 0 = one per core
};

int bench_sync(const SyncOptions& o);

struct FanoutOptions {
  int clients = 256;
  double seconds = 20;
  double connect_timeout_s = 30;
  double settle_s = 3;
  int client_nice = 10;     // niceness of the clients' network threads
  int batch = 16;           // clients started at once...
  double batch_gap_s = 0.1; // ...with this pause between batches
};

int bench_fanout(const FanoutOptions& o);

struct HandshakeOptions {
  int count = 50;  // joins measured (each kind)
};

int bench_handshake(const HandshakeOptions& o);

struct SoakOptions {
  double minutes = 60;
  int nodes = 4;
  double command_every_s = 60;  // a pause, a seek and a play, 3 s apart, this often
  double sample_every_s = 60;   // memory, open files and a sync slice this often
  unsigned seed = 1;
  bool keep = false;
};

int bench_soak(const SoakOptions& o);

}  // namespace lockstep::bench
