#pragma once
// Incremental HTTP/1.x message parsing (the project's own framing code), apart from sockets and event
// loops: the server's connections and the client's pooled connections feed bytes in as they
// arrive, and the fuzz targets (fuzz/fuzz_http_request.cpp, fuzz_http_response.cpp) run the very
// same code on arbitrary input.

#include <QByteArray>
#include <QtGlobal>

#include <cstddef>
#include <functional>
#include <memory>

#include "http/http_client.h"
#include "http/http_server.h"

namespace aigw::http {

/// The requests of one server-side connection, in order. After a request completes, parsing
/// stops until the caller asks for more, so the rest of the input waits for the next request.
class RequestParser {
public:
    enum class Status {
        NeedMore,  ///< all of the input was consumed; no request completed in it
        Complete,  ///< a request is complete: takeRequest(); unconsumed input is the next one's
        TooLarge,  ///< the body would exceed the limit: takeRequest() has the head and no body
        Error,     ///< malformed input (the server answers 400 and closes)
    };
    struct Step {
        Status status = Status::NeedMore;
        std::size_t consumed = 0;     ///< bytes of the input used; feed the rest to the next call
        const char* error = nullptr;  ///< Error: what is wrong
    };

    RequestParser();
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    /// Bodies larger than this end in TooLarge; <= 0 means no limit. May change between calls.
    void setMaxBodyBytes(qint64 bytes);
    /// Called when the first byte of a request is parsed (the server stops its idle timer).
    std::function<void()> onMessageBegin;
    /// Called when an HTTP/1.1 head asks for `Expect: 100-continue`, before its body is read.
    std::function<void()> onExpectContinue;

    /// Parses from `data` until a request completes, the input ends, or an error.
    Step execute(const char* data, std::size_t len);
    /// The request that just completed (Complete / TooLarge); null otherwise.
    std::shared_ptr<HttpRequest> takeRequest();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// One response on a client-side connection (1xx heads skipped). Reset before each request.
class ResponseParser {
public:
    struct Step {
        std::size_t consumed = 0;
        bool error = false;           ///< malformed, or (at the end of the stream) incomplete
        const char* errorText = "";   ///< what is wrong
    };

    ResponseParser();
    ~ResponseParser();
    ResponseParser(const ResponseParser&) = delete;
    ResponseParser& operator=(const ResponseParser&) = delete;

    /// Ready for the response to a new request; a response to HEAD has no body whatever it says.
    void reset(bool headRequest);
    /// Parses `data`; len 0 means the server closed the stream (completes a close-delimited body).
    /// Stops at the end of the response: bytes after it are not consumed.
    Step execute(const char* data, std::size_t len);

    /// A final (non-1xx) head was parsed and not taken yet.
    bool hasNewHead() const;
    /// Moves the head out (hasNewHead() is false afterwards).
    ResponseHead takeHead();
    /// Body bytes parsed since the last call, de-chunked.
    QByteArray takeBody();
    /// The response is complete.
    bool complete() const;
    /// The response allows the connection to carry another request.
    bool keepAlive() const;
    /// Lets parsing continue after a complete response (for a connection kept for the next one).
    void resume();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace aigw::http
