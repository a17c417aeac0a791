#include "core/endpoint.h"

#include <algorithm>
#include <cctype>

namespace lockstep {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool starts_with_ci(const std::string& s, const std::string& prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// "SHA256:" and 43 characters of unpadded base64 (ssh's form).
bool fingerprint_shaped(const std::string& fp) {
  if (fp.size() != 7 + 43 || fp.compare(0, 7, "SHA256:") != 0) return false;
  return std::all_of(fp.begin() + 7, fp.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/'; });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Splits the query of an invite link ("fp=…&…") off `text`; the fingerprint goes to `fp`.
Status take_invite_query(std::string& text, std::string& fp, const std::string& /*raw*/) {
  const auto q = text.find('?');
  if (q == std::string::npos) return {};
  std::string query = text.substr(q + 1);
  text.erase(q);
  size_t at = 0;
  while (at <= query.size()) {
    const auto amp = query.find('&', at);
    const std::string item = query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    if (item.size() >= 3 && starts_with_ci(item, "fp=")) {
      // One key per link: a second one could hide behind the first a person compares.
      if (!fp.empty())
        return make_error("the invite link carries two server keys: copy the whole link again from the host");
      fp = percent_decode(item.substr(3));
      if (!fingerprint_shaped(fp))
        return make_error("the invite link carries a damaged server key fingerprint: copy the whole link again "
                          "from the host");
    }
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return {};
}

}  // namespace

std::string invite_link(const std::string& host, int port, const std::string& fingerprint) {
  std::string link = "lockstep://" + host + ":" + std::to_string(port);
  if (fingerprint.empty()) return link;
  link += "?fp=";
  for (unsigned char c : fingerprint) {
    if (std::isalnum(c) || c == ':' || c == '-' || c == '.' || c == '_') {
      link += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      link += '%';
      link += hex[c >> 4];
      link += hex[c & 15];
    }
  }
  return link;
}

Result<int> parse_port(const std::string& raw) {
  const std::string text = trim(raw);
  if (text.empty()) return make_error("the port is empty: give a number between 1 and 65535");
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return make_error("port '" + text + "' is not a number between 1 and 65535");
  const int port = std::stoi(text);
  if (port < 1 || port > 65535)
    return make_error("port " + text + " is out of range: use a number between 1 and 65535");
  return port;
}

Result<Endpoint> parse_endpoint(const std::string& raw, int default_port) {
  std::string text = trim(raw);
  if (text.empty()) return make_error("the host is empty: give a name or an address, e.g. 192.168.1.20:7450");
  for (const char* scheme : {"tcp://", "http://", "https://"}) {
    if (starts_with_ci(text, scheme))
      return make_error("'" + text + "' is a " + std::string(scheme, std::string(scheme).size() - 3) +
                        " address, but a lockstep session runs over UDP: use udp://host:port or "
                        "host:port (a TCP-only tunnel such as ngrok's TCP endpoints cannot carry it)");
  }
  std::string fingerprint;
  if (starts_with_ci(text, "lockstep://")) {
    text = text.substr(11);
    if (auto s = take_invite_query(text, fingerprint, raw); !s) return make_error(s.error());
  } else if (starts_with_ci(text, "udp://")) {
    text = text.substr(6);
    if (text.find('?') != std::string::npos)
      return make_error("a udp:// address takes no '?…' part: for a link with a server key, use the lockstep:// "
                        "invite link as the host gave it");
  }
  while (!text.empty() && text.back() == '/') text.pop_back();

  Endpoint ep;
  ep.fingerprint = fingerprint;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return make_error("'" + raw + "': missing ']' after the IPv6 address");
    ep.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return make_error("'" + raw + "': expected ':PORT' after ']'");
      port_text = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    ep.host = text;  // a bare IPv6 address
  } else {
    const auto colon = text.find(':');
    ep.host = text.substr(0, colon);
    if (colon != std::string::npos) port_text = text.substr(colon + 1);
  }
  if (ep.host.empty()) return make_error("'" + raw + "' has no host: give a name or an address before the port");
  if (ep.host.find(':') != std::string::npos)
    return make_error("'" + raw + "' is an IPv6 address; this version of lockstep (ENet 1.3) "
                      "connects over IPv4 only: use the host's IPv4 address or a name that has one");
  for (unsigned char c : ep.host)
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_'))
      return make_error("'" + ep.host + "' is not a valid host name or IPv4 address");
  ep.port = default_port;
  if (!port_text.empty()) {
    auto port = parse_port(port_text);
    if (!port) return make_error("in '" + raw + "': " + port.error());
    ep.port = *port;
  }
  return ep;
}

std::string to_string(const Endpoint& e) { return e.host + ":" + std::to_string(e.port); }

}  // namespace lockstep
