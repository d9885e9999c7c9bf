#pragma once
// A non-blocking TCP socket driven by two QSocketNotifiers, for the HTTP server's and client's
// connections. Private to aigw::http.
//
// QTcpSocket costs the proxy path, per read: an FIONREAD ioctl, a copy through its own buffer and a
// signal through QMetaObject::activate; and per write one more poll() pass before the bytes leave
// (callgrind and perf on bench/proxy_bench.sh: ~10,000 instructions and two system calls per
// proxied request). Here a read is one recv() into the caller's buffer, a write is one send() now,
// and only what the kernel did not take waits for the write notifier.
//
// Callbacks are never made from inside write(), close() or abort(): an error found while writing is
// reported from the event loop, like Qt did.

#include <QByteArray>
#include <QHostAddress>
#include <QObject>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

class QSocketNotifier;

namespace aigw::http::detail {

class TcpStream : public QObject {
    Q_OBJECT  // so tests can find a server's streams with findChildren
public:
    /// Adopts an accepted, connected socket (made non-blocking here).
    TcpStream(int fd, QObject* parent);
    /// An unconnected stream: connectTo() opens it.
    explicit TcpStream(QObject* parent);
    ~TcpStream() override;

    /// Connected, or connect failed (errno value; 0 = connected). A host name is resolved first
    /// (QHostInfo, off this thread); each address is tried in turn. A lookup failure reports
    /// `hostNotFound` with errno 0.
    struct ConnectResult {
        int error = 0;
        bool hostNotFound = false;
        std::string message;
    };
    std::function<void(const ConnectResult&)> onConnected;
    /// The socket is readable (data or the end of the stream): call read().
    std::function<void()> onReadable;
    /// A write failed (the peer reset the connection): errno and its text. The socket is closed.
    std::function<void(int error, const std::string& message)> onWriteError;
    /// A graceful close() finished flushing and the socket is closed.
    std::function<void()> onClosed;

    void connectTo(const std::string& host, quint16 port);

    enum class ReadStatus { Data, Empty, End, Error };
    struct ReadResult {
        ReadStatus status;
        int error = 0;  ///< for Error
    };
    /// Appends what one recv() returns to `buffer` (at most `maxBytes`). Empty: nothing was there
    /// (EAGAIN). End: the peer closed. A short read means the kernel's buffer was drained: the read
    /// notifier fires again when more arrives.
    ReadResult read(QByteArray& buffer, qsizetype maxBytes = 64 * 1024);
    /// Stops (false) or resumes (true) watching for input, for back pressure.
    void setReadEnabled(bool enabled);

    /// Sends now what the kernel takes; the rest is queued in order and sent when writable.
    void write(const char* data, qsizetype size);
    void write(std::string_view bytes) { write(bytes.data(), static_cast<qsizetype>(bytes.size())); }
    qint64 bytesToWrite() const { return static_cast<qint64>(m_out.size() - m_outOffset); }

    /// Closes once everything queued was sent, then calls onClosed. Input is no longer watched.
    void close();
    /// Closes at once; queued bytes are dropped. `reset` sends RST (SO_LINGER 0). No callback.
    void abort(bool reset = false);

    bool isOpen() const { return m_fd >= 0; }
    bool isConnected() const { return m_fd >= 0 && m_connected; }
    int descriptor() const { return m_fd; }
    /// The peer's address and port (one getpeername()); empty and 0 when unknown.
    std::pair<QHostAddress, quint16> peer() const;
    static std::string errorText(int error);

private:
    void setupNotifiers();
    void tryNextAddress();
    void connectFinished(const ConnectResult& result);
    void onReadNotified();
    void onWritable();
    void flush();
    void failWrite(int error);
    void closeNow();

    int m_fd = -1;
    bool m_connected = false;
    bool m_closing = false;
    bool m_writeFailed = false;
    QSocketNotifier* m_readNotifier = nullptr;
    QSocketNotifier* m_writeNotifier = nullptr;
    std::string m_out;
    std::size_t m_outOffset = 0;

    // Connecting.
    std::vector<QHostAddress> m_addresses;
    std::size_t m_nextAddress = 0;
    quint16 m_port = 0;
    int m_lastConnectError = 0;
    int m_lookupId = -1;
};

}  // namespace aigw::http::detail
