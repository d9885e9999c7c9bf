#pragma once
// The config doctor's findings for the live config, each with its explanation and YAML fix, and a
// one-click "Apply fix" where the fix is mechanical (config::applyFix).

#include <QWidget>

#include <vector>

#include "config/doctor.h"

class QListWidget;
class QPushButton;
class QTextBrowser;

namespace aigw::ui {

class DoctorPanel : public QWidget {
    Q_OBJECT
public:
    explicit DoctorPanel(QWidget* parent = nullptr);
    void setConfig(const config::Config& config);
    const std::vector<config::Finding>& findings() const { return m_findings; }
    /// Applies finding `index`'s fix to a copy of the config; emits fixed() when it applied.
    bool applyFix(int index);

signals:
    void fixed(const aigw::config::Config& config, const QString& what);

private:
    void showFinding(int row);
    config::Config m_config;
    std::vector<config::Finding> m_findings;
    QListWidget* m_list;
    QTextBrowser* m_text;
    QPushButton* m_fix;
};

}  // namespace aigw::ui
