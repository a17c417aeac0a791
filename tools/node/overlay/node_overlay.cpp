#include "tools/node/overlay/node_overlay.h"

#include <imgui.h>

#include "tools/node/overlay/panels.h"

namespace lockstep {

NodeOverlay::NodeOverlay(int default_port)
    : default_port_(default_port),
      panels_(std::make_unique<ui::PanelState>()),
      resolver_(std::make_unique<ui::HostResolver>()) {}

NodeOverlay::~NodeOverlay() = default;

ui::NetworkForm& NodeOverlay::form() { return panels_->form; }
const ui::FormChecks& NodeOverlay::checks() const { return panels_->checks; }

ImDrawData* NodeOverlay::build(Overlay& layer, const ui::UiSnapshot& snapshot,
                               std::vector<NodeCommand>& out, bool transport_only) {
  const Overlay::Frame area = layer.begin_frame();
  ui::PanelState& st = *panels_;
  // The checks before drawing place the marks and enable the button; the ones after take in
  // this frame's typing, so that checks() matches form().
  st.checks = ui::check_form(st.form, default_port_, resolver_.get());
  widgets_.clear();
  // The person is needed: open the panels once for each new reason (they may close them).
  const std::string need = ui::needs_attention(snapshot);
  if (!need.empty() && need != last_need_) panels_open_ = true;
  last_need_ = need;
  if (layer.visible()) {
    const ui::PanelLayout layout = ui::layout_panels(area.width, area.height, area.scale);
    ui::PanelFrame frame{snapshot, out, widgets_, area.scale, default_port_};
    if (transport_only) {
      ui::draw_transport_bar(frame, layout.transport);
    } else if (panels_open_) {
      ui::draw_peers_panel(frame, st, layout.peers);
      ui::draw_network_panel(frame, st, layout.network);
      ui::draw_media_panel(frame, st, layout.media);
      ui::draw_transport_bar(frame, layout.transport, &panels_open_);
    } else {
      ui::draw_slim_bar(frame, layout.slim, &panels_open_);
    }
  }
  st.checks = ui::check_form(st.form, default_port_, resolver_.get());
  return layer.end_frame();
}

ui::TransportView transport_view(const PlayerSnapshot& s) {
  ui::TransportView t;
  t.paused = s.paused;
  t.frame_index = s.frame_index;
  t.frame_count = s.frame_count;
  t.fps = s.fps;
  t.rate = s.rate;
  t.loop = s.loop;
  t.loop_in = s.loop_in;
  t.loop_out = s.loop_out;
  t.dropped = s.dropped;
  t.repeated = s.repeated;
  t.decoder = s.decoder;
  t.audio = s.audio;
  t.file = s.path;
  return t;
}

}  // namespace lockstep
