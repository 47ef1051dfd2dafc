#pragma once

#include <QtGlobal>

// Every network limit of forgewire-server, named once. Each has a test in tests/server/tst_limits.cpp.
// The config file and flags may override the runtime ones; these are the defaults.
namespace forgewire::limits {

// Largest client message; PROTOCOL.md: more than 64 KiB closes with 1009.
constexpr qint64 kMaxMessageBytes = 64 * 1024;
// From TCP accept to a ready session (request head read, upgrade done, token checked).
constexpr int kHandshakeTimeoutMs = 10'000;
// Largest HTTP request head on the WebSocket port; a browser's upgrade is far below it.
constexpr qint64 kMaxRequestHeadBytes = 16 * 1024;
// PROTOCOL.md keepalive: ping every 25 s, drop a peer whose pong is 10 s late.
constexpr int kPingIntervalMs = 25'000;
constexpr int kPongDeadlineMs = 10'000;
// Bytes queued for one client before it is a slow consumer (close 4008). Retained state plus a
// burst of board events is a few KiB; 1 MiB is minutes of backlog for a real client.
constexpr qint64 kMaxSendQueueBytes = 1024 * 1024;
// Open WebSocket connections per node; the daemon's fd limit must be above it.
constexpr int kMaxConnections = 20'000;
// Topics one connection may hold besides its own user topic.
constexpr int kMaxSubscriptionsPerConnection = 256;
// Client message rate: a token bucket; past it messages get `rate_limited` and are dropped.
constexpr int kClientMessageBurst = 50;
constexpr int kClientMessagesPerSecond = 20;
// Admin listener: largest request body and batch of the publish API.
constexpr qint64 kMaxPublishBodyBytes = 4 * 1024 * 1024;
constexpr int kMaxPublishBatch = 10'000;
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
