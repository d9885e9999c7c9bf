#pragma once
// What the supervisor (core/proxy/supervisor) and the aigw-mock-backend it starts agree on, besides
// the `READY http://HOST:PORT` line on stdout.

namespace aigw {

/// aigw-mock-backend's exit status when it cannot listen on its --listen address (e.g. the port was
/// taken while the server was down). The supervisor then starts it again on a port the kernel picks.
inline constexpr int kMockExitCannotListen = 3;

}  // namespace aigw
