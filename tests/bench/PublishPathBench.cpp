// The main thread's share of a unicast publish, without sockets: what the server does between reading a
// POST /api/v1/publish body and handing the framed publications to the workers. The load generator
// measures the whole system; this isolates the part that runs on one thread for every item, so a
// change to parsing, storing or routing shows as a steady per-item figure instead of in the noise of
// a loopback run.
//
//   forgewire-bench-publishpath [--batches N] [--batch N] [--users N] [--repeat N] [--state PATH|:memory:]
//
// Prints CPU microseconds per item for each stage and for the whole path (thread CPU time, the
// fastest of --repeat runs, and the median).

#include "admin/PublishRequest.h"
#include "broker/Broker.h"
#include "broker/SubscriberHost.h"
#include "engine/EmbeddedEngine.h"
#include "engine/StateStore.h"
#include "metrics/Metrics.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <string>

using namespace forgewire;
using namespace Qt::StringLiterals;

namespace {

double threadCpuUs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

// Takes the Broker's deliveries on the main thread and drops them: the workers' side is measured by
// the load generator.
class CountingHost : public QObject, public SubscriberHost
{
public:
    QObject* hostContext() override { return this; }
    void deliver(const QList<Publication>& batch) override { delivered += batch.size(); }
    void revokeSessions(const QSet<QString>&) override {}
    void closeToken(const QByteArray&, quint16, const QString&) override {}
    qint64 delivered = 0;
};

// The load generator's unicast body: `batch` notification counts to random users.
QList<QByteArray> unicastBodies(int batches, int batch, int users)
{
    std::mt19937 random(42);
    std::uniform_int_distribution<int> user(1, users);
    QList<QByteArray> bodies;
    for (int b = 0; b < batches; ++b) {
        std::string body = "[";
        for (int i = 0; i < batch; ++i) {
            if (i > 0)
                body += ',';
            body += R"({"topic":"user-)" + std::to_string(user(random)) +
                    R"(","message":{"type":"notification-count","count":)" + std::to_string(b * batch + i) +
                    "}}";
        }
        body += ']';
        bodies.append(QByteArray::fromStdString(body));
    }
    return bodies;
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(u"forgewire.*.info=false"_s);
    QCommandLineParser parser;
    parser.setApplicationDescription(u"Per-item CPU cost of the publish path on the main thread."_s);
    parser.addHelpOption();
    const QCommandLineOption batchesOption(u"batches"_s, u"Batches per stage (default 2000)."_s, u"n"_s,
                                           u"2000"_s);
    const QCommandLineOption batchOption(u"batch"_s, u"Items per batch (default 200)."_s, u"n"_s, u"200"_s);
    const QCommandLineOption usersOption(u"users"_s, u"Distinct user topics (default 2000)."_s, u"n"_s,
                                         u"2000"_s);
    const QCommandLineOption repeatOption(u"repeat"_s, u"Runs of each stage (default 5)."_s, u"n"_s, u"5"_s);
    const QCommandLineOption stateOption(u"state"_s,
                                         u"State file (default: a new file in a temporary "
                                         "directory; :memory: for none)."_s,
                                         u"path"_s);
    parser.addOptions({batchesOption, batchOption, usersOption, repeatOption, stateOption});
    parser.process(app);
    const int batches = parser.value(batchesOption).toInt();
    const int batch = parser.value(batchOption).toInt();
    const int users = parser.value(usersOption).toInt();
    const int repeat = parser.value(repeatOption).toInt();
    QTemporaryDir dir;
    const QString state =
        parser.isSet(stateOption) ? parser.value(stateOption) : dir.filePath(u"state.sqlite"_s);
    if (batches <= 0 || batch <= 0 || users <= 0 || repeat <= 0) {
        std::fprintf(stderr, "--batches, --batch, --users and --repeat must be positive\n");
        return 2;
    }

    const QList<QByteArray> bodies = unicastBodies(batches, batch, users);
    const double items = double(batches) * batch;
    int run = 0;
    // Each stage runs `repeat` times on fresh state; the fastest run is the figure (the others lost
    // time to something else: the machine, the allocator warming up), the median shows the spread.
    auto measure = [&](const char* stage, const std::function<bool()>& once) {
        QList<double> us;
        for (int r = 0; r < repeat; ++r) {
            ++run;
            const double t0 = threadCpuUs();
            if (!once())
                return false;
            us.append((threadCpuUs() - t0) / items);
        }
        std::sort(us.begin(), us.end());
        std::printf("%-34s %7.3f us/item (median %.3f)\n", stage, us.first(), us[us.size() / 2]);
        return true;
    };
    auto statePath = [&] {
        return state == ":memory:"_L1 ? state : u"%1.%2"_s.arg(state).arg(run);
    };

    // 1. Parsing and validating the body into publications.
    QList<QList<Publication>> parsed;
    const bool ok = measure("parse (fromEnvelopeBody)", [&] {
        parsed.clear();
        parsed.reserve(batches);
        for (const QByteArray& body : bodies) {
            publish::Result result = publish::fromEnvelopeBody(body);
            if (!result.error.isEmpty()) {
                std::fprintf(stderr, "parse failed: %s\n", qPrintable(result.error));
                return false;
            }
            parsed.append(std::move(result.publications));
        }
        return true;
    });
    if (!ok)
        return 1;

    // 2. Storing the retained values, one transaction per batch.
    if (!measure("store (StateStore::storeRetained)", [&] {
            StateStore store(statePath());
            if (const QString error = store.open(); !error.isEmpty()) {
                std::fprintf(stderr, "%s\n", qPrintable(error));
                return false;
            }
            for (const QList<Publication>& publications : std::as_const(parsed)) {
                if (const QString error = store.storeRetained(publications); !error.isEmpty()) {
                    std::fprintf(stderr, "store failed: %s\n", qPrintable(error));
                    return false;
                }
            }
            return true;
        }))
        return 1;

    // 3. The whole main-thread path after the HTTP layer: parse, Broker, engine (store), framing and
    // routing to a worker that subscribes to every user topic.
    if (!measure("whole path (parse+broker+store)", [&] {
            Metrics metrics;
            EmbeddedEngine engine(statePath());
            engine.start();
            if (!engine.isReady()) {
                std::fprintf(stderr, "the engine did not start\n");
                return false;
            }
            Broker broker(&engine, &metrics);
            CountingHost host;
            broker.setHosts({&host});
            for (int user = 1; user <= users; ++user)
                broker.topicRefChanged(0, u"user-%1"_s.arg(user), 1);
            QCoreApplication::processEvents();
            qint64 accepted = 0;
            for (const QByteArray& body : bodies) {
                publish::Result result = publish::fromEnvelopeBody(body);
                broker.publish(std::move(result.publications), [&accepted](const QString& error) {
                    if (error.isEmpty())
                        ++accepted;
                });
                // One event-loop pass per request, as the server gets them.
                QCoreApplication::processEvents();
            }
            QCoreApplication::processEvents();
            broker.setHosts({});
            if (accepted != batches || host.delivered != qint64(items)) {
                std::fprintf(stderr, "accepted %lld of %d batches, delivered %lld of %.0f items\n",
                             (long long)accepted, batches, (long long)host.delivered, items);
                return false;
            }
            return true;
        }))
        return 1;
    return 0;
}
