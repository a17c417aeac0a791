// The clock drift a node remembers against each server between runs (drift_memory.h).
#include "net/session/drift_memory.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace lockstep::net {
namespace {

namespace fs = std::filesystem;

fs::path fresh_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("lockstep-drift-memory-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path f = dir / name;
  fs::remove(f);
  return f;
}

std::string read(const fs::path& f) {
  std::ifstream in(f);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DriftMemory, RemembersEachServersDriftAndTheLatestWins) {
  const DriftMemory m(fresh_file("a") );
  EXPECT_FALSE(m.recall("SHA256:abc"));
  ASSERT_TRUE(m.remember("SHA256:abc", 12.5e-6, 0.8e-6));
  ASSERT_TRUE(m.remember("SHA256:def", -200e-6, 3e-6));
  ASSERT_TRUE(m.remember("SHA256:abc", 13.25e-6, 0.5e-6));
  const auto abc = m.recall("SHA256:abc");
  ASSERT_TRUE(abc);
  EXPECT_NEAR(abc->drift, 13.25e-6, 1e-10);
  EXPECT_NEAR(abc->sd, 0.5e-6, 1e-10);
  EXPECT_GT(abc->saved_unix_s, 1'700'000'000);
  const auto def = m.recall("SHA256:def");
  ASSERT_TRUE(def);
  EXPECT_NEAR(def->drift, -200e-6, 1e-10);
  // One line per server, no temporary file left beside it.
  const std::string text = read(m.file());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  for (const auto& e : fs::directory_iterator(m.file().parent_path()))
    EXPECT_EQ(e.path().string().find(".new."), std::string::npos) << e.path();
}

TEST(DriftMemory, ADamagedFileIsReadAroundAndNoImpossibleDriftIsUsed) {
  const fs::path f = fresh_file("damaged");
  {
    std::ofstream out(f);
    out << "SHA256:good 5.0000 1.0000 1764000000\n"
        << "garbage\n"
        << "SHA256:huge 900 1 1764000000\n"   // 900 ppm: no clock drifts so
        << "SHA256:nan nan 1 1764000000\n"
        << "SHA256:zero-sd 5 0 1764000000\n"
        << "SHA256:cut 5.0\n"
        << std::string(5000, 'x') << "\n";
  }
  const DriftMemory m(f);
  ASSERT_TRUE(m.recall("SHA256:good"));
  EXPECT_NEAR(m.recall("SHA256:good")->drift, 5e-6, 1e-10);
  for (const char* bad : {"SHA256:huge", "SHA256:nan", "SHA256:zero-sd", "SHA256:cut", "garbage"})
    EXPECT_FALSE(m.recall(bad)) << bad;
  // Remembering rewrites the file with the good lines only.
  ASSERT_TRUE(m.remember("SHA256:new", 1e-6, 1e-6));
  EXPECT_TRUE(m.recall("SHA256:good"));
  EXPECT_EQ(read(f).find("garbage"), std::string::npos);
}

TEST(DriftMemory, RefusesWhatItCouldNotReadBackAndNamesTheFile) {
  const DriftMemory m(fresh_file("refuse"));
  EXPECT_FALSE(m.remember("two words", 1e-6, 1e-6));
  EXPECT_FALSE(m.remember("", 1e-6, 1e-6));
  EXPECT_FALSE(m.remember("SHA256:x", 0.5, 1e-6));
  EXPECT_FALSE(m.remember("SHA256:x", 1e-6, -1));
  const DriftMemory nowhere(fs::path("/proc/lockstep-no-such-dir/clock-drift"));
  const auto r = nowhere.remember("SHA256:x", 1e-6, 1e-6);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("/proc/lockstep-no-such-dir/clock-drift"), std::string::npos) << r.error();
}

TEST(DriftMemory, LeavesAFileThatIsNotOneAlone) {
  // A FIFO in its place would block the reader; a huge file is not one it wrote.
  const fs::path fifo = fresh_file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const DriftMemory m(fifo);
  EXPECT_FALSE(m.recall("SHA256:x"));
  const auto r = m.remember("SHA256:x", 1e-6, 1e-6);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(fifo.string()), std::string::npos) << r.error();
  EXPECT_TRUE(fs::is_fifo(fifo));
  const fs::path big = fresh_file("big");
  {
    std::ofstream out(big);
    out << "SHA256:x 1.0 1.0 1764000000\n" << std::string(300 * 1024, '#') << "\n";
  }
  EXPECT_FALSE(DriftMemory(big).recall("SHA256:x"));
  EXPECT_FALSE(DriftMemory(big).remember("SHA256:y", 1e-6, 1e-6));
}

TEST(DriftMemory, ATinySpreadIsKeptReadable) {
  const DriftMemory m(fresh_file("tiny"));
  ASSERT_TRUE(m.remember("SHA256:x", 3e-6, 1e-13));
  const auto e = m.recall("SHA256:x");
  ASSERT_TRUE(e) << read(m.file());
  EXPECT_GT(e->sd, 0.0);
}

TEST(DriftMemory, KeepsTheNewestEntriesOnly) {
  const DriftMemory m(fresh_file("many"));
  for (size_t i = 0; i < DriftMemory::kMaxEntries + 10; ++i)
    ASSERT_TRUE(m.remember("SHA256:k" + std::to_string(i), double(i) * 1e-7, 1e-6));
  EXPECT_FALSE(m.recall("SHA256:k0"));
  EXPECT_FALSE(m.recall("SHA256:k9"));
  EXPECT_TRUE(m.recall("SHA256:k10"));
  EXPECT_TRUE(m.recall("SHA256:k" + std::to_string(DriftMemory::kMaxEntries + 9)));
}

TEST(DriftMemory, ASimulatedClockIsAnotherMachine) {
  EXPECT_EQ(DriftMemory::key("SHA256:abc", std::nullopt), "SHA256:abc");
  EXPECT_NE(DriftMemory::key("SHA256:abc", 200e-6), DriftMemory::key("SHA256:abc", -200e-6));
  EXPECT_EQ(DriftMemory::key("SHA256:abc", 200e-6).find(' '), std::string::npos);
}

}  // namespace
}  // namespace lockstep::net
