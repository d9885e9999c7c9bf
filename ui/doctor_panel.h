#pragma once
// The config doctor's findings for the live config, each with its explanation and YAML fix, and a
// one-click "Apply fix" where the fix is mechanical (config::applyFix).

#include <QWidget>

#include <vector>

#include "config/doctor.h"

class QCheckBox;
class QListWidget;
class QPushButton;
class QTextBrowser;

namespace aigw::ui {

/// `fixYaml` as HTML for a <pre>, with each line that the current export (`currentYaml`) does not
/// contain highlighted: for a corrected object, the lines the fix adds or changes. With `excerpt`,
/// only the object's identity, the changed lines with one line of context and their parent lines
/// are kept ("..." marks what is left out); without changed lines, everything is shown.
QString highlightChanges(const QString& fixYaml, const QString& currentYaml, bool excerpt);

class DoctorPanel : public QWidget {
    Q_OBJECT
public:
    explicit DoctorPanel(QWidget* parent = nullptr);
    void setConfig(const config::Config& config);
    /// The findings as listed: errors, then warnings, then info.
    const std::vector<config::Finding>& findings() const { return m_findings; }
    /// Shows the first finding with this id (config::finding_id); false when there is none.
    bool selectFinding(const std::string& id);
    int currentFinding() const;
    /// What the "Apply fix" button does: applies the shown finding's fix.
    bool applyCurrentFix();
    /// Applies finding `index`'s fix to a copy of the config; emits fixed() when it applied.
    bool applyFix(int index);

    /// "1 warning, 3 info", "no findings" (the dock's title shows it).
    QString summary() const;

signals:
    void summaryChanged(const QString& summary);
    void fixed(const aigw::config::Config& config, const QString& what);

private:
    void showFinding(int row);
    config::Config m_config;
    QString m_currentYaml;  ///< export of m_config, to highlight what a fix changes
    std::vector<config::Finding> m_findings;
    QListWidget* m_list;
    QTextBrowser* m_text;
    QPushButton* m_fix;
    QCheckBox* m_whole;
};

}  // namespace aigw::ui
