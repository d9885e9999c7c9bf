#include "lessons.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QStandardPaths>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

#include "common/install_layout.h"
#include "scenario/scenario.h"
#include "scenario_panel.h"

namespace aigw::ui {

QString shippedLessonsDirectory() {
    const QString app = QCoreApplication::applicationDirPath();
    QStringList candidates = {app + QStringLiteral("/lessons")};
    // Installed: PREFIX/share/aigw-sim/samples/scenarios (the lessons name ../*.yaml beside them).
    if (const auto samples = layout::installedSamplesDirectory(layout::executableDirectory()); !samples.empty())
        candidates << QString::fromStdString((samples / "scenarios").string());
#ifdef AIGW_SOURCE_SCENARIOS_DIR
    // A build tree: the executable runs from the build directory, the lessons are in the sources.
    candidates << QStringLiteral(AIGW_SOURCE_SCENARIOS_DIR);
#endif
    for (const QString& c : candidates)
        if (QFileInfo(c).isDir())
            return QDir(c).canonicalPath();
    return {};
}

QString userLessonsDirectory() {
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/lessons");
}

QStringList lessonDirectories() {
    QStringList dirs;
    if (const QString shipped = shippedLessonsDirectory(); !shipped.isEmpty())
        dirs << shipped;
    dirs << userLessonsDirectory();
    return dirs;
}

}  // namespace aigw::ui

namespace aigw::ui {

namespace {
constexpr int kPathRole = Qt::UserRole;
constexpr int kErrorRole = Qt::UserRole + 1;
QString q(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

LessonsPage::LessonsPage(ScenarioPanel* scenario, QWidget* parent) : QWidget(parent), m_scenario(scenario) {
    auto* layout = new QHBoxLayout(this);
    auto* split = new QSplitter;
    auto* left = new QWidget;
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("lessonList"));
    m_list->setWordWrap(true);
    m_list->setTextElideMode(Qt::ElideNone);
    m_list->setSpacing(2);
    m_list->setMinimumWidth(240);
    ll->addWidget(m_list, 1);
    m_where = new QLabel;
    m_where->setWordWrap(true);
    m_where->setTextInteractionFlags(Qt::TextSelectableByMouse);
    ll->addWidget(m_where);
    auto* row = new QHBoxLayout;
    auto* open = new QPushButton(QStringLiteral("Open lesson file..."));
    auto* folder = new QPushButton(QStringLiteral("Your lessons folder"));
    folder->setToolTip(QStringLiteral("Opens the folder where your own lesson files go: any scenario file dropped there "
                                      "appears in this list"));
    row->addWidget(open);
    row->addWidget(folder);
    row->addStretch(1);
    ll->addLayout(row);
    split->addWidget(left);

    auto* right = new QWidget;
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_preview = new QTextBrowser;
    m_preview->setObjectName(QStringLiteral("lessonPreview"));
    m_preview->setOpenExternalLinks(true);
    rl->addWidget(m_preview, 1);
    auto* buttons = new QHBoxLayout;
    m_play = new QPushButton(QStringLiteral("\u25B6 Play in the Scenario dock"));
    m_play->setObjectName(QStringLiteral("lessonPlay"));
    m_compare = new QPushButton(QStringLiteral("What-if compare: as written vs doctor-fixed..."));
    m_compare->setObjectName(QStringLiteral("lessonCompare"));
    buttons->addWidget(m_play);
    buttons->addWidget(m_compare);
    buttons->addStretch(1);
    rl->addLayout(buttons);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    split->setSizes({320, 640});
    layout->addWidget(split);

    m_watcher = new QFileSystemWatcher(this);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &LessonsPage::refresh);
    connect(m_list, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) { onSelected(item); });
    connect(m_play, &QPushButton::clicked, this, &LessonsPage::playRequested);
    connect(m_compare, &QPushButton::clicked, this, &LessonsPage::compareRequested);
    connect(open, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open lesson"), m_dirs.value(0),
                                                          QStringLiteral("Scenario (*.yaml *.yml);;All files (*)"));
        if (!path.isEmpty())
            selectFile(path);
    });
    connect(folder, &QPushButton::clicked, this, [this] {
        const QString dir = userLessonsDirectory();
        QDir().mkpath(dir);
        if (m_dirs.contains(dir) && !m_watcher->directories().contains(dir))
            m_watcher->addPath(dir);  // created just now: files dropped in it appear from now on
        QDesktopServices::openUrl(QUrl::fromLocalFile(dir));
    });
    setDirectories(lessonDirectories());
}

