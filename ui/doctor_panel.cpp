#include "doctor_panel.h"

#include <algorithm>

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace aigw::ui {

DoctorPanel::DoctorPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* split = new QSplitter(Qt::Vertical);
    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("doctorFindings"));
    m_list->setWordWrap(true);
    split->addWidget(m_list);
    m_text = new QTextBrowser;
    split->addWidget(m_text);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);
    m_fix = new QPushButton(QStringLiteral("Apply fix to the running config"));
    m_fix->setEnabled(false);
    layout->addWidget(m_fix);
    connect(m_list, &QListWidget::currentRowChanged, this, &DoctorPanel::showFinding);
    connect(m_fix, &QPushButton::clicked, this, [this] { applyFix(m_list->currentRow()); });
}

void DoctorPanel::setConfig(const config::Config& config) {
    m_config = config;
    // Most severe first (the doctor reports in document order, where the tutorial's key finding,
    // on the BackendTrafficPolicy, comes after every Backend's info); the order within a severity
    // stays the doctor's.
    const QString keepId = m_list->currentRow() >= 0 && m_list->currentRow() < static_cast<int>(m_findings.size())
                               ? QString::fromStdString(m_findings[static_cast<std::size_t>(m_list->currentRow())].id)
                               : QString();
    m_findings = config::diagnose(m_config);
    std::stable_sort(m_findings.begin(), m_findings.end(),
                     [](const config::Finding& a, const config::Finding& b) { return a.severity < b.severity; });
    m_list->clear();
    for (const auto& f : m_findings) {
        const QString sev = QString::fromLatin1(config::severityName(f.severity));
        auto* item = new QListWidgetItem(QStringLiteral("[%1] %2: %3").arg(sev, QString::fromStdString(f.subject), QString::fromStdString(f.title)));
        item->setForeground(f.severity == config::Severity::Error     ? QColor(180, 0, 0)
                            : f.severity == config::Severity::Warning ? QColor(170, 90, 0)
                                                                      : QColor(60, 60, 60));
        m_list->addItem(item);
    }
    if (m_findings.empty()) {
        m_text->setHtml(QStringLiteral("<p>No findings: the config does what it seems to.</p>"));
        m_fix->setEnabled(false);
    } else {
        // Keep the finding the user was reading if it is still there; else the most severe.
        int row = 0;
        for (int i = 0; i < static_cast<int>(m_findings.size()); ++i)
            if (QString::fromStdString(m_findings[static_cast<std::size_t>(i)].id) == keepId) {
                row = i;
                break;
            }
        m_list->setCurrentRow(row);
        showFinding(row);
    }
}

bool DoctorPanel::selectFinding(const std::string& id) {
    for (int i = 0; i < static_cast<int>(m_findings.size()); ++i)
        if (m_findings[static_cast<std::size_t>(i)].id == id) {
            m_list->setCurrentRow(i);
            return true;
        }
    return false;
}

int DoctorPanel::currentFinding() const { return m_list->currentRow(); }

bool DoctorPanel::applyCurrentFix() { return applyFix(m_list->currentRow()); }

void DoctorPanel::showFinding(int row) {
    if (row < 0 || row >= static_cast<int>(m_findings.size())) {
        m_fix->setEnabled(false);
        return;
    }
    const auto& f = m_findings[static_cast<std::size_t>(row)];
    auto probe = m_config;
    const bool mechanical = config::applyFix(probe, f);
    m_fix->setEnabled(mechanical);
    m_fix->setToolTip(mechanical ? QString() : QStringLiteral("This fix needs a decision: edit the YAML as shown."));
    m_text->setHtml(QStringLiteral("<p><b>%1</b><br><small>%2 &nbsp; [%3]</small></p><p>%4</p><p><b>Fix:</b></p><pre style='background:#f3f3f3;padding:6px'>%5</pre>")
                        .arg(QString::fromStdString(f.title).toHtmlEscaped(),
                             QString::fromStdString(f.where.file + ":" + std::to_string(f.where.line) + ":" +
                                                    std::to_string(f.where.column) + " " + f.where.path)
                                 .toHtmlEscaped(),
                             QString::fromStdString(f.id), QString::fromStdString(f.explanation).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")),
                             QString::fromStdString(f.fixYaml).toHtmlEscaped()));
}

bool DoctorPanel::applyFix(int index) {
    if (index < 0 || index >= static_cast<int>(m_findings.size()))
        return false;
    auto cfg = m_config;
    const auto finding = m_findings[static_cast<std::size_t>(index)];
    if (!config::applyFix(cfg, finding))
        return false;
    emit fixed(cfg, QString::fromStdString(finding.title));
    return true;
}

}  // namespace aigw::ui
