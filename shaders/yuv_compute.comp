#version 450
// YUV 4:2:0 → display-referred RGB for a picture drawn at its own size (1:1): a compute shader
// that writes the target image directly (engine/render/vk_compute.cpp).
//
// Why not yuv.frag: on lavapipe (a CPU rasterizer) what a frame costs is the number of texture
// fetches and memory operations per pixel, each a loop over the SIMD lanes. yuv.frag takes two
// bilinear samples per pixel. Here one invocation converts a block of 8x4 pixels from a few
// 32-bit words read straight from the staging buffer (no copy into textures), shared by the
// block, and filters chroma with the fixed weights that 1:1 drawing implies. Same result as
// yuv.frag at 1:1: chroma sited between luma samples (swscale's default), bilinear, clamped at
// the edges; samples normalised like UNORM texels.
//
// Staging layout (written by engine/render/vk_upload.cpp, word = 32 bits, little-endian):
// - luma: rows of luma_stride words, samples packed from byte 0, the row end padded with
//   copies of its last sample;
// - chroma (Cb and Cr planes, or one interleaved CbCr plane): rows of chroma_stride words, one
//   lead word holding copies of the row's first texel, then the texels, then copies of the
//   last texel. So the windows of words below never need clamping at the left or right edge.
// Rows past the bottom edge are clamped here; pixels past the right edge (width not a multiple
// of 8) get the value of the last column and are written onto the last column again.
layout(local_size_x = 8, local_size_y = 1) in;

layout(constant_id = 0) const uint kSampleBytes = 1;       // 1: 8-bit samples; 2: 16-bit words
layout(constant_id = 1) const bool kInterleaved = false;   // one CbCr plane (NV12, P010)
// True for the dispatch that covers the last, partial group of blocks in a row: invocations
// past the picture's blocks do nothing. Only that dispatch pays for the check (on lavapipe a
// branch around the whole body costs ~20%).
layout(constant_id = 2) const bool kBoundsChecked = false;
// rgb = M * (Y, Cb, Cr) + offset (engine/render/yuv_conversion.cpp). Specialised, not pushed:
// lavapipe runs the per-pixel maths noticeably slower with pushed constants.
layout(constant_id = 3) const float m00 = 1.0;
layout(constant_id = 4) const float m01 = 0.0;
layout(constant_id = 5) const float m02 = 0.0;
layout(constant_id = 6) const float m10 = 1.0;
layout(constant_id = 7) const float m11 = 0.0;
layout(constant_id = 8) const float m12 = 0.0;
layout(constant_id = 9) const float m20 = 1.0;
layout(constant_id = 10) const float m21 = 0.0;
layout(constant_id = 11) const float m22 = 0.0;
layout(constant_id = 12) const float o0 = 0.0;
layout(constant_id = 13) const float o1 = 0.0;
layout(constant_id = 14) const float o2 = 0.0;

layout(set = 0, binding = 0, std430) readonly buffer Staging { uint words[]; } staging;
layout(set = 0, binding = 1) writeonly uniform image2D target;  // format of the view

layout(push_constant) uniform Layout {
  ivec2 origin;          // target pixel of the picture's top-left pixel
  ivec2 size;            // picture size in pixels, both even
  uint luma_offset;      // words into the bound range of the staging buffer
  uint luma_stride;      // words per luma row
  uint cb_offset;        // words; the interleaved plane when kInterleaved
  uint cr_offset;        // words; unused when kInterleaved
  uint chroma_stride;    // words per chroma row
  int first_block;       // block column of invocation x = 0
  int blocks;            // block columns in a row: ceil(width / 8)
} pc;

// Bytes per chroma column in its plane.
const uint kTexelBytes = kInterleaved ? 2u * kSampleBytes : kSampleBytes;
// Chroma columns 4a-1 .. 4a+4 (a block's own 4 and one neighbour each side) of a row start at
// byte 4 - T of the window that starts at word T * a of the row (T = kTexelBytes).
const uint kWindowWords = (4u * kTexelBytes + 4u + kSampleBytes * (kInterleaved ? 2u : 1u) + 3u) / 4u;
const float kNormalise = kSampleBytes == 1u ? 1.0 / 255.0 : 1.0 / 65535.0;

