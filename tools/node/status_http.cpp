#include "tools/node/status_http.h"

#define CPPHTTPLIB_NO_EXCEPTIONS
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "core/log.h"
#include "net/session/transport_wire.h"
#include "tools/node/ui_presenter.h"

namespace lockstep {
namespace {

double ms(int64_t ns) { return double(ns) / 1e6; }

const char* control_words(net::ControlPolicy c) { return c == net::ControlPolicy::HostOnly ? "host" : "anyone"; }

/// The session's position now, as seconds and as a frame of the current file.
struct Position {
  double seconds = 0.0;
  int64_t frame = 0;
};
Position position_now(const net::SessionStatus& s) {
  const TransportState st = net::transport_state(s.transport);
  Position p;
  int64_t pos = std::max<int64_t>(0, st.position_at(s.session_now_ns));
  const net::MediaEntry* m = s.transport.media_index < s.media.size() ? &s.media[s.transport.media_index] : nullptr;
  if (m && m->duration_ns > 0 && st.loop) pos %= m->duration_ns;
  p.seconds = double(pos) / 1e9;
  if (m && m->fps_num > 0 && m->fps_den > 0) {
    p.frame = int64_t(std::floor(p.seconds * m->fps_num / m->fps_den + 1e-6));
    if (m->frame_count > 0) p.frame = std::min(p.frame, m->frame_count - 1);
  }
  return p;
}

/// A Prometheus label value: backslash, quote and newline escaped (the exposition format).
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

const char* kPageCss = R"(body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em}#summary{margin:.3em 0 1em;color:#444}
table{border-collapse:collapse;margin-bottom:1.2em;background:#fff}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#eee}
td.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00;font-weight:600}
.ok{color:#070}#stale{color:#b00;display:none}code{font-size:.95em})";

const char* kPageJs = R"(// lockstep status page: reads /status.json every second; builds the table with
// textContent only (node and file names come from the network).
'use strict';
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
function num(v, digits) { return (v === null || v === undefined) ? '' : v.toFixed(digits); }
function render(s) {
  document.getElementById('stale').style.display = 'none';
  const t = s.transport;
  document.getElementById('summary').textContent =
    s.nodes.length + (s.nodes.length === 1 ? ' node' : ' nodes') + ' \u00b7 ' + t.state +
    (t.media_name ? ' \u00b7 ' + t.media_name + ' frame ' + t.frame : '') +
    ' \u00b7 rate ' + t.rate + (t.loop ? ' \u00b7 loop' : '') + ' \u00b7 udp/' + s.server.port +
    ' \u00b7 key ' + s.server.fingerprint;
  const body = document.getElementById('nodes');
  body.replaceChildren();
  for (const n of s.nodes) {
    const r = body.insertRow();
    r.dataset.node = n.id;
    cell(r, n.name); cell(r, n.address); cell(r, n.state, n.state === 'playing' || n.state === 'ready' ? 'ok' : 'bad');
    cell(r, num(n.rtt_ms, 1), 'num'); cell(r, num(n.clock_offset_ms, 3), 'num');
    cell(r, num(n.clock_uncertainty_ms, 2), n.clock_uncertainty_ms > 0.5 ? 'num bad' : 'num');
    cell(r, num(n.sync_error_ms, 3), Math.abs(n.sync_error_ms) > 1 ? 'num bad' : 'num');
    cell(r, String(n.frame), 'num'); cell(r, String(n.dropped), 'num');
    const missing = n.media.filter(m => m.status !== 'found').map(m => m.name + ': ' + m.status);
    cell(r, missing.length ? missing.join(', ') : 'all found', missing.length ? 'bad' : 'ok');
  }
  const media = document.getElementById('media');
  media.replaceChildren();
  s.media.forEach((m, i) => {
    const r = media.insertRow();
    cell(r, String(i)); cell(r, m.name); cell(r, num(m.duration_s, 2), 'num'); cell(r, num(m.fps, 3), 'num');
    cell(r, String(m.found_by) + ' / ' + String(s.nodes.length), m.found_by < s.nodes.length ? 'num bad' : 'num');
  });
  document.getElementById('updated').textContent = new Date().toLocaleTimeString();
}
async function poll() {
  try {
    const r = await fetch('status.json', {cache: 'no-store'});
    if (!r.ok) throw new Error(r.status);
    render(await r.json());
  } catch (e) {
    document.getElementById('stale').style.display = 'inline';
  }
  setTimeout(poll, 1000);
}
poll();)";

const char* kPageHtml = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lockstep server</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="status.css"></head>
<body><h1>lockstep session server</h1>
<div id="summary">loading…</div>
<table><thead><tr><th>Node</th><th>Address</th><th>State</th><th>RTT ms</th><th>Clock offset ms</th><th>Clock &plusmn; ms</th>
<th>Sync error ms</th><th>Frame</th><th>Dropped</th><th>Media</th></tr></thead><tbody id="nodes"></tbody></table>
<table><thead><tr><th>#</th><th>File</th><th>Seconds</th><th>fps</th><th>Found by</th></tr></thead><tbody id="media"></tbody></table>
<p>Updated <span id="updated">never</span> <span id="stale">— the server does not answer</span> ·
<a href="status.json">JSON</a> · <a href="metrics">Prometheus metrics</a></p>
<script src="status.js"></script></body></html>
)";

/// "localhost", an IPv4 literal in 127.0.0.0/8, or ::1 — the whole name, not a prefix
/// ("127.0.0.1.attacker.example" is a name anyone can point anywhere).
bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

/// The Host header without its port.
std::string host_of(const std::string& header) {
  if (!header.empty() && header[0] == '[') {
    const size_t close = header.find(']');
    // "[::1]" or "[::1]:PORT" only; anything after the bracket makes it another name.
    if (close == std::string::npos || (close + 1 < header.size() && header[close + 1] != ':')) return header;
    return header.substr(0, close + 1);
  }
  return header.substr(0, header.rfind(':') == std::string::npos ? header.size() : header.rfind(':'));
}

}  // namespace

