// lockstep-mkclip as a command: bad options and unwritable outputs exit 2 with one line
// that names the value; a good run prints one summary line and is quick.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "support/test_media.h"

namespace lockstep {
namespace {

struct BadInput {
  std::string name;
  std::vector<std::string> args;  // after -o
  std::string output;             // file name in the scratch folder, or an absolute path
  std::string named;              // the value the message must name
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

class MkclipRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(MkclipRejects, WithExitCode2AndAMessageNamingTheValue) {
  const BadInput& c = GetParam();
  const std::string out =
      c.output.front() == '/' ? c.output : test::scratch_dir("mkclip_cli") + "/" + c.output;
  std::vector<std::string> argv{test::mkclip_path(), "-o", out};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  const test::ProcessResult r = test::run_process(argv, 60);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(c.named), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out)) << "no partial file is left";
}

INSTANTIATE_TEST_SUITE_P(
    Options, MkclipRejects,
    ::testing::Values(BadInput{"ZeroSize", {"--size", "0x0"}, "zero.mp4", "0x0"},
                      BadInput{"MalformedSize", {"--size", "640by360"}, "bysize.mp4", "640by360"},
                      BadInput{"UnknownCodec", {"--codec", "foo"}, "foo.mp4", "foo"},
                      BadInput{"ProresWith8Bit420",
                               {"--codec", "prores", "--pix-fmt", "yuv420p"},
                               "p.mov",
                               "yuv420p"},
                      BadInput{"UnknownPixFmt", {"--pix-fmt", "rgb24"}, "rgb.mp4", "rgb24"},
                      BadInput{"BadFps", {"--fps", "fast"}, "fast.mp4", "fast"},
                      BadInput{"CrfOutOfRange", {"--crf", "99"}, "crf.mp4", "99"},
                      BadInput{"UnknownContainer", {}, "clip.avi", "clip.avi"},
                      BadInput{"H264InWebm", {"--codec", "h264"}, "h264.webm", ".webm"},
                      BadInput{"UnwritablePath",
                               {"--frames", "5"},
                               "/nonexistent-lockstep-dir/sub/clip.mp4",
                               "/nonexistent-lockstep-dir/sub/clip.mp4"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST(Mkclip, WritesAFiveSecondClipQuicklyAndPrintsOneSummaryLine) {
  const std::string out = test::scratch_dir("mkclip_cli") + "/default.mp4";
  std::filesystem::remove(out);
  const auto start = std::chrono::steady_clock::now();
  const test::ProcessResult r = test::run_process({test::mkclip_path(), "-o", out}, 120);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("150 frames 640x360 h264 yuv420p"), std::string::npos) << r.output;
  EXPECT_GT(std::filesystem::file_size(out), 10'000u);
  RecordProperty("seconds", std::to_string(seconds));
  // About a second on an idle 2-core machine; generous for a busy one.
  EXPECT_LT(seconds, 20.0);
}

}  // namespace
}  // namespace lockstep
