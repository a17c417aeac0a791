#include "tools/lockstep_cli.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "net/protocol_version.h"
#include "net/transport/endpoint.h"
#include "tools/node/status_http.h"
#include "tools/version/version.h"

namespace lockstep {
namespace {

/// A number in [lo, hi]: CLI::Range lets "nan" through (every comparison with it is false).
CLI::Validator finite_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& v) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (end == v.c_str() || *end != '\0' || !std::isfinite(x) || x < lo || x > hi)
          return "'" + v + "' is not a number from " + fmt::format("{:g}", lo) + " to " + fmt::format("{:g}", hi);
        return {};
      },
      fmt::format("NUMBER in [{:g}, {:g}]", lo, hi));
}

void add_node_options(CLI::App* cmd, NodeOptions& o) {
  cmd->add_flag("--headless", o.headless, "Render offscreen (no window), print a report");
  cmd->add_option("--size", o.size, "WxH of the headless target (default: the video size)");
  cmd->add_option("--hwdec", o.hwdec, "Hardware decode: auto, none, vaapi, cuda, vulkan")->capture_default_str();
  cmd->add_option("--deinterlace", o.deinterlace, "Deinterlace (bwdif): auto (frames flagged interlaced), yes, no")
      ->capture_default_str();
  cmd->add_option("--audio-device", o.audio_device, "Audio output device name, or none");
  cmd->add_option("--audio-latency", o.audio_latency_ms, "Suggested audio latency, ms")->capture_default_str()
      ->check(finite_in(1.0, 2000.0));
  cmd->add_option("--duration", o.duration, "Stop after this many seconds")->check(finite_in(0.0, 1e7));
  cmd->add_option("--present-log", o.present_log, "Write one JSON line per presented refresh to FILE");
  cmd->add_flag("--verify-frames", o.verify_frames, "Read each frame's index back from the rendered image (test clips)");
  cmd->add_option("--refresh", o.refresh_hz, "Refresh ticks per second (0: one per frame; default: the display's, or 0 headless)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            char* end = nullptr;
            const double x = std::strtod(v.c_str(), &end);
            if (end != v.c_str() && *end == '\0' && (x == 0.0 || (x >= 1.0 && x <= 1000.0))) return {};
            return "'" + v + "' is not a refresh rate: give 0 (one tick per frame) or 1 to 1000 per second";
          },
          "0 or 1..1000"));
  cmd->add_flag("--validation", o.validation, "Enable the Vulkan validation layers");
  cmd->add_flag("--fullscreen", o.fullscreen, "Start fullscreen");
  cmd->add_flag("--no-overlay", o.no_overlay, "Do not draw the overlay");
  cmd->add_option("--threads", o.threads, "Decoder threads (0: one per core)")->check(CLI::Range(0, 64));
  cmd->add_option("--ui-state", o.ui_state, "Test/support aid: write what the overlay shows as JSON to FILE (docs/overlay.md)");
}

void add_session_options(CLI::App* cmd, SessionOptions& s, bool node) {
  cmd->add_option("--password-file", s.password_file, "Session password: the first line of this file");
  if (!node) return;
  cmd->add_option("--name", s.name, "This node's name in the session (default: the host name)");
  cmd->add_option("--latency-offset", s.latency_offset_ms, "This node's display/audio delay, ms (shown that much earlier)")
      ->check(finite_in(-1000.0, 1000.0));
}

/// Hosting: the router's port mapping and the LAN announcement (docs/hosting.md).
void add_reach_options(CLI::App* cmd, SessionOptions& s) {
  cmd->add_flag("--no-port-mapping", s.no_port_mapping,
                "Do not ask the router to forward the session's port (UPnP-IGD, NAT-PMP)");
  cmd->add_option("--port-mapping-lease", s.port_mapping_lease_s,
                  "Seconds the router keeps the forwarding (renewed at half)")
      ->capture_default_str()
      ->check(CLI::Range(10, 604800));
  cmd->add_flag("--no-announce", s.no_announce, "Do not announce the session on this network (DNS-SD, Avahi)");
}

