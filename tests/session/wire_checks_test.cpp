// What a session accepts from the other side beyond the codec's own bounds.
#include <gtest/gtest.h>

#include "net/session/wire_checks.h"

namespace lockstep::net {
namespace {

std::vector<MediaEntry> one_file() {
  MediaEntry m;
  m.name = "a.mp4";
  m.fps_num = 30;
  m.fps_den = 1;
  m.frame_count = 300;
  m.duration_ns = 10'000'000'000;
  return {m};
}

TEST(WireChecks, StatesOutOfRangeAreNamed) {
  TransportWire t;
  EXPECT_EQ(transport_problem(t, one_file()), "");
  auto bad = [&](auto change) {
    TransportWire x;
    change(x);
    return transport_problem(x, one_file());
  };
  EXPECT_NE(bad([](TransportWire& x) { x.rate = 1e300; }).find("rate"), std::string::npos);
  EXPECT_NE(bad([](TransportWire& x) { x.rate = 0.0; }), "");
  EXPECT_NE(bad([](TransportWire& x) { x.rate = -1.0; }), "");
  EXPECT_NE(bad([](TransportWire& x) { x.position_ns = -1; }), "");
  EXPECT_NE(bad([](TransportWire& x) { x.position_ns = INT64_MAX; }), "");
  EXPECT_NE(bad([](TransportWire& x) { x.position_ns = 11'000'000'000; }).find("past the end"), std::string::npos);
  EXPECT_NE(bad([](TransportWire& x) { x.anchor_session_ns = INT64_MIN; }), "");
  EXPECT_NE(bad([](TransportWire& x) { x.media_index = 1; }).find("file index"), std::string::npos);
  EXPECT_NE(bad([](TransportWire& x) { x.loop_in_ns = 5, x.loop_out_ns = 4; }), "");
  EXPECT_NE(bad([](TransportWire& x) { x.loop_in_ns = 0, x.loop_out_ns = 20'000'000'000; }), "");
  // A looping wall counts unwrapped positions past the file's end: allowed.
  EXPECT_EQ(bad([](TransportWire& x) { x.loop = true, x.position_ns = 90'000'000'000'000; }), "");
  // No media yet (a dedicated server waiting): only index 0.
  EXPECT_EQ(transport_problem(TransportWire{}, {}), "");
}

TEST(WireChecks, NamesThatCouldForgeALogLineAreRefused) {
  EXPECT_EQ(node_name_problem("projector-1 (left)"), "");
  EXPECT_EQ(node_name_problem("Bühne"), "");
  EXPECT_NE(node_name_problem(""), "");
  EXPECT_NE(node_name_problem("a\n[info] session: 'admin' joined"), "");
  EXPECT_NE(node_name_problem("a\x1b[2Jb"), "");
  EXPECT_NE(node_name_problem(std::string(65, 'x')), "");
  EXPECT_EQ(printable("a\nb\x1b"), "a?b?");
  // Found by an outsider: C1 controls (U+009B starts a terminal escape), the bidi override
  // U+202E, and bytes that are not UTF-8 got through.
  EXPECT_NE(node_name_problem("a\xc2\x9b" "2Jb"), "");
  EXPECT_NE(node_name_problem("evil\xe2\x80\xae" "txt.exe"), "");
  EXPECT_NE(node_name_problem("bad\xff\xfe"), "");
  EXPECT_NE(node_name_problem("overlong\xc0\xaf"), "");
  EXPECT_NE(node_name_problem("surrogate\xed\xa0\x80"), "");
  EXPECT_EQ(node_name_problem("東京 wall ✓"), "");
  EXPECT_EQ(printable("a\xc2\x9b" "b\xe2\x80\xae" "c\xff"), "a?b?c?");
  EXPECT_EQ(printable("Bühne", 2), "B…");  // never half a character
}

TEST(WireChecks, MediaReportsAreBoundedByTheSession) {
  std::vector<MediaMatch> r(1);
  EXPECT_EQ(media_report_problem(r, 1), "");
  r.resize(2);
  EXPECT_NE(media_report_problem(r, 1), "");  // more entries than files
  r[1].media_index = 0;
  EXPECT_NE(media_report_problem(r, 2), "");  // repeated
  std::vector<MediaMatch> big(1);
  big[0].detail = std::string(60'000, 'x');
  EXPECT_NE(media_report_problem(big, 1), "");
}

}  // namespace
}  // namespace lockstep::net
