#pragma once
// Live export preview: the running config as kubectl-applyable YAML (v1beta1 or v1alpha1), updated
// on every edit, with Save.

#include <QWidget>

#include "config/model.h"

class QComboBox;
class QCheckBox;
class QPlainTextEdit;

namespace aigw::ui {

class YamlPanel : public QWidget {
    Q_OBJECT
public:
    explicit YamlPanel(QWidget* parent = nullptr);
    void setConfig(const config::Config& config);
    QString apiVersion() const;
    void setApiVersion(const QString& v);
    QString text() const;
    /// Writes the export to `path`; false with `error` set when it cannot.
    bool save(const QString& path, QString* error) const;
    /// Scrolls to and highlights the first occurrence of `text`; false when it is not there.
    bool reveal(const QString& text);

signals:
    void apiVersionChanged(const QString& v);

private:
    void refresh();
    config::Config m_config;
    QComboBox* m_version;
    QCheckBox* m_strip;
    QPlainTextEdit* m_text;
};

}  // namespace aigw::ui
