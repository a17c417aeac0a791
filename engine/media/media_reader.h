// Reads one media file: a demux thread feeds bounded packet queues; a video decode thread
// (FFmpeg frame threads, optional hardware decode) and an audio decode thread (resampled to
// the output's rate and channels) fill the frame and audio queues the player pulls from.
// Seeks are frame-accurate: decoding restarts at the keyframe before the target and frames
// before it are dropped. Looping continues the stream (at the loop range's in, frame-accurate)
// with "unwrapped" positions so that time only ever moves forward for the player.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clock/transport_command.h"
#include "core/result.h"
#include "media/av_ptr.h"
#include "media/bounded_queue.h"
#include "media/deinterlacer.h"
#include "media/hwdec.h"
#include "media/picture.h"

namespace lockstep {

struct MediaInfo {
  std::string path;
  int width = 0;
  int height = 0;
  int fps_num = 0;  // frame rate as a rational (30000/1001)
  int fps_den = 1;
  int64_t frame_count = 0;   // frames in the file (from the container, or duration * fps)
  double duration_s = 0.0;   // frame_count / fps
  std::string video_codec;   // "h264"
  std::string pixel_format;  // "yuv420p"
  int sar_num = 1;           // sample aspect ratio (1:1 when the file does not say)
  int sar_den = 1;
  DisplayTransform transform;  // the display matrix: turns and mirrors
  int display_width = 0;     // the size it is shown at: SAR applied, then turned (picture.h)
  int display_height = 0;
  bool has_audio = false;
  /// No picture in the file: the frames are a level meter drawn from its sound, on a grid
  /// of 25 frames a second (level_picture.h), so that it plays and syncs like any file.
  bool audio_only = false;
  int audio_rate = 0;
  int audio_channels = 0;
  std::string audio_codec;

  double fps() const { return double(fps_num) / double(fps_den); }
  /// The frame rate and length, for frame times and transport commands.
  FrameGrid grid() const { return {fps_num, fps_den, frame_count}; }
  /// Start time of frame `index`, ns from the media's start.
  int64_t frame_time_ns(int64_t index) const { return grid().frame_time_ns(index); }
  /// The frame whose presentation interval covers media time `t_ns` (floor).
  int64_t frame_at_ns(int64_t t_ns) const { return grid().frame_at_ns(t_ns); }
};

/// One decoded picture, in a format the renderer draws directly.
struct VideoFrame {
  AVFramePtr frame;
  int serial = 0;           // seek generation this frame belongs to
  int64_t index = 0;        // frame index within the file
  int64_t unwrapped = 0;    // index + loops * frame_count
  DisplayTransform transform;  // the stream's display matrix
  PictureView view() const;
};

/// Decoded, resampled audio: interleaved float at the output rate and channel count.
struct AudioChunk {
  int serial = 0;
  int64_t first_sample = 0;  // unwrapped position at the output rate, from the media's start
  std::vector<float> samples;
};

/// Where the bytes come from when they are not a file on disk (the media fuzzer, tests):
/// FFmpeg reads them through a custom AVIOContext. Used by the demux thread only.
class MediaSource {
 public:
  virtual ~MediaSource() = default;
  /// Up to `size` bytes into `buffer`; 0 at the end.
  virtual int read(uint8_t* buffer, int size) = 0;
  /// Moves to byte `offset` from the start; false when it cannot.
  virtual bool seek(int64_t offset) = 0;
  virtual int64_t size() const = 0;
};

struct MediaReaderParams {
  std::string path;  // with `source`: only the name used in messages
  std::shared_ptr<MediaSource> source;  // none: open `path`, a local file
  HwDecode hwdec = HwDecode::Auto;
  int threads = 0;           // decoder threads, 0 = one per core
  bool decode_audio = true;  // false ignores the audio stream
  int audio_rate = 48000;    // output format of AudioChunk
  int audio_channels = 2;
  size_t frame_queue = 6;    // decoded pictures buffered ahead
  Deinterlace deinterlace = Deinterlace::Auto;
};

/// Decoded pictures a seek leaves in the queue: those of `serial` numbered (unwrapped) below
/// `below_unwrapped`, still to be shown before the jump takes effect (a session jump
/// scheduled for later). The default keeps none.
struct KeepFrames {
  int serial = -1;
  int64_t below_unwrapped = 0;
};

class MediaReader {
 public:
  /// Opens and probes the file (no threads yet). Errors name the file and the problem:
  /// missing, not a media file, truncated, neither video nor audio, unsupported codec.
  static Result<std::unique_ptr<MediaReader>> open(const MediaReaderParams& params);
  ~MediaReader();
  MediaReader(const MediaReader&) = delete;
  MediaReader& operator=(const MediaReader&) = delete;

  const MediaInfo& info() const { return info_; }
  /// "cuda" or "software" — what the video decoder really uses.
  std::string decoder_description() const;

  /// Starts the threads, decoding from frame `start_index` for `serial`. Call once.
  void start(int64_t start_index = 0, int serial = 0);
  /// Thread-safe. Restarts output at frame `index` (frame-accurate); everything produced
  /// afterwards carries `serial`. Queued output of older serials should be dropped by the
  /// caller (pictures are, except those `keep` names).
  void seek(int64_t index, int serial, KeepFrames keep = KeepFrames());
  /// Thread-safe. When on, reaching the end continues at frame 0 (unwrapped positions grow).
  void set_loop(bool loop) { loop_.store(loop); }
  /// Thread-safe. The loop range [in_index, out_index) in frames (0/0 or anything outside
  /// the file: the whole file). While looping, reading wraps at `out_index` to `in_index`
  /// (frame-accurate: from in's keyframe, frames before in dropped); unwrapped indices grow
  /// by out - in per loop. Takes effect at the next seek(): the caller restarts decoding
  /// (a new serial) when the wrap changes, since the demuxer reads seconds ahead.
  void set_loop_range(int64_t in_index, int64_t out_index) {
    loop_in_.store(in_index);
    loop_out_.store(out_index);
  }

  BoundedQueue<VideoFrame>& video() { return video_frames_; }
  BoundedQueue<AudioChunk>& audio() { return audio_chunks_; }
  /// Thread-safe. True once the last frame of a non-looping file has been queued for the
  /// latest seek (or for seek `serial`): nothing more comes until the next seek.
  bool video_ended() const { return ended_serial_.load() == serial_.load(); }
  bool video_ended(int serial) const { return ended_serial_.load() == serial; }
  /// Thread-safe. A decode error that stopped the stream (empty when none).
  std::string stream_error() const;

 private:
  struct Impl;
  friend void demux_loop(MediaReader& reader);
  /// Opens the audio decoder of the chosen audio stream (if any) on `timeline`'s time line.
  static void open_audio(Impl& m, AVStream* timeline, MediaInfo& info);
  static Result<std::unique_ptr<MediaReader>> open_audio_only(std::unique_ptr<Impl> impl);
  explicit MediaReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  MediaInfo info_;
  BoundedQueue<VideoFrame> video_frames_;
  BoundedQueue<AudioChunk> audio_chunks_;
  std::atomic<bool> loop_{false};
  std::atomic<int64_t> loop_in_{0};
  std::atomic<int64_t> loop_out_{0};
  std::atomic<int> serial_{0};         // of the latest seek
  std::atomic<int> ended_serial_{-1};  // the seek whose output reached the end, -1: none
};

}  // namespace lockstep