void LessonsPage::setDirectories(const QStringList& dirs) {
    m_dirs = dirs;
    if (!m_watcher->directories().isEmpty())
        m_watcher->removePaths(m_watcher->directories());
    for (const auto& d : m_dirs)
        if (QFileInfo(d).isDir())
            m_watcher->addPath(d);
    refresh();
}

void LessonsPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    refresh();  // a folder created since (the watcher only sees folders that existed)
}

void LessonsPage::addSection(const QString& title, const QString& dir, const QStringList& files) {
    auto* header = new QListWidgetItem(title);
    QFont f = header->font();
    f.setBold(true);
    header->setFont(f);
    header->setFlags(Qt::ItemIsEnabled);
    header->setToolTip(dir);
    header->setBackground(QColor(232, 236, 242));
    m_list->addItem(header);
    if (files.isEmpty()) {
        auto* none = new QListWidgetItem(dir.isEmpty() ? QStringLiteral("  (none)")
                                                       : QStringLiteral("  (no lesson files in %1)").arg(QDir::toNativeSeparators(dir)));
        none->setFlags(Qt::NoItemFlags);
        m_list->addItem(none);
    }
    for (const QString& path : files) {
        const auto loaded = scenario::loadScenarioFile(path.toStdString());
        auto* item = new QListWidgetItem;
        item->setData(kPathRole, path);
        item->setToolTip(QDir::toNativeSeparators(path));
        if (loaded.ok()) {
            const auto& s = *loaded.scenario;
            item->setText(QStringLiteral("%1\n    %2 steps, %3 \u2014 %4")
                              .arg(q(s.title.empty() ? s.name : s.title))
                              .arg(s.steps.size())
                              .arg(q(scenario::formatDuration(s.duration)), QFileInfo(path).fileName()));
        } else {
            QStringList errors;
            for (const auto& e : loaded.errors)
                errors << q(e.toString());
            item->setText(QStringLiteral("\u26A0 %1 (does not load)").arg(QFileInfo(path).fileName()));
            item->setForeground(QColor(156, 0, 6));
            item->setData(kErrorRole, errors.join(QLatin1Char('\n')));
        }
        m_list->addItem(item);
    }
}

void LessonsPage::refresh() {
    const QString keep = selectedFile();
    const QSignalBlocker block(m_list);
    m_list->clear();
    QStringList listed;
    for (int i = 0; i < m_dirs.size(); ++i) {
        const QString& dir = m_dirs[i];
        QStringList files;
        if (QFileInfo(dir).isDir())
            for (const auto& f : scenario::scenarioFilesIn(dir.toStdString()))
                files << q(f);
        const bool user = dir == userLessonsDirectory() || i > 0;
        addSection(user ? QStringLiteral("Your lessons") : QStringLiteral("Lessons shipped with aigw-sim"), dir, files);
        listed << files;
    }
    QStringList opened;
    for (const auto& f : m_opened)
        if (!listed.contains(f))
            opened << f;
    if (!opened.isEmpty())
        addSection(QStringLiteral("Opened"), {}, opened);
    m_where->setText(QStringLiteral("<small>Lessons are scenario files (docs/scenarios.md). Drop your own in %1.</small>")
                         .arg(QDir::toNativeSeparators(userLessonsDirectory()).toHtmlEscaped()));
    for (int i = 0; i < m_list->count(); ++i)
        if (!keep.isEmpty() && m_list->item(i)->data(kPathRole).toString() == keep)
            m_list->setCurrentRow(i);
    if (!m_list->currentItem() || m_list->currentItem()->data(kPathRole).toString().isEmpty()) {
        m_preview->setMarkdown(QStringLiteral("Pick a lesson: it loads into the **Scenario** dock, where **Play** runs it on "
                                              "the live gateway, step by step, with its teaching text and expectations."));
        m_play->setEnabled(false);
        m_compare->setEnabled(false);
    }
}

