// parseHttpHead and the header accessors, as both listeners use them: Worker::onRequestData on
// the WebSocket port (upgrade check) and AdminServer::process on the admin port (Content-Length
// framing of the body).
//
// Invariants: a complete head ends at a blank line within the limit, parsing is stable under a
// prefix that still holds the head and under bytes appended after it, every prefix shorter than
// the head is Incomplete (a head never completes early), and an Invalid head stays Invalid whatever
// follows (a bad line is refused as soon as it is complete). TrustedProxies::clientOf on the head
// (X-Forwarded-For / X-Real-IP from a trusted peer) names an address, and an untrusted peer's headers
// never change who it is.

#include "FuzzSupport.h"
#include "config/ServerLimits.h"
#include "http/HttpMessage.h"
#include "http/TrustedProxies.h"

using namespace forgewire;

namespace {

bool sameHead(const HttpRequestHead& a, const HttpRequestHead& b)
{
    return a.method == b.method && a.path == b.path && a.query == b.query && a.headers == b.headers &&
           a.length == b.length;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::silenceQtLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray buffer(reinterpret_cast<const char*>(data), qsizetype(size));
    // Both listeners allow the same head size today; a small limit reaches TooLarge cheaply.
    for (const qint64 limit : {limits::kMaxRequestHeadBytes, qint64(64)}) {
        HttpRequestHead head;
        const HttpParseStatus status = parseHttpHead(buffer, limit, &head);
        switch (status) {
        case HttpParseStatus::Incomplete:
            FUZZ_ASSERT(buffer.size() <= limit);
            continue;
        case HttpParseStatus::TooLarge:
            FUZZ_ASSERT(buffer.size() > limit);
            continue;
        case HttpParseStatus::Invalid: {
            // Refused as soon as a bad line is complete: no later byte can make it acceptable.
            HttpRequestHead more;
            FUZZ_ASSERT(parseHttpHead(buffer + "X: y\r\n\r\n", limit, &more) == HttpParseStatus::Invalid);
            continue;
        }
        case HttpParseStatus::Complete:
            break;
        }
        FUZZ_ASSERT(head.length <= limit && head.length <= buffer.size());
        FUZZ_ASSERT(buffer.mid(head.length - 4, 4) == "\r\n\r\n");
        FUZZ_ASSERT(!head.method.isEmpty());
        for (const auto& [name, value] : head.headers) {
            FUZZ_ASSERT(!name.isEmpty());
            FUZZ_ASSERT(name == name.toLower());
        }

        // What the WebSocket listener asks.
        head.isWebSocketUpgrade();
        head.header("sec-websocket-key");
        head.header("sec-websocket-version");
        head.header("origin");
        // What the admin listener asks, and its body framing on the same buffer.
        head.hasToken("connection", "close");
        head.header("authorization");
        bool ok = true;
        const QByteArray lengthHeader = head.header("content-length");
        const qint64 length = lengthHeader.isEmpty() ? 0 : lengthHeader.toLongLong(&ok);
        if (ok && length >= 0 && length <= limits::kMaxPublishBodyBytes &&
            buffer.size() >= head.length + length) {
            const QByteArray body = buffer.mid(head.length, length);
            FUZZ_ASSERT(body.size() == length);
        }

        // Who the request is from, behind a trusted proxy and from an untrusted peer.
        static const TrustedProxies proxies = [] {
            TrustedProxies p;
            p.parse(QStringLiteral("10.0.0.0/8 fd00::/8"));
            return p;
        }();
        const QHostAddress proxy(QStringLiteral("10.1.2.3"));
        const TrustedProxies::Client behind = proxies.clientOf(proxy, head);
        FUZZ_ASSERT(!behind.address.isNull());
        FUZZ_ASSERT(!(behind.malformed && behind.forwarded));
        FUZZ_ASSERT(behind.forwarded || behind.address == proxy);
        const QHostAddress stranger(QStringLiteral("203.0.113.5"));
        const TrustedProxies::Client direct = proxies.clientOf(stranger, head);
        FUZZ_ASSERT(direct.address == stranger && !direct.forwarded && !direct.malformed);

        // The same head, cut right after the blank line or with more bytes behind it.
        HttpRequestHead exact;
        FUZZ_ASSERT(parseHttpHead(buffer.left(head.length), limit, &exact) == HttpParseStatus::Complete);
        FUZZ_ASSERT(sameHead(head, exact));
        HttpRequestHead longer;
        FUZZ_ASSERT(parseHttpHead(buffer + "\r\n\r\nGET / HTTP/1.1", limit, &longer) ==
                    HttpParseStatus::Complete);
        FUZZ_ASSERT(sameHead(head, longer));
        HttpRequestHead partial;
        FUZZ_ASSERT(parseHttpHead(buffer.left(head.length - 1), limit, &partial) ==
                    HttpParseStatus::Incomplete);
    }
    return 0;
}
