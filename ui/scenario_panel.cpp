#include "scenario_panel.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>

#include "expectations_model.h"
#include "gateway_bridge.h"
#include "lessons.h"
#include "proxy/gateway_service.h"
#include "session_recorder.h"

namespace aigw::ui {

namespace {
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
QString q(const std::string& s) { return QString::fromStdString(s); }
QString fmtSeconds(double s) { return QStringLiteral("%1 s").arg(s, 0, 'f', s < 100 ? 1 : 0); }
const QColor kElapsed(190, 210, 240);
const QColor kStep(31, 78, 180);
const QColor kCursor(16, 48, 144);
}  // namespace

// ---------------------------------------------------------------- ScenarioRuler

ScenarioRuler::ScenarioRuler(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("scenarioRuler"));
    setMinimumHeight(40);
}

void ScenarioRuler::setScenario(const scenario::Scenario& s) {
    m_duration = std::max(1e-3, seconds(s.duration));
    m_steps.clear();
    m_titles.clear();
    for (const auto& step : s.steps) {
        m_steps.push_back(seconds(step.at));
        m_titles << q(step.title);
    }
    m_position = 0;
    m_current = -1;
    update();
}

void ScenarioRuler::setPosition(double s, int currentStep) {
    m_position = std::clamp(s, 0.0, m_duration);
    m_current = currentStep;
    update();
}

double ScenarioRuler::xOf(double s) const {
    const double left = 8, right = width() - 8;
    return left + (right - left) * std::clamp(s / m_duration, 0.0, 1.0);
}

