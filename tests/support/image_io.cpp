#include "support/image_io.h"

#include <cmath>
#include <fstream>
#include <limits>

namespace lockstep::test {

double psnr_rgb(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size() || a.empty()) return 0.0;
  double sum = 0.0;
  size_t count = 0;
  for (size_t i = 0; i < a.size(); i += 4) {
    for (size_t c = 0; c < 3; ++c) {
      const double d = double(a[i + c]) - double(b[i + c]);
      sum += d * d;
      ++count;
    }
  }
  if (sum == 0.0) return std::numeric_limits<double>::infinity();
  const double mse = sum / double(count);
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

RgbaImage read_ppm(const std::string& path) {
  RgbaImage img;
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int w = 0, h = 0, maxval = 0;
  in >> magic >> w >> h >> maxval;
  if (!in || magic != "P6" || maxval != 255 || w <= 0 || h <= 0) return img;
  in.get();  // single whitespace after maxval
  std::vector<uint8_t> rgb(size_t(w) * h * 3);
  in.read(reinterpret_cast<char*>(rgb.data()), std::streamsize(rgb.size()));
  if (!in) return img;
  img.width = w;
  img.height = h;
  img.rgba.resize(size_t(w) * h * 4);
  for (size_t i = 0, j = 0; i < rgb.size(); i += 3, j += 4) {
    img.rgba[j] = rgb[i];
    img.rgba[j + 1] = rgb[i + 1];
    img.rgba[j + 2] = rgb[i + 2];
    img.rgba[j + 3] = 255;
  }
  return img;
}

}  // namespace lockstep::test
