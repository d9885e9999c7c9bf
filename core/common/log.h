#pragma once
// Named spdlog loggers per layer ("config", "routing", "proxy", "mock", "ui") share one set of sinks:
// stderr, an optional rotating file, and any extra sink (the UI's log model) added later.

#include <memory>
#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

namespace aigw::log {

/// Returns the logger for `layer`, creating it on first use with the shared sinks.
std::shared_ptr<spdlog::logger> get(const std::string& layer);
/// Adds a sink to every existing and future logger (e.g. the UI log model's sink).
void addSink(spdlog::sink_ptr sink);
/// Also write to a rotating file at `path` (5 MiB x 3).
void addRotatingFile(const std::string& path);
/// Global level, e.g. "info", "debug", "warn". Unknown names leave the level unchanged.
void setLevel(const std::string& level);

}  // namespace aigw::log
