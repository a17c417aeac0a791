// lockstep — the playback node.
//   lockstep play FILE            play one file on this node
//   lockstep host FILE...         play and host a session
//   lockstep join HOST[:PORT]     join a session and play in sync
//   lockstep serve                a dedicated session server (no media, no window)
#include <CLI/CLI.hpp>

#include <cstdio>

#include "core/log.h"
#include "net/protocol_version.h"
#include "net/transport/endpoint.h"
#include "tools/node/node_app.h"
#include "tools/node/node_session.h"

namespace {

using namespace lockstep;

void add_node_options(CLI::App* cmd, NodeOptions& o) {
  cmd->add_flag("--headless", o.headless, "Render offscreen (no window), print a report");
  cmd->add_option("--size", o.size, "WxH of the headless target (default: the video size)");
  cmd->add_option("--hwdec", o.hwdec, "Hardware decode: auto, none, vaapi, cuda, vulkan")->capture_default_str();
  cmd->add_option("--deinterlace", o.deinterlace, "Deinterlace (bwdif): auto (frames flagged interlaced), yes, no")
      ->capture_default_str();
  cmd->add_option("--audio-device", o.audio_device, "Audio output device name, or none");
  cmd->add_option("--audio-latency", o.audio_latency_ms, "Suggested audio latency, ms")->capture_default_str();
  cmd->add_option("--duration", o.duration, "Stop after this many seconds")->check(CLI::NonNegativeNumber);
  cmd->add_option("--present-log", o.present_log, "Write one JSON line per presented refresh to FILE");
  cmd->add_flag("--verify-frames", o.verify_frames, "Read each frame's index back from the rendered image (test clips)");
  cmd->add_option("--refresh", o.refresh_hz, "Refresh ticks per second (0: one per frame; default: the display's, or 0 headless)");
  cmd->add_flag("--validation", o.validation, "Enable the Vulkan validation layers");
  cmd->add_flag("--fullscreen", o.fullscreen, "Start fullscreen");
  cmd->add_flag("--no-overlay", o.no_overlay, "Do not draw the overlay");
  cmd->add_option("--threads", o.threads, "Decoder threads (0: one per core)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--ui-state", o.ui_state, "Test/support aid: write what the overlay shows as JSON to FILE (docs/overlay.md)");
}

void add_session_options(CLI::App* cmd, SessionOptions& s, bool node) {
  cmd->add_option("--password-file", s.password_file, "Session password: the first line of this file");
  if (!node) return;
  cmd->add_option("--name", s.name, "This node's name in the session (default: the host name)");
  cmd->add_option("--latency-offset", s.latency_offset_ms, "This node's display/audio delay, ms (shown that much earlier)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lockstep — frame-accurate synchronized media playback node"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.set_version_flag("--version", std::string("lockstep ") + LOCKSTEP_VERSION);
  const std::string port_help = "UDP port (default " + std::to_string(net::kDefaultPort) + ")";

  NodeOptions node;
  SessionOptions session;
  NodeAppParams play_opts;
  std::string play_file;
  CLI::App* play = app.add_subcommand("play", "Play one media file on this node (the overlay can host or join a session)");
  play->add_option("file", play_file, "Media file")->required();
  play->add_flag("--loop", play_opts.loop, "Loop the file forever");
  play->add_option("--loop-in", play_opts.loop_in, "Loop range start: the first frame of the loop (with --loop)")
      ->check(CLI::NonNegativeNumber);
  play->add_option("--loop-out", play_opts.loop_out, "Loop range end: the frame after the loop's last (with --loop)")
      ->check(CLI::NonNegativeNumber);
  play->add_option("--rate", play_opts.rate, "Playback rate (audio plays at 1.0 only)")->check(CLI::Range(1.0 / 16, 16.0));
  play->add_option("--start", play_opts.start_frame, "First frame")->check(CLI::NonNegativeNumber);
  play->add_flag("--paused", play_opts.paused, "Start paused on the first frame");
  play->add_flag("--keep-open", node.keep_open, "Keep the window open on the last frame at the end (default: quit, as mpv)");
  play->add_option("--control", session.control, "When this node hosts from the overlay: who may drive playback, anyone or host")
      ->check(CLI::IsMember({"anyone", "host"}));
  play->add_option("--name", session.name, "This node's name when it joins or hosts from the overlay (default: the host name)");
  add_node_options(play, node);

  std::vector<std::string> host_files;
  std::string port_text;
  CLI::App* host = app.add_subcommand("host", "Play and host a session: other nodes join and play in sync");
  host->add_option("files", host_files, "Media files of the session (the first one plays)")->required();
  host->add_option("--port", port_text, port_help);
  host->add_option("--control", session.control, "Who may drive playback: anyone or host")->check(CLI::IsMember({"anyone", "host"}));
  host->add_flag("--play", session.play, "Start playing once every node is ready");
  host->add_flag("--loop", session.loop, "Loop forever (video walls)");
  add_session_options(host, session, true);
  add_node_options(host, node);

  std::string address;
  CLI::App* join = app.add_subcommand("join", "Join a session and play in sync");
  join->add_option("address", address, "HOST[:PORT], udp://HOST:PORT or [IPv6]:PORT")->required();
  join->add_option("--map", session.maps, "Path mapping REMOTE=LOCAL (repeatable)");
  join->add_option("--media-dir", session.media_dirs, "Folder to look for the session's files by name (repeatable)");
  join->add_option("--stand-in", session.stand_ins,
                   "NAME=FILE: play FILE (a separate sound file, a proxy) whenever the session plays NAME; "
                   "it must last as long (repeatable)");
  join->add_flag("--trust-server-paths", session.trust_server_paths,
                 "Also open the session's files at the server's own paths (a disk shared with the server)");
  join->add_option("--fingerprint", session.fingerprint,
                    "The server key's fingerprint (SHA256:…, from the host's log or overlay): join only that server")
      ->check([](const std::string& v) -> std::string {
        // "SHA256:" and the unpadded base64 of 32 bytes (43 characters), as ssh shows keys.
        const std::string prefix = "SHA256:";
        const bool b64 = v.size() == prefix.size() + 43 && v.compare(0, prefix.size(), prefix) == 0 &&
                         v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                                             prefix.size()) == std::string::npos;
        if (b64) return {};
        return "'" + v.substr(0, 80) + "' is not a server key fingerprint: copy the whole SHA256:… word (43 "
               "characters after SHA256:) from the host's log, invite line or overlay";
      });
  join->add_flag("--share-media-details", session.share_media_details,
                 "Tell the server where each file was found here, and why not (default: the status only)");
  join->add_flag("--play", session.play, "Ask the session to play once this node is ready");
  join->add_option("--commands", session.commands, "Scheduled commands: \"3 pause; 4 seek 150; 5 play\" (seconds from start)");
  add_session_options(join, session, true);
  add_node_options(join, node);

  double serve_duration = 0;
  CLI::App* serve = app.add_subcommand("serve", "A dedicated session server: no media, no window, no audio");
  serve->add_option("--port", port_text, port_help);
  serve->add_option("--control", session.control, "Who may drive playback: anyone or host")->check(CLI::IsMember({"anyone", "host"}));
  serve->add_option("--duration", serve_duration, "Stop after this many seconds (0: until Ctrl-C)");
  std::vector<std::string> serve_files;
  serve->add_option("files", serve_files, "Media files of the session, described for the nodes (the server does not play them)");
  serve->add_flag("--loop", session.loop, "Loop forever (video walls)");
  add_session_options(serve, session, false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  init_logging(log_level);
  if (!port_text.empty()) {
    auto port = net::parse_port(port_text);
    if (!port) {
      LS_ERROR("--port: {}", port.error());
      return 2;
    }
    session.port = *port;
  }
  if (play->parsed()) {
    play_opts.start = NodeAppParams::Start::Local;
    play_opts.files = {play_file};
    play_opts.node = node;
    play_opts.session = session;
    play_opts.ui_state = node.ui_state;
    return run_node_app(play_opts);
  }
  if (host->parsed()) return run_host(host_files, session, node);
  if (join->parsed()) return run_join(address, session, node);
  if (serve->parsed()) return run_serve(serve_files, session, serve_duration);
  return 2;
}