Result<Endpoint> parse_status_address(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    auto port = parse_port(text);
    if (!port) return make_error("--status-http " + text + ": " + port.error());
    return Endpoint{"127.0.0.1", *port};
  }
  auto ep = parse_endpoint(text, 0);
  if (!ep) return make_error("--status-http '" + text + "': " + ep.error());
  if (ep->port == 0)
    return make_error("--status-http '" + text + "' has no port: give ADDR:PORT, e.g. 127.0.0.1:8080 (or just 8080)");
  return *ep;
}

nlohmann::json status_json(const net::SessionStatus& s, const ServerFacts& f) {
  using nlohmann::json;
  const Position pos = position_now(s);
  json j;
  j["server"] = {{"port", f.port},           {"fingerprint", f.fingerprint}, {"version", f.version},
                 {"uptime_s", f.uptime_s},   {"control", control_words(s.control)},
                 {"refused_packets", f.refused_packets}};
  const net::MediaEntry* current = s.transport.media_index < s.media.size() ? &s.media[s.transport.media_index] : nullptr;
  j["transport"] = {{"state", s.transport.paused ? "paused" : "playing"},
                    {"media_index", s.transport.media_index},
                    {"media_name", current ? current->name : ""},
                    {"position_s", pos.seconds},
                    {"frame", pos.frame},
                    {"rate", s.transport.rate},
                    {"loop", s.transport.loop}};
  json media = json::array();
  for (size_t i = 0; i < s.media.size(); ++i) {
    const auto& m = s.media[i];
    int found_by = 0;
    for (const auto& p : s.peers)
      for (const auto& mm : p.media)
        if (mm.media_index == i && mm.status == net::MatchStatus::Found) ++found_by;
    media.push_back({{"name", m.name},
                     {"duration_s", double(m.duration_ns) / 1e9},
                     {"fps", m.fps_den > 0 ? double(m.fps_num) / m.fps_den : 0.0},
                     {"frames", m.frame_count},
                     {"found_by", found_by}});
  }
  j["media"] = std::move(media);
  json nodes = json::array();
  for (const auto& p : s.peers) {
    json pm = json::array();
    for (const auto& mm : p.media)
      pm.push_back({{"index", mm.media_index},
                    {"name", mm.media_index < s.media.size() ? s.media[mm.media_index].name : ""},
                    {"status", match_words(mm.status)}});
    nodes.push_back({{"id", p.node_id},
                     {"name", p.name},
                     {"address", p.address},
                     {"state", state_words(p.status.state)},
                     {"rtt_ms", ms(p.status.rtt_ns)},
                     {"clock_offset_ms", ms(p.status.clock_offset_ns)},
                     {"clock_error_bound_ms", ms(p.status.clock_error_bound_ns)},
                     {"clock_uncertainty_ms", ms(p.status.clock_uncertainty_ns)},
                     {"sync_error_ms", ms(p.status.sync_error_ns)},
                     {"frame", p.status.frame_index},
                     {"dropped", p.status.dropped},
                     {"repeated", p.status.repeated},
                     {"latency_offset_ms", ms(p.status.latency_offset_ns)},
                     {"media", std::move(pm)}});
  }
  j["nodes"] = std::move(nodes);
  return j;
}

