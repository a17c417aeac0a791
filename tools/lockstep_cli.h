// The `lockstep` program's command line: every command and option, built by one function so
// that the config layer (tools/cli/config_layers.h) can check config values on scratch copies.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "tools/node/node_app.h"
#include "tools/node/node_session.h"

namespace lockstep {

/// What the command line (and the config files under it) set.
struct LockstepCli {
  std::string log_level = "info";
  std::vector<std::string> config_files;  // --config FILE (repeatable, later ones win)
  bool print_config = false;
  NodeOptions node;
  SessionOptions session;
  NodeAppParams play_opts;
  std::string play_file;
  std::vector<std::string> host_files;
  std::string port_text;
  std::string address;
  bool join_list = false;      // join --list: print the sessions on this LAN
  double list_wait_s = 3.0;
  double serve_duration = 0;
  std::string serve_status_http;
  std::vector<std::string> serve_files;

  CLI::App app{"lockstep — frame-accurate synchronized media playback node", "lockstep"};
  CLI::App* play = nullptr;
  CLI::App* host = nullptr;
  CLI::App* join = nullptr;
  CLI::App* serve = nullptr;
};

/// A new command line; the returned app lives as long as the LockstepCli it belongs to.
std::shared_ptr<LockstepCli> make_lockstep_cli();

}  // namespace lockstep
