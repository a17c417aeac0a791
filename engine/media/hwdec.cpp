#include "media/hwdec.h"

#include <vector>

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace lockstep {

Result<HwDecode> parse_hwdec(const std::string& t) {
  if (t == "auto") return HwDecode::Auto;
  if (t == "none" || t == "no" || t == "sw") return HwDecode::None;
  if (t == "vaapi") return HwDecode::Vaapi;
  if (t == "cuda" || t == "nvdec") return HwDecode::Cuda;
  if (t == "vulkan") return HwDecode::Vulkan;
  return make_error("unknown --hwdec value '" + t + "'; use auto, none, vaapi, cuda or vulkan");
}

const char* to_string(HwDecode m) {
  switch (m) {
    case HwDecode::Auto: return "auto";
    case HwDecode::None: return "none";
    case HwDecode::Vaapi: return "vaapi";
    case HwDecode::Cuda: return "cuda";
    case HwDecode::Vulkan: return "vulkan";
  }
  return "?";
}

namespace {

AVHWDeviceType device_type(HwDecode m) {
  switch (m) {
    case HwDecode::Vaapi: return AV_HWDEVICE_TYPE_VAAPI;
    case HwDecode::Cuda: return AV_HWDEVICE_TYPE_CUDA;
    case HwDecode::Vulkan: return AV_HWDEVICE_TYPE_VULKAN;
    default: return AV_HWDEVICE_TYPE_NONE;
  }
}

Result<HwDecoderSetup> try_one(const AVCodec* codec, HwDecode mode) {
  const AVHWDeviceType type = device_type(mode);
  AVPixelFormat hw_format = AV_PIX_FMT_NONE;
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* cfg = avcodec_get_hw_config(codec, i);
    if (!cfg) break;
    if ((cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && cfg->device_type == type) {
      hw_format = cfg->pix_fmt;
      break;
    }
  }
  if (hw_format == AV_PIX_FMT_NONE)
    return make_error(std::string(to_string(mode)) + ": this FFmpeg has no " + to_string(mode) +
                      " decoder for " + codec->name);
  AVBufferRef* dev = nullptr;
  const int err = av_hwdevice_ctx_create(&dev, type, nullptr, nullptr, 0);
  if (err < 0)
    return make_error(std::string(to_string(mode)) + ": no device (" + av_error_text(err) + ")");
  HwDecoderSetup setup;
  setup.device.reset(dev);
  setup.hw_format = hw_format;
  setup.name = to_string(mode);
  return setup;
}

}  // namespace

Result<HwDecoderSetup> setup_hw_decoder(const AVCodec* codec, HwDecode mode) {
  if (mode == HwDecode::None) return make_error("hardware decode off (--hwdec none)");
  const std::vector<HwDecode> order =
      mode == HwDecode::Auto ? std::vector{HwDecode::Cuda, HwDecode::Vaapi, HwDecode::Vulkan}
                             : std::vector{mode};
  std::string tried;
  for (HwDecode m : order) {
    auto r = try_one(codec, m);
    if (r) return r;
    tried += (tried.empty() ? "" : "; ") + r.error();
  }
  return make_error(tried);
}

}  // namespace lockstep
