#pragma once

// The checks several nodes on one Redis engine must pass whatever is behind it (one Redis, Redis
// Cluster): tst_redisengine and tst_redisclusterengine run the same ones.

#include "TestSupport.h"

#include <memory>

namespace forgewire {
class Engine;
}

namespace forgewire::test {

// Longest a node on Redis takes to come back: the reconnect backoff is capped at 5 s, and a
// restarted cluster node must rejoin first.
constexpr int kRedisRecoverMs = 20'000;

bool waitReady(const ServerFixture& node, int timeoutMs = kRedisRecoverMs);
// A client of `userId` on `node` subscribed to `topic` (nullptr if that did not work).
std::unique_ptr<WsClient> connectAndSubscribe(const ServerFixture& node, const QString& topic,
                                              qint64 userId = 7);
// Messages of `type` that arrive within `ms` (the queue is emptied).
int countOfType(WsClient& client, const QString& type, int ms);

// User 7's retained state, published through `node` with nobody connected: a running stopwatch
// (issue 7) and the notification count 5, then 6 (the latest one wins).
bool publishRetainedStateOfUser7(const ServerFixture& node);
// A new client of user 7 on `node` gets that state right after hello: the count first, then the
// stopwatches (QtTest failures; check QTest::currentTestFailed()).
void expectRetainedStateOfUser7(const ServerFixture& node);

// `perNode` project.updated events to `eventsPath` (/api/v1/projects/N/events) through both nodes
// at once, none waiting for another's answer; returns how many were accepted (202).
int publishBoardEventsThroughBoth(const ServerFixture& a, const ServerFixture& b, const QString& eventsPath,
                                  int perNode);
// `client` gets board events with seq first..last, each once, in order, and nothing after.
void expectBoardSeqs(WsClient& client, int first, int last);

// The board cases BoardModel passes (BoardCases.h), each on a board of its own (projects
// firstProject + 1, + 2, ...) stored through `engine`, one event published and the model read back:
// the engine's board script must follow the same rules.
void expectBoardRules(Engine& engine, qint64 firstProject);

} // namespace forgewire::test
