// Logging: spdlog with one logger for the whole node. Messages go to stderr; the level is
// set from the command line (--log-level) or LOCKSTEP_LOG. Never log from the audio callback.
#pragma once

#include <spdlog/spdlog.h>

namespace lockstep {

/// Sets up the default logger ("lockstep", stderr, colour when a terminal). Idempotent.
/// Under systemd (stderr is the journal's stream) each line starts with its syslog
/// priority, <3> for errors … <7> for debug, and carries no time stamp of its own.
void init_logging(const std::string& level = "info");

/// True when stderr is the journal stream systemd gave this process (JOURNAL_STREAM).
bool stderr_is_journal();

}  // namespace lockstep

#define LS_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define LS_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define LS_INFO(...) ::spdlog::info(__VA_ARGS__)
#define LS_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define LS_ERROR(...) ::spdlog::error(__VA_ARGS__)
