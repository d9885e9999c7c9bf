#pragma once
// The lesson player's list: lessons are scenario files, found in the lessons shipped with the app
// and in the user's own lessons folder (any scenario file dropped there appears), plus the files
// opened. Selecting a lesson loads it into the Scenario dock, where it plays.

#include <QString>
#include <QStringList>
#include <QWidget>

class QFileSystemWatcher;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QPushButton;
class QTextBrowser;

namespace aigw::ui {

class ScenarioPanel;

/// The shipped lessons: `lessons/` beside the executable, else the installed ones
/// (`../share/aigw-sim/samples/scenarios/` from it), else the source tree's `samples/scenarios/`
/// (a build tree). Empty when none exists.
QString shippedLessonsDirectory();
/// The user's lessons folder (AppDataLocation/lessons); created on demand by the Lessons tab.
QString userLessonsDirectory();
/// The shipped directory (if any), then the user's.
QStringList lessonDirectories();

class LessonsPage : public QWidget {
    Q_OBJECT
public:
    /// Lessons load into `scenario` (not owned).
    explicit LessonsPage(ScenarioPanel* scenario, QWidget* parent = nullptr);

    /// The folders listed (default: lessonDirectories()); watched, so new files appear.
    void setDirectories(const QStringList& dirs);
    QStringList directories() const { return m_dirs; }
    /// Reads the folders again (also done when a folder changes and when the tab is shown).
    void refresh();
    /// Lesson files listed, in list order.
    QStringList files() const;
    /// The listed title of a file ("" when not listed).
    QString titleOf(const QString& path) const;
    /// Selects a listed lesson (or adds an opened file first) and loads it into the Scenario dock.
    bool selectFile(const QString& path);
    /// Adds a lesson file opened from elsewhere to the list (kept until the app closes).
    void addFile(const QString& path);
    QListWidget* list() const { return m_list; }
    QTextBrowser* preview() const { return m_preview; }

signals:
    /// Play the selected lesson in the Scenario dock.
    void playRequested();
    /// Compare the selected lesson "as written" vs doctor-fixed.
    void compareRequested();

protected:
    void showEvent(QShowEvent* event) override;

private:
    void onSelected(QListWidgetItem* item);
    void addSection(const QString& title, const QString& dir, const QStringList& files);
    QString selectedFile() const;

    ScenarioPanel* m_scenario;
    QStringList m_dirs;
    QStringList m_opened;
    QFileSystemWatcher* m_watcher;
    QListWidget* m_list;
    QTextBrowser* m_preview;
    QPushButton* m_play;
    QPushButton* m_compare;
    QLabel* m_where;
};

}  // namespace aigw::ui
