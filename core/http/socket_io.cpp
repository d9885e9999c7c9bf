#include "http/socket_io.h"

#include <QTcpSocket>

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace aigw::http::detail {

void writeNow(QTcpSocket& socket, const char* data, qsizetype size) {
    qsizetype done = 0;
    const qintptr fd = socket.socketDescriptor();
    if (fd >= 0 && socket.state() == QAbstractSocket::ConnectedState && socket.bytesToWrite() == 0) {
        while (done < size) {
            const ssize_t n = ::send(static_cast<int>(fd), data + done, static_cast<size_t>(size - done), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                done += n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            break;  // EAGAIN or an error: Qt takes over below
        }
    }
    if (done < size)
        socket.write(data + done, size - done);
}

bool readAvailable(QTcpSocket& socket, QByteArray& buffer) {
    const qint64 available = socket.bytesAvailable();
    if (available <= 0) {
        buffer.resize(0);
        return false;
    }
    buffer.resize(static_cast<qsizetype>(available));  // shrinking keeps the capacity
    const qint64 got = socket.read(buffer.data(), available);
    buffer.resize(static_cast<qsizetype>(std::max<qint64>(got, 0)));
    return !buffer.isEmpty();
}

}  // namespace aigw::http::detail
