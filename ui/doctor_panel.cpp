#include "doctor_panel.h"

#include <QSet>

#include "config/exporter.h"

#include <algorithm>

#include <QCheckBox>
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
    // The list is a table of contents; the text (explanation and fix) is what is read.
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 4);
    split->setSizes({90, 360});
    layout->addWidget(split, 1);
    m_fix = new QPushButton(QStringLiteral("Apply fix to the running config"));
    m_fix->setEnabled(false);
    m_whole = new QCheckBox(QStringLiteral("whole object"));
    m_whole->setToolTip(QStringLiteral("Show the whole corrected object, not only the lines around the change"));
    auto* row = new QHBoxLayout;
    row->addWidget(m_fix, 1);
    row->addWidget(m_whole);
    layout->addLayout(row);
    connect(m_whole, &QCheckBox::toggled, this, [this] { showFinding(m_list->currentRow()); });
    connect(m_list, &QListWidget::currentRowChanged, this, &DoctorPanel::showFinding);
    connect(m_fix, &QPushButton::clicked, this, [this] { applyFix(m_list->currentRow()); });
}

void DoctorPanel::setConfig(const config::Config& config) {
    m_config = config;
    m_currentYaml = QString::fromStdString(config::exportYaml(m_config, config::ExportOptions{}));
    // Most severe first (the doctor reports in document order, where the tutorial's key finding,
    // on the BackendTrafficPolicy, comes after every Backend's info); the order within a severity
    // stays the doctor's.
    const QString keepId = m_list->currentRow() >= 0 && m_list->currentRow() < static_cast<int>(m_findings.size())
                               ? QString::fromStdString(m_findings[static_cast<std::size_t>(m_list->currentRow())].id + " " +
                                                        m_findings[static_cast<std::size_t>(m_list->currentRow())].subject)
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
        // Keep the finding the user was reading if it is still there, unless a more severe one
        // appeared (it goes first, and is the news); else the most severe.
        int row = 0;
        for (int i = 0; i < static_cast<int>(m_findings.size()); ++i)
            if (QString::fromStdString(m_findings[static_cast<std::size_t>(i)].id + " " + m_findings[static_cast<std::size_t>(i)].subject) == keepId) {
                row = m_findings.front().severity < m_findings[static_cast<std::size_t>(i)].severity ? 0 : i;
                break;
            }
        m_list->setCurrentRow(row);
        showFinding(row);
    }
    emit summaryChanged(summary());
}

QString DoctorPanel::summary() const {
    int count[3] = {0, 0, 0};
    for (const auto& f : m_findings)
        ++count[static_cast<int>(f.severity)];
    QStringList parts;
    if (count[0])
        parts << QStringLiteral("%1 error%2").arg(count[0]).arg(count[0] > 1 ? "s" : "");
    if (count[1])
        parts << QStringLiteral("%1 warning%2").arg(count[1]).arg(count[1] > 1 ? "s" : "");
    if (count[2])
        parts << QStringLiteral("%1 info").arg(count[2]);
    return parts.isEmpty() ? QStringLiteral("no findings") : parts.join(QStringLiteral(", "));
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

QString highlightChanges(const QString& fixYaml, const QString& currentYaml, bool excerpt) {
    QSet<QString> have;
    for (const QString& line : currentYaml.split(QLatin1Char('\n')))
        have.insert(line.trimmed());
    QStringList lines = fixYaml.split(QLatin1Char('\n'));
    while (!lines.isEmpty() && lines.back().trimmed().isEmpty())
        lines.removeLast();
    const int n = static_cast<int>(lines.size());
    auto indent = [&lines](int i) {
        int k = 0;
        while (k < lines[i].size() && lines[i][k] == QLatin1Char(' '))
            ++k;
        return k;
    };
    std::vector<bool> changed(static_cast<std::size_t>(n), false), keep(static_cast<std::size_t>(n), !excerpt);
    bool any = false;
    for (int i = 0; i < n; ++i)
        if (!lines[i].trimmed().isEmpty() && !have.contains(lines[i].trimmed()))
            changed[static_cast<std::size_t>(i)] = any = true;
    if (!any)
        std::fill(keep.begin(), keep.end(), true);
    else if (excerpt) {
        // The object's identity (top-level keys, metadata's name and namespace), each changed line
        // with one line of context either side, and the YAML path down to it (its parent lines).
        bool inMetadata = false;
        for (int i = 0; i < n; ++i) {
            const int in = indent(i);
            if (in == 0)
                inMetadata = lines[i].startsWith(QStringLiteral("metadata:"));
            if (in == 0 || (inMetadata && in == 2 && (lines[i].trimmed().startsWith(QStringLiteral("name:")) ||
                                                    lines[i].trimmed().startsWith(QStringLiteral("namespace:")))))
                keep[static_cast<std::size_t>(i)] = true;
            if (!changed[static_cast<std::size_t>(i)])
                continue;
            for (int k = std::max(0, i - 1); k <= std::min(n - 1, i + 1); ++k)
                keep[static_cast<std::size_t>(k)] = true;
            for (int j = i - 1, level = in; j >= 0 && level > 0; --j)
                if (!lines[j].trimmed().isEmpty() && indent(j) < level) {
                    keep[static_cast<std::size_t>(j)] = true;
                    level = indent(j);
                }
        }
    }
    QStringList out;
    bool gap = false;
    for (int i = 0; i < n; ++i) {
        if (!keep[static_cast<std::size_t>(i)]) {
            gap = true;
            continue;
        }
        if (gap)
            out << QString(indent(i), QLatin1Char(' ')) + QStringLiteral("<span style='color:#888'>...</span>");
        gap = false;
        const QString escaped = lines[i].toHtmlEscaped();
        out << (changed[static_cast<std::size_t>(i)]
                    ? QStringLiteral("<span style='background:#c8ecc8;font-weight:bold'>%1</span>").arg(escaped)
                    : escaped);
    }
    if (gap)
        out << QStringLiteral("<span style='color:#888'>...</span>");
    return out.join(QLatin1Char('\n'));
}

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
    m_text->setHtml(QStringLiteral("<p><b>%1</b><br><small>%2 &nbsp; [%3]</small></p><p>%4</p><p><b>Fix</b>%5:</p>"
                                   "<pre style='background:#f3f3f3;padding:6px'>%6</pre>")
                        .arg(QString::fromStdString(f.title).toHtmlEscaped(),
                             QString::fromStdString(f.where.file + ":" + std::to_string(f.where.line) + ":" +
                                                    std::to_string(f.where.column) + " " + f.where.path)
                                 .toHtmlEscaped(),
                             QString::fromStdString(f.id), QString::fromStdString(f.explanation).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")),
                             mechanical ? QStringLiteral(" (changed lines highlighted; <i>Apply fix</i> below does it)") : QString(),
                             highlightChanges(QString::fromStdString(f.fixYaml), m_currentYaml, !m_whole->isChecked())));
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
