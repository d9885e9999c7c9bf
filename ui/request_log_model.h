#pragma once
// The request log: a bounded ring buffer of routing::RequestRecord (qBittorrent's log model). Records
// arrive in batches from the bridge; when the buffer is full the oldest rows are removed first, so
// memory stays bounded however long the app runs. RequestLogFilter filters by text and errors only.

#include <QAbstractTableModel>
#include <QDateTime>
#include <QSortFilterProxyModel>

#include <vector>

#include "ring_buffer.h"
#include "routing/records.h"

namespace aigw::ui {

/// "qwen-primary x connect_failure -> qwen-secondary ok" (server names where known).
QString attemptPath(const routing::RequestRecord& record);

class RequestLogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        TimeColumn,
        ModelColumn,
        RuleColumn,
        PathColumn,
        BackendColumn,
        UpstreamModelColumn,
        StatusColumn,
        LatencyColumn,
        ColumnCount
    };
    static constexpr std::size_t kDefaultCapacity = 20000;

    explicit RequestLogModel(std::size_t capacity = kDefaultCapacity, QObject* parent = nullptr);

    /// `epoch` (steady clock) corresponds to `wallEpoch`: used to show record times as wall time.
    void setEpoch(TimePoint epoch, const QDateTime& wallEpoch);
    void append(std::vector<routing::RequestRecord> records);
    void clear();
    const routing::RequestRecord& record(int row) const { return m_rows.at(static_cast<std::size_t>(row)); }
    std::size_t capacity() const { return m_rows.capacity(); }
    QDateTime wallTime(TimePoint t) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    RingBuffer<routing::RequestRecord> m_rows;
    TimePoint m_epoch{};
    QDateTime m_wallEpoch = QDateTime::currentDateTime();
};

class RequestLogFilter : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit RequestLogFilter(QObject* parent = nullptr);
    void setText(const QString& text);
    void setErrorsOnly(bool on);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString m_text;
    bool m_errorsOnly = false;
};

/// Multi-line, human-readable description of one record for the details pane.
QString describeRecord(const routing::RequestRecord& record, const RequestLogModel& model);

}  // namespace aigw::ui
