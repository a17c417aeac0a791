#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>

namespace lockstep {

void init_logging(const std::string& level) {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_color_mt("lockstep");
    logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    spdlog::set_default_logger(logger);
  });
  std::string chosen = level;
  if (const char* env = std::getenv("LOCKSTEP_LOG")) chosen = env;
  spdlog::set_level(spdlog::level::from_str(chosen));
}

}  // namespace lockstep
