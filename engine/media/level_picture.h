// What an audio-only file shows: a picture per frame of a fixed grid (kAudioOnlyFps), drawn
// from the sound of that frame's interval: one bar per channel with its peak level (dBFS,
// -60 to 0; green, then yellow from -6 dB, red from -1 dB), 10 dB scale lines, and the
// position in the file as a bar along the bottom. Private to media/ (the video decode thread
// draws it; tests read it back).
#pragma once

#include <cstdint>
#include <vector>

extern "C" {
#include <libavutil/frame.h>
}

namespace lockstep {

/// The picture grid of an audio-only file: 25 frames a second, 640x360.
inline constexpr int kAudioOnlyFps = 25;
inline constexpr int kAudioOnlyWidth = 640;
inline constexpr int kAudioOnlyHeight = 360;

/// Where channel `channel` of `channels` has its bar, pixels: [x0, x1) wide, rising from
/// `bottom` to `top` at 0 dBFS (tests read the level back from it).
struct LevelBar {
  int x0 = 0, x1 = 0, top = 0, bottom = 0;
};
LevelBar level_bar(int channel, int channels, int width, int height);

/// Draws into `frame` (yuv420p, allocated, even sizes): `peaks` are linear (0..1) per channel
/// (at most 8 drawn), `progress` the position in the file, 0..1.
void draw_level_picture(AVFrame& frame, const std::vector<float>& peaks, double progress);

/// Sample `i` of channel `ch` of a decoded audio frame, as a float in [-1, 1] (any FFmpeg
/// sample format, planar or packed).
float sample_value(const AVFrame& frame, int ch, int i);

}  // namespace lockstep