float sample_at(uint window[6], uint byte_offset) {
  const uint v = window[byte_offset / 4u] >> (8u * (byte_offset % 4u));
  return float(kSampleBytes == 1u ? (v & 0xFFu) : (v & 0xFFFFu));
}

void load_words(uint first, uint count, out uint window[6]) {
  for (uint i = 0u; i < 6u; ++i) window[i] = i < count ? staging.words[first + i] : 0u;
}

vec4 to_rgb(float y, float cb, float cr) {
  const vec3 rgb = vec3(m00 * y + m01 * cb + m02 * cr + o0, m10 * y + m11 * cb + m12 * cr + o1,
                        m20 * y + m21 * cb + m22 * cr + o2);
  return vec4(clamp(rgb, 0.0, 1.0), 1.0);
}

void main() {
  const int a = pc.first_block + int(gl_GlobalInvocationID.x);  // pixels 8a .. 8a+7
  const int b = int(gl_GlobalInvocationID.y);                   // rows 4b .. 4b+3
  if (kBoundsChecked && a >= pc.blocks) return;
  const int last_chroma_row = pc.size.y / 2 - 1;

  // Chroma rows 2b-1 .. 2b+2, columns 4a-1 .. 4a+4, as code values.
  float cb[4][6], cr[4][6];
  for (int i = 0; i < 4; ++i) {
    const uint row = uint(clamp(2 * b - 1 + i, 0, last_chroma_row)) * pc.chroma_stride;
    const uint first = row + kTexelBytes * uint(a);
    uint window[6];
    load_words(pc.cb_offset + first, kWindowWords, window);
    for (uint c = 0u; c < 6u; ++c) cb[i][c] = sample_at(window, 4u - kTexelBytes + kTexelBytes * c);
    if (kInterleaved) {
      for (uint c = 0u; c < 6u; ++c)
        cr[i][c] = sample_at(window, 4u - kTexelBytes + kTexelBytes * c + kSampleBytes);
    } else {
      load_words(pc.cr_offset + first, kWindowWords, window);
      for (uint c = 0u; c < 6u; ++c) cr[i][c] = sample_at(window, 4u - kTexelBytes + kTexelBytes * c);
    }
  }

  for (int r = 0; r < 4; ++r) {
    const int y = min(4 * b + r, pc.size.y - 1);
    uint luma[6];
    load_words(pc.luma_offset + uint(y) * pc.luma_stride + 2u * kSampleBytes * uint(a),
               2u * kSampleBytes, luma);
    // Output row 2j takes 3/4 of chroma row j and 1/4 of row j-1; row 2j+1 1/4 of row j+1.
    const int near = 1 + (r >> 1), far = (r & 1) == 1 ? near + 1 : near - 1;
    float u[6], v[6];
    for (int c = 0; c < 6; ++c) {
      u[c] = 0.75 * cb[near][c] + 0.25 * cb[far][c];
      v[c] = 0.75 * cr[near][c] + 0.25 * cr[far][c];
    }
    for (int k = 0; k < 8; ++k) {
      // Columns likewise: pixel 2i takes 1/4 of chroma column i-1, pixel 2i+1 of column i+1.
      const int cn = 1 + (k >> 1), cf = (k & 1) == 1 ? cn + 1 : cn - 1;
      const float cb_k = 0.75 * u[cn] + 0.25 * u[cf];
      const float cr_k = 0.75 * v[cn] + 0.25 * v[cf];
      const int x = min(8 * a + k, pc.size.x - 1);
      imageStore(target, pc.origin + ivec2(x, y),
                 to_rgb(sample_at(luma, kSampleBytes * uint(k)) * kNormalise, cb_k * kNormalise,
                        cr_k * kNormalise));
    }
  }
}
