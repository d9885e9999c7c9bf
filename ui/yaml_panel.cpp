#include "yaml_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextCursor>
#include <QTextDocument>
#include <QVBoxLayout>

#include "config/exporter.h"

namespace aigw::ui {

YamlPanel::YamlPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(QStringLiteral("apiVersion:")));
    m_version = new QComboBox;
    m_version->addItem(QStringLiteral("v1beta1"));
    m_version->addItem(QStringLiteral("v1alpha1"));
    m_version->setToolTip(QStringLiteral("v1beta1 for AI Gateway v0.6+, v1alpha1 for v0.5 and older"));
    bar->addWidget(m_version);
    m_strip = new QCheckBox(QStringLiteral("strip aigw-sim annotations"));
    bar->addWidget(m_strip);
    bar->addStretch(1);
    layout->addLayout(bar);
    m_text = new QPlainTextEdit;
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFont(QStringLiteral("monospace")));
    layout->addWidget(m_text, 1);
    connect(m_version, &QComboBox::currentTextChanged, this, [this](const QString& v) {
        refresh();
        emit apiVersionChanged(v);
    });
    connect(m_strip, &QCheckBox::toggled, this, &YamlPanel::refresh);
}

void YamlPanel::setConfig(const config::Config& config) {
    m_config = config;
    refresh();
}

QString YamlPanel::apiVersion() const { return m_version->currentText(); }
void YamlPanel::setApiVersion(const QString& v) { m_version->setCurrentText(v); }
QString YamlPanel::text() const { return m_text->toPlainText(); }

void YamlPanel::refresh() {
    config::ExportOptions o;
    o.apiVersion = m_version->currentText().toStdString();
    o.stripSim = m_strip->isChecked();
    const int scroll = m_text->verticalScrollBar()->value();
    m_text->setPlainText(QString::fromStdString(config::exportYaml(m_config, o)));
    m_text->verticalScrollBar()->setValue(scroll);
}

bool YamlPanel::reveal(const QString& text) {
    QTextCursor found = m_text->document()->find(text);
    if (found.isNull())
        return false;
    m_text->setTextCursor(found);
    // Put the match in the upper third, with the lines before it (its object) in view.
    m_text->centerCursor();
    return true;
}

bool YamlPanel::save(const QString& path, QString* error) const {
    QFile f(path);
    const QByteArray bytes = m_text->toPlainText().toUtf8();
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size()) {
        if (error)
            *error = QStringLiteral("Could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

}  // namespace aigw::ui
