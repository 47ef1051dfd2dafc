#pragma once

#include "broker/Publication.h"

#include <QJsonValue>

#include <optional>

namespace forgewire {

// Turns publish API input into Publications, checking everything first so that a bad item
// rejects the whole request (nothing is half-applied).
namespace publish {

struct Result
{
    QList<Publication> publications;
    QString error; // non-empty: reject with 400
};

// One `{"topic":..., "message":{...}, "retain":bool}` item, or a JSON array of them.
Result fromEnvelopeBody(const QByteArray& body);
// The same, always through a QJsonDocument (fromEnvelopeBody() takes the common shape faster).
Result fromDocument(const QByteArray& body);
// The common shape only: a JSON array of `notification-count` messages to user-{id} topics (keys
// topic, message, retain; type and count; plain ASCII strings, integer counts), read without a JSON
// document. nullopt for anything else, including every error: fromDocument() reads those. When it
// gives publications they are the ones fromDocument() gives.
std::optional<QList<Publication>> countBatch(const QByteArray& body);
Result fromEnvelope(const QJsonValue& envelope, int index = -1);

// Builds the publication of a decoded server message on `topic`, with the checks every path shares.
Result build(const QString& topic, const QJsonObject& message, bool retain);

} // namespace publish
} // namespace forgewire
