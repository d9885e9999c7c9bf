#include "servers_model.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>

namespace aigw::ui {

QString modeLabel(proxy::ServerMode mode) {
    switch (mode) {
    case proxy::ServerMode::Mock: return QStringLiteral("mock");
    case proxy::ServerMode::Ollama: return QStringLiteral("ollama");
    case proxy::ServerMode::External: return QStringLiteral("external");
    }
    return QStringLiteral("?");
}

QString stateLabel(const proxy::ServerInfo& s, qint64 nowMs) {
    using S = proxy::ServerState;
    QString label;
    switch (s.state) {
    case S::Starting: label = QStringLiteral("starting"); break;
    case S::Pulling: label = QStringLiteral("pulling %1%").arg(static_cast<int>(s.pullProgress * 100)); break;
    case S::Ready: label = QStringLiteral("ready"); break;
    case S::Stopped: label = QStringLiteral("stopped (connection refused)"); break;
    case S::Deleted: label = QStringLiteral("deleted (host not found)"); break;
    case S::Faulted: label = QStringLiteral("faulted: %1").arg(s.faultSummary); break;
    case S::Failed: label = QStringLiteral("failed: %1").arg(s.error); break;
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
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case NameColumn: return s->name;
        case ModeColumn: return modeLabel(s->mode);
        case ModelsColumn: return s->models.join(QStringLiteral(", "));
        case PortColumn: return s->port ? QVariant(s->port) : QVariant(QStringLiteral("-"));
        case StateColumn: return stateLabel(*s, QDateTime::currentMSecsSinceEpoch());
        default: return {};
        }
    }
    if (role == Qt::ForegroundRole && index.column() == StateColumn) {
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
