#version 450
// YUV → display-referred RGB. Planes are separate textures (lavapipe has no
// samplerYcbcrConversion): Y in binding 0; Cb, Cr in bindings 1 and 2, or one interleaved
// CbCr texture in binding 1 (NV12, P010). Chroma is upsampled by the bilinear sampler, with
// chroma samples centred between luma samples (swscale's default siting).
layout(set = 0, binding = 0) uniform sampler2D plane_y;
layout(set = 0, binding = 1) uniform sampler2D plane_u;  // or interleaved UV
layout(set = 0, binding = 2) uniform sampler2D plane_v;

// rgb = mat3(col0, col1, col2) * vec3(Y, Cb, Cr) + offset, with the samples as the texture
// format normalises them; computed on the CPU (render/yuv_conversion.cpp).
layout(push_constant) uniform Conversion {
  vec4 col0;
  vec4 col1;
  vec4 col2;
  vec4 offset;
  vec4 options;  // x: 1 when binding 1 holds interleaved CbCr
} conv;

layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;

void main() {
  float y = texture(plane_y, uv).r;
  vec2 cbcr = conv.options.x > 0.5 ? texture(plane_u, uv).rg
                                   : vec2(texture(plane_u, uv).r, texture(plane_v, uv).r);
  vec3 rgb = mat3(conv.col0.xyz, conv.col1.xyz, conv.col2.xyz) * vec3(y, cbcr) + conv.offset.xyz;
  color = vec4(clamp(rgb, 0.0, 1.0), 1.0);
}
