#pragma once
// The one virtual model the window is looking at. The split chart, the timeline's and the
// throughput chart's lanes, the load generator's model box and the Topology dock's expanded route
// all follow it, and each of them can change it: at a hundred routes, charts that kept their own
// selections would show three different models at once.

#include <QObject>
#include <QString>

namespace aigw::ui {

class ModelFocus : public QObject {
    Q_OBJECT
public:
    explicit ModelFocus(QObject* parent = nullptr) : QObject(parent) {}
    QString model() const { return m_model; }
    /// Emits modelChanged() only when the model differs, so followers that set it back do not loop.
    void setModel(const QString& model) {
        if (model == m_model)
            return;
        m_model = model;
        emit modelChanged(m_model);
    }

signals:
    void modelChanged(const QString& model);

private:
    QString m_model;
};

}  // namespace aigw::ui