void ScenarioRuler::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QFontMetrics fm = p.fontMetrics();
    const int barTop = fm.height() + 2, barH = 10;
    const QRectF bar(xOf(0), barTop, xOf(m_duration) - xOf(0), barH);
    p.fillRect(bar, QColor(235, 235, 235));
    p.fillRect(QRectF(bar.left(), bar.top(), xOf(m_position) - bar.left(), barH), kElapsed);
    p.setPen(QColor(160, 160, 160));
    p.drawRect(bar);
    // A tick per step, numbered above the bar (a number whose place is taken is left out; the
    // tooltip names every step).
    double lastRight = -1e9;
    for (int i = 0; i < static_cast<int>(m_steps.size()); ++i) {
        const double x = xOf(m_steps[static_cast<std::size_t>(i)]);
        p.setPen(QPen(kStep, i == m_current ? 3 : 1.5));
        p.drawLine(QPointF(x, barTop - 2), QPointF(x, barTop + barH + 2));
        const QString n = QString::number(i + 1);
        const double w = fm.horizontalAdvance(n);
        if (x - w / 2 > lastRight + 2) {
            QFont f = font();
            f.setBold(i == m_current);
            p.setFont(f);
            p.drawText(QRectF(x - w / 2 - 2, 0, w + 4, fm.height()), Qt::AlignCenter, n);
            lastRight = x + w / 2;
        }
    }
    p.setFont(font());
    p.setPen(QPen(kCursor, 2));
    const double cx = xOf(m_position);
    p.drawLine(QPointF(cx, barTop - 3), QPointF(cx, barTop + barH + 3));
    p.setPen(palette().color(QPalette::WindowText));
    const int textTop = barTop + barH + 2;
    p.drawText(QRectF(xOf(0), textTop, 80, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("0 s"));
    p.drawText(QRectF(xOf(m_duration) - 80, textTop, 80, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
               fmtSeconds(m_duration));
}

bool ScenarioRuler::event(QEvent* e) {
    if (e->type() != QEvent::ToolTip)
        return QWidget::event(e);
    const auto* help = static_cast<QHelpEvent*>(e);
    QStringList lines;
    for (int i = 0; i < static_cast<int>(m_steps.size()); ++i)
        if (std::abs(xOf(m_steps[static_cast<std::size_t>(i)]) - help->pos().x()) <= 6)
            lines << QStringLiteral("Step %1 at %2: %3").arg(i + 1).arg(fmtSeconds(m_steps[static_cast<std::size_t>(i)]), m_titles.value(i));
    if (lines.isEmpty())
        lines << QStringLiteral("scenario time %1 of %2").arg(fmtSeconds(m_position), fmtSeconds(m_duration));
    QToolTip::showText(help->globalPos(), lines.join(QLatin1Char('\n')), this);
    return true;
}

// ---------------------------------------------------------------- ScenarioPanel

ScenarioPanel::ScenarioPanel(proxy::GatewayService* service, GatewayBridge* bridge, ChartFeed* feed,
                             SessionRecorder* recorder, QWidget* parent)
    : QWidget(parent),
      m_service(service),
      m_feed(feed),
      m_recorder(recorder),
      m_player(std::make_unique<scenario::LivePlayer>(service)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_title = new QLabel;
    m_title->setObjectName(QStringLiteral("scenarioTitle"));
    m_title->setWordWrap(true);
    QFont bold = m_title->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.15);
    m_title->setFont(bold);
    layout->addWidget(m_title);
    m_fileLabel = new QLabel;
    m_fileLabel->setObjectName(QStringLiteral("scenarioFile"));
    m_fileLabel->setWordWrap(true);
    m_fileLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_fileLabel);

    auto* fileRow = new QHBoxLayout;
    m_open = new QPushButton(QStringLiteral("Open..."));
    m_open->setToolTip(QStringLiteral("Open a scenario file (File > Open scenario..., Ctrl+Shift+O)"));
    m_compare = new QPushButton(QStringLiteral("What-if compare..."));
    m_compare->setObjectName(QStringLiteral("scenarioCompare"));
    m_compare->setToolTip(QStringLiteral("Run this scenario in virtual time against two configs and show both side by side"));
    m_record = new QPushButton(QStringLiteral("\u25CF Record"));
    m_record->setObjectName(QStringLiteral("scenarioRecord"));
    m_record->setCheckable(true);
    m_record->setToolTip(QStringLiteral("Capture your own actions (server stop/start/delete/re-apply, faults, edits, "
                                        "config applies, load changes) with their times"));
    m_saveRecording = new QPushButton(QStringLiteral("Save recording..."));
    m_saveRecording->setObjectName(QStringLiteral("scenarioSaveRecording"));
    m_saveRecording->setToolTip(QStringLiteral("Save the recording as a scenario file that replays the session, and open it here"));
    fileRow->addWidget(m_open);
    fileRow->addWidget(m_compare);
    fileRow->addStretch(1);
    fileRow->addWidget(m_record);
    fileRow->addWidget(m_saveRecording);
    layout->addLayout(fileRow);

    auto* playRow = new QHBoxLayout;
    m_play = new QPushButton(QStringLiteral("\u25B6 Play"));
    m_play->setObjectName(QStringLiteral("scenarioPlay"));
    m_play->setToolTip(QStringLiteral("Play on the live gateway: applies the scenario's config, starts its load and its "
                                      "timeline (F5)"));
    m_pause = new QPushButton(QStringLiteral("Pause"));
    m_pause->setObjectName(QStringLiteral("scenarioPause"));
    m_step = new QPushButton(QStringLiteral("Step"));
    m_step->setObjectName(QStringLiteral("scenarioStep"));
    m_step->setToolTip(QStringLiteral("Play until the next step, then pause (F10)"));
    m_restart = new QPushButton(QStringLiteral("Restart"));
    m_restart->setObjectName(QStringLiteral("scenarioRestart"));
    m_restart->setToolTip(QStringLiteral("Back to 0 s: load stopped, servers up, faults cleared, config re-applied"));
    for (auto* b : {m_play, m_pause, m_step, m_restart})
        playRow->addWidget(b);
    playRow->addStretch(1);
    layout->addLayout(playRow);

    m_ruler = new ScenarioRuler;
    layout->addWidget(m_ruler);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("scenarioStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::RichText);
    layout->addWidget(m_status);

    auto* split = new QSplitter(Qt::Vertical);
    m_steps = new QListWidget;
    m_steps->setObjectName(QStringLiteral("scenarioSteps"));
    m_steps->setWordWrap(true);
    m_steps->setTextElideMode(Qt::ElideNone);
    m_text = new QTextBrowser;
    m_text->setObjectName(QStringLiteral("scenarioText"));
    m_text->setOpenExternalLinks(true);
    m_expectations = new ExpectationsModel(1, this);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("scenarioExpectations"));
    m_table->setModel(m_expectations);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    // A narrow dock: the step number is in the tooltip, the name takes what is left, and long
    // names and measured texts wrap onto a second line.
    m_table->setWordWrap(true);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setColumnHidden(ExpectationsModel::StepColumn, true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ExpectationsModel::NameColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(ExpectationsModel::measuredColumn(0), QHeaderView::Interactive);
    m_table->horizontalHeader()->resizeSection(ExpectationsModel::measuredColumn(0), 130);
    split->addWidget(m_steps);
    split->addWidget(m_text);
    split->addWidget(m_table);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 4);
    split->setStretchFactor(2, 3);
    split->setSizes({110, 420, 320});
    layout->addWidget(split, 1);

    m_tick = new QTimer(this);
    m_tick->setInterval(200);
    connect(m_tick, &QTimer::timeout, this, [this] {
        updateStatus();
        updateOverlay();  // the player's clock starts once the servers are up: keep the origin exact
        m_ruler->setPosition(seconds(m_player->position()), m_player->currentStep());
    });

    connect(m_open, &QPushButton::clicked, this, &ScenarioPanel::openFileDialog);
    connect(m_compare, &QPushButton::clicked, this, &ScenarioPanel::compareRequested);
    connect(m_play, &QPushButton::clicked, this, &ScenarioPanel::play);
    connect(m_pause, &QPushButton::clicked, this, &ScenarioPanel::pause);
    connect(m_step, &QPushButton::clicked, this, &ScenarioPanel::step);
    connect(m_restart, &QPushButton::clicked, this, &ScenarioPanel::restart);
    connect(m_record, &QPushButton::toggled, this, &ScenarioPanel::setRecording);
    connect(m_saveRecording, &QPushButton::clicked, this, [this] {
        if (!m_interactive)
            return;
        const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Save recording as a scenario"),
                                                          userLessonsDirectory() + QStringLiteral("/recorded-session.yaml"),
                                                          QStringLiteral("Scenario (*.yaml *.yml)"));
        QString error;
        if (!path.isEmpty() && !saveRecording(path, &error))
            m_status->setText(QStringLiteral("<span style='color:#b00'>%1</span>").arg(error.toHtmlEscaped()));
    });
    connect(m_steps, &QListWidget::currentRowChanged, this, &ScenarioPanel::showStepText);

    // The shared gateway's records, while a scenario runs (paused too: requests in flight complete).
    connect(bridge, &GatewayBridge::recordsDrained, this,
            [this](const std::vector<routing::RequestRecord>& records, const std::vector<routing::HostEvent>& hosts) {
                const auto st = m_player->state();
                if (st != scenario::LivePlayer::State::Playing && st != scenario::LivePlayer::State::Paused)
                    return;
                for (const auto& r : records)
                    m_player->addRecord(r);
                for (const auto& h : hosts)
                    m_player->addHostEvent(h);
            });
    connect(m_player.get(), &scenario::LivePlayer::stateChanged, this, &ScenarioPanel::onStateChanged);
    connect(m_player.get(), &scenario::LivePlayer::stepReached, this, &ScenarioPanel::onStepReached);
    connect(m_player.get(), &scenario::LivePlayer::actionApplied, this, [this](const QString& description, const QString& error) {
        m_lastAction = error.isEmpty() ? description : QStringLiteral("%1 failed: %2").arg(description, error);
        emit eventLogged(QStringLiteral("scenario: %1").arg(m_lastAction));
        updateStatus();
    });
    connect(m_player.get(), &scenario::LivePlayer::expectationEvaluated, this,
            [this](int index, const scenario::ExpectationResult& r) {
                m_expectations->setResult(0, index, r);
                emit eventLogged(QStringLiteral("scenario: %1 %2 (%3 in %4, expected %5)")
                                     .arg(r.pass ? QStringLiteral("PASS") : QStringLiteral("FAIL"), q(r.expectation.name),
                                          q(r.measured), q(r.window), q(r.expectation.expectedText())));
                updateStatus();
            });
    connect(m_player.get(), &scenario::LivePlayer::finished, this, [this](const scenario::RunResult& r) {
        m_expectations->setResults(0, r.expectations);
        updateStatus();
    });
    if (m_recorder) {
        connect(m_recorder, &SessionRecorder::recordingChanged, this, [this](bool on) {
            const QSignalBlocker block(m_record);
            m_record->setChecked(on);
            updateButtons();
            updateStatus();
        });
        connect(m_recorder, &SessionRecorder::actionRecorded, this, [this](const QString& line) {
            m_lastAction = line;
            updateStatus();
        });
    }
    updateButtons();
    updateStatus();
}

