#version 450
// One triangle that covers the whole viewport (the letterboxed picture rectangle): no vertex
// buffer, positions from gl_VertexIndex. uv (0,0) is the picture's top-left texel corner.
layout(location = 0) out vec2 uv;

void main() {
  vec2 p = vec2(float((gl_VertexIndex << 1) & 2), float(gl_VertexIndex & 2));  // (0,0) (2,0) (0,2)
  uv = p;
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
