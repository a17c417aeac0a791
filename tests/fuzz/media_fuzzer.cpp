// libFuzzer target for engine/media's MediaReader: each input is a media file, opened from
// memory through a MediaSource (FFmpeg's custom I/O: probing, every demuxer, the decoders,
// the deinterlacer, the audio resampler), started, read for a bounded number of pictures and
// audio chunks (or until the end or a stream error), sought once, maybe looped, and closed.
// The work per input is bounded (kMaxFrames, kInputBudget), so a slow file costs time, not
// a timeout; a reader that does not stop when destroyed is a libFuzzer timeout. Invariants
// (a broken one is a finding, __builtin_trap): what open() accepts has a picture size and a
// frame rate; every picture is in a format the renderer draws, of a size it can be drawn at,
// with every row of every plane readable (ASan checks the reads); audio is whole frames of
// the output's channel count.
// Built and run by run-fuzz.sh --target media (clang++ only).
#include <media/av_picture.h>
#include <media/media_reader.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

extern "C" {
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
}

namespace {

using namespace lockstep;
bool verbose = false;
using Clock = std::chrono::steady_clock;

void check(bool invariant, const char* what) {
  if (invariant) return;
  std::fprintf(stderr, "media fuzzer: broken invariant: %s\n", what);
  __builtin_trap();
}

constexpr int kMaxFrames = 48;       // pictures read per input, across the seek
constexpr int kSeekAfter = 12;       // pictures before the seek
constexpr auto kInputBudget = std::chrono::milliseconds(1500);
constexpr auto kPopWait = std::chrono::milliseconds(5);
constexpr int kChannels = 2;

/// The fuzz input, read in place (the reader is gone before the input is).
class MemorySource final : public MediaSource {
 public:
  explicit MemorySource(std::span<const uint8_t> data) : data_(data) {}
  int read(uint8_t* buffer, int size) override {
    const std::size_t n = std::min<std::size_t>(std::size_t(std::max(size, 0)), data_.size() - pos_);
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return int(n);
  }
  bool seek(int64_t offset) override {
    if (offset < 0 || uint64_t(offset) > data_.size()) return false;
    pos_ = std::size_t(offset);
    return true;
  }
  int64_t size() const override { return int64_t(data_.size()); }

 private:
  std::span<const uint8_t> data_;
  std::size_t pos_ = 0;
};

/// Reads every sample row the renderer uploads (ASan reports a plane shorter than its view).
uint32_t touch(const PictureView& v) {
  uint32_t sum = 0;
  const int bytes_per_sample = v.bit_depth > 8 ? 2 : 1;
  const int per_pixel = v.plane_count == 2 ? 2 : 1;  // the interleaved UV plane
  for (int p = 0; p < v.plane_count; ++p) {
    const PlaneView& plane = v.planes[p];
    check(plane.data != nullptr, "a plane without data");
    const std::size_t row = std::size_t(plane.width) * bytes_per_sample * (p > 0 ? per_pixel : 1);
    check(plane.stride_bytes > 0 && std::size_t(plane.stride_bytes) >= row, "a plane's stride shorter than its row");
    for (int y = 0; y < plane.height; ++y) {
      const uint8_t* line = plane.data + std::size_t(y) * std::size_t(plane.stride_bytes);
      sum += line[0] + line[row - 1];
    }
  }
  return sum;
}

void check_picture(const VideoFrame& f, int serial) {
  check(f.frame != nullptr, "a picture without a frame");
  check(f.serial <= serial, "a picture from a seek not made yet");
  check(f.frame->width > 0 && f.frame->height > 0, "a picture without a size");
  const auto fmt = static_cast<AVPixelFormat>(f.frame->format);
  if (!renderer_supports(fmt)) {
    std::fprintf(stderr, "media fuzzer: picture format %s\n", av_get_pix_fmt_name(fmt));
    check(false, "a picture in a format the renderer cannot draw");
  }
  const PictureView v = f.view();
  check(v.width == f.frame->width && v.height == f.frame->height, "a view of another size");
  check(v.sar_num > 0 && v.sar_den > 0, "a view without an aspect ratio");
  static volatile uint32_t sink;
  sink = touch(v);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // LOCKSTEP_FUZZ_LOG=1: lockstep's and FFmpeg's messages, to follow one input.
  const char* log = std::getenv("LOCKSTEP_FUZZ_LOG");
  verbose = log && *log == '1';
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::off);
  if (!verbose) av_log_set_callback(nullptr);  // MediaReader sets AV_LOG_FATAL; not even that
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  MediaReaderParams params;
  params.path = "fuzz-input";
  params.source = std::make_shared<MemorySource>(std::span<const uint8_t>(data, size));
  params.hwdec = HwDecode::None;
  params.threads = 1;
  params.audio_rate = 48000;
  params.audio_channels = kChannels;
  params.frame_queue = 4;
  params.deinterlace = Deinterlace::Auto;
  auto opened = MediaReader::open(params);
  if (!opened) {
    check(!opened.error().empty(), "a refusal without a reason");
    if (verbose) std::fprintf(stderr, "media fuzzer: refused: %s\n", opened.error().c_str());
    return 0;
  }
  std::unique_ptr<MediaReader> reader = std::move(opened.value());
  const MediaInfo& info = reader->info();
  check(info.width > 0 && info.height > 0, "no picture size");
  check(info.fps_num > 0 && info.fps_den > 0, "no frame rate");
  check(info.frame_count >= 1, "no frames");
  check(info.display_width > 0 && info.display_height > 0, "no display size");
  if (info.has_audio) check(info.audio_channels > 0 && info.audio_rate > 0, "audio without a format");

  // What this input does besides reading from frame 0, from its size (the bytes are the file).
  const bool loop = size % 3 == 0;
  if (loop && size % 2 == 0) reader->set_loop_range(info.frame_count / 4, info.frame_count / 2 + 1);
  reader->set_loop(loop);
  const int64_t seek_to = int64_t(size % 7) * info.frame_count / 6;  // 0 .. past the end

  reader->start(0, 0);
  int serial = 0, frames = 0, chunks = 0;
  const auto deadline = Clock::now() + kInputBudget;
  while (frames < kMaxFrames && Clock::now() < deadline) {
    if (auto f = reader->video().pop(kPopWait)) {
      check_picture(*f, serial);
      if (++frames == kSeekAfter) reader->seek(seek_to, ++serial);
    }
    while (auto a = reader->audio().try_pop()) {  // drained, so that the audio never holds up the video
      check(a->samples.size() % kChannels == 0, "audio that is not whole frames");
      ++chunks;
    }
    if (!reader->stream_error().empty()) break;
    if (reader->video_ended(serial) && reader->video().size() == 0) {
      if (serial > 0) break;
      reader->seek(seek_to, ++serial);  // a file shorter than kSeekAfter still gets its seek
    }
  }
  if (verbose)
    std::fprintf(stderr, "media fuzzer: %dx%d %s %s, %lld frames, audio %s: %d pictures, %d audio chunks, seek to %lld%s%s%s\n",
                 info.width, info.height, info.video_codec.c_str(), info.pixel_format.c_str(),
                 (long long)info.frame_count, info.has_audio ? info.audio_codec.c_str() : "none", frames, chunks,
                 (long long)seek_to, loop ? ", looping" : "", reader->video_ended(serial) ? ", ended" : "",
                 reader->stream_error().empty() ? "" : (", error: " + reader->stream_error()).c_str());
  reader.reset();  // stops and joins the threads: a hang here is a libFuzzer timeout
  return 0;
}
