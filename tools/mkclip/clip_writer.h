// lockstep-mkclip's writer: encodes the planned clip, frame k showing
// framecode::draw_test_frame(k) at pts k (time base 1/fps), every audio channel carrying
// the framecode marks.
#pragma once

#include <memory>

#include "core/result.h"
#include "tools/mkclip/clip_plan.h"

namespace lockstep::mkclip {

class ClipWriter {
 public:
  explicit ClipWriter(const ClipPlan& plan);
  ~ClipWriter();
  /// Creates the file and its encoders; errors name the file and what to do.
  Status open();
  /// Encodes every frame and its audio.
  Status write_all();
  /// Finishes the file (`keep`) or removes what was written.
  void close(bool keep);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::mkclip
