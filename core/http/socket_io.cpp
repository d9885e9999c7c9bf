#include "http/socket_write.h"

#include <QTcpSocket>

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

}  // namespace aigw::http::detail
