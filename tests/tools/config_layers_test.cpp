// Config files under the command line (tools/cli/config_layers.h): a small two-command
// program in process, and the real `lockstep` with --print-config and bad values.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "support/test_media.h"
#include "tools/cli/config_layers.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

struct Values {
  std::string level = "info";
  int port = 7450;
  bool loop = false;
  std::vector<std::string> maps;
  std::string address;
  std::vector<std::string> config;
  CLI::App app{"test"};
};

cli::AppFactory factory(std::shared_ptr<Values>* last = nullptr) {
  return [last] {
    auto v = std::make_shared<Values>();
    v->app.require_subcommand(1);
    v->app.add_option("--log-level", v->level)->check(CLI::IsMember({"info", "debug"}));
    CLI::App* serve = v->app.add_subcommand("serve");
    serve->add_option("--port", v->port)->check(CLI::Range(1, 65535));
    serve->add_flag("--loop", v->loop);
    serve->add_option("--config", v->config);
    CLI::App* join = v->app.add_subcommand("join");
    join->add_option("address", v->address)->required();
    join->add_option("--map", v->maps);
    join->add_option("--config", v->config);
    if (last) *last = v;
    return std::shared_ptr<CLI::App>(v, &v->app);
  };
}

fs::path write(const std::string& name, const std::string& text) {
  const fs::path p = fs::path(test::scratch_dir("config_layers")) / name;
  std::ofstream(p) << text;
  return p;
}

/// Parses `args` with config files layered under it; the values, or the error message.
struct Parsed {
  std::shared_ptr<Values> values;
  cli::LayeredCommandLine layered;
  std::string error;
};
Parsed parse(const std::vector<std::string>& args, const std::vector<fs::path>& files) {
  Parsed p;
  auto layered = cli::layer_config_files(factory(), args, files);
  if (!layered) {
    p.error = layered.error();
    return p;
  }
  p.layered = *layered;
  auto app = factory(&p.values)();
  std::vector<std::string> rev(layered->args.rbegin(), layered->args.rend());
  try {
    app->parse(rev);
  } catch (const CLI::ParseError& e) {
    p.error = e.what();
  }
  return p;
}

TEST(ConfigLayers, EachLayerOverridesTheOneBeforeAndTheCommandLineWins) {
  const auto system = write("system.conf", "# the system's\nport = 7000\nlog-level = debug\nloop = true\n");
  const auto user = write("user.conf", "[serve]\nport = 7100\n");
  const auto extra = write("extra.conf", "serve.port = 7200\n");

  auto p = parse({"serve"}, {system});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.values->port, 7000);
  EXPECT_EQ(p.values->level, "debug");  // a program option, before the command
  EXPECT_TRUE(p.values->loop);
  EXPECT_EQ(p.layered.sources["port"], system.string() + ":2");

  p = parse({"serve"}, {system, user});
  EXPECT_EQ(p.values->port, 7100);
  EXPECT_EQ(p.layered.sources["port"], user.string() + ":2");

  p = parse({"serve", "--config", extra.string()}, {system, user});
  EXPECT_EQ(p.values->port, 7200);
  EXPECT_EQ(p.layered.sources["port"], extra.string() + ":1");

  p = parse({"serve", "--config", extra.string(), "--port", "7300"}, {system, user});
  EXPECT_EQ(p.values->port, 7300);
  EXPECT_EQ(p.layered.sources["port"], "command line");
  EXPECT_TRUE(p.values->loop);  // still from the system file
}

TEST(ConfigLayers, ASharedFileServesEachCommandItsOwnKeysAndPositionalsByName) {
  const auto shared = write("shared.conf",
                            "port = 7000\naddress = wall-server:7450\n[join]\nmap = [\"/srv/a=/media/a\", \"/srv/b=/media/b\"]\n");
  auto p = parse({"join"}, {shared});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.values->address, "wall-server:7450");
  EXPECT_EQ(p.values->maps, (std::vector<std::string>{"/srv/a=/media/a", "/srv/b=/media/b"}));
  EXPECT_EQ(p.values->port, 7450);  // port is serve's: not applied to join, and no error

  // The command line's address wins; a later file's list replaces an earlier one's.
  const auto later = write("later.conf", "join.map = /x=/y\n");
  p = parse({"join", "other:1"}, {shared, later});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.values->address, "other:1");
  EXPECT_EQ(p.values->maps, (std::vector<std::string>{"/x=/y"}));
}

TEST(ConfigLayers, BadLinesNameTheFileAndTheLine) {
  struct Case {
    std::string text;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"# ok\nport = 99999\n", ":2: 'port = 99999': --port: Value 99999 not in range"},
      {"prot = 7450\n", ":1: unknown option 'prot' (lockstep serve takes: port, loop)"},
      {"\n\n[srve]\nport = 1\n", ":4: [srve] is not a lockstep command (sections: serve, join)"},
      {"loop\n", ":1: 'loop' is not a 'key = value' line"},
      {"[serve\n", ":1: '[serve' is not a section header"},
      {"loop = [true, false]\n", ":1: 'loop' is a switch: write 'loop = true' or 'loop = false'"},
      {"log-level = loud\n", ":1: 'log-level = loud': --log-level: loud not in {info,debug}"},
  };
  for (const auto& c : cases) {
    const auto f = write("bad.conf", c.text);
    const auto p = parse({"serve"}, {f});
    EXPECT_NE(p.error.find(f.string() + c.expect), std::string::npos) << "expected '" << c.expect << "' in: " << p.error;
  }
  const auto p = parse({"serve", "--config", "/no/such.conf"}, {});
  EXPECT_EQ(p.error, "--config /no/such.conf: file not found");
}

