#pragma once

#include <QtGlobal>

namespace forgewire {

// A connection the server gives up on (no pong within the deadline, a close handshake never
// answered, a response never read) is reset rather than closed. A plain close() queues our FIN
// behind the bytes the peer left unread, and the kernel keeps them in FIN-WAIT-1 for as long as
// the peer keeps its receive window shut: megabytes per connection, outside every bound the server
// counts (max_queued_bytes, the per-address cap), so a few thousand such peers could exhaust the
// host's TCP memory. With SO_LINGER 0 the close sends a reset and frees the send buffer at once.
// Call right before the descriptor is closed.
void resetOnClose(qintptr descriptor);

} // namespace forgewire
