// The present log's one line definition: what the playback loop writes, every reader reads
// back the same; what a reader cannot use is named.
#include "player/present_log.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

TEST(PresentLog, AWrittenLineReadsBackFieldForField) {
  PresentLine w;
  w.t_ns = 123'456'789'000;
  w.sched_ns = 123'456'700'000;
  w.frame = 41;
  w.readback = 42;  // the pixels said otherwise: readback is what was shown
  w.due = 42;
  w.paused = true;
  w.dropped = 3;
  w.repeated = 1;
  w.session_ns = 5'000'000'000;
  w.clock_err_ns = -1200;
  const std::string text = format_present_line(w);
  ASSERT_EQ(text.back(), '\n');
  PresentLine r;
  ASSERT_EQ(parse_present_line(text, r), "");
  EXPECT_EQ(r.t_ns, w.t_ns);
  EXPECT_EQ(r.sched_ns, w.sched_ns);
  EXPECT_EQ(r.frame, 41);
  EXPECT_EQ(r.readback, 42);
  EXPECT_EQ(r.shown, 42);
  EXPECT_EQ(r.due, 42);
  EXPECT_TRUE(r.paused);
  EXPECT_EQ(r.dropped, 3);
  EXPECT_EQ(r.repeated, 1);
  EXPECT_EQ(r.session_ns, w.session_ns);
  EXPECT_EQ(r.clock_err_ns, -1200);

  PresentLine plain;  // no read-back, no session: shown is the frame drawn
  plain.frame = 7;
  PresentLine p;
  ASSERT_EQ(parse_present_line(format_present_line(plain), p), "");
  EXPECT_FALSE(p.readback);
  EXPECT_EQ(p.shown, 7);
  EXPECT_FALSE(p.session_ns);
  EXPECT_FALSE(p.clock_err_ns);
}

TEST(PresentLog, WhatCannotBeReadIsNamed) {
  PresentLine l;
  EXPECT_EQ(parse_present_line("{\"frame\": 1", l), "not valid JSON");
  EXPECT_EQ(parse_present_line("[1, 2]", l), "not a JSON object");
  EXPECT_EQ(parse_present_line("{\"frame\": 1}", l), "no integer \"t_ns\"");
  EXPECT_EQ(parse_present_line("{\"t_ns\": 1, \"readback\": null}", l), "no integer \"frame\" or \"readback\"");
}

}  // namespace
}  // namespace lockstep
