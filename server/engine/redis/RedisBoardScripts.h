#pragma once

#include <QByteArray>

namespace forgewire::redisboard {

// Live board models in Redis (PROTOCOL.md v1.1). One Redis: a model and its seq live in one hash
// `fw:board:<id>` (fields `model`, `seq`), its list-boards summary in the hash `fw:boards`, its ACL in
// the hash `fw:acl`. Redis Cluster: all of a board in its topic's slot, `fw:board:{project-board.<id>}`
// (fields `model`, `seq`, `summary`) and `fw:acl:{project-board.<id>}`, published with SPUBLISH.
//
// Why Lua and not MULTI/WATCH: applying an event needs the model's current state (does the column
// exist?) and the seq must be taken, stored and PUBLISHed in one step, or two nodes publishing for
// one board at once could hand clients seq 8 before seq 7. A script runs atomically in Redis, so
// read-validate-apply-bump-PUBLISH is one indivisible step, every node's subscriber connection gets
// the events in seq order, and there is no retry loop (WATCH would abort and retry under contention).
// The rules are BoardModel's (server/broker/BoardModel.cpp), written again in Lua; tst_redisengine
// runs the same cases against both.

enum class Layout
{
    SingleRedis,
    Cluster
};

// KEYS: none for one Redis; for a cluster one key of the slot every board of the call is in (what
// routes the call and lets it touch that slot). ARGV[1] = n, then per board publication 4 values: project id,
// the event message (the publication's payload), the serialized publication, "1" when it ends the topic
// (project.deleted). Returns {1} after applying and publishing all of them, or {0, why} having changed
// nothing.
QByteArray applyEventsScript(Layout layout);

// ARGV: project id, model JSON, summary JSON, serialized `board-snapshot` publication (its payload
// without seq). Stores the model with seq + 1 (1 for a new model), PUBLISHes the snapshot with "s"
// appended, returns the seq.
QByteArray storeSnapshotScript(Layout layout);

} // namespace forgewire::redisboard
