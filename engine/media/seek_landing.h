// Private to media/: a seek that lands where decoding can start and reach the target frame.
//
// Demuxers with an index (MP4, Matroska) seek to a keyframe at or before a timestamp. Those
// without one (MPEG-TS, MPEG-PS, elementary streams) bisect the file by timestamp and land
// on whatever packet is there: often a B-frame after the target, with the keyframe that
// starts its GOP behind it (an MPEG-TS file made by the ffmpeg CLI landed one frame past its
// only keyframe when asked for frame 0, and no frame could be decoded at all). So the landing
// is checked: the packets are read until the first video keyframe, and when that keyframe
// comes after the target (or a packet proves it will), the seek is made again further back
// (1 s, 2 s, 4 s, ... before the target) down to the file's start.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "media/av_ptr.h"

namespace lockstep {

struct SeekLanding {
  /// Packets read while checking, in file order, to be decoded before anything read later:
  /// every other stream's packets, then the video stream's from its first keyframe on (video
  /// packets before it cannot be decoded). Empty when the file ended first.
  std::vector<AVPacketPtr> packets;
  /// The file ended (or could not be read) before a video keyframe.
  bool at_end = false;
  /// How many seeks it took (1 when the first landing was right).
  int attempts = 0;
};

/// Seeks the video stream `video_stream` of `fmt` so that decoding from the returned packets
/// reaches the frame at `target_ts` (the video stream's time base, an absolute timestamp).
/// Gives up (and returns what it has) when `stopping` turns true. Demux thread only.
SeekLanding land_seek(AVFormatContext* fmt, int video_stream, int64_t target_ts,
                      const std::atomic<bool>& stopping);

/// Where the video stream really ends: the largest `pts + duration` of its packets (a packet
/// without a duration lasts `frame_duration`), in the stream's time base, read from the last
/// seconds of the file; std::nullopt when the file cannot tell. Containers' own durations are
/// not trusted for this: Matroska written with a start offset gives its end time as its
/// duration, MPEG-TS guesses from the bit rate. Leaves the file at an unknown position.
std::optional<int64_t> video_end_ts(AVFormatContext* fmt, int video_stream,
                                    int64_t frame_duration);

}  // namespace lockstep
