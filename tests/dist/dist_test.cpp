// What a user installs (tools/dist, docs/packaging.md): the man pages made from the programs'
// own help, the systemd units, log levels in the journal, and the Debian package: built with
// CPack, checked with lintian, installed with apt-get, run, and removed again.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "support/test_media.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

std::string man_text(const std::string& page) {
  const auto r = test::run_process({"/bin/sh", "-c", "gzip -dc '" LOCKSTEP_MAN_DIR "/" + page + ".1.gz'"}, 30);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

TEST(ManPages, EachCommandHasAPageWithItsOptionsAndExamples) {
  // page → an option only that command has (so a page made from the wrong --help fails).
  const std::vector<std::pair<std::string, std::string>> pages = {
      {"lockstep", "\\-\\-log\\-level"},        {"lockstep-play", "\\-\\-keep\\-open"},
      {"lockstep-host", "\\-\\-control"},       {"lockstep-join", "\\-\\-fingerprint"},
      {"lockstep-serve", "\\-\\-duration"},     {"lockstep-mkclip", "\\-\\-pix\\-fmt"},
      {"lockstep-bench", "fanout"},             {"lockstep-impair", "\\-\\-reorder"},
      {"lockstep-skew", "\\-\\-after"}};
  for (const auto& [page, option] : pages) {
    const std::string text = man_text(page);
    std::string upper = page;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_NE(text.find(".TH " + upper + " \"1\""), std::string::npos) << page << ":\n" << text.substr(0, 400);
    EXPECT_NE(text.find(option), std::string::npos) << page << " lacks " << option;
    EXPECT_NE(text.find(".SH EXAMPLES"), std::string::npos) << page;
    // The usage line names the program, never the build folder.
    EXPECT_EQ(text.find(LOCKSTEP_BINARY_DIR), std::string::npos) << page;
  }
  EXPECT_NE(man_text("lockstep").find("/etc/lockstep/lockstep.conf"), std::string::npos);
  // man renders it without warnings.
  const auto r = test::run_process({"/bin/sh", "-c", "MANWIDTH=80 man --warnings -l '" LOCKSTEP_MAN_DIR "/lockstep-join.1.gz' 2>&1 >/dev/null"}, 30);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "") << "man warnings:\n" << r.output;
}

TEST(Journal, UnderSystemdEachLineCarriesItsSyslogLevel) {
  const fs::path dir = test::scratch_dir("journal");
  const fs::path err = dir / "stderr.txt";
  std::ofstream(err).close();
  struct stat st {};
  ASSERT_EQ(::stat(err.c_str(), &st), 0);
  const std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  // An error (the file does not exist) and an info line (start-up), with stderr appended to
  // the file whose device and inode JOURNAL_STREAM names, as systemd sets it up.
  const std::string cmd = "exec '" + test::player_path() + "' --log-level debug play '" + (dir / "missing.mp4").string() +
                          "' --headless --audio-device none 2>>'" + err.string() + "'";
  const auto r = test::run_process({"/bin/sh", "-c", cmd}, 60, {"JOURNAL_STREAM=" + stream});
  EXPECT_NE(r.exit_code, 0);
  std::ifstream in(err);
  std::string line;
  int lines = 0, errors = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_TRUE(std::regex_match(line, std::regex("<[2-7]>.*"))) << "no syslog level: " << line;
    if (line.rfind("<3>", 0) == 0) ++errors;
  }
  EXPECT_GT(lines, 0);
  EXPECT_GE(errors, 1) << "the missing file is an error (<3>)";

  // Elsewhere (a terminal, a file) the lines keep their own time and level words.
  const auto plain = test::run_process({test::player_path(), "play", (dir / "missing.mp4").string(), "--headless"}, 60,
                                       {"JOURNAL_STREAM=1:1"});
  EXPECT_NE(plain.output.find("[error]"), std::string::npos) << plain.output;
  EXPECT_EQ(plain.output.find("<3>"), std::string::npos) << plain.output;
}

TEST(SystemdUnits, VerifyAndAreHardened) {
  if (::access("/usr/bin/systemd-analyze", X_OK) != 0) GTEST_SKIP() << "systemd-analyze is not installed (apt-get install systemd)";
  for (const char* unit : {"lockstep-serve.service", "lockstep-node@.service"}) {
    // verify wants the ExecStart binary at its installed path: point a copy at the build's.
    const fs::path dir = test::scratch_dir("units");
    std::ifstream in(fs::path(LOCKSTEP_UNIT_DIR) / unit);
    std::stringstream text;
    text << in.rdbuf();
    const std::string body = std::regex_replace(text.str(), std::regex("/usr/bin/lockstep"), test::player_path());
    std::string name = unit;
    if (name == "lockstep-node@.service") name = "lockstep-node@wall.service";  // verify wants an instance
    std::ofstream(dir / name) << body;
    const auto v = test::run_process({"/usr/bin/systemd-analyze", "verify", "--man=no", (dir / name).string()}, 60);
    EXPECT_EQ(v.exit_code, 0) << unit << ":\n" << v.output;
    EXPECT_EQ(v.output.find(unit), std::string::npos) << "warnings about " << unit << ":\n" << v.output;
  }
  // The server's exposure as systemd rates it (0 safest … 10): well inside "OK" (< 5).
  const auto s = test::run_process({"/usr/bin/systemd-analyze", "security", "--offline=true", "--no-pager",
                                    std::string(LOCKSTEP_UNIT_DIR) + "/lockstep-serve.service"}, 60);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(s.output, m, std::regex("Overall exposure level for \\S+: ([0-9.]+)"))) << s.output;
  const double exposure = std::stod(m[1]);
  std::printf("lockstep-serve.service exposure: %.1f\n", exposure);
  EXPECT_LT(exposure, 3.0) << s.output;
}