ScenarioPanel::~ScenarioPanel() = default;

const scenario::Scenario& ScenarioPanel::scenario() const {
    static const scenario::Scenario kNone;
    return m_scenario ? *m_scenario : kNone;
}

bool ScenarioPanel::openFile(const QString& path) {
    const auto loaded = scenario::loadScenarioFile(path.toStdString());
    QStringList errors;
    for (const auto& e : loaded.errors)
        errors << q(e.toString());
    std::optional<config::Config> cfg;
    if (loaded.ok()) {
        auto c = scenario::loadScenarioConfig(*loaded.scenario, {});
        for (const auto& e : c.errors)
            errors << q(e.toString());
        if (c.ok())
            cfg = std::move(c.config);
    }
    if (!errors.isEmpty() || !cfg) {
        if (errors.isEmpty())
            errors << QStringLiteral("%1: not a scenario").arg(path);
        m_error = errors.join(QLatin1Char('\n'));
        m_status->setText(QStringLiteral("<span style='color:#b00'><b>Could not open %1</b><br>%2</span>")
                              .arg(QFileInfo(path).fileName().toHtmlEscaped(),
                                   m_error.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));
        emit eventLogged(QStringLiteral("scenario %1 not opened:\n%2").arg(path, m_error));
        return false;
    }
    m_error.clear();
    setLoaded(*loaded.scenario, *cfg, path);
    return true;
}

