// Finding the session's files on a node: exact path, path mapping, basename in a media
// folder, missing, and a file that is not the same.
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
    root = test::scratch_dir("media_match");
    fs::remove_all(root);
    server_file = write_file(root + "/server/show/reel1.mov", std::string(200000, 'a') + "end");
    auto e = describe_media(server_file, fake_probe);
    ASSERT_TRUE(e.ok()) << e.error();
    entry = *e;
  }
  std::string root, server_file;
  MediaEntry entry;
};

TEST_F(MediaMatchTest, ExactPathIsFound) {
  const MediaMatch m = resolve_media(0, entry, {}, fake_probe);
  EXPECT_EQ(m.status, MatchStatus::Found);
  EXPECT_EQ(m.local_path, entry.path);
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

TEST(PathMapping, NeedsBothSides) {
  EXPECT_FALSE(parse_path_mapping("/only-remote").ok());
  EXPECT_FALSE(parse_path_mapping("=/local").ok());
  EXPECT_NE(parse_path_mapping("x").error().find("REMOTE=LOCAL"), std::string::npos);
}

}  // namespace
}  // namespace lockstep::net
