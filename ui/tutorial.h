#pragma once
// The guided tutorial: Ticket 1 (model name virtualization) and Ticket 2 (provider fallback),
// following the seed tutorial's own steps. Each step shows the tutorial's command, performs the
// equivalent action in the simulator (deploy = start/re-apply servers, apply = apply config,
// delete isvc = delete the server, test = send through the gateway), and says what a real cluster
// would show, including where the tutorial's text is wrong (reference, section 0).

#include <QWidget>

#include <functional>
#include <vector>

#include "config/model.h"
#include "config/tutorial_policy.h"

class QLabel;
class QListWidget;
class QPushButton;
class QTextBrowser;

namespace aigw::ui {

class MainWindow;

using config::withAttemptsPerPriority;
using config::withTutorialPolicy;

struct TutorialStep {
    QString ticket;   ///< "Ticket 1" / "Ticket 2"
    QString title;    ///< the tutorial's step title
    QString command;  ///< what the tutorial runs (shown verbatim)
    QString simulator;  ///< what "Run step" does here
    QString cluster;    ///< what the real cluster would show
    std::function<void()> action;
};

class TutorialPage : public QWidget {
    Q_OBJECT
public:
    explicit TutorialPage(MainWindow* window, QWidget* parent = nullptr);
    const std::vector<TutorialStep>& steps() const { return m_steps; }
    int currentStep() const;
    void showStep(int index);
    /// Runs the current step's action and marks it done.
    void runCurrent();

private:
    void buildSteps();
    MainWindow* m_window;
    std::vector<TutorialStep> m_steps;
    QListWidget* m_list;
    QTextBrowser* m_text;
    QPushButton* m_run;
    QPushButton* m_next;
};

}  // namespace aigw::ui
