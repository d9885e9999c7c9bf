#include "common/fault_profile.h"

#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace aigw {

bool FaultProfile::isNone() const { return *this == FaultProfile{}; }

std::string FaultProfile::describe() const {
    std::vector<std::string> parts;
    if (resetBeforeHeaders) parts.push_back("reset before headers");
    if (hang) parts.push_back("hang");
    if (errorStatus != 0) {
        std::string s = std::to_string(errorStatus);
        if (errorRate < 1.0) s += fmt::format(" x{:g}", errorRate);
        if (retryAfterSeconds > 0) s += fmt::format(" (Retry-After {})", retryAfterSeconds);
        if (errorPlainText) s += " text/plain";
        parts.push_back(s);
    }
    if (latencyMs > 0 || latencyJitterMs > 0) {
        parts.push_back(latencyJitterMs > 0 ? fmt::format("+{}ms~{}", latencyMs, latencyJitterMs)
                                            : fmt::format("+{}ms", latencyMs));
    }
    if (firstTokenDelayMs) parts.push_back(fmt::format("first token {}ms", *firstTokenDelayMs));
    if (cutAfterTokens) parts.push_back(fmt::format("cut after {} tokens", *cutAfterTokens));
    if (stallAfterTokens) {
        parts.push_back(stallMs > 0 ? fmt::format("stall {}ms after {} tokens", stallMs, *stallAfterTokens)
                                    : fmt::format("stall after {} tokens", *stallAfterTokens));
    }
    if (malformedAfterTokens) parts.push_back(fmt::format("malformed chunk after {} tokens", *malformedAfterTokens));
    if (omitDone) parts.push_back("no [DONE]");
    if (parts.empty()) return "none";
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += ", ";
        out += p;
    }
    return out;
}

namespace {

Error fieldError(const std::string& key, const std::string& what) {
    return Error{{"", 0, 0, key}, what};
}

Result<int> readInt(const nlohmann::json& v, const std::string& key, int min, int max) {
    if (!v.is_number_integer()) return fieldError(key, "must be an integer");
    const auto x = v.get<long long>();
    if (x < min || x > max) return fieldError(key, fmt::format("must be between {} and {}, got {}", min, max, x));
    return static_cast<int>(x);
}

}  // namespace

