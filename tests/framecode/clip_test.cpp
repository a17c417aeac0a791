// Clips written by lockstep-mkclip, decoded independently with libavformat/libavcodec:
// every frame carries the index its timestamp says, the streams have the requested format,
// rate and colour tags, the colours survive the round trip, and the audio marks sit on
// their frames.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "clip_decoder.h"
#include "framecode/framecode.h"
#include "media/av_picture.h"
#include "support/image_io.h"
#include "support/test_media.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace lockstep::framecode {
namespace {

struct ClipCase {
  std::string name;  // test name; the clip file is framecode_<name>.<ext>
  std::string ext;
  std::vector<std::string> args;
  AVCodecID codec;
  AVPixelFormat pix_fmt;
  int width, height;
  AVRational fps;
  int64_t frames;
  AVColorSpace colorspace;
  AVColorRange range;
  AVColorPrimaries primaries;
  AVColorTransferCharacteristic transfer;
  int channels;  // 0: no audio
  AVCodecID audio_codec;
  int sample_rate = 48000;  // Hz
};

void PrintTo(const ClipCase& c, std::ostream* os) { *os << c.name; }

/// What one decode of a clip showed; decoded once per clip, shared by its tests.
struct ClipFacts {
  test::DecodedClip clip;
  std::vector<int64_t> pts_indices;                  // round(pts * fps), decode order
  std::vector<std::optional<int64_t>> read_indices;  // read from each frame's pixels
  AVColorSpace frame_colorspace = AVCOL_SPC_UNSPECIFIED;
  AVColorRange frame_range = AVCOL_RANGE_UNSPECIFIED;
  AVColorPrimaries frame_primaries = AVCOL_PRI_UNSPECIFIED;
  AVColorTransferCharacteristic frame_transfer = AVCOL_TRC_UNSPECIFIED;
  double worst_psnr_db = INFINITY;  // decoded vs drawn, over a few frames
  double worst_patch_error = 0;     // levels (0-255), mean of a patch, decoded vs drawn
  std::string error;
};

/// Largest difference (levels) between the mean colours of 8x8 patches inside flat areas
/// of the background: colour bars, hue sweep, grey ramp. Unlike PSNR this ignores the
/// blur of chroma subsampling at edges.
double patch_error(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int w, int h) {
  const int strip = int(std::lround(std::min(0.06 * w, 0.12 * h)));
  const int area = h - strip;
  const int rows[] = {strip + area * 4 / 100, strip + area * 60 / 100, strip + area * 77 / 100};
  double worst = 0;
  for (int y0 : rows) {
    for (int bar = 0; bar < 7; ++bar) {
      const int x0 = (2 * bar + 1) * w / 14 - 4;
      for (int c = 0; c < 3; ++c) {
        double sa = 0, sb = 0;
        for (int y = y0; y < y0 + 8; ++y)
          for (int x = x0; x < x0 + 8; ++x) {
            sa += a[(size_t(y) * size_t(w) + size_t(x)) * 4 + size_t(c)];
            sb += b[(size_t(y) * size_t(w) + size_t(x)) * 4 + size_t(c)];
          }
        worst = std::max(worst, std::abs(sa - sb) / 64);
      }
    }
  }
  return worst;
}

const ClipFacts& facts_for(const ClipCase& c) {
  static std::map<std::string, ClipFacts> cache;
  if (auto it = cache.find(c.name); it != cache.end()) return it->second;
  ClipFacts& facts = cache[c.name];
  const std::string path = lockstep::test::clip("framecode_" + c.name + c.ext, c.args);
  if (path.empty()) {
    facts.error = "lockstep-mkclip failed";
    return facts;
  }
  const double fps = av_q2d(c.fps);
  bool first = true;
  auto decoded = test::decode_clip(path, [&](const AVFrame& frame, double seconds) {
    const int64_t index = std::llround(seconds * fps);
    facts.pts_indices.push_back(index);
    const auto rgba = ffmpeg_rgba(frame);
    if (!rgba) {
      facts.read_indices.push_back(std::nullopt);
      return;
    }
    facts.read_indices.push_back(
        read_frame_index(rgba->data(), frame.width, frame.height, frame.width * 4));
    if (first) {
      first = false;
      facts.frame_colorspace = frame.colorspace;
      facts.frame_range = frame.color_range;
      facts.frame_primaries = frame.color_primaries;
      facts.frame_transfer = frame.color_trc;
    }
    if (index % 17 == 3) {  // a few frames, keyframes and others
      std::vector<uint8_t> drawn(rgba->size());
      draw_test_frame(drawn.data(), frame.width, frame.height, frame.width * 4, index);
      facts.worst_psnr_db = std::min(facts.worst_psnr_db, lockstep::test::psnr_rgb(*rgba, drawn));
      facts.worst_patch_error =
          std::max(facts.worst_patch_error, patch_error(*rgba, drawn, frame.width, frame.height));
    }
  });
  if (!decoded) {
    facts.error = decoded.error();
    return facts;
  }
  facts.clip = std::move(decoded.value());
  return facts;
}

/// H.264 decoders still report full range 8-bit as the deprecated yuvj formats.
AVPixelFormat without_j(AVPixelFormat fmt) {
  switch (fmt) {
    case AV_PIX_FMT_YUVJ420P:
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      return AV_PIX_FMT_YUV444P;
    default:
      return fmt;
  }
}

class GeneratedClip : public ::testing::TestWithParam<ClipCase> {};

TEST_P(GeneratedClip, EveryFrameDecodesToTheIndexItCarries) {
  const ClipCase& c = GetParam();
  const ClipFacts& f = facts_for(c);
  ASSERT_EQ(f.error, "");
  ASSERT_EQ(f.pts_indices.size(), size_t(c.frames));
  for (size_t i = 0; i < f.pts_indices.size(); ++i) {
    ASSERT_EQ(f.pts_indices[i], int64_t(i)) << "timestamps must run 0..N-1 without gaps";
    ASSERT_EQ(f.read_indices[i], f.pts_indices[i]) << "pixels of frame " << i;
  }
}

TEST_P(GeneratedClip, StreamHasTheRequestedFormatRateAndColourTags) {
  const ClipCase& c = GetParam();
  const ClipFacts& f = facts_for(c);
  ASSERT_EQ(f.error, "");
  const test::VideoStreamInfo& v = f.clip.video;
  EXPECT_EQ(v.codec, c.codec) << avcodec_get_name(v.codec);
  EXPECT_EQ(without_j(v.pix_fmt), c.pix_fmt) << av_get_pix_fmt_name(v.pix_fmt);
  EXPECT_EQ(v.width, c.width);
  EXPECT_EQ(v.height, c.height);
  EXPECT_NEAR(av_q2d(v.frame_rate), av_q2d(c.fps), 1e-3);
  EXPECT_EQ(f.clip.video_frames, c.frames);
  EXPECT_EQ(v.colorspace, c.colorspace) << av_color_space_name(v.colorspace);
  EXPECT_EQ(v.range, c.range) << av_color_range_name(v.range);
  EXPECT_EQ(v.primaries, c.primaries) << av_color_primaries_name(v.primaries);
  EXPECT_EQ(v.transfer, c.transfer) << av_color_transfer_name(v.transfer);
  // What the decoder puts on its frames, which is what players convert with.
  EXPECT_EQ(f.frame_colorspace, c.colorspace);
  EXPECT_EQ(f.frame_range, c.range);
  EXPECT_EQ(f.frame_primaries, c.primaries);
  EXPECT_EQ(f.frame_transfer, c.transfer);
}

TEST_P(GeneratedClip, DecodedColoursMatchTheDrawnFrame) {
  const ClipFacts& f = facts_for(GetParam());
  ASSERT_EQ(f.error, "");
  // Chroma subsampling blurs the sharp bar edges: about 32 dB at 640x360, 28.5 at 320x180.
  EXPECT_GT(f.worst_psnr_db, 26.0);
  // Compression leaves up to 3 levels; a wrong matrix or range tag moves the 75% bars by
  // 10 levels or more (e.g. limited read as full: 0 becomes 16, 191 becomes 180).
  EXPECT_LT(f.worst_patch_error, 5.0);
  RecordProperty("worst_psnr_db", std::to_string(f.worst_psnr_db));
  RecordProperty("worst_patch_error", std::to_string(f.worst_patch_error));
}

TEST_P(GeneratedClip, AudioMarksSitOnTheirFrames) {
  const ClipCase& c = GetParam();
  const ClipFacts& f = facts_for(c);
  ASSERT_EQ(f.error, "");
  if (c.channels == 0) {
    EXPECT_FALSE(f.clip.audio.has_value());
    return;
  }
  ASSERT_TRUE(f.clip.audio.has_value());
  const test::AudioTrack& a = *f.clip.audio;
  EXPECT_EQ(a.codec, c.audio_codec) << avcodec_get_name(a.codec);
  EXPECT_EQ(a.channels, c.channels);
  ASSERT_EQ(a.sample_rate, c.sample_rate);
  MarkSpec spec;
  spec.fps = av_q2d(c.fps);
  spec.sample_rate = a.sample_rate;
  spec.every_frames = int(std::lround(spec.fps));  // mkclip's default
  const int64_t clip_samples = mark_sample(spec, c.frames);
  const auto burst = std::llround(spec.duration_s * spec.sample_rate);
  std::vector<int64_t> expected;
  for (int64_t k = 0; k < c.frames && mark_sample(spec, k) + burst <= clip_samples;
       k += spec.every_frames)
    expected.push_back(mark_sample(spec, k));

  const double one_ms = a.sample_rate / 1000.0;
  for (int channel : {0, c.channels - 1}) {
    const std::vector<float>& s = a.samples[size_t(channel)];
    const auto onsets = find_mark_onsets(s.data(), s.size(), a.sample_rate);
    ASSERT_EQ(onsets.size(), expected.size()) << "channel " << channel;
    // The encoder's fixed delay (AAC priming where the container does not remove it).
    const double delay = onsets[0] - double(expected[0]);
    EXPECT_GE(delay, -one_ms);
    EXPECT_LT(delay, 0.05 * a.sample_rate);
    for (size_t i = 0; i < onsets.size(); ++i)
      EXPECT_NEAR(onsets[i] - delay, double(expected[i]), one_ms) << "mark " << i;
    RecordProperty("delay_samples_ch" + std::to_string(channel), std::to_string(delay));
  }
}

std::vector<std::string> args(std::initializer_list<std::string> extra) { return extra; }

INSTANTIATE_TEST_SUITE_P(
    Formats, GeneratedClip,
    ::testing::Values(ClipCase{"h264_yuv420p_30",
                               ".mp4",
                               args({"--size", "640x360", "--fps", "30", "--duration", "3"}),
                               AV_CODEC_ID_H264,
                               AV_PIX_FMT_YUV420P,
                               640,
                               360,
                               {30, 1},
                               90,
                               AVCOL_SPC_BT709,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT709,
                               AVCOL_TRC_BT709,
                               2,
                               AV_CODEC_ID_AAC},
                      ClipCase{"h264_yuv420p10le_23976",
                               ".mkv",
                               args({"--size", "640x360", "--fps", "23.976", "--duration", "3",
                                     "--pix-fmt", "yuv420p10le", "--channels", "1"}),
                               AV_CODEC_ID_H264,
                               AV_PIX_FMT_YUV420P10LE,
                               640,
                               360,
                               {24000, 1001},
                               72,
                               AVCOL_SPC_BT709,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT709,
                               AVCOL_TRC_BT709,
                               1,
                               AV_CODEC_ID_AAC},
                      ClipCase{"hevc_yuv420p_2997",
                               ".mp4",
                               args({"--size", "640x360", "--fps", "29.97", "--duration", "3",
                                     "--codec", "hevc", "--channels", "6"}),
                               AV_CODEC_ID_HEVC,
                               AV_PIX_FMT_YUV420P,
                               640,
                               360,
                               {30000, 1001},
                               90,
                               AVCOL_SPC_BT709,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT709,
                               AVCOL_TRC_BT709,
                               6,
                               AV_CODEC_ID_AAC},
                      ClipCase{"vp9_yuv444p_25",
                               ".webm",
                               args({"--size", "480x270", "--fps", "25", "--duration", "2",
                                     "--codec", "vp9", "--pix-fmt", "yuv444p"}),
                               AV_CODEC_ID_VP9,
                               AV_PIX_FMT_YUV444P,
                               480,
                               270,
                               {25, 1},
                               50,
                               AVCOL_SPC_BT709,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT709,
                               AVCOL_TRC_BT709,
                               2,
                               AV_CODEC_ID_OPUS},
                      ClipCase{"prores_yuv422p10le_25",
                               ".mov",
                               args({"--size", "480x270", "--fps", "25", "--duration", "2",
                                     "--codec", "prores", "--pix-fmt", "yuv422p10le"}),
                               AV_CODEC_ID_PRORES,
                               AV_PIX_FMT_YUV422P10LE,
                               480,
                               270,
                               {25, 1},
                               50,
                               AVCOL_SPC_BT709,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT709,
                               AVCOL_TRC_BT709,
                               2,
                               AV_CODEC_ID_AAC},
                      ClipCase{"h264_full_bt601_50",
                               ".mp4",
                               args({"--size", "640x360", "--fps", "50", "--duration", "2",
                                     "--range", "full", "--matrix", "bt601"}),
                               AV_CODEC_ID_H264,
                               AV_PIX_FMT_YUV420P,
                               640,
                               360,
                               {50, 1},
                               100,
                               AVCOL_SPC_SMPTE170M,
                               AVCOL_RANGE_JPEG,
                               AVCOL_PRI_SMPTE170M,
                               AVCOL_TRC_SMPTE170M,
                               2,
                               AV_CODEC_ID_AAC},
                      ClipCase{"h264_1280x720_60",
                               ".mp4",
                               args({"--size", "1280x720", "--fps", "60", "--duration", "2"}),
                               AV_CODEC_ID_H264,
                               AV_PIX_FMT_YUV420P,
                               1280,
                               720,
                               {60, 1},
                               120,
                               AVCOL_SPC_BT709,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT709,
                               AVCOL_TRC_BT709,
                               2,
                               AV_CODEC_ID_AAC},
                      // The small size other modules' tests use; 44.1 kHz audio.
                      ClipCase{"h264_320x180_30_44k",
                               ".mp4",
                               args({"--size", "320x180", "--fps", "30", "--frames", "60",
                                     "--audio-rate", "44100"}),
                               AV_CODEC_ID_H264,
                               AV_PIX_FMT_YUV420P,
                               320,
                               180,
                               {30, 1},
                               60,
                               AVCOL_SPC_BT709,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT709,
                               AVCOL_TRC_BT709,
                               2,
                               AV_CODEC_ID_AAC,
                               44100},
                      ClipCase{"hevc_bt2020_10bit_24",
                               ".mkv",
                               args({"--size", "640x360", "--fps", "24", "--duration", "2",
                                     "--codec", "hevc", "--pix-fmt", "yuv420p10le", "--matrix",
                                     "bt2020", "--no-audio"}),
                               AV_CODEC_ID_HEVC,
                               AV_PIX_FMT_YUV420P10LE,
                               640,
                               360,
                               {24, 1},
                               48,
                               AVCOL_SPC_BT2020_NCL,
                               AVCOL_RANGE_MPEG,
                               AVCOL_PRI_BT2020,
                               AVCOL_TRC_BT2020_10,
                               0,
                               AV_CODEC_ID_NONE}),
    [](const ::testing::TestParamInfo<ClipCase>& info) { return info.param.name; });

}  // namespace
}  // namespace lockstep::framecode
