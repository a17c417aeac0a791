#version 450
// YUV → display-referred RGB. lavapipe has no samplerYcbcrConversion, so the planes are plain
// textures: luma in binding 0 (R), chroma in binding 1 (R = Cb, G = Cr; 3-plane pictures are
// interleaved on upload). Chroma is upsampled by the bilinear sampler, with chroma samples
// centred between luma samples (swscale's default siting).
layout(set = 0, binding = 0) uniform sampler2D luma;
layout(set = 0, binding = 1) uniform sampler2D chroma;

// rgb = mat3(col0, col1, col2) * vec3(Y, Cb, Cr) + offset, with the samples as the texture
// format normalises them; computed on the CPU (engine/render/yuv_conversion.cpp).
layout(push_constant) uniform Conversion {
  vec4 col0;
  vec4 col1;
  vec4 col2;
  vec4 offset;
} conv;

layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;

void main() {
  vec3 ycbcr = vec3(texture(luma, uv).r, texture(chroma, uv).rg);
  vec3 rgb = mat3(conv.col0.xyz, conv.col1.xyz, conv.col2.xyz) * ycbcr + conv.offset.xyz;
  color = vec4(clamp(rgb, 0.0, 1.0), 1.0);
}