std::string status_metrics(const net::SessionStatus& s, const ServerFacts& f) {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  const Position pos = position_now(s);
  metric("lockstep_nodes", "gauge", "Nodes logged in to the session.");
  out += fmt::format("lockstep_nodes {}\n", s.peers.size());
  metric("lockstep_session_playing", "gauge", "1 while the session plays, 0 while paused.");
  out += fmt::format("lockstep_session_playing {}\n", s.transport.paused ? 0 : 1);
  metric("lockstep_session_position_seconds", "gauge", "The session's media position.");
  out += fmt::format("lockstep_session_position_seconds {:.6f}\n", pos.seconds);
  metric("lockstep_session_media_index", "gauge", "Index of the file the session plays.");
  out += fmt::format("lockstep_session_media_index {}\n", s.transport.media_index);
  metric("lockstep_server_uptime_seconds", "gauge", "Seconds since the server started.");
  out += fmt::format("lockstep_server_uptime_seconds {:.3f}\n", f.uptime_s);
  metric("lockstep_refused_packets_total", "counter", "Sealed packets refused (forged, tampered, replayed).");
  out += fmt::format("lockstep_refused_packets_total {}\n", f.refused_packets);
  struct Per {
    const char* name;
    const char* type;
    const char* help;
    std::function<std::string(const net::PeerInfo&)> value;
  };
  const std::vector<Per> per = {
      {"lockstep_node_up", "gauge", "1 for each node in the table, with its state.", [](const net::PeerInfo&) { return std::string("1"); }},
      {"lockstep_node_rtt_seconds", "gauge", "Round trip to the server.",
       [](const net::PeerInfo& p) { return fmt::format("{:.6f}", double(p.status.rtt_ns) / 1e9); }},
      {"lockstep_node_clock_offset_seconds", "gauge", "Session clock minus the node's clock.",
       [](const net::PeerInfo& p) { return fmt::format("{:.9f}", double(p.status.clock_offset_ns) / 1e9); }},
      {"lockstep_node_clock_error_bound_seconds", "gauge", "Bound on the node's clock estimate error.",
       [](const net::PeerInfo& p) { return fmt::format("{:.9f}", double(p.status.clock_error_bound_ns) / 1e9); }},
      {"lockstep_node_clock_uncertainty_seconds", "gauge",
       "How far off the node's clock estimate probably is (statistical, not a bound).",
       [](const net::PeerInfo& p) { return fmt::format("{:.9f}", double(p.status.clock_uncertainty_ns) / 1e9); }},
      {"lockstep_node_sync_error_seconds", "gauge", "Shown minus expected media position (+ ahead).",
       [](const net::PeerInfo& p) { return fmt::format("{:.9f}", double(p.status.sync_error_ns) / 1e9); }},
      {"lockstep_node_frame", "gauge", "Last presented frame (unwrapped).",
       [](const net::PeerInfo& p) { return std::to_string(p.status.frame_index); }},
      {"lockstep_node_dropped_frames_total", "counter", "Frames dropped since the file was loaded.",
       [](const net::PeerInfo& p) { return std::to_string(p.status.dropped); }},
      {"lockstep_node_repeated_frames_total", "counter", "Frames repeated since the file was loaded.",
       [](const net::PeerInfo& p) { return std::to_string(p.status.repeated); }},
      {"lockstep_node_media_missing", "gauge", "Session files the node did not find (or found different).",
       [](const net::PeerInfo& p) {
         return std::to_string(std::count_if(p.media.begin(), p.media.end(),
                                             [](const net::MediaMatch& m) { return m.status != net::MatchStatus::Found; }));
       }},
  };
  for (const Per& m : per) {
    metric(m.name, m.type, m.help);
    for (const auto& p : s.peers) {
      std::string labels = fmt::format("id=\"{}\",name=\"{}\"", p.node_id, label(p.name));
      if (std::string(m.name) == "lockstep_node_up") labels += fmt::format(",state=\"{}\"", state_words(p.status.state));
      out += fmt::format("{}{{{}}} {}\n", m.name, labels, m.value(p));
    }
  }
  return out;
}

