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
        TtftColumn,    ///< time to first token, ms; "—" when the record has none
        TokensColumn,  ///< "prompt / completion" from the response's usage; "—" when not reported
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

/// Shown wherever a record lacks a value (no usage reported, no first byte, no body captured).
inline const QString kAbsent = QStringLiteral("\u2014");

/// "123.4" (ms), or kAbsent when the record has no time to first token.
QString formatTtft(const routing::RequestRecord& record);
/// "12 / 30" (prompt / completion tokens); a missing side is kAbsent; both missing: kAbsent.
QString formatTokens(const routing::RequestRecord& record);

/// A body for the details pane: JSON pretty-printed (2-space indent), anything else (SSE streams,
/// plain-text errors, JSON cut short by the record's size limit) as it is. `truncated` appends a
/// line saying only the first kRecordBodyLimit bytes were kept; an empty body gives kAbsent.
QString formatBody(const std::string& body, bool truncated);

/// The response body the client got, formatted as formatBody(); for a local reply without a
/// captured body, the gateway's generated body (`error`); kAbsent when neither is known.
QString formatResponse(const routing::RequestRecord& record);

/// Multi-line, human-readable description of one record for the details pane.
QString describeRecord(const routing::RequestRecord& record, const RequestLogModel& model);

}  // namespace aigw::ui
