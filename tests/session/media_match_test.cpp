// Finding the session's files on a node: path mapping, name in a media folder, the server's
// own path only when trusted, missing, a file that is not the same; and what a hostile
// server cannot make a node open or tell.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "net/session/media_match.h"
#include "support/test_media.h"

namespace lockstep::net {
namespace {

namespace fs = std::filesystem;

/// Stands in for the FFmpeg probe: every file is 10 s at 30 fps.
Result<MediaEntry> fake_probe(const std::string&) {
  MediaEntry e;
  e.fps_num = 30;
  e.fps_den = 1;
  e.frame_count = 300;
  e.duration_ns = 10'000'000'000;
  return e;
}

std::string write_file(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

class MediaMatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One folder per test: ctest runs them in parallel.
    root = test::scratch_dir(std::string("media_match_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    server_file = write_file(root + "/server/show/reel1.mov", std::string(200000, 'a') + "end");
    auto e = describe_media(server_file, fake_probe);
    ASSERT_TRUE(e.ok()) << e.error();
    entry = *e;
  }
  std::string root, server_file;
  MediaEntry entry;
};

TEST_F(MediaMatchTest, TheServersOwnPathIsOpenedOnlyWhenTrusted) {
  MediaMatch m = resolve_media(0, entry, {}, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Missing) << "opened the server's path without being asked to";
  MatchRules trusted;
  trusted.trust_server_paths = true;
  m = resolve_media(0, entry, trusted, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Found);
  EXPECT_EQ(m.local_path, entry.path);
}

/// A probe that records every path it was asked to open.
struct RecordingProbe {
  std::vector<std::string>* opened;
  Result<MediaEntry> operator()(const std::string& path) const {
    opened->push_back(path);
    return fake_probe(path);
  }
};

TEST_F(MediaMatchTest, AHostileServerCannotMakeANodeOpenFilesOutsideItsFolders) {
  const std::string secret = write_file(root + "/home/.ssh/id_ed25519", "PRIVATE KEY");
  write_file(root + "/home/.bashrc", "alias x=y");
  MatchRules rules;
  rules.media_dirs.push_back(root + "/home/media");
  rules.mappings.push_back(*parse_path_mapping("/mnt/show=" + root + "/home/media"));
  std::vector<std::string> opened;
  const RecordingProbe probe{&opened};
  struct Ask {
    std::string name, path;
  };
  const std::vector<Ask> asks = {
      {"../.bashrc", "/mnt/other/x"},                  // climbs out of the media folder
      {"../../../etc/passwd", "/etc/passwd"},          // and to the system
      {".ssh/id_ed25519", "/mnt/other/y"},             // a separator in a name
      {"/etc/shadow", "/etc/shadow"},                  // absolute as a name
      {"shadow", "/etc/shadow"},                       // the server's own path, untrusted
      {"id_ed25519", "/mnt/show/../.ssh/id_ed25519"},  // a mapping climbing out with ..
      {"..", "/mnt/show/.."},                          // a folder
      {"reel\n[info] forged", "/mnt/other/z"},        // control characters
  };
  for (const auto& a : asks) {
    MediaEntry e = entry;
    e.name = a.name;
    e.path = a.path;
    const MediaMatch m = resolve_media(0, e, rules, probe);
    EXPECT_EQ(m.status, MatchStatus::Missing) << a.name << " / " << a.path;
    const auto report = report_for_server({m}, rules);
    EXPECT_TRUE(report[0].local_path.empty() && report[0].detail.empty()) << "details went back to the server";
  }
  EXPECT_TRUE(opened.empty()) << "opened " << opened.front();
  // A bad name is explained to the node's user.
  MediaEntry e = entry;
  e.name = "../../../etc/passwd";
  EXPECT_NE(resolve_media(0, e, rules, probe).detail.find("not a plain file name"), std::string::npos);
}

TEST_F(MediaMatchTest, OnlyTheStatusGoesBackUnlessTheNodeSharesDetails) {
  MatchRules rules;
  rules.media_dirs.push_back(root + "/server/show");
  const MediaMatch m = resolve_media(0, entry, rules, fake_probe);
  ASSERT_EQ(m.status, MatchStatus::Found);
  const auto plain = report_for_server({m}, rules);
  EXPECT_EQ(plain[0].status, MatchStatus::Found);
  EXPECT_TRUE(plain[0].local_path.empty());
  rules.share_details = true;
  EXPECT_EQ(report_for_server({m}, rules)[0].local_path, m.local_path);
}

TEST_F(MediaMatchTest, AMappingMapsWholeFolderNamesOnly) {
  entry.path = "/mnt/showreel/reel1.mov";
  write_file(root + "/local/reel/reel1.mov", std::string(200000, 'a') + "end");
  MatchRules rules;
  rules.mappings.push_back(*parse_path_mapping("/mnt/show=" + root + "/local"));
  EXPECT_EQ(resolve_media(0, entry, rules, fake_probe).status, MatchStatus::Missing)
      << "/mnt/show mapped /mnt/showreel";
}

TEST_F(MediaMatchTest, PathMappingAndBasenameInAMediaFolder) {
  entry.path = "/mnt/remote-site/show/reel1.mov";  // the server's path, not on this node
  write_file(root + "/local/show/reel1.mov", std::string(200000, 'a') + "end");
  MatchRules rules;
  rules.mappings.push_back(*parse_path_mapping("/mnt/remote-site=" + root + "/local"));
  MediaMatch m = resolve_media(0, entry, rules, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Found) << m.detail;
  EXPECT_EQ(m.local_path, root + "/local/show/reel1.mov");

  MatchRules by_name;
  by_name.media_dirs.push_back(root + "/local/show");
  m = resolve_media(0, entry, by_name, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Found) << m.detail;
}

TEST_F(MediaMatchTest, MissingSaysWhereItLookedAndWhatToDo) {
  entry.path = "/mnt/elsewhere/reel1.mov";
  const MediaMatch m = resolve_media(3, entry, {}, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Missing);
  EXPECT_EQ(m.media_index, 3u);
  EXPECT_NE(m.detail.find("reel1.mov"), std::string::npos) << m.detail;
  EXPECT_NE(m.detail.find("--media-dir"), std::string::npos) << m.detail;
}

TEST_F(MediaMatchTest, SameNameDifferentContentIsAMismatchNotAMatch) {
  entry.path = "/mnt/elsewhere/reel1.mov";
  MatchRules rules;
  rules.media_dirs.push_back(root + "/other");
  write_file(root + "/other/reel1.mov", std::string(200000, 'b') + "end");  // same size
  MediaMatch m = resolve_media(0, entry, rules, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Mismatch);
  EXPECT_NE(m.detail.find("content differs"), std::string::npos) << m.detail;
  write_file(root + "/other/reel1.mov", "short");
  m = resolve_media(0, entry, rules, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Mismatch);
  EXPECT_NE(m.detail.find("size differs"), std::string::npos) << m.detail;
}

TEST_F(MediaMatchTest, AStandInOfTheSameLengthPlaysInPlaceOfTheSessionsFile) {
  const std::string sound = write_file(root + "/sound/reel1.wav", "other bytes entirely");
  MatchRules rules;
  rules.media_dirs.push_back(root + "/server/show");  // the file itself is here too
  rules.stand_ins.push_back({"reel1.mov", sound});
  MediaMatch m = resolve_media(0, entry, rules, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Found) << m.detail;
  EXPECT_EQ(m.local_path, sound) << "the stand-in is tried before the folders";
  EXPECT_NE(m.detail.find("stands in for 'reel1.mov'"), std::string::npos) << m.detail;

  // Another name is not stood in for.
  rules.stand_ins = {{"reel2.mov", sound}};
  m = resolve_media(0, entry, rules, fake_probe);
  EXPECT_EQ(m.local_path, server_file);

  // A stand-in of another length is refused, saying both lengths.
  rules.stand_ins = {{"reel1.mov", sound}};
  const MediaProbe shorter = [](const std::string& path) {
    auto e = fake_probe(path);
    e->duration_ns = 9'000'000'000;
    return e;
  };
  m = resolve_media(0, entry, rules, shorter);
  EXPECT_EQ(m.status, MatchStatus::Mismatch);
  EXPECT_NE(m.detail.find("lasts 9.000 s, 'reel1.mov' 10.000 s"), std::string::npos) << m.detail;
  // A stand-in that cannot be read says so.
  rules.stand_ins = {{"reel1.mov", root + "/sound/none.wav"}};
  m = resolve_media(0, entry, rules, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Mismatch);
  EXPECT_NE(m.detail.find("none.wav"), std::string::npos) << m.detail;
}

TEST(StandIn, ParsesNameEqualsFileAndRefusesAFolderInTheName) {
  auto s = parse_stand_in("reel1.mov=/media/sound.wav");
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->name, "reel1.mov");
  EXPECT_EQ(s->file, "/media/sound.wav");
  EXPECT_NE(parse_stand_in("reel1.mov").error().find("NAME=FILE"), std::string::npos);
  EXPECT_NE(parse_stand_in("a/reel1.mov=x.wav").error().find("path separator"), std::string::npos);
}

TEST(PathMapping, NeedsBothSides) {
  EXPECT_FALSE(parse_path_mapping("/only-remote").ok());
  EXPECT_FALSE(parse_path_mapping("=/local").ok());
  EXPECT_NE(parse_path_mapping("x").error().find("REMOTE=LOCAL"), std::string::npos);
}

}  // namespace
}  // namespace lockstep::net
