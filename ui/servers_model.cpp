#include "servers_model.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>

#include <algorithm>

namespace aigw::ui {

QString modeLabel(proxy::ServerMode mode) {
    switch (mode) {
    case proxy::ServerMode::Mock: return QStringLiteral("mock");
    case proxy::ServerMode::Ollama: return QStringLiteral("ollama");
    case proxy::ServerMode::External: return QStringLiteral("external");
    }
    return QStringLiteral("?");
}

namespace {
/// Whole seconds from `nowMs` to `atMs`, rounded up (a countdown never shows 0 while pending).
qint64 secondsUntil(qint64 atMs, qint64 nowMs) { return std::max<qint64>(0, (atMs - nowMs + 999) / 1000); }
}  // namespace

QString stateLabel(const proxy::ServerInfo& s, qint64 nowMs) {
    using S = proxy::ServerState;
    QString label;
    switch (s.state) {
    case S::Starting: label = QStringLiteral("starting"); break;
    case S::Pulling: label = QStringLiteral("pulling %1%").arg(static_cast<int>(s.pullProgress * 100)); break;
    case S::Ready: label = QStringLiteral("ready"); break;
    case S::Stopped: label = QStringLiteral("stopped (connection refused)"); break;
    case S::Deleted: label = QStringLiteral("deleted (name removed from DNS)"); break;
    case S::Faulted: label = QStringLiteral("faulted: %1").arg(s.faultSummary); break;
    case S::Failed: label = QStringLiteral("failed: %1").arg(s.error); break;
    }
    // The gateway's DNS refresh has not seen a delete / re-apply yet (reference 3.5): until it does,
    // a deleted name still resolves to the old address (connects time out) and a re-applied one does
    // not resolve yet.
    if (s.dnsChangeAtMs > 0) {
        const qint64 left = secondsUntil(s.dnsChangeAtMs, nowMs);
        if (s.state == S::Deleted)
            label = left > 0 ? QStringLiteral("deleted \u2014 DNS still resolves for %1 s").arg(left)
                             : QStringLiteral("deleted \u2014 DNS refresh due");
        else
            label = (left > 0 ? QStringLiteral("re-applied \u2014 resolves again in %1 s").arg(left)
                              : QStringLiteral("re-applied \u2014 DNS refresh due")) +
                    (s.state == S::Ready ? QString() : QStringLiteral(" (%1)").arg(label));
    } else if (s.blackHole && s.state != S::Deleted) {
        // Emulated at the gateway's upstream layer, in any server state: connects neither succeed
        // nor get refused.
        label = QStringLiteral("black hole (connects time out)");
    }
    qint64 until = 0;
    for (const auto& [rule, t] : s.ejectedUntilMsByRule)
        if (t > nowMs)
            until = std::max(until, t);
    if (until > 0)
        label += QStringLiteral(", ejected until %1")
                     .arg(QDateTime::fromMSecsSinceEpoch(until).toString(QStringLiteral("HH:mm:ss")));
    return label;
}

QString stateToolTip(const proxy::ServerInfo& s, qint64 nowMs) {
    using S = proxy::ServerState;
    QString tip = stateLabel(s, nowMs);
    if (s.state == S::Deleted && s.dnsChangeAtMs > 0)
        tip += QStringLiteral(
            "\n\nkubectl delete inferenceservice: the pod is gone, but the gateway's STRICT_DNS cluster keeps the "
            "old address until its next DNS refresh. Until then packets to it are dropped: every attempt waits for "
            "the connect timeout (10 s by default) and, without numAttemptsPerPriority, retries stay on priority 0. "
            "At the refresh the host is removed and priority 1 takes the load.");
    else if (s.state == S::Deleted)
        tip += QStringLiteral("\n\nThe gateway's DNS refresh removed the host: its priority is empty, the next "
                              "priority takes the load. Re-apply brings the name back at the next refresh.");
    else if (s.dnsChangeAtMs > 0)
        tip += QStringLiteral("\n\nThe InferenceService is back, but the gateway only sees the name again at its "
                              "next DNS refresh; until then the host stays out of the cluster.");
    else if (s.blackHole)
        tip += QStringLiteral("\n\nPackets to the server are dropped: connects neither succeed nor get refused, so "
                              "each attempt fails after the cluster's connect timeout (10 s by default), a "
                              "connect-failure that retries cover.");
    else if (s.state == S::Stopped)
        tip += QStringLiteral("\n\nThe pod is down but its Service remains: the name resolves and connects are "
                              "refused at once (connect-failure).");
    return tip;
}

bool hasTimedState(const proxy::ServerInfo& s, qint64 nowMs) {
    if (s.dnsChangeAtMs > 0)
        return true;
    // An ejection that ended less than 2 s ago still needs one refresh to drop its label.
    for (const auto& [rule, t] : s.ejectedUntilMsByRule)
        if (t > nowMs - 2000)
            return true;
    return false;
}

ServersModel::ServersModel(QObject* parent) : QAbstractTableModel(parent) {}

void ServersModel::setServers(std::vector<proxy::ServerInfo> servers) {
    bool sameRows = servers.size() == m_servers.size();
    for (std::size_t i = 0; sameRows && i < servers.size(); ++i)
        sameRows = servers[i].name == m_servers[i].name;
    if (!sameRows) {
        beginResetModel();
        m_servers = std::move(servers);
        endResetModel();
        return;
    }
    m_servers = std::move(servers);
    if (!m_servers.empty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void ServersModel::refreshTimedStates(qint64 nowMs) {
    for (int row = 0; row < rowCount(); ++row)
        if (hasTimedState(m_servers[static_cast<std::size_t>(row)], nowMs))
            emit dataChanged(index(row, StateColumn), index(row, StateColumn));
}

const proxy::ServerInfo* ServersModel::server(int row) const {
    return row >= 0 && row < rowCount() ? &m_servers[static_cast<std::size_t>(row)] : nullptr;
}

int ServersModel::rowOf(const QString& name) const {
    for (std::size_t i = 0; i < m_servers.size(); ++i)
        if (m_servers[i].name == name)
            return static_cast<int>(i);
    return -1;
}

int ServersModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_servers.size());
}

int ServersModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ServersModel::data(const QModelIndex& index, int role) const {
    const proxy::ServerInfo* s = index.isValid() && index.model() == this ? server(index.row()) : nullptr;
    if (!s || index.column() >= ColumnCount)
        return {};
    if (role == FilterRole) {
        if (index.column() != NameColumn)
            return {};
        return QStringList{s->name, s->models.join(QLatin1Char(' ')), s->hostname, s->backends.join(QLatin1Char(' '))}
            .join(QLatin1Char(' '));
    }
    if (role == Qt::ToolTipRole && index.column() == ModelsColumn)
        return s->models.isEmpty() ? QVariant() : QVariant(s->models.join(QLatin1Char('\n')));
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case NameColumn: return s->name;
        case ModeColumn: return modeLabel(s->mode);
        case ModelsColumn: {
            // A server can serve dozens of models: the row stays one line, the tooltip lists them.
            if (s->models.size() <= kModelsShown)
                return s->models.join(QStringLiteral(", "));
            return QStringLiteral("%1 +%2 more")
                .arg(s->models.mid(0, kModelsShown).join(QStringLiteral(", ")))
                .arg(s->models.size() - kModelsShown);
        }
        case PortColumn: return s->port ? QVariant(s->port) : QVariant(QStringLiteral("-"));
        case StateColumn:
            return role == Qt::ToolTipRole ? stateToolTip(*s, QDateTime::currentMSecsSinceEpoch())
                                           : stateLabel(*s, QDateTime::currentMSecsSinceEpoch());
        default: return {};
        }
    }
    if (role == Qt::ForegroundRole && index.column() == StateColumn) {
        if (s->state != proxy::ServerState::Deleted && (s->blackHole || s->dnsChangeAtMs > 0))
            return QBrush(QColor(200, 100, 0));
        switch (s->state) {
        case proxy::ServerState::Ready: return QBrush(QColor(0, 120, 0));
        case proxy::ServerState::Stopped:
        case proxy::ServerState::Deleted:
        case proxy::ServerState::Failed: return QBrush(QColor(190, 0, 0));
        case proxy::ServerState::Faulted: return QBrush(QColor(200, 100, 0));
        default: return QBrush(QColor(90, 90, 90));
        }
    }
    return {};
}

QVariant ServersModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return QStringLiteral("Server");
    case ModeColumn: return QStringLiteral("Mode");
    case ModelsColumn: return QStringLiteral("Models");
    case PortColumn: return QStringLiteral("Port");
    case StateColumn: return QStringLiteral("State");
    default: return {};
    }
}

}  // namespace aigw::ui
