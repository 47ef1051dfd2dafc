// Jwt::verify with a fixed secret. The first byte picks what the rest is:
//   0: a whole token, as any client may send it (header, signature and size checks);
//   1: the payload JSON, signed correctly so the claims parser is reached;
//   2: the header JSON, signed correctly with a valid payload (the alg check).
//
// Invariants: an accepted token has a positive user id and has not expired beyond the leeway,
// and the claims of an accepted token survive Jwt::sign + verify unchanged (when signed again they
// still fit the token size bound).

#include "FuzzSupport.h"
#include "protocol/Jwt.h"

#include <QMessageAuthenticationCode>

using namespace forgewire;

namespace {

constexpr auto kBase64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
const QByteArray kSecret = QByteArrayLiteral("fuzz-secret");
const QDateTime kNow = QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC);

QByteArray signedToken(const QByteArray& headerJson, const QByteArray& payloadJson)
{
    const QByteArray input = headerJson.toBase64(kBase64Url) + '.' + payloadJson.toBase64(kBase64Url);
    return input + '.' +
           QMessageAuthenticationCode::hash(input, kSecret, QCryptographicHash::Sha256).toBase64(kBase64Url);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::silenceQtLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArray rest(reinterpret_cast<const char*>(data + 1), qsizetype(size - 1));
    QByteArray token;
    switch (data[0] % 3) {
    case 0:
        token = rest;
        break;
    case 1:
        token = signedToken(R"({"alg":"HS256","typ":"JWT"})", rest);
        break;
    default:
        token = signedToken(rest, R"({"sub":"42","name":"alice","exp":1900000000})");
        break;
    }

    const JwtResult result = Jwt::verify(token, kSecret, kNow);
    FUZZ_ASSERT(result.claims.has_value() == result.error.isEmpty());
    if (!result)
        return 0;
    const JwtClaims& claims = *result.claims;
    FUZZ_ASSERT(claims.userId > 0);
    FUZZ_ASSERT(claims.expires.isValid());
    FUZZ_ASSERT(kNow.toSecsSinceEpoch() <= claims.expires.toSecsSinceEpoch() + Jwt::kExpiryLeewaySeconds);

    // Signed again, the claims may take more room than in the token (a raw control character in a
    // string comes back escaped, six bytes for one): past the size bound that token is refused, rightly.
    const QByteArray resigned = Jwt::sign(claims, kSecret);
    if (resigned.size() > Jwt::kMaxTokenBytes)
        return 0;
    const JwtResult again = Jwt::verify(resigned, kSecret, kNow);
    FUZZ_ASSERT(again.claims.has_value());
    FUZZ_ASSERT(again.claims->userId == claims.userId);
    FUZZ_ASSERT(again.claims->login == claims.login);
    FUZZ_ASSERT(again.claims->sessionId == claims.sessionId);
    FUZZ_ASSERT(again.claims->expires == claims.expires);
    FUZZ_ASSERT(again.claims->topics == claims.topics);
    // A different secret never verifies.
    FUZZ_ASSERT(!Jwt::verify(token, kSecret + 'x', kNow));
    return 0;
}
