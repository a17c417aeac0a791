#include "media/deinterlacer.h"

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/pixdesc.h>
}

#include "core/log.h"

namespace lockstep {

Result<Deinterlace> parse_deinterlace(const std::string& text) {
  if (text == "auto") return Deinterlace::Auto;
  if (text == "yes") return Deinterlace::Yes;
  if (text == "no") return Deinterlace::No;
  return make_error("unknown --deinterlace value '" + text + "': use auto, yes or no");
}

Status Deinterlacer::build(const AVFrame& first) {
  graph_.reset(avfilter_graph_alloc());
  if (!graph_) return make_error("cannot allocate a filter graph");
  graph_->nb_threads = 1;  // the decoder's threads already take the cores
  const auto fmt = static_cast<AVPixelFormat>(first.format);
  const AVRational sar = first.sample_aspect_ratio.num > 0 ? first.sample_aspect_ratio : AVRational{1, 1};
  const std::string args = "video_size=" + std::to_string(first.width) + "x" + std::to_string(first.height) +
                           ":pix_fmt=" + std::to_string(first.format) + ":time_base=" +
                           std::to_string(time_base_.num) + "/" + std::to_string(time_base_.den) +
                           ":pixel_aspect=" + std::to_string(sar.num) + "/" + std::to_string(sar.den);
  int err = avfilter_graph_create_filter(&source_, avfilter_get_by_name("buffer"), "in", args.c_str(),
                                         nullptr, graph_.get());
  if (err >= 0)
    err = avfilter_graph_create_filter(&sink_, avfilter_get_by_name("buffersink"), "out", nullptr, nullptr,
                                       graph_.get());
  if (err < 0) return make_error("cannot set up deinterlacing (" + av_error_text(err) + ")");
  // bwdif takes planar YUV only: semi-planar pictures (hardware decoders') are made planar.
  std::string chain;
  if (fmt == AV_PIX_FMT_NV12) chain = "format=yuv420p,";
  if (fmt == AV_PIX_FMT_P010LE) chain = "format=yuv420p10le,";
  chain += std::string("bwdif=mode=send_frame:parity=auto:deint=") + (mode_ == Deinterlace::Yes ? "all" : "interlaced");
  AVFilterInOut* outputs = avfilter_inout_alloc();
  AVFilterInOut* inputs = avfilter_inout_alloc();
  outputs->name = av_strdup("in");
  outputs->filter_ctx = source_;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = sink_;
  err = avfilter_graph_parse_ptr(graph_.get(), chain.c_str(), &inputs, &outputs, nullptr);
  avfilter_inout_free(&inputs);
  avfilter_inout_free(&outputs);
  if (err >= 0) err = avfilter_graph_config(graph_.get(), nullptr);
  if (err < 0) {
    graph_.reset();
    const char* name = av_get_pix_fmt_name(fmt);
    return make_error(std::string("cannot deinterlace ") + (name ? name : "this format") + " pictures (" +
                      av_error_text(err) + ")");
  }
  format_ = first.format;
  width_ = first.width;
  height_ = first.height;
  return {};
}

void Deinterlacer::pull(std::vector<AVFramePtr>& out) {
  for (;;) {
    AVFramePtr f = make_frame();
    if (av_buffersink_get_frame(sink_, f.get()) < 0) return;
    // bwdif counts in fields (half the input's time base) even when it sends frames.
    if (f->pts != AV_NOPTS_VALUE)
      f->pts = av_rescale_q(f->pts, av_buffersink_get_time_base(sink_), time_base_);
    out.push_back(std::move(f));
  }
}

Status Deinterlacer::push(AVFramePtr frame, std::vector<AVFramePtr>& out) {
  if (mode_ == Deinterlace::No || (!graph_ && mode_ == Deinterlace::Auto && !frame->interlaced_frame)) {
    out.push_back(std::move(frame));
    return {};
  }
  if (graph_ && (frame->format != format_ || frame->width != width_ || frame->height != height_)) drain(out);
  if (!graph_) {
    if (auto s = build(*frame); !s) {
      mode_ = Deinterlace::No;  // once: the pictures play as they are
      out.push_back(std::move(frame));
      return s;
    }
    if (!used_) LS_INFO("deinterlacing with bwdif ({} frames)", mode_ == Deinterlace::Yes ? "all" : "interlaced");
    used_ = true;
  }
  const int err = av_buffersrc_add_frame_flags(source_, frame.get(), AV_BUFFERSRC_FLAG_KEEP_REF);
  if (err < 0) return make_error("deinterlacing a frame failed (" + av_error_text(err) + ")");
  pull(out);
  return {};
}

void Deinterlacer::drain(std::vector<AVFramePtr>& out) {
  if (!graph_) return;
  if (av_buffersrc_add_frame(source_, nullptr) >= 0) pull(out);
  graph_.reset();
}

}  // namespace lockstep
