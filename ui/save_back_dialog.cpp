#include "save_back_dialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSyntaxHighlighter>
#include <QVBoxLayout>

namespace aigw::ui {
namespace {

/// diff -u colours: removed lines red, added green, hunk headers blue, file headers bold.
class DiffHighlighter : public QSyntaxHighlighter {
public:
    using QSyntaxHighlighter::QSyntaxHighlighter;

protected:
    void highlightBlock(const QString& text) override {
        QTextCharFormat f;
        if (text.startsWith(QLatin1String("+++")) || text.startsWith(QLatin1String("---"))) {
            f.setFontWeight(QFont::Bold);
        } else if (text.startsWith(QLatin1Char('+'))) {
            f.setForeground(QColor(0x1a, 0x7f, 0x37));
            f.setBackground(QColor(0xe6, 0xff, 0xec));
        } else if (text.startsWith(QLatin1Char('-'))) {
            f.setForeground(QColor(0xb3, 0x1d, 0x28));
            f.setBackground(QColor(0xff, 0xeb, 0xe9));
        } else if (text.startsWith(QLatin1String("@@"))) {
            f.setForeground(QColor(0x05, 0x50, 0xae));
        } else {
            return;
        }
        setFormat(0, static_cast<int>(text.size()), f);
    }
};

}  // namespace

SaveBackDialog::SaveBackDialog(config::SaveBackResult result, QWidget* parent)
    : QDialog(parent), m_result(std::move(result)) {
    setWindowTitle(QStringLiteral("Save to source files"));
    auto* layout = new QVBoxLayout(this);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_message);
    m_diff = new QPlainTextEdit(this);
    m_diff->setReadOnly(true);
    m_diff->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_diff->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    new DiffHighlighter(m_diff->document());
    layout->addWidget(m_diff, 1);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_buttons->button(QDialogButtonBox::Save), &QPushButton::clicked, this, [this] { save(); });

    QStringList lines;
    int changed = 0;
    for (const auto& f : m_result.files)
        changed += f.changed() ? 1 : 0;
    if (!m_result.ok()) {
        lines << QStringLiteral("<b>Cannot save back:</b>");
        for (const auto& e : m_result.errors)
            lines << QString::fromStdString(e.toString()).toHtmlEscaped();
    } else if (changed == 0) {
        lines << QStringLiteral("The files already hold this configuration: nothing to save.");
    } else {
        lines << QStringLiteral("These lines change in %1 file(s); comments, key order and quoting elsewhere stay as they are.")
                     .arg(changed);
    }
    for (const auto& n : m_result.notes)
        lines << QStringLiteral("Note: ") + QString::fromStdString(n).toHtmlEscaped();
    m_message->setText(lines.join(QStringLiteral("<br>")));
    m_diff->setPlainText(QString::fromStdString(m_result.diff()));
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(m_result.ok() && changed > 0);
    resize(900, 600);
}

QString SaveBackDialog::diffText() const { return m_diff->toPlainText(); }

QString SaveBackDialog::messageText() const { return m_message->text(); }

bool SaveBackDialog::save() {
    const auto errors = config::writeChanges(m_result);
    if (!errors.empty()) {
        QStringList lines{QStringLiteral("<b>Nothing was written:</b>")};
        for (const auto& e : errors)
            lines << QString::fromStdString(e.toString()).toHtmlEscaped();
        m_message->setText(lines.join(QStringLiteral("<br>")));
        return false;
    }
    accept();
    return true;
}

}  // namespace aigw::ui
