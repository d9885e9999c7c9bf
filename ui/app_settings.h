#pragma once
// Every persisted setting of the desktop app, typed and declared once (Tiled's pattern). Backed by
// QSettings (organization "aigw-sim", application "aigw-sim" unless the QCoreApplication says
// otherwise); tests point it at a temporary file.

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

class QSettings;

namespace aigw::ui {

class AppSettings {
public:
    static constexpr int kMaxRecentFiles = 8;

    /// Uses `path` (INI) when given, else the platform's default location.
    explicit AppSettings(const QString& path = {});
    ~AppSettings();
    AppSettings(const AppSettings&) = delete;
    AppSettings& operator=(const AppSettings&) = delete;

    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray& v);
    QByteArray windowState() const;
    void setWindowState(const QByteArray& v);
    /// The request log's column order and widths (QHeaderView::saveState).
    QByteArray requestLogColumns() const;
    void setRequestLogColumns(const QByteArray& v);
    /// Most recent first, at most kMaxRecentFiles; each entry is one "open" (files joined by '\n').
    QStringList recentFiles() const;
    void addRecentFiles(const QStringList& files);
    void clearRecentFiles();
    int chartWindowSeconds() const;  ///< default 60
    void setChartWindowSeconds(int s);
    QString lastDirectory() const;
    void setLastDirectory(const QString& dir);
    /// v1beta1 (default) or v1alpha1 for exports.
    QString exportApiVersion() const;
    void setExportApiVersion(const QString& v);
    /// The simulator's gateway DNS refresh delay in seconds, when the user chose one (else the
    /// session's default, Envoy Gateway's 30 s, applies).
    std::optional<int> dnsRefreshSeconds() const;
    void setDnsRefreshSeconds(int s);
    void sync();

private:
    QSettings* m_settings;
};

}  // namespace aigw::ui
