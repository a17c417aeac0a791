// Small image helpers for tests: PSNR and reading screenshots (binary PPM from ImageMagick).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lockstep::test {

/// PSNR in dB over the R, G and B channels of two RGBA8 images of the same size
/// (alpha ignored). Identical images give +infinity.
double psnr_rgb(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b);

struct RgbaImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgba;
};

/// Reads a binary PPM (P6, maxval 255) into RGBA8. Empty image on failure.
RgbaImage read_ppm(const std::string& path);

}  // namespace lockstep::test
