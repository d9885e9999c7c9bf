#pragma once
// The model servers table: one row per server the data plane supervises (name, mode, models, port,
// state with pull progress, fault and ejection). Fed with snapshots from GatewayService::servers();
// rows are updated in place when the set of servers is unchanged, so selection survives refreshes.

#include <QAbstractTableModel>

#include <vector>

#include "proxy/gateway_service.h"

namespace aigw::ui {

QString modeLabel(proxy::ServerMode mode);
/// "ready", "pulling 42%", "stopped (connection refused)", "faulted: status 503", "black hole (connects
/// time out)", "deleted — DNS still resolves for 23 s", "deleted (name removed from DNS)",
/// "re-applied — resolves again in 12 s", "..., ejected until 12:00:31". `nowMs`: system clock.
QString stateLabel(const proxy::ServerInfo& info, qint64 nowMs);
/// The label plus what the state means for the gateway (refused vs timed-out connects, DNS refresh).
QString stateToolTip(const proxy::ServerInfo& info, qint64 nowMs);
/// Whether the label changes with time alone (a DNS countdown, an ejection deadline).
bool hasTimedState(const proxy::ServerInfo& info, qint64 nowMs);

class ServersModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, ModeColumn, ModelsColumn, PortColumn, StateColumn, ColumnCount };
    /// Name column: the name, models, hostname and Backends in one string (the dock's filter).
    static constexpr int FilterRole = Qt::UserRole + 1;
    /// Models shown in the cell before "+N more" (all of them in the tooltip).
    static constexpr int kModelsShown = 2;

    explicit ServersModel(QObject* parent = nullptr);
    void setServers(std::vector<proxy::ServerInfo> servers);
    /// Repaints the state cells whose label depends on the time (countdowns, ejection deadlines);
    /// nothing when none does. Called by the bridge about twice a second.
    void refreshTimedStates(qint64 nowMs);
    const std::vector<proxy::ServerInfo>& servers() const { return m_servers; }
    const proxy::ServerInfo* server(int row) const;
    int rowOf(const QString& name) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<proxy::ServerInfo> m_servers;
};

}  // namespace aigw::ui
