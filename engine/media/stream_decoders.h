// Private to media/: the per-stream decode loops run by MediaReader's threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "media/av_ptr.h"
#include "media/bounded_queue.h"
#include "media/deinterlacer.h"
#include "media/hwdec.h"
#include "media/media_reader.h"

namespace lockstep {

/// What the demux thread sends a decoder: a packet, or an event in the stream.
struct PacketItem {
  enum class Kind {
    Data,   // a packet of this stream
    Flush,  // a seek: restart at frame `target` (serial changes)
    Drain,  // end of the file or loop range before a loop: output what the decoder holds
    Wrap,   // the loop starts again at frame `target` (loop number `loop`)
    Eof,    // end of the file, no loop
  };
  Kind kind = Kind::Data;
  int serial = 0;
  int64_t target = 0;  // Flush: frame index to start at; Wrap: the loop range's in
  int loop = 0;        // loops completed when this item was read
  AVPacketPtr packet;
  // Flush and Wrap: the loop range in force, frames. Frames at or past `wrap_out` are not
  // output (kNoWrapOut: none, the whole file loops); each loop adds `span`
  // frames to the unwrapped index.
  static constexpr int64_t kNoWrapOut = INT64_MAX;  // the whole file loops
  int64_t wrap_out = kNoWrapOut;
  int64_t span = 0;
};

/// Video: decode (frame threads, optional hardware), transfer hardware frames to memory,
/// convert formats the renderer cannot draw, drop frames before a seek target.
/// Thread ownership: everything below is used by the video thread only, except error().
class VideoStreamDecoder {
 public:
  static Result<std::unique_ptr<VideoStreamDecoder>> open(const std::string& path,
                                                           AVStream* stream, HwDecode hwdec,
                                                           int threads, Deinterlace deinterlace);
  /// An audio-only file's pictures: decodes `audio_stream`'s packets and draws a level
  /// picture (level_picture.h) for each frame of the file's grid.
  static Result<std::unique_ptr<VideoStreamDecoder>> open_level_meter(const std::string& path,
                                                                       AVStream* audio_stream);
  void set_timing(const MediaInfo& info) { info_ = info; }
  void run(BoundedQueue<PacketItem>& in, BoundedQueue<VideoFrame>& out,
           std::atomic<int>& ended_serial, const std::atomic<bool>& stopping);
  std::string description() const { return description_; }
  std::string error() const;

 private:
  VideoStreamDecoder(Deinterlace mode, AVRational time_base) : deinterlacer_(mode, time_base) {}
  void receive_all(BoundedQueue<VideoFrame>& out);
  void drain_deinterlacer(BoundedQueue<VideoFrame>& out);
  /// The frame's index from its pts (the next one when it has none).
  int64_t index_of(const AVFrame& frame) const;
  /// Queues a drawable frame unless it is before the target or past the loop range; false
  /// when the queue was aborted.
  bool emit(AVFramePtr frame, BoundedQueue<VideoFrame>& out);
  bool emit_at(AVFramePtr frame, int64_t index, BoundedQueue<VideoFrame>& out);
  /// Level meter: gathers the peaks of each frame's interval, drawing a frame's picture once
  /// its interval is complete.
  void receive_levels(BoundedQueue<VideoFrame>& out);
  bool finish_level_picture(BoundedQueue<VideoFrame>& out);
  AVFramePtr to_drawable(AVFramePtr frame);
  void set_error(std::string message);

  std::string path_;
  AVStream* stream_ = nullptr;
  AVCodecContextPtr ctx_;
  AVPixelFormat hw_format_ = AV_PIX_FMT_NONE;
  AVBufferRefPtr hw_device_;
  std::string description_ = "software";
  MediaInfo info_;
  SwsContextPtr sws_;
  Deinterlacer deinterlacer_;
  // Decode state, reset by Flush:
  int serial_ = 0;
  int64_t target_ = 0;
  int loop_ = 0;
  int64_t last_index_ = -1;
  int64_t wrap_out_ = INT64_MAX;  // frames at or past it are dropped (loop range's out)
  int64_t span_ = 0;              // frames per loop
  // Level meter (audio-only files):
  bool meter_ = false;
  int64_t meter_index_ = -1;  // the frame whose sound is being gathered, -1: none
  std::vector<float> meter_peaks_;
  mutable std::mutex error_mutex_;
  std::string error_;  // protected by error_mutex_
};

/// Audio: decode and resample to interleaved float at the output rate and channel count;
/// positions are measured from the video stream's start so both share one time line.
class AudioStreamDecoder {
 public:
  AudioStreamDecoder() = default;
  ~AudioStreamDecoder() { av_channel_layout_uninit(&swr_layout_); }
  AudioStreamDecoder(const AudioStreamDecoder&) = delete;
  AudioStreamDecoder& operator=(const AudioStreamDecoder&) = delete;
  static Result<std::unique_ptr<AudioStreamDecoder>> open(const std::string& path,
                                                           AVStream* stream,
                                                           AVStream* video_stream,
                                                           const MediaInfo& info, int out_rate,
                                                           int out_channels);
  void run(BoundedQueue<PacketItem>& in, BoundedQueue<AudioChunk>& out,
           const std::atomic<bool>& stopping);

 private:
  void receive_all(BoundedQueue<AudioChunk>& out);
  /// A fresh resampler from the decoder's current format (a seek or a wrap).
  Status reset_resampler();
  /// A fresh resampler from `layout`, `format`, `rate`: what a decoded frame carries, which
  /// may change within a stream (a damaged MP2 frame, a broadcast going mono to stereo).
  Status reset_resampler(const AVChannelLayout& layout, int format, int rate);
  int64_t frame_sample(int64_t index) const;  // start of video frame `index`, output samples
  void set_range(const PacketItem& item);     // from a Flush or Wrap

  AVStream* stream_ = nullptr;
  AVCodecContextPtr ctx_;
  SwrContextPtr swr_;
  // What swr_ was set up to read:
  AVChannelLayout swr_layout_{};
  int swr_format_ = -1;
  int swr_rate_ = 0;
  int out_rate_ = 48000;
  int out_channels_ = 2;
  double media_start_s_ = 0.0;  // the video stream's start time
  int64_t file_samples_ = 0;    // length of the file at the output rate
  int fps_num_ = 30;            // video frame rate, to place seek targets
  int fps_den_ = 1;
  // Decode state, reset by Flush/Wrap:
  int serial_ = 0;
  int loop_ = 0;
  int64_t target_sample_ = 0;
  int64_t end_sample_ = 0;    // samples at or past it are dropped (loop range's out)
  int64_t span_samples_ = 0;  // samples per loop
  int64_t next_sample_ = -1;  // position of the next output sample, -1 = take from pts
};

}  // namespace lockstep
