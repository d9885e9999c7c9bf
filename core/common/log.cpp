#include "common/log.h"

#include <mutex>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace aigw::log {

namespace {
struct Registry {
    std::mutex mutex;
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
    std::vector<std::shared_ptr<spdlog::logger>> loggers;
    spdlog::level::level_enum level = spdlog::level::info;
};
Registry& registry() {
    static Registry r;
    return r;
}
}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& layer) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    for (auto& l : r.loggers)
        if (l->name() == layer)
            return l;
    auto logger = std::make_shared<spdlog::logger>(layer, r.sinks.begin(), r.sinks.end());
    logger->set_level(r.level);
    r.loggers.push_back(logger);
    return logger;
}

void addSink(spdlog::sink_ptr sink) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.sinks.push_back(sink);
    for (auto& l : r.loggers)
        l->sinks().push_back(sink);
}

void addRotatingFile(const std::string& path) {
    addSink(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, 5 * 1024 * 1024, 3));
}

void setLevel(const std::string& level) {
    const auto lvl = spdlog::level::from_str(level);
    if (lvl == spdlog::level::off && level != "off")
        return;
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.level = lvl;
    for (auto& l : r.loggers)
        l->set_level(lvl);
}

}  // namespace aigw::log
