#include <gtest/gtest.h>
#include <cstdio>
#include "core/time.h"
#include "render_fixture.h"
#include "test_pictures.h"
namespace lockstep::test {
TEST(Bench, Parts) {
  const auto card = make_test_card(1920, 1080);
  auto frame = make_yuv_frame(card, 1920, 1080, AV_PIX_FMT_YUV420P, ColorMatrix::BT709, ColorRange::Limited);
  auto view = picture_view(*frame);
  RendererParams p; p.width = 1920; p.height = 1080;
  auto r = std::move(Renderer::create(p)).value();
  for (int mode = 0; mode < 3; ++mode) {
    DrawRequest req; req.picture = mode == 0 ? nullptr : &view; req.read_back = mode == 2;
    for (int i = 0; i < 3; ++i) (void)r->draw(req);
    r->wait_idle();
    int64_t t0 = monotonic_ns(); int n = 30;
    for (int i = 0; i < n; ++i) (void)r->draw(req);
    r->wait_idle();
    std::printf("mode %d: %.1f fps\n", mode, n * 1e9 / (monotonic_ns() - t0));
  }
}
}
