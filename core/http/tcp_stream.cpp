#include "http/tcp_stream.h"

#include "common/epoll_dispatcher.h"

#include <QEvent>
#include <QHostInfo>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace aigw::http::detail {

namespace {

void setNoDelay(int fd) {
    // Small SSE chunks and request heads must leave at once; Nagle would hold them up to 40 ms.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

TcpStream::TcpStream(int fd, QObject* parent) : QObject(parent), m_fd(fd), m_connected(true) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    setNoDelay(fd);
    setupNotifiers();
    m_readNotifier->setEnabled(true);
}

TcpStream::TcpStream(QObject* parent) : QObject(parent) {}

TcpStream::~TcpStream() {
    if (m_lookupId >= 0) QHostInfo::abortHostLookup(m_lookupId);
    closeNow();
}

std::string TcpStream::errorText(int error) {
    switch (error) {
    case 0: return "the remote host closed the connection";
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset by peer";
    case EPIPE: return "broken pipe";
    case ETIMEDOUT: return "connection timed out";
    default: return std::strerror(error);
    }
}

namespace {
/// A QSocketNotifier that calls its owner directly. QSocketNotifier::event() emits activated()
/// twice (two signal activations and a guarded pointer per readable or writable event: ~700
/// instructions of each proxied request, callgrind); this takes the event itself, and under the
/// data plane's EpollEventDispatcher it is called without an event at all. The call may delete the
/// notifier (closeNow() only schedules that, but nothing here touches it afterwards).
class DirectNotifier final : public DirectSocketNotifier {
public:
    DirectNotifier(qintptr fd, Type type, TcpStream* owner, void (TcpStream::*handler)())
        : DirectSocketNotifier(fd, type, owner), m_owner(owner), m_handler(handler) {}

    /// EpollEventDispatcher's call, without an event.
    void activated() override { (m_owner->*m_handler)(); }

protected:
    /// Under Qt's own dispatcher (AIGW_EVENT_DISPATCHER=qt), or before the first enable.
    bool event(QEvent* e) override {
        if (e->type() == QEvent::SockAct || e->type() == QEvent::SockClose) {
            activated();
            return true;
        }
        return QSocketNotifier::event(e);
    }

private:
    TcpStream* m_owner;
    void (TcpStream::*m_handler)();
};
}  // namespace

void TcpStream::setupNotifiers() {
    m_readNotifier = new DirectNotifier(m_fd, QSocketNotifier::Read, this, &TcpStream::onReadNotified);
    m_readNotifier->setEnabled(false);
    m_writeNotifier = new DirectNotifier(m_fd, QSocketNotifier::Write, this, &TcpStream::onWritable);
    m_writeNotifier->setEnabled(false);
}

void TcpStream::onReadNotified() {
    if (onReadable) onReadable();
}

void TcpStream::closeNow() {
    // The notifiers are dropped before the descriptor is closed (a closed descriptor in the poll set
    // is an error), and deleted later: this may run from inside one of their activations.
    for (QSocketNotifier* n : {m_readNotifier, m_writeNotifier}) {
        if (!n) continue;
        n->setEnabled(false);
        n->deleteLater();
    }
    m_readNotifier = m_writeNotifier = nullptr;
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    m_connected = false;
    m_out.clear();
    m_outOffset = 0;
}

void TcpStream::connectTo(const std::string& host, quint16 port) {
    m_port = port;
    QHostAddress literal;
    if (literal.setAddress(QString::fromStdString(host))) {
        m_addresses = {literal};
        m_nextAddress = 0;
        tryNextAddress();
        return;
    }
    m_lookupId = QHostInfo::lookupHost(QString::fromStdString(host), this, [this, host](const QHostInfo& info) {
        m_lookupId = -1;
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
            connectFinished({0, true, host + ": " + info.errorString().toStdString()});
            return;
        }
        const auto list = info.addresses();
        m_addresses.assign(list.begin(), list.end());
        m_nextAddress = 0;
        tryNextAddress();
    });
}

void TcpStream::tryNextAddress() {
    while (m_nextAddress < m_addresses.size()) {
        const QHostAddress& address = m_addresses[m_nextAddress++];
        sockaddr_storage storage{};
        socklen_t length = 0;
        if (address.protocol() == QAbstractSocket::IPv4Protocol) {
            auto* in = reinterpret_cast<sockaddr_in*>(&storage);
            in->sin_family = AF_INET;
            in->sin_port = htons(m_port);
            in->sin_addr.s_addr = htonl(address.toIPv4Address());
            length = sizeof(sockaddr_in);
        } else if (address.protocol() == QAbstractSocket::IPv6Protocol) {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(m_port);
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, &bytes, sizeof bytes);
            bool ok = false;
            const uint scope = address.scopeId().toUInt(&ok);
            if (ok) in6->sin6_scope_id = scope;
            length = sizeof(sockaddr_in6);
        } else {
            m_lastConnectError = EAFNOSUPPORT;
            continue;
        }
        const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            m_lastConnectError = errno;
            continue;
        }
        int rc;
        do rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&storage), length);
        while (rc < 0 && errno == EINTR);
        if (rc == 0 || errno == EINPROGRESS) {
            // Done or not, the outcome is reported from the write notifier: never from connectTo().
            m_fd = fd;
            setupNotifiers();
            m_writeNotifier->setEnabled(true);
            return;
        }
        m_lastConnectError = errno;
        ::close(fd);
    }
    // Every address failed at once: report from the event loop, not from inside connectTo().
    const int error = m_lastConnectError ? m_lastConnectError : ECONNREFUSED;
    QMetaObject::invokeMethod(
        this, [this, error] { connectFinished({error, false, errorText(error)}); }, Qt::QueuedConnection);
}

