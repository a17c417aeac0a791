#include "tools/cli/config_layers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

/// One `key = value` line of a config file.
struct ConfigLine {
  std::string file;
  int line = 0;
  std::string section;  // "" at the top of the file, else the command it is for
  std::string key;
  std::vector<std::string> values;
  std::string text;  // the line as written (for messages)

  std::string where() const { return fmt::format("{}:{}", file, line); }
};

std::string trimmed(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

/// The lines of one file, each value read by CLI11's config reader (quotes, arrays,
/// comments), one line at a time so that every value keeps its line number.
Result<std::vector<ConfigLine>> read_config_file(const fs::path& path) {
  // A config is a small regular file: a FIFO would hang the program, /dev/zero fill memory.
  constexpr std::uintmax_t kMaxConfigBytes = 1 << 20;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!ec && fs::exists(status) && !fs::is_regular_file(status))
    return make_error(fmt::format("{}: not a regular file: a config file is a text file of key = value lines", path.string()));
  if (!ec && fs::is_regular_file(status) && fs::file_size(path, ec) > kMaxConfigBytes)
    return make_error(fmt::format("{}: larger than 1 MiB: is this really a config file?", path.string()));
  std::ifstream in(path);
  if (!in) return make_error(fmt::format("{}: cannot read this config file (check that it exists and that this user may "
                                         "read it)", path.string()));
  CLI::ConfigTOML reader;
  std::vector<ConfigLine> lines;
  std::string section;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    if (text.find('\0') != std::string::npos)
      return make_error(fmt::format("{}:{}: binary data: this is not a config file (key = value lines)", path.string(), number));
    const std::string t = trimmed(text);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[') {
      if (t.back() != ']' || t.size() < 3) {
        return make_error(fmt::format("{}:{}: '{}' is not a section header: write [COMMAND], e.g. [join]",
                                      path.string(), number, t));
      }
      section = trimmed(t.substr(1, t.size() - 2));
      continue;
    }
    if (t.find('=') == std::string::npos) {
      return make_error(fmt::format("{}:{}: '{}' is not a 'key = value' line (flags too: 'headless = true')",
                                    path.string(), number, t));
    }
    std::istringstream one(t + "\n");
    std::vector<CLI::ConfigItem> items;
    try {
      items = reader.from_config(one);
    } catch (const CLI::Error& e) {
      return make_error(fmt::format("{}:{}: '{}': {}", path.string(), number, t, e.what()));
    }
    for (auto& item : items) {
      if (item.name == "++" || item.name == "--") continue;
      ConfigLine l{path.string(), number, section, item.name, std::move(item.inputs), t};
      // A dotted key ("join.port") is a key of that command's section.
      if (!item.parents.empty()) {
        if (item.parents.size() > 1 || !section.empty()) {
          return make_error(fmt::format("{}:{}: '{}': a key is 'name' or 'command.name'", l.where(), t,
                                        CLI::detail::join(item.parents, ".") + "." + item.name));
        }
        l.section = item.parents.front();
      }
      lines.push_back(std::move(l));
    }
  }
  return lines;
}

bool settable(const CLI::Option* opt) {
  if (opt == nullptr) return false;
  for (const char* own : {"help", "help-all", "version", "config", "print-config"}) {
    if (opt->check_lname(own)) return false;
  }
  return true;
}

/// The option a config key names in `app`: a long option ("port" → --port) or a positional
/// argument by its name ("address", "files").
const CLI::Option* find_option(const CLI::App* app, const std::string& key) {
  for (const CLI::Option* opt : app->get_options()) {
    if (!settable(opt)) continue;
    if (opt->check_lname(key)) return opt;
    if (opt->get_positional() && opt->nonpositional() == false && opt->check_name(key)) return opt;
  }
  return nullptr;
}

/// A flag (`--loop`): no value on the command line, `true` or `false` in a file.
bool is_switch(const CLI::Option* opt) { return opt->get_expected_max() == 0; }