Result<FaultProfile> parseFaultProfile(const nlohmann::json& j) {
    if (!j.is_object()) return Error{{}, "fault profile must be a JSON object"};
    static const std::set<std::string> known = {
        "errorStatus", "errorRate", "retryAfterSeconds", "errorPlainText", "latencyMs", "latencyJitterMs",
        "hang", "firstTokenDelayMs", "cutAfterTokens", "stallAfterTokens", "stallMs",
        "malformedAfterTokens", "omitDone", "resetBeforeHeaders"};
    FaultProfile f;
    constexpr int kMaxMs = 24 * 3600 * 1000;
    constexpr int kMaxTokens = 1000000;
    for (const auto& item : j.items()) {
        // Named references, not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
        const std::string& key = item.key();
        const nlohmann::json& v = item.value();
        if (!known.count(key)) {
            return fieldError(key, "unknown fault field (known: errorStatus, errorRate, retryAfterSeconds, errorPlainText, latencyMs, "
                                   "latencyJitterMs, hang, firstTokenDelayMs, cutAfterTokens, stallAfterTokens, "
                                   "stallMs, malformedAfterTokens, omitDone, resetBeforeHeaders)");
        }
        if (v.is_null()) continue;
        auto intField = [&](int& out, int min, int max) -> std::optional<Error> {
            auto r = readInt(v, key, min, max);
            if (!r) return r.error();
            out = r.value();
            return std::nullopt;
        };
        auto optField = [&](std::optional<int>& out, int min, int max) -> std::optional<Error> {
            auto r = readInt(v, key, min, max);
            if (!r) return r.error();
            out = r.value();
            return std::nullopt;
        };
        auto boolField = [&](bool& out) -> std::optional<Error> {
            if (!v.is_boolean()) return fieldError(key, "must be true or false");
            out = v.get<bool>();
            return std::nullopt;
        };
        std::optional<Error> err;
        if (key == "errorStatus") {
            err = intField(f.errorStatus, 0, 599);
            if (!err && f.errorStatus != 0 && f.errorStatus < 400) {
                err = fieldError(key, fmt::format("must be 0 (off) or an HTTP error status 400-599, got {}", f.errorStatus));
            }
        } else if (key == "errorRate") {
            if (!v.is_number()) err = fieldError(key, "must be a number between 0 and 1");
            else {
                f.errorRate = v.get<double>();
                if (!(f.errorRate >= 0.0 && f.errorRate <= 1.0)) {
                    err = fieldError(key, fmt::format("must be between 0 and 1, got {:g}", f.errorRate));
                }
            }
        } else if (key == "retryAfterSeconds") err = intField(f.retryAfterSeconds, 0, 86400);
        else if (key == "errorPlainText") err = boolField(f.errorPlainText);
        else if (key == "latencyMs") err = intField(f.latencyMs, 0, kMaxMs);
        else if (key == "latencyJitterMs") err = intField(f.latencyJitterMs, 0, kMaxMs);
        else if (key == "hang") err = boolField(f.hang);
        else if (key == "firstTokenDelayMs") err = optField(f.firstTokenDelayMs, 0, kMaxMs);
        else if (key == "cutAfterTokens") err = optField(f.cutAfterTokens, 0, kMaxTokens);
        else if (key == "stallAfterTokens") err = optField(f.stallAfterTokens, 0, kMaxTokens);
        else if (key == "stallMs") err = intField(f.stallMs, 0, kMaxMs);
        else if (key == "malformedAfterTokens") err = optField(f.malformedAfterTokens, 0, kMaxTokens);
        else if (key == "omitDone") err = boolField(f.omitDone);
        else if (key == "resetBeforeHeaders") err = boolField(f.resetBeforeHeaders);
        if (err) return *err;
    }
    return f;
}

Result<FaultProfile> parseFaultProfile(const std::string& text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return Error{{}, "fault profile is not valid JSON"};
    return parseFaultProfile(j);
}

void to_json(nlohmann::json& j, const FaultProfile& f) {
    j = nlohmann::json::object();
    if (f.errorStatus != 0) {
        j["errorStatus"] = f.errorStatus;
        j["errorRate"] = f.errorRate;
        if (f.retryAfterSeconds > 0) j["retryAfterSeconds"] = f.retryAfterSeconds;
    } else if (f.errorRate != 1.0) {
        j["errorRate"] = f.errorRate;
    }
    if (f.errorStatus == 0 && f.retryAfterSeconds > 0) j["retryAfterSeconds"] = f.retryAfterSeconds;
    if (f.errorPlainText) j["errorPlainText"] = true;
    if (f.latencyMs) j["latencyMs"] = f.latencyMs;
    if (f.latencyJitterMs) j["latencyJitterMs"] = f.latencyJitterMs;
    if (f.hang) j["hang"] = true;
    if (f.firstTokenDelayMs) j["firstTokenDelayMs"] = *f.firstTokenDelayMs;
    if (f.cutAfterTokens) j["cutAfterTokens"] = *f.cutAfterTokens;
    if (f.stallAfterTokens) j["stallAfterTokens"] = *f.stallAfterTokens;
    if (f.stallMs) j["stallMs"] = f.stallMs;
    if (f.malformedAfterTokens) j["malformedAfterTokens"] = *f.malformedAfterTokens;
    if (f.omitDone) j["omitDone"] = true;
    if (f.resetBeforeHeaders) j["resetBeforeHeaders"] = true;
}

void from_json(const nlohmann::json& j, FaultProfile& f) {
    auto r = parseFaultProfile(j);
    if (!r) throw nlohmann::json::other_error::create(501, r.error().toString(), &j);
    f = std::move(r).value();
}

}  // namespace aigw