void TcpStream::connectFinished(const ConnectResult& result) {
    if (onConnected) onConnected(result);
}

void TcpStream::onWritable() {
    if (m_fd < 0) return;
    if (!m_connected) {
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
        if (error == EINPROGRESS || error == EALREADY || error == EINTR) return;
        if (error != 0) {
            std::string queued = std::move(m_out);  // written before the connect: kept for the next address
            closeNow();
            m_out = std::move(queued);
            m_lastConnectError = error;
            tryNextAddress();
            return;
        }
        m_connected = true;
        setNoDelay(m_fd);
        m_writeNotifier->setEnabled(m_outOffset < m_out.size());
        m_readNotifier->setEnabled(!m_closing);
        connectFinished({});
        return;
    }
    flush();
}

void TcpStream::flush() {
    while (m_outOffset < m_out.size()) {
        const ssize_t n = ::send(m_fd, m_out.data() + m_outOffset, m_out.size() - m_outOffset, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            m_outOffset += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_writeNotifier->setEnabled(true);
            return;
        }
        failWrite(n < 0 ? errno : EPIPE);
        return;
    }
    m_out.clear();
    m_outOffset = 0;
    if (m_writeNotifier) m_writeNotifier->setEnabled(false);
    if (m_closing) {
        closeNow();
        if (onClosed) onClosed();
    }
}

void TcpStream::write(const char* data, qsizetype size) {
    if (m_fd < 0 || m_writeFailed || m_closing || size <= 0) return;
    if (m_connected && m_outOffset >= m_out.size()) {
        qsizetype done = 0;
        while (done < size) {
            const ssize_t n = ::send(m_fd, data + done, static_cast<size_t>(size - done), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                done += n;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            failWrite(n < 0 ? errno : EPIPE);
            return;
        }
        if (done == size) return;
        data += done;
        size -= done;
        m_out.clear();
        m_outOffset = 0;
    }
    m_out.append(data, static_cast<std::size_t>(size));
    if (m_connected) m_writeNotifier->setEnabled(true);
}

void TcpStream::failWrite(int error) {
    // Reported from the event loop (the writer may be deep inside a callback chain). Reading stays
    // on: a reset peer usually shows there first, and the owner may handle it from that side.
    m_writeFailed = true;
    m_out.clear();
    m_outOffset = 0;
    if (m_writeNotifier) m_writeNotifier->setEnabled(false);
    QMetaObject::invokeMethod(
        this,
        [this, error] {
            if (m_fd < 0) return;  // closed meanwhile (the read side reported it)
            closeNow();
            if (onWriteError) onWriteError(error, errorText(error));
        },
        Qt::QueuedConnection);
}

TcpStream::ReadResult TcpStream::read(QByteArray& buffer, qsizetype maxBytes) {
    if (m_fd < 0) return {ReadStatus::Error, EBADF};
    qsizetype total = 0;
    qsizetype chunk = 16 * 1024;
    while (total < maxBytes) {
        chunk = std::min(chunk, maxBytes - total);
        const qsizetype old = buffer.size();
        if (buffer.capacity() < old + chunk) buffer.reserve(std::max(old + chunk, buffer.capacity() * 2));
        buffer.resize(old + chunk);  // within the capacity: no allocation, no fill
        ssize_t n;
        do n = ::recv(m_fd, buffer.data() + old, static_cast<size_t>(chunk), 0);
        while (n < 0 && errno == EINTR);
        buffer.resize(old + std::max<qsizetype>(n, 0));
        if (n > 0) {
            total += n;
            if (n < chunk) break;  // a short read: the kernel's buffer is drained
            chunk *= 2;
            continue;
        }
        if (total > 0) break;  // report the data now; the end or error shows on the next read
        if (n == 0) return {ReadStatus::End};
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {ReadStatus::Empty};
        return {ReadStatus::Error, errno};
    }
    return {ReadStatus::Data};
}

void TcpStream::setReadEnabled(bool enabled) {
    if (m_readNotifier && m_connected) m_readNotifier->setEnabled(enabled && !m_closing);
}

void TcpStream::close() {
    if (m_fd < 0 || m_closing) return;
    m_closing = true;
    if (m_readNotifier) m_readNotifier->setEnabled(false);
    if (!m_connected || m_writeFailed || m_outOffset >= m_out.size()) {
        closeNow();
        if (onClosed) onClosed();
    }
}

void TcpStream::abort(bool reset) {
    if (m_lookupId >= 0) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_lookupId = -1;
    }
    m_addresses.clear();  // a connect under way tries no further address
    m_nextAddress = 0;
    if (m_fd >= 0 && reset) {
        const linger lg{1, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    closeNow();
}

std::pair<QHostAddress, quint16> TcpStream::peer() const {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (m_fd < 0 || ::getpeername(m_fd, reinterpret_cast<sockaddr*>(&storage), &length) < 0) return {QHostAddress(), 0};
    quint16 port = 0;
    if (storage.ss_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
    else if (storage.ss_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    return {QHostAddress(reinterpret_cast<const sockaddr*>(&storage)), port};
}

}  // namespace aigw::http::detail
