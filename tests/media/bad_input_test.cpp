// Every kind of bad input gives one message that names the file and the problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "media/media_reader.h"
#include "support/test_media.h"

namespace lockstep {
namespace {

namespace fs = std::filesystem;

std::string open_error(const std::string& path) {
  MediaReaderParams p;
  p.path = path;
  auto r = MediaReader::open(p);
  EXPECT_FALSE(r.ok()) << path << " opened";
  return r.ok() ? "" : r.error();
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

/// Runs the ffmpeg CLI (installed with the project's packages) to make an odd input file.
std::string ffmpeg_make(const std::string& name, const std::vector<std::string>& args) {
  const std::string out = test::scratch_dir("bad_input") + "/" + name;
  if (fs::exists(out)) return out;
  std::vector<std::string> argv{"/usr/bin/ffmpeg", "-hide_banner", "-loglevel", "error", "-y"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(out);
  const auto r = test::run_process(argv, 60);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return out;
}

TEST(BadInput, MissingFile) {
  const std::string e = open_error("/nonexistent/clip.mp4");
  expect_contains(e, "/nonexistent/clip.mp4");
  expect_contains(e, "file not found");
}

TEST(BadInput, Folder) {
  const std::string dir = test::scratch_dir("bad_input");
  const std::string e = open_error(dir);
  expect_contains(e, dir);
  expect_contains(e, "folder");
}

TEST(BadInput, NotAMediaFile) {
  const std::string path = test::scratch_dir("bad_input") + "/notes.mp4";
  std::ofstream(path) << "these are meeting notes, not a movie\n";
  const std::string e = open_error(path);
  expect_contains(e, path);
  expect_contains(e, "not a media file");
}

TEST(BadInput, TruncatedFile) {
  const std::string full = test::clip("h264_420_30.mp4", {"--size", "320x180", "--fps", "30", "--frames", "60"});
  ASSERT_FALSE(full.empty());
  const std::string cut = test::scratch_dir("bad_input") + "/truncated.mp4";
  fs::copy_file(full, cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(full) / 2);
  const std::string e = open_error(cut);
  expect_contains(e, cut);
  expect_contains(e, "truncated");
}

TEST(BadInput, UnsupportedCodec) {
  // An AVI whose codec fourcc no decoder knows.
  const std::string avi = ffmpeg_make("xvid.avi", {"-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                                                   "-t", "1", "-c:v", "mpeg4", "-vtag", "XVID"});
  const std::string path = test::scratch_dir("bad_input") + "/unknown-codec.avi";
  std::ifstream in(avi, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  size_t pos = 0;
  int patched = 0;
  while ((pos = bytes.find("XVID", pos)) != std::string::npos && pos < 8192) {
    bytes.replace(pos, 4, "QQZZ");
    ++patched;
  }
  ASSERT_GT(patched, 0);
  std::ofstream(path, std::ios::binary) << bytes;
  const std::string e = open_error(path);
  expect_contains(e, path);
  expect_contains(e, "unsupported video codec");
}

}  // namespace
}  // namespace lockstep