void add_port_option(CLI::App* cmd, std::string& port_text) {
  cmd->add_option("--port", port_text, "UDP port (default " + std::to_string(net::kDefaultPort) + ")")
      ->check([](const std::string& v) -> std::string {
        auto port = net::parse_port(v);
        return port ? std::string() : port.error();
      });
}

/// Options every command takes: config files, and showing the configuration in effect.
void add_config_options(CLI::App* cmd, LockstepCli& cli) {
  // One file per --config (repeat the option for more): a media file after it stays a media file.
  cmd->add_option("--config", cli.config_files,
                  "Read options from FILE (key = value lines, after /etc/lockstep/lockstep.conf and "
                  "~/.config/lockstep/lockstep.conf; the command line wins; repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--print-config", cli.print_config, "Show the options in effect, and where each comes from, then exit");
}

std::string fingerprint_check(const std::string& v) {
  // "SHA256:" and the unpadded base64 of 32 bytes (43 characters), as ssh shows keys.
  const std::string prefix = "SHA256:";
  const bool b64 = v.size() == prefix.size() + 43 && v.compare(0, prefix.size(), prefix) == 0 &&
                   v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                                       prefix.size()) == std::string::npos;
  if (b64) return {};
  return "'" + v.substr(0, 80) + "' is not a server key fingerprint: copy the whole SHA256:… word (43 "
         "characters after SHA256:) from the host's log, invite line or overlay";
}

void add_play(LockstepCli& c) {
  CLI::App* play = c.app.add_subcommand("play", "Play one media file on this node (the overlay can host or join a session)");
  play->add_option("file", c.play_file, "Media file")->required();
  play->add_flag("--loop", c.play_opts.loop, "Loop the file forever");
  play->add_option("--loop-in", c.play_opts.loop_in, "Loop range start: the first frame of the loop (with --loop)")
      ->check(CLI::NonNegativeNumber);
  play->add_option("--loop-out", c.play_opts.loop_out, "Loop range end: the frame after the loop's last (with --loop)")
      ->check(CLI::NonNegativeNumber);
  play->add_option("--rate", c.play_opts.rate, "Playback rate (audio plays at 1.0 only)")->check(finite_in(1.0 / 16, 16.0));
  play->add_option("--start", c.play_opts.start_frame, "First frame")->check(CLI::NonNegativeNumber);
  play->add_flag("--paused", c.play_opts.paused, "Start paused on the first frame");
  play->add_flag("--untimed", c.node.untimed,
                 "No pacing: present every frame as soon as it is ready, no sound (as mpv --untimed; "
                 "measures the whole pipeline)");
  play->add_option("--frames", c.node.frames, "Stop after this many frames shown")->check(CLI::PositiveNumber);
  play->add_flag("--keep-open", c.node.keep_open, "Keep the window open on the last frame at the end (default: quit, as mpv)");
  play->add_option("--control", c.session.control, "When this node hosts from the overlay: who may drive playback, anyone or host")
      ->check(CLI::IsMember({"anyone", "host"}));
  play->add_option("--name", c.session.name, "This node's name when it joins or hosts from the overlay (default: the host name)");
  add_reach_options(play, c.session);
  add_node_options(play, c.node);
  add_config_options(play, c);
  c.play = play;
}

void add_host(LockstepCli& c) {
  CLI::App* host = c.app.add_subcommand("host", "Play and host a session: other nodes join and play in sync");
  host->add_option("files", c.host_files, "Media files of the session (the first one plays)")->required();
  add_port_option(host, c.port_text);
  host->add_option("--control", c.session.control, "Who may drive playback: anyone or host")->check(CLI::IsMember({"anyone", "host"}));
  host->add_flag("--play", c.session.play, "Start playing once every node is ready");
  host->add_flag("--loop", c.session.loop, "Loop forever (video walls)");
  add_session_options(host, c.session, true);
  add_reach_options(host, c.session);
  add_node_options(host, c.node);
  add_config_options(host, c);
  c.host = host;
}