QStringList LessonsPage::files() const {
    QStringList out;
    for (int i = 0; i < m_list->count(); ++i)
        if (const QString p = m_list->item(i)->data(kPathRole).toString(); !p.isEmpty())
            out << p;
    return out;
}

QString LessonsPage::titleOf(const QString& path) const {
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->data(kPathRole).toString() == path)
            return m_list->item(i)->text().section(QLatin1Char('\n'), 0, 0);
    return {};
}

QString LessonsPage::selectedFile() const {
    return m_list->currentItem() ? m_list->currentItem()->data(kPathRole).toString() : QString();
}

void LessonsPage::addFile(const QString& path) {
    if (path.isEmpty())
        return;
    const QString abs = QFileInfo(path).absoluteFilePath();
    for (const QString& f : files())
        if (QFileInfo(f).absoluteFilePath() == abs)
            return;  // listed already
    m_opened << abs;
    refresh();
}

bool LessonsPage::selectFile(const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    auto find = [&] {
        for (int i = 0; i < m_list->count(); ++i)
            if (QFileInfo(m_list->item(i)->data(kPathRole).toString()).absoluteFilePath() == abs &&
                !m_list->item(i)->data(kPathRole).toString().isEmpty())
                return i;
        return -1;
    };
    int row = find();
    if (row < 0) {
        addFile(abs);
        row = find();
    }
    if (row < 0)
        return false;
    if (m_list->currentRow() == row)
        onSelected(m_list->item(row));
    else
        m_list->setCurrentRow(row);
    return m_scenario->hasScenario() && QFileInfo(m_scenario->scenarioFile()).absoluteFilePath() == abs &&
           m_scenario->errorText().isEmpty();
}

void LessonsPage::onSelected(QListWidgetItem* item) {
    const QString path = item ? item->data(kPathRole).toString() : QString();
    m_play->setEnabled(false);
    m_compare->setEnabled(false);
    if (path.isEmpty())
        return;
    if (const QString error = item->data(kErrorRole).toString(); !error.isEmpty()) {
        m_preview->setHtml(QStringLiteral("<h3>%1 does not load</h3><pre style='color:#9c0006'>%2</pre>")
                               .arg(QFileInfo(path).fileName().toHtmlEscaped(), error.toHtmlEscaped()));
        return;
    }
    if (!m_scenario->openFile(path)) {
        m_preview->setHtml(QStringLiteral("<h3>%1 does not load</h3><pre style='color:#9c0006'>%2</pre>")
                               .arg(QFileInfo(path).fileName().toHtmlEscaped(), m_scenario->errorText().toHtmlEscaped()));
        return;
    }
    const auto& s = m_scenario->scenario();
    QString md = QStringLiteral("# %1\n\n%2\n\n## Steps\n\n").arg(q(s.title.empty() ? s.name : s.title), q(s.summary));
    for (std::size_t i = 0; i < s.steps.size(); ++i) {
        const auto& st = s.steps[i];
        md += QStringLiteral("%1. **%2** %3").arg(i + 1).arg(q(scenario::formatDuration(st.at)), q(st.title));
        if (!st.expectations.empty())
            md += QStringLiteral(" (%1 expectation%2)").arg(st.expectations.size()).arg(st.expectations.size() == 1 ? "" : "s");
        md += QLatin1Char('\n');
    }
    md += QStringLiteral("\n---\n\n%1 long. Loaded into the Scenario dock: **Play** runs it on the live gateway. "
                         "File: `%2`")
              .arg(q(scenario::formatDuration(s.duration)), QDir::toNativeSeparators(path));
    m_preview->setMarkdown(md);
    m_play->setEnabled(true);
    m_compare->setEnabled(true);
}

}  // namespace aigw::ui