void ScenarioPanel::openFileDialog() {
    if (!m_interactive)
        return;
    const QStringList dirs = lessonDirectories();
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open scenario"), dirs.value(0),
                                                      QStringLiteral("Scenario (*.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        openFile(path);
}

void ScenarioPanel::setLoaded(scenario::Scenario s, const config::Config& config, const QString& file) {
    // Stops a run in progress (its load ends); the gateway keeps its state until the next Play,
    // which applies the new scenario's config and brings every server back up.
    m_player->setScenario(s, config);
    m_scenario = std::move(s);
    m_file = file;
    m_reachedAt.assign(m_scenario->steps.size(), -1.0);
    m_lastAction.clear();
    m_title->setText(q(m_scenario->title.empty() ? m_scenario->name : m_scenario->title));
    m_fileLabel->setText(QStringLiteral("<small>%1</small>").arg(QFileInfo(file).absoluteFilePath().toHtmlEscaped()));
    m_fileLabel->setToolTip(QFileInfo(file).absoluteFilePath());
    m_steps->clear();
    for (const auto& step : m_scenario->steps)
        m_steps->addItem(QStringLiteral("%1  %2").arg(q(scenario::formatDuration(step.at)), q(step.title)));
    m_ruler->setScenario(*m_scenario);
    m_expectations->setScenario(*m_scenario);
    showStepText(-1);
    updateOverlay();
    updateButtons();
    updateStatus();
    emit scenarioLoaded(m_title->text());
    if (!m_scenario->load.empty())
        emit modelOfInterest(q(m_scenario->load.front().model));
}

void ScenarioPanel::play() {
    if (!m_scenario || (m_recorder && m_recorder->isRecording()))
        return;
    const auto st = m_player->state();
    if (st == scenario::LivePlayer::State::Playing)
        return;
    if (st != scenario::LivePlayer::State::Paused) {
        emit aboutToPlay();
        m_expectations->clearResults();
        m_reachedAt.assign(m_scenario->steps.size(), -1.0);
        markSteps();
    }
    m_player->play();
}

void ScenarioPanel::pause() { m_player->pause(); }

void ScenarioPanel::step() {
    if (!m_scenario || (m_recorder && m_recorder->isRecording()))
        return;
    const auto st = m_player->state();
    if (st == scenario::LivePlayer::State::Idle || st == scenario::LivePlayer::State::Finished) {
        emit aboutToPlay();
        m_expectations->clearResults();
        m_reachedAt.assign(m_scenario->steps.size(), -1.0);
        markSteps();
    }
    m_player->step();
}

void ScenarioPanel::restart() {
    m_player->restart();
    m_expectations->clearResults();
    if (m_scenario)
        m_reachedAt.assign(m_scenario->steps.size(), -1.0);
    m_lastAction.clear();
    markSteps();
    showStepText(-1);
    m_ruler->setPosition(0, -1);
    updateOverlay();
    updateButtons();
    updateStatus();
}

void ScenarioPanel::setRecording(bool on) {
    if (!m_recorder)
        return;
    if (on && m_player->state() != scenario::LivePlayer::State::Idle &&
        m_player->state() != scenario::LivePlayer::State::Finished) {
        // The player's actions are not the user's: record only with no scenario running.
        const QSignalBlocker block(m_record);
        m_record->setChecked(false);
        return;
    }
    if (on)
        m_recorder->start();
    else
        m_recorder->stop();
    {
        const QSignalBlocker block(m_record);
        m_record->setChecked(m_recorder->isRecording());
    }
    updateButtons();
    updateStatus();
}

bool ScenarioPanel::saveRecording(const QString& path, QString* error) {
    if (!m_recorder)
        return false;
    if (m_recorder->isRecording())
        setRecording(false);
    if (!m_recorder->save(path, error))
        return false;
    emit eventLogged(QStringLiteral("recording saved to %1").arg(path));
    if (!openFile(path)) {
        if (error)
            *error = m_error;
        return false;
    }
    return true;
}

void ScenarioPanel::onStateChanged(scenario::LivePlayer::State state) {
    using S = scenario::LivePlayer::State;
    if (state == S::Playing)
        m_tick->start();
    else {
        m_tick->stop();
        m_anchor = m_feed->sessionSeconds();
    }
    m_expectations->setResults(0, m_player->results());
    m_ruler->setPosition(seconds(m_player->position()), m_player->currentStep());
    updateOverlay();
    updateButtons();
    updateStatus();
}

void ScenarioPanel::onStepReached(int index) {
    if (!m_scenario || index < 0 || index >= static_cast<int>(m_scenario->steps.size()))
        return;
    m_reachedAt[static_cast<std::size_t>(index)] = m_feed->sessionSeconds();
    markSteps();
    // The teaching text follows the timeline (the user may browse other steps in between).
    const QSignalBlocker block(m_steps);
    m_steps->setCurrentRow(index);
    showStepText(index);
    m_ruler->setPosition(seconds(m_player->position()), index);
    updateOverlay();
    updateStatus();
}

void ScenarioPanel::markSteps() {
    if (!m_scenario)
        return;
    const int current = m_player->currentStep();
    for (int i = 0; i < m_steps->count() && i < static_cast<int>(m_scenario->steps.size()); ++i) {
        const auto& step = m_scenario->steps[static_cast<std::size_t>(i)];
        const bool reached = m_reachedAt[static_cast<std::size_t>(i)] >= 0;
        QListWidgetItem* item = m_steps->item(i);
        item->setText(QStringLiteral("%1%2  %3")
                          .arg(i == current && reached ? QStringLiteral("\u25B6 ") : reached ? QStringLiteral("\u2713 ") : QString(),
                               q(scenario::formatDuration(step.at)), q(step.title)));
        QFont f = item->font();
        f.setBold(i == current && reached);
        item->setFont(f);
    }
}

void ScenarioPanel::showStepText(int index) {
    if (!m_scenario) {
        m_text->setMarkdown(QStringLiteral("No scenario loaded. Pick a lesson in the **Lessons** tab or open a scenario "
                                           "file (**File > Open scenario...**)."));
        return;
    }
    const auto& s = *m_scenario;
    if (index < 0 || index >= static_cast<int>(s.steps.size())) {
        QString md = q(s.summary);
        md += QStringLiteral("\n\n---\n\n%1 steps, %2 long; press **Play** to run it on the live gateway (its config is "
                             "applied then), or **Step** to go one step at a time.")
                  .arg(s.steps.size())
                  .arg(q(scenario::formatDuration(s.duration)));
        m_text->setMarkdown(md);
        return;
    }
    const auto& step = s.steps[static_cast<std::size_t>(index)];
    QString md = QStringLiteral("### Step %1 of %2 at %3: %4\n\n%5")
                     .arg(index + 1)
                     .arg(s.steps.size())
                     .arg(q(scenario::formatDuration(step.at)), q(step.title), q(step.text));
    if (!step.actions.empty()) {
        md += QStringLiteral("\n\n**Actions**\n\n");
        for (const auto& a : step.actions)
            md += QStringLiteral("- `%1`\n").arg(q(a.describe()));
    }
    if (!step.expectations.empty()) {
        md += QStringLiteral("\n\n**Expected**\n\n");
        for (const auto& e : step.expectations)
            md += QStringLiteral("- %1 (%2)\n").arg(q(e.name), q(e.expectedText()));
    }
    m_text->setMarkdown(md);
}

void ScenarioPanel::updateButtons() {
    using S = scenario::LivePlayer::State;
    const auto st = m_player->state();
    const bool recording = m_recorder && m_recorder->isRecording();
    const bool loaded = m_scenario.has_value();
    m_play->setEnabled(loaded && !recording && st != S::Playing);
    m_play->setText(st == S::Paused ? QStringLiteral("\u25B6 Resume")
                                    : st == S::Finished ? QStringLiteral("\u25B6 Play again") : QStringLiteral("\u25B6 Play"));
    m_pause->setEnabled(st == S::Playing);
    m_step->setEnabled(loaded && !recording);
    m_restart->setEnabled(loaded && st != S::Idle);
    m_compare->setEnabled(loaded);
    m_record->setEnabled(m_recorder && (st == S::Idle || st == S::Finished));
    m_saveRecording->setEnabled(m_recorder && m_recorder->hasRecording());
    m_open->setEnabled(!recording);
}

QString ScenarioPanel::statusText() const { return m_status->text(); }

void ScenarioPanel::updateStatus() {
    using S = scenario::LivePlayer::State;
    QString text;
    if (m_recorder && m_recorder->isRecording()) {
        text = QStringLiteral("<b style='color:#b00'>\u25CF Recording</b> %1: %2 actions")
                   .arg(fmtSeconds(seconds(m_recorder->elapsed())))
                   .arg(m_recorder->actions().size());
    } else if (!m_scenario) {
        text = QStringLiteral("No scenario loaded.");
    } else {
        const auto& s = *m_scenario;
        const int steps = static_cast<int>(s.steps.size());
        const int expectations = m_expectations->rowCount();
        const QString pos = fmtSeconds(seconds(m_player->position()));
        const QString dur = fmtSeconds(seconds(s.duration));
        const int step = m_player->currentStep() + 1;
        switch (m_player->state()) {
        case S::Idle:
            text = QStringLiteral("Ready: %1, %2 steps, %3 expectations.").arg(dur).arg(steps).arg(expectations);
            break;
        case S::Playing:
            text = QStringLiteral("<b>Playing</b> %1 of %2, step %3 of %4").arg(pos, dur).arg(step).arg(steps);
            break;
        case S::Paused:
            text = QStringLiteral("<b>Paused</b> at %1 of %2, step %3 of %4").arg(pos, dur).arg(step).arg(steps);
            break;
        case S::Finished: break;
        }
        const int pass = m_expectations->count(0, ExpectationsModel::Status::Pass);
        const int fail = m_expectations->count(0, ExpectationsModel::Status::Fail);
        if (m_player->state() == S::Finished)
            text = QStringLiteral("<b>Finished</b>: %1 of %2 expectations held%3")
                       .arg(pass)
                       .arg(expectations)
                       .arg(fail ? QStringLiteral(", <b style='color:#9c0006'>%1 failed</b>").arg(fail) : QString());
        else if (pass + fail > 0)
            text += QStringLiteral(" &mdash; %1 held, %2 failed so far").arg(pass).arg(fail);
    }
    if (!m_lastAction.isEmpty())
        text += QStringLiteral("<br><small>last: %1</small>").arg(m_lastAction.toHtmlEscaped());
    m_status->setText(text);
}

void ScenarioPanel::updateOverlay() {
    using S = scenario::LivePlayer::State;
    ScenarioOverlay ov;
    const auto st = m_player->state();
    ov.active = m_scenario.has_value() && st != S::Idle;
    if (ov.active) {
        const double pos = seconds(m_player->position());
        if (st == S::Playing) {
            ov.followNow = true;
            ov.origin = m_feed->sessionSeconds() - pos;
        } else {
            ov.cursor = m_anchor;
            ov.origin = m_anchor - pos;
        }
        for (std::size_t i = 0; i < m_reachedAt.size(); ++i)
            if (m_reachedAt[i] >= 0)
                ov.steps.push_back({m_reachedAt[i], std::to_string(i + 1) + ": " + m_scenario->steps[i].title});
    }
    m_feed->setScenarioOverlay(std::move(ov));
}

}  // namespace aigw::ui
