// publish::fromEnvelopeBody, the body of POST /api/v1/publish.
//
// Invariants: a request is either refused with an error and no publications, or accepted whole;
// every accepted publication has a topic, a type and a payload clients can decode (a protocol
// message, or an application event: a JSON object of that type, PROTOCOL.md v1.1), and survives
// the Redis engine's serialize/deserialize unchanged. The count-batch shortcut (publish::countBatch)
// agrees with the full parse: when it takes a body, fromDocument() accepts it with the same
// publications.

#include "FuzzSupport.h"
#include "admin/PublishRequest.h"
#include "protocol/ApplicationEvent.h"
#include "protocol/Protocol.h"

using namespace forgewire;

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::silenceQtLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray body(reinterpret_cast<const char*>(data), qsizetype(size));
    const publish::Result result = publish::fromEnvelopeBody(body);
    if (const std::optional<QList<Publication>> counts = publish::countBatch(body)) {
        const publish::Result full = publish::fromDocument(body);
        FUZZ_ASSERT(full.error.isEmpty() && full.publications.size() == counts->size());
        for (qsizetype i = 0; i < counts->size(); ++i) {
            const Publication &a = counts->at(i), &b = full.publications.at(i);
            FUZZ_ASSERT(a.topic == b.topic && a.type == b.type && a.payload == b.payload &&
                        a.retain == b.retain && a.logoutSession == b.logoutSession &&
                        a.endsTopic == b.endsTopic);
        }
    }
    if (!result.error.isEmpty()) {
        FUZZ_ASSERT(result.publications.isEmpty());
        return 0;
    }
    for (const Publication& publication : result.publications) {
        FUZZ_ASSERT(!publication.topic.isEmpty());
        FUZZ_ASSERT(!publication.type.isEmpty());
        if (protocol::ApplicationEvent::isApplicationType(publication.type)) {
            const auto object = protocol::parseObject(publication.payload);
            FUZZ_ASSERT(object.value.has_value());
            FUZZ_ASSERT(object.value->value(QLatin1StringView("type")).toString() == publication.type);
        } else {
            FUZZ_ASSERT(protocol::decodeServerMessage(publication.payload).value.has_value());
        }

        const std::optional<Publication> copy = Publication::deserialize(publication.serialize());
        FUZZ_ASSERT(copy.has_value());
        FUZZ_ASSERT(copy->topic == publication.topic && copy->type == publication.type &&
                    copy->payload == publication.payload && copy->retain == publication.retain &&
                    copy->logoutSession == publication.logoutSession && copy->access == publication.access);
    }
    return 0;
}
