// An SVG plot of frame-switch skew over time, one line per node pair. Written by hand (no
// plotting library): a title, labelled axes with ticks, a grid and a legend. Thread-safe.
#pragma once

#include <string>

#include "skew/skew_analysis.h"

namespace lockstep::skew {

/// The plot as a standalone SVG document (starts with "<svg"); one <path> per pair.
std::string render_svg(const SkewReport& report);

}  // namespace lockstep::skew
