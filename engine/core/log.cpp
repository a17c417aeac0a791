#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace lockstep {
namespace {

/// "<N>": the syslog priority of the message, which the journal reads off the start of each
/// line a service writes (SyslogLevelPrefix=, on by default), so levels survive into
/// `journalctl -p`.
class JournalPriority final : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const char* prefix = "<6>";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = "<7>"; break;
      case spdlog::level::info: prefix = "<6>"; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::critical: prefix = "<2>"; break;
      default: break;
    }
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriority>(); }
};

}  // namespace

bool stderr_is_journal() {
  // systemd sets JOURNAL_STREAM=DEVICE:INODE for the stream it connects a service's output to;
  // it is inherited by children whose stderr went elsewhere, so compare with stderr itself.
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  std::uintmax_t dev = 0, ino = 0;
  if (std::sscanf(stream, "%ju:%ju", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return static_cast<std::uintmax_t>(st.st_dev) == dev && static_cast<std::uintmax_t>(st.st_ino) == ino;
}

void init_logging(const std::string& level) {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_color_mt("lockstep");
    if (stderr_is_journal()) {
      // The journal stamps the time and shows the level itself.
      auto formatter = std::make_unique<spdlog::pattern_formatter>();
      formatter->add_flag<JournalPriority>('*').set_pattern("%*%v");
      logger->set_formatter(std::move(formatter));
    } else {
      logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    }
    spdlog::set_default_logger(logger);
  });
  std::string chosen = level;
  if (const char* env = std::getenv("LOCKSTEP_LOG")) chosen = env;
  spdlog::set_level(spdlog::level::from_str(chosen));
}

}  // namespace lockstep
