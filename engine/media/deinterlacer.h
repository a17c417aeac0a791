// Private to media/ except the option: deinterlacing with libavfilter's bwdif (field-aware:
// each missing line is interpolated from its own field and, where the picture is still, the
// neighbouring frames). One frame out per frame in, at the same timestamp ("send_frame"), so
// frame indices stay those of the file; bwdif holds one frame back (it looks at the next).
// Thread ownership: a Deinterlacer belongs to the video decode thread.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "media/av_ptr.h"

namespace lockstep {

/// --deinterlace: auto (frames flagged interlaced), yes (every frame), no.
enum class Deinterlace { Auto, Yes, No };
Result<Deinterlace> parse_deinterlace(const std::string& text);

class Deinterlacer {
 public:
  /// `time_base`: the frames' timestamps' (the stream's).
  Deinterlacer(Deinterlace mode, AVRational time_base) : mode_(mode), time_base_(time_base) {}

  /// Takes a decoded frame (pts set); appends what comes out, in order (none yet, while bwdif
  /// waits for the next frame). With Auto, progressive frames pass untouched until the first
  /// frame flagged interlaced; from then on every frame goes through the filter, so that
  /// none overtakes the one it holds.
  Status push(AVFramePtr frame, std::vector<AVFramePtr>& out);
  /// End of the stream (or of a loop): gives the frame held back, and starts afresh.
  void drain(std::vector<AVFramePtr>& out);
  /// A seek: forgets the frame held back.
  void reset() { graph_.reset(); }
  /// True once a frame has been deinterlaced.
  bool active() const { return used_; }

 private:
  Status build(const AVFrame& first);
  void pull(std::vector<AVFramePtr>& out);

  Deinterlace mode_;
  AVRational time_base_;
  AVFilterGraphPtr graph_;
  AVFilterContext* source_ = nullptr;  // owned by graph_
  AVFilterContext* sink_ = nullptr;
  int format_ = -1, width_ = 0, height_ = 0;  // what graph_ was built for
  bool used_ = false;
};

}  // namespace lockstep