TEST(DebianPackage, BuildsPassesLintianInstallsPlaysAndPurges) {
  if (::geteuid() != 0) GTEST_SKIP() << "installing the package needs root (CI runs as root)";
  const auto installed = test::run_process({"/usr/bin/dpkg-query", "-W", "-f=${Status}", "lockstep"}, 30);
  if (installed.output.find("installed") != std::string::npos && installed.output.find("not-installed") == std::string::npos)
    GTEST_SKIP() << "a lockstep package is already installed on this machine; not replacing it";

  const fs::path out = test::scratch_dir("package");
  fs::remove_all(out);
  fs::create_directories(out);
  const auto pack = test::run_process({LOCKSTEP_CPACK, "-G", "DEB", "--config", LOCKSTEP_BINARY_DIR "/CPackConfig.cmake",
                                       "-B", out.string()}, 400);
  ASSERT_EQ(pack.exit_code, 0) << pack.output;
  fs::path deb;
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().extension() == ".deb") deb = e.path();
  ASSERT_FALSE(deb.empty()) << pack.output;
  EXPECT_TRUE(std::regex_match(deb.filename().string(), std::regex("lockstep_[0-9.]+_amd64\\.deb"))) << deb;

  // Depends computed from the binaries.
  const auto fields = test::run_process({"/usr/bin/dpkg-deb", "--field", deb.string(), "Depends"}, 30);
  for (const char* lib : {"libavcodec", "libvulkan1", "libportaudio2", "libenet7", "libsodium23", "libglfw3"})
    EXPECT_NE(fields.output.find(lib), std::string::npos) << "Depends lacks " << lib << ": " << fields.output;
  const auto contents = test::run_process({"/usr/bin/dpkg-deb", "--contents", deb.string()}, 30);
  for (const char* path : {"./usr/bin/lockstep", "./usr/bin/lockstep-mkclip", "./usr/bin/lockstep-bench", "./usr/bin/lockstep-impair",
                           "./usr/bin/lockstep-skew", "./usr/share/man/man1/lockstep-join.1.gz",
                           "./lib/systemd/system/lockstep-serve.service", "./lib/systemd/system/lockstep-node@.service",
                           "./etc/lockstep/lockstep.conf", "./usr/share/doc/lockstep/copyright",
                           "./usr/share/doc/lockstep/changelog.gz", "./usr/share/doc/lockstep/docs/security.md"})
    EXPECT_NE(contents.output.find(std::string(path) + "\n"), std::string::npos) << "the package lacks " << path;

  const auto lint = test::run_process({"/usr/bin/lintian", "--suppress-tags-from-file", LOCKSTEP_LINTIAN_SUPPRESSED, deb.string()}, 300);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  // Errors and warnings (E:, W:) fail; lintian also says that it runs as root.
  EXPECT_FALSE(std::regex_search(lint.output, std::regex("(^|\n)[EW]: "))) << "lintian:\n" << lint.output;

  const auto install = test::run_process({"/usr/bin/apt-get", "install", "-y", "-q", "--no-install-recommends", deb.string()}, 300,
                                         {"DEBIAN_FRONTEND=noninteractive"});
  ASSERT_EQ(install.exit_code, 0) << install.output;
  struct Purge {
    ~Purge() { test::run_process({"/usr/bin/dpkg", "--purge", "lockstep"}, 120); }
  } purge;

  const auto version = test::run_process({"/usr/bin/lockstep", "--version"}, 30);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("lockstep "), std::string::npos) << version.output;
  // The installed program plays a clip on its own (shaders inside, nothing from the build).
  const std::string clip = test::clip("h264_640x360_30_30.mp4", {"--size", "640x360", "--fps", "30", "--frames", "30"});
  ASSERT_FALSE(clip.empty());
  const auto play = test::run_process({"/usr/bin/lockstep", "play", clip, "--headless", "--verify-frames", "--audio-device", "none"}, 120);
  EXPECT_EQ(play.exit_code, 0) << play.output;
  EXPECT_NE(play.output.find("frames verified from pixels"), std::string::npos) << play.output;
  const auto man = test::run_process({"/usr/bin/man", "-w", "lockstep"}, 30);
  EXPECT_EQ(man.exit_code, 0) << man.output;
  EXPECT_NE(man.output.find("/usr/share/man/man1/lockstep.1.gz"), std::string::npos) << man.output;
  const auto verify = test::run_process({"/usr/bin/systemd-analyze", "verify", "--man=no", "/lib/systemd/system/lockstep-serve.service"}, 60);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

}  // namespace
}  // namespace lockstep
