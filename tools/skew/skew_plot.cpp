#include "skew/skew_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace lockstep::skew {
namespace {

constexpr double kWidth = 960, kHeight = 480;
constexpr double kLeft = 80, kRight = 230, kTop = 44, kBottom = 60;  // margins, px
constexpr size_t kMaxDots = 300;
constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                    "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

std::string escape_xml(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// A step of 1, 2 or 5 times a power of ten giving about `count` intervals over `span`.
double nice_step(double span, int count) {
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0})
    if (raw <= m * power) return m * power;
  return 10.0 * power;
}

struct Axis {
  double lo = 0, hi = 1, step = 1;
};

/// Range rounded out to whole ticks; always contains `lo`..`hi` and a non-zero span.
Axis make_axis(double lo, double hi, int ticks) {
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  Axis a;
  a.step = nice_step(hi - lo, ticks);
  a.lo = std::floor(lo / a.step) * a.step;
  a.hi = std::ceil(hi / a.step) * a.step;
  return a;
}

std::string short_name(const std::string& path) {
  // The legend has room for about 14 characters per name.
  std::string name = std::filesystem::path(path).filename().string();
  if (name.empty()) name = path;
  if (name.size() > 14) name = name.substr(0, 13) + "~";
  return name;
}

std::string format_tick(double v, double step) {
  const int decimals = step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
  return fmt::format("{:.{}f}", std::fabs(v) < step * 1e-6 ? 0.0 : v, decimals);
}

}  // namespace

std::string render_svg(const SkewReport& report) {
  double t_max = double(report.window_end_ns - report.window_start_ns) / 1e9;
  double y_lo = 0.0, y_hi = 0.0;
  for (const PairSkew& p : report.pairs)
    for (const SkewPoint& s : p.series) {
      t_max = std::max(t_max, s.t_s);
      y_lo = std::min(y_lo, s.skew_ms);
      y_hi = std::max(y_hi, s.skew_ms);
    }
  const Axis xa = make_axis(0.0, t_max, 8);
  const Axis ya = make_axis(y_lo, y_hi, 6);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const auto x_px = [&](double t) { return kLeft + (t - xa.lo) / (xa.hi - xa.lo) * plot_w; };
  const auto y_px = [&](double ms) { return kTop + (ya.hi - ms) / (ya.hi - ya.lo) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"13\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"26\" font-size=\"16\" font-weight=\"bold\">Frame-switch skew per "
      "node pair (second node minus first)</text>\n",
      kWidth, kHeight, kLeft);

  // Grid and tick labels.
  for (double v = xa.lo; v <= xa.hi + xa.step * 1e-6; v += xa.step) {
    const double x = x_px(v);
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e0e0e0\"/>\n"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
        x, kTop, kTop + plot_h, kTop + plot_h + 18, format_tick(v, xa.step));
  }
  for (double v = ya.lo; v <= ya.hi + ya.step * 1e-6; v += ya.step) {
    const double y = y_px(v);
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\"/>\n"
        "<text x=\"{4:.1f}\" y=\"{5:.1f}\" text-anchor=\"end\">{6}</text>\n",
        kLeft, y, kLeft + plot_w, std::fabs(v) < ya.step * 1e-6 ? "#808080" : "#e0e0e0", kLeft - 8,
        y + 4, format_tick(v, ya.step));
  }
  svg += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"black\"/>\n"
      "<text x=\"{4:.1f}\" y=\"{5:.1f}\" text-anchor=\"middle\">time since all nodes are "
      "logging (s)</text>\n"
      "<text x=\"20\" y=\"{6:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {6:.1f})\">"
      "skew (ms)</text>\n",
      kLeft, kTop, plot_w, plot_h, kLeft + plot_w / 2, kHeight - 16, kTop + plot_h / 2);

  // One path per pair, and its legend entry.
  for (size_t i = 0; i < report.pairs.size(); ++i) {
    const PairSkew& p = report.pairs[i];
    const char* colour = kColours[i % std::size(kColours)];
    std::string d;
    for (const SkewPoint& s : p.series)
      d += fmt::format("{}{:.1f},{:.1f}", d.empty() ? "M" : " L", x_px(s.t_s), y_px(s.skew_ms));
    svg += fmt::format(
        "<path class=\"pair\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"/>\n", d,
        colour);
    // Sparse series also get a dot per switch (a lone point draws no line).
    if (p.series.size() <= kMaxDots)
      for (const SkewPoint& s : p.series)
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2\" fill=\"{}\"/>\n",
                           x_px(s.t_s), y_px(s.skew_ms), colour);
    const double ly = kTop + 14 + 36 * double(i);
    const double lx = kLeft + plot_w + 16;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"3\"/>\n"
        "<text x=\"{4:.1f}\" y=\"{5:.1f}\">{6} vs {7}</text>\n"
        "<text x=\"{4:.1f}\" y=\"{8:.1f}\" font-size=\"11\" fill=\"#555\">p50 {9:.3f} ms, "
        "max {10:.3f} ms</text>\n",
        lx, ly, lx + 22, colour, lx + 28, ly + 4, escape_xml(short_name(report.nodes[p.a])),
        escape_xml(short_name(report.nodes[p.b])), ly + 19, p.abs.p50_ms, p.abs.max_ms);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace lockstep::skew
