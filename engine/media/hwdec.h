// Hardware decode selection (--hwdec auto|none|vaapi|cuda|vulkan). Whatever is asked for,
// playback never fails because hardware decode is missing: the decoder falls back to
// software with one log line that says why.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "media/av_ptr.h"

namespace lockstep {

enum class HwDecode { Auto, None, Vaapi, Cuda, Vulkan };

/// Parses "auto", "none", "vaapi", "cuda", "vulkan".
Result<HwDecode> parse_hwdec(const std::string& text);
const char* to_string(HwDecode mode);

struct HwDecoderSetup {
  AVBufferRefPtr device;           // the hardware device context
  AVPixelFormat hw_format = AV_PIX_FMT_NONE;  // what the decoder outputs in hardware
  std::string name;                // "cuda"
};

/// Tries to set up hardware decode of `codec` for `mode`. On success returns the device and
/// format; otherwise a message saying what was tried and why it failed (for the one log line).
Result<HwDecoderSetup> setup_hw_decoder(const AVCodec* codec, HwDecode mode);

}  // namespace lockstep
