#pragma once
// Small synchronous helpers over HttpClient for the mock server tests.

#include <QtTest>

#include <nlohmann/json.hpp>

#include "http/http_client.h"

namespace aigw::mock::testing {

/// Upper bound on every wait: only a hung test reaches it, so it is generous (a loaded machine must
/// never hit it); no test asserts how long a wait took.
inline constexpr int kHungMs = 30000;

struct Reply {
    int status = 0;
    http::Headers headers;
    QByteArray body;
    std::optional<http::ClientError> error;
    nlohmann::json json() const { return nlohmann::json::parse(body.toStdString(), nullptr, false); }
};

/// One request, waiting (event loop running) up to `timeoutMs` for the outcome.
inline Reply call(http::HttpClient& client, quint16 port, const std::string& method, const std::string& path,
                  const std::string& body = {}, http::ClientRequest overrides = {}, int timeoutMs = kHungMs) {
    http::ClientRequest r = std::move(overrides);
    r.method = method;
    r.port = port;
    r.target = path;
    r.body = QByteArray::fromStdString(body);
    if (!body.empty()) r.headers.set("content-type", "application/json");
    std::optional<http::FetchOutcome> out;
    client.fetch(std::move(r), [&](http::FetchOutcome o) { out = std::move(o); });
    (void)QTest::qWaitFor([&] { return out.has_value(); }, timeoutMs);
    Reply reply;
    if (!out) {
        reply.error = http::ClientError{http::FailureKind::PerTryTimeout, "test wait expired"};
    } else if (auto* full = std::get_if<http::FullResponse>(&*out)) {
        reply.status = full->head.status;
        reply.headers = full->head.headers;
        reply.body = full->body;
    } else {
        reply.error = std::get<http::ClientError>(*out);
    }
    return reply;
}

/// A streamed response as it arrives (pieces in arrival order).
struct StreamCapture {
    std::optional<http::ResponseHead> head;
    std::vector<QByteArray> pieces;
    QByteArray body;
    bool completed = false;
    std::optional<http::ClientError> error;
    bool finished() const { return completed || error.has_value(); }

    /// SSE `data:` payloads in order.
    std::vector<std::string> sseData() const {
        std::vector<std::string> out;
        for (const QByteArray& ev : body.split('\n')) {
            if (ev.startsWith("data: ")) out.push_back(ev.mid(6).toStdString());
        }
        return out;
    }
    /// NDJSON lines.
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        for (const QByteArray& l : body.split('\n')) {
            if (!l.isEmpty()) out.push_back(l.toStdString());
        }
        return out;
    }
};

inline void stream(http::HttpClient& client, quint16 port, const std::string& path, const std::string& body,
                   StreamCapture& cap, http::ClientRequest overrides = {}) {
    http::ClientRequest r = std::move(overrides);
    r.method = "POST";
    r.port = port;
    r.target = path;
    r.body = QByteArray::fromStdString(body);
    client.send(std::move(r), {.onHeaders = [&cap](const http::ResponseHead& h) { cap.head = h; },
                               .onData = [&cap](const QByteArray& d) {
                                   cap.pieces.push_back(d);
                                   cap.body += d;
                               },
                               .onComplete = [&cap] { cap.completed = true; },
                               .onError = [&cap](const http::ClientError& e) { cap.error = e; }});
}

}  // namespace aigw::mock::testing
