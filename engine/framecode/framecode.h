// Ground truth carried inside test media. Every generated video frame carries its index as
// a machine-readable pattern (a row of large black/white blocks with a check, that survives
// compression and scaling) and as readable digits; the audio carries short tone marks at
// sample positions tied to frame indices. One reader, shared by tests and tools, gets the
// index back from any RGBA image (a rendered frame, a screenshot).
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace lockstep::framecode {

/// Largest index the tag can carry.
constexpr int64_t kMaxIndex = (int64_t{1} << 24) - 1;

/// Paints the frame's content into an RGBA8 image: a colour test background, the index tag
/// along the top, and the index as large readable digits in the middle.
void draw_test_frame(uint8_t* rgba, int width, int height, int stride_bytes, int64_t index);

/// Reads the index tag back from an RGBA8 image of any size (the picture may be scaled and
/// letterboxed inside it, e.g. a window screenshot). std::nullopt when no valid tag is found.
std::optional<int64_t> read_frame_index(const uint8_t* rgba, int width, int height,
                                        int stride_bytes);

/// The audio marks: a tone burst starts at the first sample of every frame whose index is a
/// multiple of `every_frames`.
struct MarkSpec {
  double fps = 30.0;         // frame rate of the clip (30000/1001 etc.)
  int sample_rate = 48000;
  int every_frames = 30;     // a mark every this many frames
  double tone_hz = 2000.0;
  double duration_s = 0.02;  // tone length
  float amplitude = 0.5f;
};

/// Sample position (from the clip's start) of the mark of frame `index`.
int64_t mark_sample(const MarkSpec& spec, int64_t index);

/// Synthesises `frames` mono samples starting at sample position `first_sample`.
void synth_marks(const MarkSpec& spec, int64_t first_sample, float* out, size_t frames);

/// Finds mark onsets in a mono signal: sample positions (fractional) where a burst starts
/// after at least `min_gap_s` of near-silence.
std::vector<double> find_mark_onsets(const float* mono, size_t frames, int sample_rate,
                                     double min_gap_s = 0.1, float threshold = 0.05f);

}  // namespace lockstep::framecode