const std::string& status_page_html() {
  static const std::string html = kPageHtml;
  return html;
}

struct StatusHttp::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> finished{false};  // listen_after_bind returned
  int port = 0;
};

Result<std::unique_ptr<StatusHttp>> StatusHttp::start(const Endpoint& where, Source source) {
  auto impl = std::make_unique<Impl>();
  httplib::Server& svr = impl->server;
  // Slow or idle connections must not hold the page: a few threads more than a wall
  // operator's browsers need, short timeouts, short keep-alive.
  svr.new_task_queue = [] { return new httplib::ThreadPool(8); };
  svr.set_payload_max_length(4096);
  svr.set_read_timeout(2, 0);
  svr.set_write_timeout(2, 0);
  svr.set_keep_alive_max_count(20);
  svr.set_keep_alive_timeout(1);
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("the status page could not be made (see the server's log)\n", "text/plain; charset=utf-8");
  });
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                           {"Cache-Control", "no-store"},
                           {"Referrer-Policy", "no-referrer"},
                           {"X-Frame-Options", "DENY"},
                           {"Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'"}});
  const bool loopback_only = is_loopback_host(where.host);
  svr.set_pre_routing_handler([loopback_only](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("read-only: the status page takes GET only\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    // Bound to loopback, answer only requests addressed to loopback: a web page elsewhere
    // cannot read the status through a DNS name that resolves to 127.0.0.1 (rebinding).
    if (loopback_only && !is_loopback_host(host_of(req.get_header_value("Host")))) {
      res.status = 421;
      res.set_content("this status page answers to localhost only\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(status_page_html(), "text/html; charset=utf-8");
  });
  svr.Get("/status.css", [](const httplib::Request&, httplib::Response& res) { res.set_content(kPageCss, "text/css; charset=utf-8"); });
  svr.Get("/status.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kPageJs, "text/javascript; charset=utf-8");
  });
  svr.Get("/status.json", [source](const httplib::Request&, httplib::Response& res) {
    const auto [status, facts] = source();
    // Names come from the network: bytes that are not UTF-8 are replaced, never an error.
    res.set_content(status_json(status, facts).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                    "application/json");
  });
  svr.Get("/metrics", [source](const httplib::Request&, httplib::Response& res) {
    const auto [status, facts] = source();
    res.set_content(status_metrics(status, facts), "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content("not found: the status page has /, /status.json and /metrics\n", "text/plain; charset=utf-8");
  });
  const std::string host = where.host == "localhost" ? "127.0.0.1" : where.host;
  if (where.port == 0) {
    impl->port = svr.bind_to_any_port(host);
    if (impl->port <= 0) return make_error("cannot open the status page on " + host + ": the address is not on this machine");
  } else {
    if (!svr.bind_to_port(host, where.port))
      return make_error("cannot open the status page on " + to_string(where) +
                        ": the port is in use or the address is not on this machine (choose another with --status-http ADDR:PORT)");
    impl->port = where.port;
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->finished = true;
  });
  // stop() only reaches a server that is already listening: wait until it is (or gave up).
  while (!svr.is_running() && !impl->finished) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<StatusHttp>(new StatusHttp(std::move(impl)));
}

StatusHttp::StatusHttp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusHttp::~StatusHttp() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int StatusHttp::port() const { return impl_->port; }

}  // namespace lockstep
