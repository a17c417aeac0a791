// Private: the layout of the index tag, shared by the painter and the reader.
//
// The tag is one row of kUnits equal-width blocks across the whole picture width:
//   unit 0        white quiet zone (rims the picture's left edge)
//   units 1-2     start marker: black white
//   units 3-42    40 data bits, most significant first: the 24-bit index, then a CRC-16
//                 of it; white = 1
//   units 43-44   stop marker: white black
//   unit 45       white quiet zone (rims the right edge)
// Vertically the blocks sit in a white strip at the very top of the picture: quiet rows,
// the blocks, quiet rows. The quiet zones let the reader find the picture's edges and the
// block rows even though the black blocks are as black as a letterbox border.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace lockstep::framecode {

constexpr int kUnits = 46;
constexpr int kFirstDataUnit = 3;
constexpr int kIndexBits = 24;
// A 16-bit check: a damaged tag (blocks painted over, parts of two frames) that still
// looks clean passes it only once in 65536, so a wrong index is practically never read.
constexpr int kCheckBits = 16;
constexpr int kDataBits = kIndexBits + kCheckBits;
constexpr int kStartMarkerUnit = 1;  // a black unit the reader walks down to find the rows
constexpr int kStopMarkerUnit = 44;  // another one, near the right edge
static_assert(kFirstDataUnit + kDataBits + 3 == kUnits);

/// Level of each unit: 1 white, 0 black, -1 a data bit.
constexpr std::array<int8_t, kUnits> kUnitPattern = [] {
  std::array<int8_t, kUnits> p{};
  p.fill(-1);
  p[0] = 1;
  p[1] = 0, p[2] = 1;
  p[43] = 1, p[44] = 0;
  p[45] = 1;
  return p;
}();

/// Fraction of the picture width that the white strip is tall (capped at 12% of the
/// height), and the rows of the blocks within the strip.
constexpr double kStripHeightPerWidth = 0.06;
constexpr double kBandTop = 0.30, kBandBottom = 0.75;

/// CRC-16/CCITT (polynomial 0x1021, initial value 0xFFFF) of the index's three bytes.
/// The non-zero initial value keeps an all-black data row (index 0, check 0) invalid.
constexpr uint16_t index_crc(uint32_t index) {
  uint16_t crc = 0xFFFF;
  for (int shift = 16; shift >= 0; shift -= 8) {
    crc = uint16_t(crc ^ (((index >> shift) & 0xFFu) << 8));
    for (int bit = 0; bit < 8; ++bit)
      crc = uint16_t((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

/// The 40 data bits: index in the top 24, check in the low 16.
constexpr uint64_t tag_word(uint32_t index) {
  return (uint64_t(index & 0xFFFFFFu) << kCheckBits) | index_crc(index & 0xFFFFFFu);
}

/// Rows of the tag strip for a picture of the given size (pixels).
struct TagRows {
  int band_top = 0;     // first row of the blocks
  int band_bottom = 0;  // one past their last row
  int height = 0;       // rows of the whole white strip
};

inline TagRows tag_rows(int width, int height) {
  const double strip = std::min(kStripHeightPerWidth * width, 0.12 * height);
  TagRows rows;
  rows.height = std::max(4, int(std::lround(strip)));
  rows.band_top = std::max(1, int(std::lround(kBandTop * rows.height)));
  rows.band_bottom = std::min(rows.height - 1, int(std::lround(kBandBottom * rows.height)));
  return rows;
}

}  // namespace lockstep::framecode
