#include "app_settings.h"

#include <QDir>
#include <QSettings>

namespace aigw::ui {

namespace {
constexpr auto kGeometry = "window/geometry";
constexpr auto kState = "window/state";
constexpr auto kRecent = "files/recent";
constexpr auto kLogColumns = "requestLog/columns";
constexpr auto kLastDir = "files/lastDirectory";
constexpr auto kChartWindow = "charts/windowSeconds";
constexpr auto kExportVersion = "export/apiVersion";
constexpr auto kDnsRefresh = "gateway/dnsRefreshSeconds";
}  // namespace

AppSettings::AppSettings(const QString& path)
    : m_settings(path.isEmpty() ? new QSettings(QStringLiteral("aigw-sim"), QStringLiteral("aigw-sim"))
                                : new QSettings(path, QSettings::IniFormat)) {}

AppSettings::~AppSettings() {
    m_settings->sync();
    delete m_settings;
}

QByteArray AppSettings::windowGeometry() const { return m_settings->value(kGeometry).toByteArray(); }
void AppSettings::setWindowGeometry(const QByteArray& v) { m_settings->setValue(kGeometry, v); }
QByteArray AppSettings::windowState() const { return m_settings->value(kState).toByteArray(); }
void AppSettings::setWindowState(const QByteArray& v) { m_settings->setValue(kState, v); }

QByteArray AppSettings::requestLogColumns() const { return m_settings->value(kLogColumns).toByteArray(); }
void AppSettings::setRequestLogColumns(const QByteArray& v) { m_settings->setValue(kLogColumns, v); }

QStringList AppSettings::recentFiles() const { return m_settings->value(kRecent).toStringList(); }

void AppSettings::addRecentFiles(const QStringList& files) {
    if (files.isEmpty())
        return;
    QStringList abs;
    for (const auto& f : files)
        abs << QDir::cleanPath(QDir::current().absoluteFilePath(f));
    const QString entry = abs.join(QLatin1Char('\n'));
    QStringList list = recentFiles();
    list.removeAll(entry);
    list.prepend(entry);
    while (list.size() > kMaxRecentFiles)
        list.removeLast();
    m_settings->setValue(kRecent, list);
}

void AppSettings::clearRecentFiles() { m_settings->remove(kRecent); }

int AppSettings::chartWindowSeconds() const { return m_settings->value(kChartWindow, 60).toInt(); }
void AppSettings::setChartWindowSeconds(int s) { m_settings->setValue(kChartWindow, s); }
QString AppSettings::lastDirectory() const { return m_settings->value(kLastDir).toString(); }
void AppSettings::setLastDirectory(const QString& dir) { m_settings->setValue(kLastDir, dir); }

QString AppSettings::exportApiVersion() const {
    const QString v = m_settings->value(kExportVersion, QStringLiteral("v1beta1")).toString();
    return v == QLatin1String("v1alpha1") ? v : QStringLiteral("v1beta1");
}
void AppSettings::setExportApiVersion(const QString& v) { m_settings->setValue(kExportVersion, v); }
std::optional<int> AppSettings::dnsRefreshSeconds() const {
    bool ok = false;
    const int v = m_settings->value(kDnsRefresh).toInt(&ok);
    return ok && v >= 0 ? std::optional<int>(v) : std::nullopt;
}
void AppSettings::setDnsRefreshSeconds(int s) { m_settings->setValue(kDnsRefresh, s); }
void AppSettings::sync() { m_settings->sync(); }

}  // namespace aigw::ui
