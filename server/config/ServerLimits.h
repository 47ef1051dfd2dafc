#pragma once

#include "protocol/Protocol.h"

#include <QtGlobal>

// Every network limit of forgewire-server, named once. Each has a test in tests/server/daemon/tst_limits.cpp.
// The config file and flags may override the runtime ones; these are the defaults.
namespace forgewire::limits {

// Largest client message; PROTOCOL.md: more than 64 KiB closes with 1009. The protocol's limit, which
// clients know too.
constexpr qint64 kMaxMessageBytes = protocol::kMaxMessageBytes;
// From TCP accept to a ready session (request head read, upgrade done, token checked).
constexpr int kHandshakeTimeoutMs = 10'000;
// Largest HTTP request head, on the WebSocket port and the admin listener alike; a browser's upgrade
// and a publisher's request are far below it.
constexpr qint64 kMaxRequestHeadBytes = 16 * 1024;
// PROTOCOL.md keepalive: ping every 25 s, drop a peer whose pong is 10 s late.
constexpr int kPingIntervalMs = 25'000;
constexpr int kPongDeadlineMs = 10'000;
// Bytes queued for one client before it is a slow consumer (close 4008). Retained state plus a
// burst of board events is a few KiB; 1 MiB is minutes of backlog for a real client.
constexpr qint64 kMaxSendQueueBytes = 1024 * 1024;
// Bytes queued for all clients of the node together (every outbox plus the client messages waiting
// behind a pending request). Past it the largest backlogs are closed with 4008 first, so the
// cap x connections product (20 GB at the defaults) can never be reached.
constexpr qint64 kMaxQueuedBytes = qint64(1024) * 1024 * 1024;
// Open WebSocket connections per node; the daemon's fd limit must be above it.
constexpr int kMaxConnections = 20'000;
// Connections from one address (IPv6: one /64, what a single host is usually given); loopback is not
// exempt. Past it: HTTP 503 with Retry-After, like the node-wide cap.
constexpr int kMaxConnectionsPerAddress = 256;
// Accepted connections whose HTTP upgrade request has not been answered yet (each may hold up to
// kMaxRequestHeadBytes of input); past it the listener holds what it accepts, unread, until one is
// answered, so a reconnect storm after a restart waits instead of getting 503s (ClientListener).
constexpr int kMaxPendingHandshakes = 1024;
// Connections held that way (a descriptor each, their requests unread in the kernel); past it the
// listener stops accepting and the kernel's backlog keeps the rest. Not lower: the kernel drops SYNs
// once its backlog (net.core.somaxconn, 4096 by default) is full, and a dropped client waits out a
// 1 s retransmit, so a 10,000-client restart took 3.3 s instead of 1.7 s when the listener stopped
// at the pending-handshake cap.
constexpr int kMaxHeldConnections = 8192;
// Topics one connection may hold besides its own user topic.
constexpr int kMaxSubscriptionsPerConnection = 256;
// Client message rate: a token bucket; past it messages get `rate_limited` and are dropped.
constexpr int kClientMessageBurst = 50;
constexpr int kClientMessagesPerSecond = 20;
// Client messages kept while the session waits for its token check or a topic lookup (replies keep
// request order). Above the rate-limit burst, so a well-behaved client never reaches it; past either
// bound a message is answered with `rate_limited` and its payload is not kept.
constexpr int kMaxDeferredMessages = 64;
constexpr qint64 kMaxDeferredBytes = 256 * 1024;
// Admin listener: largest request body and batch of the publish API.
constexpr qint64 kMaxPublishBodyBytes = 4 * 1024 * 1024;
constexpr int kMaxPublishBatch = 10'000;
// Live boards (PROTOCOL.md v1.1): the largest snapshot body of PUT /api/v1/projects/{id}/board (413
// past it), and the cards and columns it may hold (400 past them). Half the per-client send-queue cap,
// so a subscriber's board-snapshot plus a burst of events never makes it a slow consumer; 2,000 cards
// of a real board (about 150 bytes each) fit well inside.
constexpr qint64 kMaxBoardSnapshotBytes = kMaxSendQueueBytes / 2;
constexpr int kMaxBoardCards = 2'000;
constexpr int kMaxBoardColumns = 100;
// Admin listener: open connections; one more is answered 503 and closed. With the head and body
// bounds this caps the listener's buffers at 64 x (16 KiB + 4 MiB), about 257 MiB.
constexpr int kMaxAdminConnections = 64;
// Admin listener: from the accept (first request) or a request's first byte (later ones) until its
// body is complete. Bytes arriving do not extend it, so a slow drip cannot hold a slot; past it 408.
constexpr int kAdminRequestTimeoutMs = 10'000;
// Admin listener: a kept-alive connection with no request in flight is closed after this.
constexpr int kAdminIdleTimeoutMs = 30'000;
// Time SIGTERM gives clients to take their 1001 close before the process exits.
constexpr int kDrainTimeoutMs = 3'000;

// Bridge mode: checking a forge token costs a request to the forge, which an anonymous client could
// otherwise make the server send at will (one per upgrade with a random token).
// A token the forge refused is refused from memory for this long (no forge request).
constexpr int kForgeRefusalCacheMs = 60'000;
// Token checks (GET /user) in flight at once, and waiting for one of those slots. Past the queue
// the upgrade is turned away with 1013 at once. Six is what QNetworkAccessManager runs at once per
// host: more would only wait inside it, where no deadline of ours applies.
constexpr int kForgeChecksInFlight = 6;
constexpr int kForgeChecksQueued = 256;
// New forge checks per client address: a token bucket. Cached answers do not count; an office
// behind one NAT address starting its trays together stays well within the burst.
constexpr int kForgeChecksPerAddressBurst = 20;
constexpr int kForgeChecksPerAddressPerSecond = 2;

} // namespace forgewire::limits
