#include "request_log_model.h"

#include <QBrush>
#include <QColor>

#include <nlohmann/json.hpp>

namespace aigw::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

/// Display names in the words of Envoy's retry triggers, as the tutorial uses them.
QString failureName(routing::UpstreamFailure f) {
    using F = routing::UpstreamFailure;
    switch (f) {
    case F::None: return QStringLiteral("ok");
    case F::ConnectFailure: return QStringLiteral("connect-failure");
    case F::ConnectTimeout: return QStringLiteral("connect-timeout");
    case F::EndpointRemoved: return QStringLiteral("host-not-found");
    case F::ResetBeforeHeaders: return QStringLiteral("reset");
    case F::ResetAfterHeaders: return QStringLiteral("reset-after-headers");
    case F::PerTryTimeout: return QStringLiteral("per-try-timeout");
    case F::RequestTimeout: return QStringLiteral("request-timeout");
    case F::StreamIdleTimeout: return QStringLiteral("stream-idle-timeout");
    case F::Status: return QStringLiteral("status");
    }
    return QStringLiteral("?");
}

QString failureLabel(const routing::AttemptRecord& a) {
    if (a.failure == routing::UpstreamFailure::None)
        return a.status >= 400 ? QString::number(a.status) : QStringLiteral("ok");
    if (a.failure == routing::UpstreamFailure::Status)
        return QString::number(a.status);
    return failureName(a.failure);
}

QString upstreamModels(const routing::RequestRecord& r) {
    return r.attempts.empty() ? QString() : q(r.attempts.back().upstreamModel);
}
}  // namespace

QString formatTtft(const routing::RequestRecord& record) {
    return record.timeToFirstToken ? QString::number(toMs(*record.timeToFirstToken), 'f', 1) : kAbsent;
}

QString formatTokens(const routing::RequestRecord& record) {
    if (!record.promptTokens && !record.completionTokens)
        return kAbsent;
    auto side = [](const std::optional<int>& v) { return v ? QString::number(*v) : kAbsent; };
    return QStringLiteral("%1 / %2").arg(side(record.promptTokens), side(record.completionTokens));
}

QString formatBody(const std::string& body, bool truncated) {
    if (body.empty())
        return truncated ? QStringLiteral("(truncated to nothing)") : kAbsent;
    QString text;
    const auto first = body.find_first_not_of(" \t\r\n");
    if (!truncated && first != std::string::npos && (body[first] == '{' || body[first] == '[')) {
        // ordered_json keeps the keys in the order they were sent ("model" first, as the client
        // wrote it); QJsonDocument would sort them. A body that is not valid JSON is shown as is.
        const auto doc = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
        if (!doc.is_discarded())
            text = QString::fromStdString(doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    if (text.isEmpty())
        text = QString::fromUtf8(body.data(), static_cast<qsizetype>(body.size()));
    if (truncated)
        text += QStringLiteral("\n\u2026 [truncated: only the first %1 KiB were kept]").arg(routing::kRecordBodyLimit / 1024);
    return text;
}

QString formatResponse(const routing::RequestRecord& record) {
    if (!record.responseBody.empty() || record.responseBodyTruncated)
        return formatBody(record.responseBody, record.responseBodyTruncated);
    if (!record.error.empty())
        return formatBody(record.error, false);
    return kAbsent;
}

QString attemptPath(const routing::RequestRecord& record) {
    QStringList parts;
    for (const auto& a : record.attempts) {
        const QString who = a.server.empty() ? q(a.backend) : q(a.server);
        const bool ok = a.failure == routing::UpstreamFailure::None && a.status < 400;
        parts << (ok ? QStringLiteral("%1 ok").arg(who) : QStringLiteral("%1 x %2").arg(who, failureLabel(a)));
    }
    if (parts.isEmpty())
        return record.localReply ? QStringLiteral("(local reply)") : QString();
    return parts.join(QStringLiteral(" -> "));
}

RequestLogModel::RequestLogModel(std::size_t capacity, QObject* parent)
    : QAbstractTableModel(parent), m_rows(capacity) {}

void RequestLogModel::setEpoch(TimePoint epoch, const QDateTime& wallEpoch) {
    m_epoch = epoch;
    m_wallEpoch = wallEpoch;
}

QDateTime RequestLogModel::wallTime(TimePoint t) const {
    return m_wallEpoch.addMSecs(static_cast<qint64>(toMs(t - m_epoch)));
}

void RequestLogModel::append(std::vector<routing::RequestRecord> records) {
    if (records.empty())
        return;
    const std::size_t cap = m_rows.capacity();
    if (records.size() >= cap) {
        // The batch alone fills the buffer: a reset is cheaper than removing and inserting every row.
        beginResetModel();
        m_rows.clear();
        for (std::size_t i = records.size() - cap; i < records.size(); ++i)
            m_rows.push(std::move(records[i]));
        endResetModel();
        return;
    }
    const std::size_t overflow = m_rows.size() + records.size() > cap ? m_rows.size() + records.size() - cap : 0;
    if (overflow > 0) {
        beginRemoveRows({}, 0, static_cast<int>(overflow) - 1);
        m_rows.dropFront(overflow);
        endRemoveRows();
    }
    const int first = static_cast<int>(m_rows.size());
    beginInsertRows({}, first, first + static_cast<int>(records.size()) - 1);
    for (auto& r : records)
        m_rows.push(std::move(r));
    endInsertRows();
}

void RequestLogModel::clear() {
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

int RequestLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int RequestLogModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RequestLogModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.model() != this || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const auto& r = m_rows.at(static_cast<std::size_t>(index.row()));
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case TimeColumn: return wallTime(r.start).toString(QStringLiteral("HH:mm:ss.zzz"));
        case ModelColumn: return q(r.virtualModel);
        case RuleColumn: return r.route.empty() ? QStringLiteral("(no route)") : q(r.route + " " + r.rule);
        case PathColumn: return attemptPath(r);
        case BackendColumn: return q(r.finalBackend);
        case UpstreamModelColumn: return upstreamModels(r);
        case StatusColumn: return r.finalStatus;
        case LatencyColumn: return QString::number(toMs(r.latency), 'f', 1);
        case TtftColumn: return formatTtft(r);
        case TokensColumn: return formatTokens(r);
        default: return {};
        }
    }
    if (role == Qt::ForegroundRole && index.column() == StatusColumn && r.finalStatus >= 400)
        return QBrush(QColor(200, 0, 0));
    if (role == Qt::ForegroundRole && index.column() == PathColumn && r.attempts.size() > 1)
        return QBrush(QColor(190, 100, 0));
    if (role == Qt::TextAlignmentRole && (index.column() == StatusColumn || index.column() == LatencyColumn ||
                                          index.column() == TtftColumn || index.column() == TokensColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant RequestLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case TtftColumn: return QStringLiteral("Time to first token: request start to the first response byte forwarded to the client");
        case TokensColumn: return QStringLiteral("usage.prompt_tokens / usage.completion_tokens as the response reported them");
        case PathColumn: return QStringLiteral("Each upstream attempt: server and outcome, in order");
        default: return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn: return QStringLiteral("Time");
    case ModelColumn: return QStringLiteral("Virtual model");
    case RuleColumn: return QStringLiteral("Route / rule");
    case PathColumn: return QStringLiteral("Attempt path");
    case BackendColumn: return QStringLiteral("Final backend");
    case UpstreamModelColumn: return QStringLiteral("Upstream model");
    case StatusColumn: return QStringLiteral("Status");
    case LatencyColumn: return QStringLiteral("Latency ms");
    case TtftColumn: return QStringLiteral("TTFT ms");
    case TokensColumn: return QStringLiteral("Tokens in/out");
    default: return {};
    }
}

RequestLogFilter::RequestLogFilter(QObject* parent) : QSortFilterProxyModel(parent) {}

void RequestLogFilter::setText(const QString& text) {
    m_text = text.trimmed();
    invalidateFilter();
}

void RequestLogFilter::setErrorsOnly(bool on) {
    m_errorsOnly = on;
    invalidateFilter();
}

bool RequestLogFilter::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const auto* m = qobject_cast<const RequestLogModel*>(sourceModel());
    if (!m || sourceParent.isValid())
        return true;
    const auto& r = m->record(sourceRow);
    if (m_errorsOnly && r.finalStatus < 400)
        return false;
    if (m_text.isEmpty())
        return true;
    for (int c = 0; c < RequestLogModel::ColumnCount; ++c)
        if (m->index(sourceRow, c).data().toString().contains(m_text, Qt::CaseInsensitive))
            return true;
    return false;
}

