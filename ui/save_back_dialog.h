#pragma once
// "Save to source files": the pending change to the files the config was read from, as a unified
// diff (config::saveBack, config::unifiedDiff), with Save / Cancel. Save writes the files
// (config::writeChanges); the dialog stays open with the error when that fails.

#include <QDialog>

#include "config/save_back.h"

class QDialogButtonBox;
class QLabel;
class QPlainTextEdit;

namespace aigw::ui {

class SaveBackDialog : public QDialog {
    Q_OBJECT
public:
    explicit SaveBackDialog(config::SaveBackResult result, QWidget* parent = nullptr);

    /// The diff shown ("" when nothing changes).
    QString diffText() const;
    /// The notes and errors shown above the diff.
    QString messageText() const;
    /// What Save does: writes the changed files; on success accepts the dialog, else shows why and
    /// returns false (nothing written).
    bool save();
    const config::SaveBackResult& saveResult() const { return m_result; }

private:
    config::SaveBackResult m_result;
    QLabel* m_message;
    QPlainTextEdit* m_diff;
    QDialogButtonBox* m_buttons;
};

}  // namespace aigw::ui
