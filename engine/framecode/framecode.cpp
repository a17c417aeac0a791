#include "framecode/framecode.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <numbers>

#include "framecode/tag_layout.h"

namespace lockstep::framecode {

// ---------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------
namespace {

struct Rgb {
  uint8_t r, g, b;
};

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kDigitPanel{80, 80, 80};
constexpr Rgb kDigit{240, 240, 240};

class Canvas {
 public:
  Canvas(uint8_t* data, int width, int height, int stride)
      : data_(data), width_(width), height_(height), stride_(stride) {}

  int width() const { return width_; }
  int height() const { return height_; }

  void set(int x, int y, Rgb c) const {
    uint8_t* p = data_ + ptrdiff_t(y) * stride_ + ptrdiff_t(x) * 4;
    p[0] = c.r, p[1] = c.g, p[2] = c.b, p[3] = 255;
  }
  /// Fills [x0, x1) x [y0, y1), clipped to the canvas.
  void fill(int x0, int y0, int x1, int y1, Rgb c) const {
    x0 = std::max(x0, 0), y0 = std::max(y0, 0);
    x1 = std::min(x1, width_), y1 = std::min(y1, height_);
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) set(x, y, c);
  }

 private:
  uint8_t* data_;
  int width_, height_, stride_;
};

uint8_t to_byte(double v) { return uint8_t(std::clamp(std::lround(v), 0L, 255L)); }

// Saturation 0.75, value 0.9: every channel stays between 57 and 230.
Rgb hue_colour(double hue /* 0..1 */) {
  constexpr double v = 0.9 * 255, s = 0.75;
  const double h6 = hue * 6;
  const double c = v * s, x = c * (1 - std::abs(std::fmod(h6, 2.0) - 1)), m = v - c;
  double r = 0, g = 0, b = 0;
  switch (int(h6) % 6) {
    case 0:
      r = c, g = x;
      break;
    case 1:
      r = x, g = c;
      break;
    case 2:
      g = c, b = x;
      break;
    case 3:
      g = x, b = c;
      break;
    case 4:
      r = x, b = c;
      break;
    default:
      r = c, b = x;
      break;
  }
  return {to_byte(r + m), to_byte(g + m), to_byte(b + m)};
}

// Below the tag strip, top to bottom: 75% colour bars (half of the area), a hue sweep, a
// grey ramp, and a two-axis gradient. Nothing is darker than 80 in its brightest channel,
// so decoded colours can be compared everywhere and the picture never looks like border.
void draw_background(const Canvas& canvas, int top) {
  constexpr Rgb kBars[] = {{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
                           {191, 0, 191},   {191, 0, 0},   {0, 0, 191}};
  const int w = canvas.width(), h = canvas.height();
  const int area = h - top;
  const int hue_top = top + area * 50 / 100, ramp_top = top + area * 70 / 100,
            gradient_top = top + area * 85 / 100;
  for (int y = top; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double fx = (x + 0.5) / w;
      Rgb c;
      if (y < hue_top) {
        c = kBars[x * 7 / w];
      } else if (y < ramp_top) {
        c = hue_colour(fx);
      } else if (y < gradient_top) {
        const uint8_t grey = to_byte(80 + 160 * fx);
        c = {grey, grey, grey};
      } else {
        const double fy = (y - gradient_top + 0.5) / std::max(1, h - gradient_top);
        c = {to_byte(64 + 176 * fx), to_byte(64 + 176 * fy), to_byte(240 - 176 * fx)};
      }
      canvas.set(x, y, c);
    }
  }
}

void draw_tag(const Canvas& canvas, const TagRows& rows, uint64_t word) {
  const int w = canvas.width();
  canvas.fill(0, 0, w, rows.height, kWhite);
  int bit = kDataBits - 1;
  for (int u = 0; u < kUnits; ++u) {
    const int pattern = kUnitPattern[size_t(u)];
    const bool white = pattern >= 0 ? pattern == 1 : ((word >> bit--) & 1u) != 0;
    if (white) continue;
    // Integer unit edges (x * kUnits / w) so units tile the width exactly.
    const int x0 = (u * w + kUnits - 1) / kUnits, x1 = ((u + 1) * w + kUnits - 1) / kUnits;
    canvas.fill(x0, rows.band_top, x1, rows.band_bottom, kBlack);
  }
}

// Seven-segment glyphs, bit 0..6 = segments a (top), b (top right), c (bottom right),
// d (bottom), e (bottom left), f (top left), g (middle).
constexpr uint8_t kSegments[10] = {0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F};

void draw_digit(const Canvas& canvas, int x, int y, int w, int h, int t, int digit) {
  const uint8_t s = kSegments[digit];
  const int mid = y + (h - t) / 2;
  if (s & 0x01) canvas.fill(x, y, x + w, y + t, kDigit);
  if (s & 0x02) canvas.fill(x + w - t, y, x + w, mid + t, kDigit);
  if (s & 0x04) canvas.fill(x + w - t, mid, x + w, y + h, kDigit);
  if (s & 0x08) canvas.fill(x, y + h - t, x + w, y + h, kDigit);
  if (s & 0x10) canvas.fill(x, mid, x + t, y + h, kDigit);
  if (s & 0x20) canvas.fill(x, y, x + t, mid + t, kDigit);
  if (s & 0x40) canvas.fill(x, mid, x + w, mid + t, kDigit);
}

// The index in decimal, 22% of the picture height tall (narrower if it would not fit),
// on a dark grey panel centred in the colour bars.
void draw_index_digits(const Canvas& canvas, int top, int64_t index) {
  int digits[8];
  int count = 0;
  for (int64_t v = index; count == 0 || v > 0; v /= 10) digits[count++] = int(v % 10);
  const int w = canvas.width(), h = canvas.height();
  double glyph_h = 0.22 * h;
  const double total_w = glyph_h * (count * 0.5 + (count - 1) * 0.15);
  if (total_w > 0.8 * w) glyph_h *= 0.8 * w / total_w;
  const int gh = std::max(5, int(glyph_h)), gw = std::max(3, gh / 2);
  const int gap = std::max(1, gh * 15 / 100), t = std::max(1, gh / 7);
  const int row_w = count * gw + (count - 1) * gap;
  const int x0 = (w - row_w) / 2, y0 = top + (h - top) * 30 / 100 - gh / 2;
  canvas.fill(x0 - 2 * t, y0 - 2 * t, x0 + row_w + 2 * t, y0 + gh + 2 * t, kDigitPanel);
  for (int i = 0; i < count; ++i)
    draw_digit(canvas, x0 + i * (gw + gap), y0, gw, gh, t, digits[count - 1 - i]);
}

}  // namespace