TEST(ConfigLayers, WhatIsInEffectIsShownWithItsSource) {
  const auto user = write("shown.conf", "port = 7100\n");
  auto p = parse({"serve", "--loop"}, {user});
  ASSERT_EQ(p.error, "");
  const std::string text = cli::describe_config(p.values->app, p.layered);
  EXPECT_NE(text.find("port = 7100"), std::string::npos) << text;
  EXPECT_NE(text.find("# " + user.string() + ":1"), std::string::npos) << text;
  EXPECT_NE(text.find("loop = true"), std::string::npos) << text;
  EXPECT_NE(text.find("# command line"), std::string::npos) << text;
  EXPECT_NE(text.find("# default"), std::string::npos) << text;
  EXPECT_NE(text.find("config files read: " + user.string()), std::string::npos) << text;
}

// ---- The real program -------------------------------------------------------------------

TEST(ConfigFile, LockstepReadsTheUserFileAndConfigAndPrintsWhereEachValueComesFrom) {
  const fs::path home = test::scratch_dir("config_home");
  fs::create_directories(home / "lockstep");
  std::ofstream(home / "lockstep" / "lockstep.conf") << "# a wall node\n[serve]\nport = 7461\ncontrol = host\n";
  const auto extra = write("extra_real.conf", "loop = true\n[join]\nmedia-dir = /srv/media\n");
  const auto r = test::run_process({test::player_path(), "serve", "--config", extra.string(), "--control", "anyone",
                                    "--print-config"},
                                   30, {"XDG_CONFIG_HOME=" + home.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string user_file = (home / "lockstep" / "lockstep.conf").string();
  EXPECT_NE(r.output.find("port = 7461"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("# " + user_file + ":3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("control = anyone"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("loop = true"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("# " + extra.string() + ":1"), std::string::npos) << r.output;

  // A bad value stops the program before anything starts, naming the file and line.
  std::ofstream(home / "lockstep" / "lockstep.conf") << "[serve]\nport = 70000\n";
  const auto bad = test::run_process({test::player_path(), "serve", "--duration", "1"}, 30,
                                     {"XDG_CONFIG_HOME=" + home.string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find(user_file + ":2: 'port = 70000': --port: port 70000 is out of range"), std::string::npos)
      << bad.output;
}

TEST(ConfigFile, EveryProgramPrintsItsVersion) {
  std::vector<std::string> programs;
  std::string all = LOCKSTEP_PROGRAMS;
  for (std::size_t at = 0; at <= all.size();) {
    const auto end = std::min(all.find('|', at), all.size());
    programs.push_back(all.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(programs.size(), 5u);
  for (const std::string& program : programs) {
    const auto r = test::run_process({program, "--version"}, 30);
    EXPECT_EQ(r.exit_code, 0) << program << ": " << r.output;
    EXPECT_NE(r.output.find(" 0."), std::string::npos) << r.output;
  }
}

TEST(ConfigFile, HostileValuesAndFilesAreRefusedWithAMessage) {
  // Found by an outsider: values that crashed or hung the program, and a media file read as
  // a config file when it followed --config.
  const std::string dir = test::scratch_dir("config_hostile");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"play", "x.mp4", "--refresh", "1e10"},
                                             {"play", "x.mp4", "--threads", "100000"},
                                             {"play", "x.mp4", "--rate", "nan"},
                                             {"serve", "--duration", "-1"},
                                             {"serve", "--duration", "nan"},
                                             {"join", "h", "--latency-offset", "inf"}}) {
    std::vector<std::string> argv{test::player_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = test::run_process(argv, 20);
    EXPECT_NE(r.exit_code, 0) << args[2];
    EXPECT_LT(r.exit_code, 100 + 0 * r.exit_code + 128) << "killed by a signal: " << r.output;
    EXPECT_NE(r.output.find(args[args.size() - 2]), std::string::npos) << r.output;
  }
  // A FIFO or a device is not a config file (it would hang or fill memory).
  const std::string fifo = dir + "/fifo.conf";
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& bad : {fifo, std::string("/dev/zero")}) {
    const auto r = test::run_process({test::player_path(), "serve", "--config", bad, "--duration", "1"}, 20);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("not a regular file"), std::string::npos) << r.output;
  }
  // --config takes one file; what follows is the command's own argument.
  const std::string conf = dir + "/one.conf";
  std::ofstream(conf) << "loop = true\n";
  const auto r = test::run_process({test::player_path(), "serve", "--config", conf, "media.mp4", "--print-config"}, 20);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("media.mp4"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace lockstep
