// Options from config files under the command line, for a CLI11 program with subcommands.
//
// A config file holds `key = value` lines named like the long options (CLI11's TOML-like
// format: `port = 7450`, `headless = true`, `media-dir = ["/srv/a", "/srv/b"]`, quotes for
// values with spaces, `#` comments). Keys at the top of a file apply to whichever command
// takes them (so one file can serve `serve` and `join`); keys under `[join]` apply to `join`
// only. Layers, each overriding the one before (docs/config.md):
//   /etc/lockstep/lockstep.conf, $XDG_CONFIG_HOME/lockstep/lockstep.conf (or ~/.config/…),
//   each --config FILE in the order given, the command line.
// A key that names no option, a section that names no command, and a value the option
// refuses are errors that name the file and the line.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace lockstep::cli {

/// Makes a fresh CLI11 app with all its options (and the storage they write to). Called more
/// than once: config values are checked one at a time on scratch apps.
using AppFactory = std::function<std::shared_ptr<CLI::App>()>;

struct LayeredCommandLine {
  /// The command line with the config files' values added where the command line is silent.
  std::vector<std::string> args;  // without the program name
  /// Where each option's value comes from, by option key ("port", "log-level"): "FILE:LINE"
  /// for config values, "command line" for options given there. Options absent: defaults.
  std::map<std::string, std::string> sources;
  /// The config files read, in order (those that exist).
  std::vector<std::string> files_read;
};

/// The system-wide and per-user config files, in order (whether they exist or not).
std::vector<std::filesystem::path> default_config_files();

/// Reads `default_files` (those that exist) and the files named by `--config` on the command
/// line (`args`, without the program name; each must exist), and returns the command line to
/// parse. Command lines that do not parse (help, version, errors) come back unchanged: the
/// real parse reports them.
Result<LayeredCommandLine> layer_config_files(const AppFactory& factory, const std::vector<std::string>& args,
                                              const std::vector<std::filesystem::path>& default_files);

/// What `--print-config` shows for the parsed `app` (after parsing layered.args): each option
/// of the command that ran (and the program's own), its value, and where that comes from.
std::string describe_config(const CLI::App& app, const LayeredCommandLine& layered);

}  // namespace lockstep::cli