std::string key_of(const CLI::Option* opt) {
  if (!opt->get_lnames().empty()) return opt->get_lnames().front();
  return opt->get_name(true, false);
}

/// The arguments that give `opt` these values: "--name=value" for each value (so that values
/// that begin with '-' stay values), or the values themselves for a positional argument.
std::vector<std::string> as_arguments(const CLI::Option* opt, const std::vector<std::string>& values) {
  std::vector<std::string> out;
  if (!opt->nonpositional()) return values;
  for (const auto& v : values) out.push_back("--" + opt->get_lnames().front() + "=" + v);
  return out;
}

std::string known_keys(const CLI::App* app) {
  std::vector<std::string> keys;
  for (const CLI::Option* opt : app->get_options()) {
    if (settable(opt)) keys.push_back(key_of(opt));
  }
  return CLI::detail::join(keys, ", ");
}

const CLI::App* command_named(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

std::string command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return CLI::detail::join(names, ", ");
}

/// Parses `args` on `app`; a missing required argument is no error here (the config files
/// may give it). The message of any other error, or nothing.
std::optional<std::string> try_parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector form back to front
  try {
    app.parse(args);
  } catch (const CLI::RequiredError&) {
  } catch (const CLI::ParseError& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

}  // namespace

std::vector<fs::path> default_config_files() {
  std::vector<fs::path> files{"/etc/lockstep/lockstep.conf"};
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    files.push_back(fs::path(xdg) / "lockstep" / "lockstep.conf");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    files.push_back(fs::path(home) / ".config" / "lockstep" / "lockstep.conf");
  }
  return files;
}