void add_join(LockstepCli& c) {
  CLI::App* join = c.app.add_subcommand("join", "Join a session and play in sync");
  CLI::Option* address =
      join->add_option("address", c.address, "HOST[:PORT], an invite link lockstep://HOST:PORT?fp=…, or udp://HOST:PORT");
  CLI::Option* list = join->add_flag("--list", c.join_list,
                                     "List the sessions announced on this network (DNS-SD, Avahi) with their invite links, then exit");
  join->add_option("--list-wait", c.list_wait_s, "Seconds --list looks for sessions")
      ->capture_default_str()
      ->check(finite_in(0.5, 60.0));
  address->excludes(list);
  join->callback([&c, join] {
    if (!c.join_list && c.address.empty())
      throw CLI::ValidationError("address", "give the session's address or invite link (or --list to see the "
                                            "sessions on this network)");
    (void)join;
  });
  join->add_option("--map", c.session.maps, "Path mapping REMOTE=LOCAL (repeatable)");
  join->add_option("--media-dir", c.session.media_dirs, "Folder to look for the session's files by name (repeatable)");
  join->add_option("--stand-in", c.session.stand_ins,
                   "NAME=FILE: play FILE (a separate sound file, a proxy) whenever the session plays NAME; "
                   "it must last as long (repeatable)");
  join->add_flag("--trust-server-paths", c.session.trust_server_paths,
                 "Also open the session's files at the server's own paths (a disk shared with the server)");
  join->add_option("--fingerprint", c.session.fingerprint,
                   "The server key's fingerprint (SHA256:…, from the host's log or overlay): join only that server")
      ->check(fingerprint_check);
  join->add_flag("--share-media-details", c.session.share_media_details,
                 "Tell the server where each file was found here, and why not (default: the status only)");
  join->add_flag("--play", c.session.play, "Ask the session to play once this node is ready");
  join->add_option("--commands", c.session.commands, "Scheduled commands: \"3 pause; 4 seek 150; 5 play\" (seconds from start)");
  add_session_options(join, c.session, true);
  add_node_options(join, c.node);
  add_config_options(join, c);
  c.join = join;
}

void add_serve(LockstepCli& c) {
  CLI::App* serve = c.app.add_subcommand("serve", "A dedicated session server: no media, no window, no audio");
  add_port_option(serve, c.port_text);
  serve->add_option("--control", c.session.control, "Who may drive playback: anyone or host")->check(CLI::IsMember({"anyone", "host"}));
  serve->add_option("--duration", c.serve_duration, "Stop after this many seconds (0: until Ctrl-C)")->check(finite_in(0.0, 1e9));
  serve->add_option("files", c.serve_files, "Media files of the session, described for the nodes (the server does not play them)");
  serve->add_flag("--loop", c.session.loop, "Loop forever (video walls)");
  serve->add_option("--status-http", c.serve_status_http,
                    "Serve a read-only status page (HTML, /status.json, /metrics) on [ADDR:]PORT; "
                    "ADDR defaults to 127.0.0.1 (off unless given)")
      ->check([](const std::string& v) -> std::string {
        auto where = parse_status_address(v);
        return where ? std::string() : where.error();
      });
  add_session_options(serve, c.session, false);
  add_reach_options(serve, c.session);
  add_config_options(serve, c);
  c.serve = serve;
}

}  // namespace

std::shared_ptr<LockstepCli> make_lockstep_cli() {
  auto c = std::make_shared<LockstepCli>();
  c->app.require_subcommand(1);
  c->app.option_defaults()->always_capture_default();
  c->app.add_option("--log-level", c->log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "err", "critical", "off"}));
  c->app.set_version_flag("--version", version_line("lockstep"));
  c->app.footer("Options can also come from config files: /etc/lockstep/lockstep.conf, then "
                "~/.config/lockstep/lockstep.conf, then --config FILE (man lockstep, docs/config.md).");
  add_play(*c);
  add_host(*c);
  add_join(*c);
  add_serve(*c);
  return c;
}

}  // namespace lockstep