void draw_test_frame(uint8_t* rgba, int width, int height, int stride_bytes, int64_t index) {
  assert(rgba && width > 0 && height > 0 && stride_bytes >= width * 4);
  assert(index >= 0 && index <= kMaxIndex);
  const Canvas canvas(rgba, width, height, stride_bytes);
  const TagRows rows = tag_rows(width, height);
  draw_background(canvas, rows.height);
  draw_tag(canvas, rows, tag_word(uint32_t(index)));
  draw_index_digits(canvas, rows.height, index);
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------
namespace {

// A pixel at or below this in all of R, G, B counts as letterbox border. Below the tag the
// picture's brightest channel is at least 80 everywhere (background and digit panel), so
// noise of +-35 on both still tells them apart; the tag's white quiet zones rim the
// picture's top, left and right edges.
constexpr int kBorderMax = 44;
// Light/dark split while locating the tag, before its own black and white are measured.
constexpr int kLightLuma = 128;

class ImageView {
 public:
  ImageView(const uint8_t* data, int width, int height, int stride)
      : data_(data), width_(width), height_(height), stride_(stride) {}

  int width() const { return width_; }
  int height() const { return height_; }

  bool border(int x, int y) const {
    const uint8_t* p = at(x, y);
    return p[0] <= kBorderMax && p[1] <= kBorderMax && p[2] <= kBorderMax;
  }
  // BT.709 weights in 1/256; the tag is neutral grey so the weights hardly matter.
  int luma(int x, int y) const {
    const uint8_t* p = at(x, y);
    return (54 * p[0] + 183 * p[1] + 19 * p[2] + 128) >> 8;
  }

 private:
  const uint8_t* at(int x, int y) const {
    assert(x >= 0 && x < width_ && y >= 0 && y < height_);
    return data_ + ptrdiff_t(y) * stride_ + ptrdiff_t(x) * 4;
  }
  const uint8_t* data_;
  int width_, height_, stride_;
};

// First row (on a coarse grid) that holds some picture: the tag's white top rows.
struct PictureTop {
  int row = 0;      // grid row, within `step` pixels below the picture's true top
  int x_first = 0;  // first and last non-border grid samples in that row
  int x_last = 0;
};

std::optional<PictureTop> find_picture_top(const ImageView& img, int step) {
  for (int y = 0; y < img.height(); y += step) {
    int first = -1, last = -1, count = 0;
    for (int x = 0; x < img.width(); x += step) {
      if (img.border(x, y)) continue;
      if (first < 0) first = x;
      last = x;
      ++count;
    }
    // A few samples, so that a stray bright pixel above the picture is not taken for it.
    if (count >= 3) return PictureTop{y, first, last};
  }
  return std::nullopt;
}

struct Span {
  int first = 0;  // pixels, inclusive
  int last = 0;
};

// The picture's left and right edges: walk outwards from a point inside the picture on a
// few rows just below its top. Most rows cross the colour bars and give the true edges;
// tag rows stop early at black blocks, and a row under a GUI panel may run wider, so the
// span most rows agree on wins (the wider on a tie). Rows of the bottom 35% (where such a
// panel may lie) are used only when the picture starts there, since its tag would be
// hidden otherwise anyway.
std::optional<Span> find_picture_span(const ImageView& img, const PictureTop& top) {
  const int x_seed = (top.x_first + top.x_last) / 2;
  const int approx_width = top.x_last - top.x_first + 1;
  int y_end = std::min(img.height() - 1, top.row + approx_width / 4);
  const int overlay_top = int(img.height() * 0.64) - 1;
  if (top.row < overlay_top) y_end = std::min(y_end, overlay_top);
  constexpr int kRows = 12;
  std::array<Span, kRows + 1> spans;
  int count = 0;
  for (int i = 0; i <= kRows; ++i) {
    const int y = top.row + (y_end - top.row) * i / kRows;
    if (img.border(x_seed, y)) continue;
    Span s{x_seed, x_seed};
    while (s.first > 0 && !img.border(s.first - 1, y)) --s.first;
    while (s.last + 1 < img.width() && !img.border(s.last + 1, y)) ++s.last;
    spans[size_t(count++)] = s;
  }
  std::optional<Span> best;
  int best_votes = 0;
  for (int i = 0; i < count; ++i) {
    const Span& s = spans[size_t(i)];
    int votes = 0;
    for (int j = 0; j < count; ++j) {
      const Span& o = spans[size_t(j)];
      votes += std::abs(o.first - s.first) <= 2 && std::abs(o.last - s.last) <= 2 ? 1 : 0;
    }
    if (votes > best_votes ||
        (votes == best_votes && s.last - s.first > best->last - best->first)) {
      best = s;
      best_votes = votes;
    }
  }
  return best;
}

struct Band {
  double top = 0;     // first row of the blocks
  double bottom = 0;  // one past the last row
};

// Walks down column x from above the picture: border, white quiet rows, the black marker
// block, white quiet rows. Returns the block's rows.
std::optional<Band> find_band_in_column(const ImageView& img, int x, int y_from, int y_to) {
  int y = y_from;
  while (y < y_to && img.luma(x, y) < kLightLuma) ++y;
  while (y < y_to && img.luma(x, y) >= kLightLuma) ++y;
  const int top = y;
  while (y < y_to && img.luma(x, y) < kLightLuma) ++y;
  if (y >= y_to || y == top) return std::nullopt;
  return Band{double(top), double(y)};
}

std::optional<Band> find_band(const ImageView& img, const PictureTop& top, int step, double left,
                              double unit) {
  // The strip is at most this tall (pixels). top.row lies in the strip or just below it
  // (a grid row through the blocks may see too little white to count), and the grid rows
  // above it are border.
  const double strip = kStripHeightPerWidth * kUnits * unit;
  const int y_from = std::max(0, top.row - step - int(strip));
  const int y_to = std::min(img.height(), top.row + int(strip) + 2);
  const auto column = [&](int u) { return int(left + (u + 0.5) * unit); };
  const auto a = find_band_in_column(img, column(kStartMarkerUnit), y_from, y_to);
  const auto b = find_band_in_column(img, column(kStopMarkerUnit), y_from, y_to);
  if (!a || !b) return std::nullopt;
  const double height = a->bottom - a->top;
  const double tolerance = std::max(1.5, 0.3 * height);
  if (std::abs(a->top - b->top) > tolerance || std::abs(a->bottom - b->bottom) > tolerance)
    return std::nullopt;
  const Band band{(a->top + b->top) / 2, (a->bottom + b->bottom) / 2};
  if (band.bottom - band.top > 1.2 * (kBandBottom - kBandTop) * strip + 2) return std::nullopt;
  return band;
}

// Mean luma near the centre of each unit: 3 x 3 samples spread over the middle 40%.
std::array<double, kUnits> sample_units(const ImageView& img, const Band& band, double left,
                                        double unit) {
  constexpr double kSpots[] = {0.3, 0.5, 0.7};
  std::array<double, kUnits> values{};
  for (int u = 0; u < kUnits; ++u) {
    int sum = 0;
    for (double fy : kSpots) {
      const int y = int(band.top + fy * (band.bottom - band.top));
      for (double fx : kSpots) sum += img.luma(int(left + (u + fx) * unit), y);
    }
    values[size_t(u)] = sum / 9.0;
  }
  return values;
}

// Turns unit levels into the tag word; nullopt unless every unit is clearly black or white
// relative to the tag's own black and white, and the markers and quiet zones are right.
std::optional<uint64_t> decode_units(const std::array<double, kUnits>& values) {
  double black = 0, white = 0;
  int blacks = 0, whites = 0;
  for (int u = 0; u < kUnits; ++u) {
    const int expected = kUnitPattern[size_t(u)];
    if (expected == 0) black += values[size_t(u)], ++blacks;
    if (expected == 1) white += values[size_t(u)], ++whites;
  }
  black /= blacks;
  white /= whites;
  // Decoded limited range puts black near 0 and white near 255; require a clear contrast.
  if (white - black < 96) return std::nullopt;
  const double mid = (white + black) / 2;
  const double dead_zone = 0.2 * (white - black);
  uint64_t word = 0;
  for (int u = 0; u < kUnits; ++u) {
    const double v = values[size_t(u)];
    if (std::abs(v - mid) < dead_zone) return std::nullopt;
    const int level = v > mid ? 1 : 0;
    const int expected = kUnitPattern[size_t(u)];
    if (expected >= 0 && level != expected) return std::nullopt;
    if (expected < 0) word = (word << 1) | uint64_t(level);
  }
  return word;
}

}  // namespace

std::optional<int64_t> read_frame_index(const uint8_t* rgba, int width, int height,
                                        int stride_bytes) {
  if (!rgba || width < kUnits || height < 8 || stride_bytes < width * 4) return std::nullopt;
  const ImageView img(rgba, width, height, stride_bytes);
  // Coarse grid step (pixels): at least a few samples across the smallest picture that
  // can still be read (blocks of 2 px, i.e. 92 px wide), few enough to stay fast at 4K.
  const int step = std::clamp(std::min(width, height) / 48, 2, 12);
  const auto top = find_picture_top(img, step);
  if (!top) return std::nullopt;
  const auto span = find_picture_span(img, *top);
  if (!span) return std::nullopt;
  const double left = span->first;
  const double unit = (span->last - span->first + 1) / double(kUnits);
  if (unit < 2.0) return std::nullopt;
  const auto band = find_band(img, *top, step, left, unit);
  if (!band) return std::nullopt;
  const auto word = decode_units(sample_units(img, *band, left, unit));
  if (!word) return std::nullopt;
  const auto index = uint32_t(*word >> kCheckBits);
  if (tag_word(index) != *word) return std::nullopt;
  return int64_t(index);
}

// ---------------------------------------------------------------------------------------
// Audio marks
// ---------------------------------------------------------------------------------------

int64_t mark_sample(const MarkSpec& spec, int64_t index) {
  assert(spec.fps > 0 && spec.sample_rate > 0);
  return std::llround(double(index) * spec.sample_rate / spec.fps);
}

void synth_marks(const MarkSpec& spec, int64_t first_sample, float* out, size_t frames) {
  assert(spec.every_frames > 0);
  std::fill(out, out + frames, 0.0f);
  const int64_t burst = std::llround(spec.duration_s * spec.sample_rate);  // samples
  const int64_t end = first_sample + int64_t(frames);
  // Start one mark early: a burst that began before `first_sample` may still be sounding.
  const double frame_of_start = double(first_sample - burst) * spec.fps / spec.sample_rate;
  int64_t k = int64_t(std::floor(frame_of_start / spec.every_frames)) - 1;
  k = std::max<int64_t>(0, k) * spec.every_frames;
  const double radians_per_sample = 2 * std::numbers::pi * spec.tone_hz / spec.sample_rate;
  for (;; k += spec.every_frames) {
    const int64_t mark = mark_sample(spec, k);
    if (mark >= end) break;
    // Phase 0 at the mark: the rectified tone rises from zero on the mark sample itself.
    for (int64_t p = std::max(mark, first_sample); p < std::min(mark + burst, end); ++p)
      out[p - first_sample] =
          spec.amplitude * float(std::sin(radians_per_sample * double(p - mark)));
  }
}

std::vector<double> find_mark_onsets(const float* mono, size_t frames, int sample_rate,
                                     double min_gap_s, float threshold) {
  std::vector<double> onsets;
  const auto gap = size_t(min_gap_s * sample_rate);
  // Pre-echo (AAC spreads quantisation noise over up to one 1024-sample frame before a
  // transient) may cross the threshold early: the burst itself is found as the first
  // sample reaching a quarter of the peak within this window after the first crossing.
  const auto window = size_t(0.025 * sample_rate);
  // A real burst keeps its level: reject crossings with fewer loud samples than 0.5 ms.
  const auto min_loud = size_t(0.0005 * sample_rate);
  size_t quiet = gap;  // the signal's start counts as silence
  for (size_t i = 0; i < frames; ++i) {
    if (std::abs(mono[i]) < threshold) {
      ++quiet;
      continue;
    }
    if (quiet < gap) {
      quiet = 0;
      continue;
    }
    const size_t end = std::min(frames, i + window);
    float peak = 0;
    for (size_t j = i; j < end; ++j) peak = std::max(peak, std::abs(mono[j]));
    const float level = std::max(threshold, 0.25f * peak);
    size_t loud = 0;
    for (size_t j = i; j < end; ++j) loud += std::abs(mono[j]) >= level ? 1 : 0;
    if (loud < min_loud) {
      ++quiet;  // a click in the silence, not a burst
      continue;
    }
    size_t j = i;
    while (std::abs(mono[j]) < level) ++j;
    // Extrapolate the rising edge back to zero: exact for a tone starting at phase 0, and
    // at most one sample early for a step.
    double onset = double(j);
    if (j > 0) {
      const double a0 = std::abs(mono[j - 1]), a1 = std::abs(mono[j]);
      if (a1 > a0) onset -= std::min(1.0, a1 / (a1 - a0));
    }
    onsets.push_back(onset);
    quiet = 0;
  }
  return onsets;
}

}  // namespace lockstep::framecode