QString describeRecord(const routing::RequestRecord& r, const RequestLogModel& model) {
    QString s;
    s += QStringLiteral("Request #%1 at %2\n").arg(r.id).arg(model.wallTime(r.start).toString(QStringLiteral("HH:mm:ss.zzz")));
    s += QStringLiteral("Virtual model: %1\n").arg(q(r.virtualModel));
    s += QStringLiteral("Route: %1  rule: %2\n").arg(r.route.empty() ? QStringLiteral("(none matched)") : q(r.route), q(r.rule));
    s += QStringLiteral("Final: status %1 from %2 after %3 ms%4\n")
             .arg(r.finalStatus)
             .arg(r.finalBackend.empty() ? QStringLiteral("the gateway itself (local reply)") : q(r.finalBackend))
             .arg(toMs(r.latency), 0, 'f', 1)
             .arg(r.attempts.size() > 1 ? QStringLiteral(", %1 attempts").arg(r.attempts.size()) : QString());
    s += QStringLiteral("Streamed: %1   time to first token: %2   tokens prompt / completion: %3\n\n")
             .arg(r.stream ? QStringLiteral("yes (SSE)") : QStringLiteral("no"))
             .arg(r.timeToFirstToken ? QStringLiteral("%1 ms").arg(formatTtft(r)) : kAbsent)
             .arg(formatTokens(r));
    int i = 1;
    for (const auto& a : r.attempts) {
        s += QStringLiteral("Attempt %1: backend %2 (server %3, priority %4)\n").arg(i++).arg(q(a.backend), q(a.server)).arg(a.priority);
        s += QStringLiteral("  upstream body \"model\": %1\n").arg(q(a.upstreamModel));
        s += QStringLiteral("  started +%1 ms after the request, took %2 ms, backoff before it %3 ms\n")
                 .arg(toMs(a.start - r.start), 0, 'f', 1)
                 .arg(toMs(a.duration), 0, 'f', 1)
                 .arg(toMs(a.backoffBefore), 0, 'f', 1);
        s += QStringLiteral("  outcome: %1%2\n")
                 .arg(failureName(a.failure))
                 .arg(a.status ? QStringLiteral(" (HTTP %1)").arg(a.status) : QString());
    }
    if (!r.error.empty())
        s += QStringLiteral("\nResponse generated by the gateway:\n%1\n").arg(q(r.error));
    return s;
}

}  // namespace aigw::ui
