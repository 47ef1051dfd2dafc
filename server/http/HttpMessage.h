#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <utility>

namespace forgewire {

// The head of an HTTP/1.1 request: just what the two listeners need, parsed from a peeked buffer.
struct HttpRequestHead
{
    QByteArray method;
    QString path;                                     // percent-decoded, without the query
    QString query;                                    // raw, without '?'
    QList<std::pair<QByteArray, QByteArray>> headers; // names lower-cased
    qsizetype length = 0;                             // bytes of the head, including the blank line
    int minorVersion = 1;                             // HTTP/1.<minorVersion>: 0 or 1
    qint64 contentLength = -1;                        // -1 without the header; saturates at qint64 max

    QByteArray header(const QByteArray& lowerName) const;
    bool hasToken(const QByteArray& lowerName, const QByteArray& lowerToken) const;
    bool isWebSocketUpgrade() const;
};

enum class HttpParseStatus
{
    Incomplete,
    Complete,
    Invalid,
    TooLarge
};

// Complete only for a head that follows RFC 9112 to the letter (CRLF lines, `METHOD SP origin-form SP
// HTTP/1.x`, token field names right before the colon, no obs-fold, no control characters in values,
// one all-digit Content-Length at most, one Host); Invalid for anything else, as soon as the bad line
// is in the buffer. TooLarge once the head passes `maxHeadBytes`.
HttpParseStatus parseHttpHead(const QByteArray& buffer, qint64 maxHeadBytes, HttpRequestHead* head);

// RFC 9110 5.6.2 token: one or more tchar (the characters of a method, a header or cookie name).
bool isHttpToken(QByteArrayView text);

QByteArray reasonPhrase(int status);

// A complete response with Content-Length; `extraHeaders` lines end in "\r\n".
QByteArray httpResponse(int status, const QByteArray& body,
                        const QByteArray& contentType = "application/json",
                        const QByteArray& extraHeaders = {}, bool keepAlive = false);

} // namespace forgewire
