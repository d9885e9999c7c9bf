#pragma once
// The model servers table: one row per server the data plane supervises (name, mode, models, port,
// state with pull progress, fault and ejection). Fed with snapshots from GatewayService::servers();
// rows are updated in place when the set of servers is unchanged, so selection survives refreshes.

#include <QAbstractTableModel>

#include <vector>

#include "proxy/gateway_service.h"

namespace aigw::ui {

QString modeLabel(proxy::ServerMode mode);
/// "ready", "pulling 42%", "stopped", "faulted: status 503", "ejected until 12:00:31" ...
QString stateLabel(const proxy::ServerInfo& info, qint64 nowMs);

class ServersModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, ModeColumn, ModelsColumn, PortColumn, StateColumn, ColumnCount };

    explicit ServersModel(QObject* parent = nullptr);
    void setServers(std::vector<proxy::ServerInfo> servers);
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