Result<LayeredCommandLine> layer_config_files(const AppFactory& factory, const std::vector<std::string>& args,
                                              const std::vector<fs::path>& default_files) {
  LayeredCommandLine out;
  out.args = args;
  // 1. The command line alone: which command runs, what it gives, which --config files.
  auto first = factory();
  if (try_parse(*first, args)) return out;  // the real parse reports it
  const CLI::App* command = nullptr;
  for (const CLI::App* sub : first->get_subcommands()) command = sub;
  if (command == nullptr) return out;
  std::vector<fs::path> files;
  for (const auto& f : default_files) {
    std::error_code ec;
    if (fs::exists(f, ec)) files.push_back(f);
  }
  if (const CLI::Option* config = command->get_option_no_throw("--config")) {
    for (const auto& f : config->results()) {
      std::error_code ec;
      if (!fs::exists(f, ec)) return make_error(fmt::format("--config {}: file not found", f));
      files.push_back(f);
    }
  }
  for (const CLI::App* scope : {static_cast<const CLI::App*>(first.get()), command}) {
    for (const CLI::Option* opt : scope->get_options()) {
      if (settable(opt) && opt->count() > 0) out.sources[key_of(opt)] = "command line";
    }
  }

  // 2. Each file's lines, checked one at a time; a later layer's key replaces an earlier one's
  //    (all of its values: `map` lines of the system file are not added to the user's).
  struct Chosen {
    const CLI::Option* option = nullptr;
    bool top = false;
    std::string layer;
    std::vector<std::string> values;
  };
  std::map<std::string, Chosen> chosen;
  for (const auto& file : files) {
    auto lines = read_config_file(file);
    if (!lines) return make_error(lines.error());
    out.files_read.push_back(file.string());
    for (const auto& line : *lines) {
      if (!line.section.empty() && command_named(*first, line.section) == nullptr) {
        return make_error(fmt::format("{}: [{}] is not a lockstep command (sections: {})", line.where(), line.section,
                                      command_names(*first)));
      }
      if (!line.section.empty() && line.section != command->get_name()) continue;
      const CLI::Option* opt = find_option(command, line.key);
      const bool top = opt == nullptr && line.section.empty() && find_option(first.get(), line.key) != nullptr;
      if (top) opt = find_option(first.get(), line.key);
      if (opt == nullptr) {
        if (line.section.empty()) {
          // A key of another command, in a file shared by several: not for this one.
          bool elsewhere = false;
          for (const CLI::App* sub : first->get_subcommands([](const CLI::App*) { return true; })) {
            elsewhere = elsewhere || find_option(sub, line.key) != nullptr;
          }
          if (elsewhere) continue;
        }
        return make_error(fmt::format("{}: unknown option '{}' (lockstep {} takes: {})", line.where(), line.key,
                                      command->get_name(), known_keys(command)));
      }
      if (is_switch(opt) && line.values.size() != 1) {
        return make_error(fmt::format("{}: '{}' is a switch: write '{} = true' or '{} = false'", line.where(),
                                      line.key, line.key, line.key));
      }
      // The value on a scratch app: the option's own checks, with the file and line named.
      auto scratch = factory();
      std::vector<std::string> probe;
      if (!top) probe.push_back(command->get_name());
      const auto given = as_arguments(opt, line.values);
      probe.insert(probe.end(), given.begin(), given.end());
      if (auto error = try_parse(*scratch, probe)) {
        return make_error(fmt::format("{}: '{}': {}", line.where(), line.text, *error));
      }
      const std::string key = key_of(opt);
      auto& c = chosen[key];
      if (c.layer != line.file) c.values.clear();  // a later file replaces the key
      c.option = opt;
      c.top = top;
      c.layer = line.file;
      c.values.insert(c.values.end(), line.values.begin(), line.values.end());
      if (out.sources.count(key) == 0 || out.sources[key] != "command line") {
        out.sources[key] = (c.values.size() == line.values.size()) ? line.where() : out.sources[key] + ", " + line.where();
      }
    }
  }

  // 3. The command line with what it does not say: program options first, the command's
  //    options right after its name, positional values at the end.
  std::vector<std::string> top_args, command_args, positional;
  for (const auto& [key, c] : chosen) {
    if (out.sources[key] == "command line") continue;
    const auto given = as_arguments(c.option, c.values);
    auto& into = c.top ? top_args : (c.option->nonpositional() ? command_args : positional);
    into.insert(into.end(), given.begin(), given.end());
  }
  std::vector<std::string> layered = top_args;
  bool dashdash = false;
  bool placed = false;
  for (const auto& a : args) {
    layered.push_back(a);
    dashdash = dashdash || a == "--";
    if (!placed && a == command->get_name()) {
      layered.insert(layered.end(), command_args.begin(), command_args.end());
      placed = true;
    }
  }
  if (!positional.empty()) {
    if (!dashdash) layered.push_back("--");
    layered.insert(layered.end(), positional.begin(), positional.end());
  }
  out.args = std::move(layered);
  return out;
}

std::string describe_config(const CLI::App& app, const LayeredCommandLine& layered) {
  const CLI::App* command = nullptr;
  for (const CLI::App* sub : app.get_subcommands()) command = sub;
  std::string text = fmt::format("# lockstep {}: the options in effect and where each comes from\n",
                                 command ? command->get_name() : "");
  text += "# config files read: " + (layered.files_read.empty() ? std::string("none")
                                                                  : CLI::detail::join(layered.files_read, ", ")) + "\n";
  std::vector<const CLI::App*> scopes{&app};
  if (command) scopes.push_back(command);
  for (const CLI::App* scope : scopes) {
    for (const CLI::Option* opt : scope->get_options()) {
      if (!settable(opt)) continue;
      const std::string key = key_of(opt);
      std::string value;
      std::string source = "default";
      if (opt->count() > 0) {
        const auto& r = opt->results();
        value = r.size() == 1 ? r.front() : "[" + CLI::detail::join(r, ", ") + "]";
        if (auto it = layered.sources.find(key); it != layered.sources.end()) source = it->second;
      } else {
        value = opt->get_default_str();
        if (value.empty()) value = is_switch(opt) ? "false" : "\"\"";
      }
      text += fmt::format("{:<40} # {}\n", fmt::format("{} = {}", key, value), source);
    }
  }
  return text;
}

}  // namespace lockstep::cli
