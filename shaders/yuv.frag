#version 450
// YUV → display-referred RGB. lavapipe has no samplerYcbcrConversion, so the planes are plain
// textures: luma in binding 0 (R), chroma in binding 1 (R = Cb, G = Cr; 3-plane pictures are
// interleaved on upload). Chroma is upsampled by the bilinear sampler, with chroma samples
// centred between luma samples (swscale's default siting).
layout(set = 0, binding = 0) uniform sampler2D luma;
layout(set = 0, binding = 1) uniform sampler2D chroma;

// rgb = M * vec3(Y, Cb, Cr) + offset, with the samples as the texture format normalises them;
// computed on the CPU (engine/render/yuv_conversion.cpp). Specialisation constants rather than
// push constants: with the values folded in, lavapipe draws a 1080p frame in ~25% less CPU
// time (one pipeline per conversion, engine/render/vk_pipeline.cpp).
layout(constant_id = 0) const float m00 = 1.0;
layout(constant_id = 1) const float m01 = 0.0;
layout(constant_id = 2) const float m02 = 0.0;
layout(constant_id = 3) const float m10 = 1.0;
layout(constant_id = 4) const float m11 = 0.0;
layout(constant_id = 5) const float m12 = 0.0;
layout(constant_id = 6) const float m20 = 1.0;
layout(constant_id = 7) const float m21 = 0.0;
layout(constant_id = 8) const float m22 = 0.0;
layout(constant_id = 9) const float o0 = 0.0;
layout(constant_id = 10) const float o1 = 0.0;
layout(constant_id = 11) const float o2 = 0.0;

layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;

void main() {
  const float y = texture(luma, uv).r;
  const vec2 c = texture(chroma, uv).rg;
  const vec3 rgb = vec3(m00 * y + m01 * c.x + m02 * c.y + o0, m10 * y + m11 * c.x + m12 * c.y + o1,
                        m20 * y + m21 * c.x + m22 * c.y + o2);
  color = vec4(clamp(rgb, 0.0, 1.0), 1.0);
}
