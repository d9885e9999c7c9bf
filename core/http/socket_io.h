#pragma once
// Socket I/O helpers for the proxy's hot path. Private to aigw::http.
//
// QTcpSocket::write() only appends to Qt's buffer and enables the write notifier: the bytes leave
// after one more poll() round trip. On the proxy path that is two extra passes per request (the
// request upstream, the response to the client), measured as tens of microseconds each under load.

#include <QByteArray>
#include <QtGlobal>

class QTcpSocket;

namespace aigw::http::detail {

/// Hands `data` to the kernel now when nothing is queued in Qt's buffer ahead of it (order is
/// kept); whatever the kernel does not take (full send buffer, an error) goes through
/// QTcpSocket::write(), so errors surface through Qt's signals on a later pass, never re-entrantly
/// from this call.
void writeNow(QTcpSocket& socket, const char* data, qsizetype size);

/// Moves every byte the socket has buffered into `buffer` (replacing its contents), reusing the
/// buffer's allocation. QIODevice::readAll() allocates a fresh 16 KiB array and grows it once more
/// per call: two large allocations per read, each of which also makes glibc consolidate its fast
/// bins (perf: malloc_consolidate and _int_malloc on the proxy's read path). Returns false when
/// nothing was available.
bool readAvailable(QTcpSocket& socket, QByteArray& buffer);

}  // namespace aigw::http::detail
