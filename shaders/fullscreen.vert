#version 450
// One triangle that covers the whole viewport (the letterboxed picture rectangle): no vertex
// buffer, positions from gl_VertexIndex. uv (0,0) is the picture's top-left texel corner.
// The push constant turns and mirrors the picture for display (a file's display matrix):
// uv = 0.5 + M (p - 0.5) with M = (m.x m.y; m.z m.w), entries -1, 0 or 1
// (engine/render/yuv_conversion.h, uv_transform).
layout(push_constant) uniform Turn {
  vec4 m;
} turn;
layout(location = 0) out vec2 uv;

void main() {
  vec2 p = vec2(float((gl_VertexIndex << 1) & 2), float(gl_VertexIndex & 2));  // (0,0) (2,0) (0,2)
  const vec2 q = p - 0.5;
  uv = 0.5 + vec2(turn.m.x * q.x + turn.m.y * q.y, turn.m.z * q.x + turn.m.w * q.y);
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
