#pragma once
// Writes to a connected QTcpSocket at once instead of on the next event-loop pass. Private to
// aigw::http.
//
// QTcpSocket::write() only appends to Qt's buffer and enables the write notifier: the bytes leave
// after one more poll() round trip. On the proxy path that is two extra passes per request (the
// request upstream, the response to the client), measured as tens of microseconds each under load.

#include <QtGlobal>

class QTcpSocket;

namespace aigw::http::detail {

/// Hands `data` to the kernel now when nothing is queued in Qt's buffer ahead of it (order is
/// kept); whatever the kernel does not take (full send buffer, an error) goes through
/// QTcpSocket::write(), so errors surface through Qt's signals on a later pass, never re-entrantly
/// from this call.
void writeNow(QTcpSocket& socket, const char* data, qsizetype size);

}  // namespace aigw::http::detail
