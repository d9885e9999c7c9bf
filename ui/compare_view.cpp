#include "compare_view.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

#include "chart_feed.h"
#include "charts.h"
#include "config/doctor.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "expectations_model.h"
#include "gateway_bridge.h"
#include "split_math.h"
#include "topology_model.h"

namespace aigw::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

const char* kChoiceNames[] = {"Scenario's own config", "Scenario's own config, doctor-fixed", "Running config (this app's gateway)",
                              "Running config, doctor-fixed", "Files..."};

MarkerKind markerFor(scenario::Action::Verb verb) {
    using V = scenario::Action::Verb;
    switch (verb) {
    case V::Stop: return MarkerKind::ServerStopped;
    case V::Start:
    case V::Reapply: return MarkerKind::ServerStarted;
    case V::Delete: return MarkerKind::ServerDeleted;
    case V::Fault: return MarkerKind::Fault;
    case V::ClearFault: return MarkerKind::FaultCleared;
    default: return MarkerKind::ConfigEdit;
    }
}

/// The time 0 of a virtual run's records: the virtual clock starts at its epoch with the scenario.
TimePoint runOrigin() { return TimePoint{}; }
}  // namespace

struct CompareView::Pending {
    std::array<scenario::Scenario, kSides> scenarios;
    std::array<std::optional<Result<scenario::RunResult>>, kSides> results;
};

CompareView::CompareView(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("compareView"));
    setWindowTitle(QStringLiteral("What-if compare"));
    resize(1800, 1000);
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(QStringLiteral("Scenario:")));
    m_scenarioLabel = new QLabel(QStringLiteral("(none)"));
    m_scenarioLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(m_scenarioLabel, 1);
    m_browse = new QPushButton(QStringLiteral("Choose..."));
    top->addWidget(m_browse);
    layout->addLayout(top);

    auto* choices = new QHBoxLayout;
    for (int i = 0; i < kSides; ++i) {
        auto& side = m_sides[static_cast<std::size_t>(i)];
        side.combo = new QComboBox;
        side.combo->setObjectName(QStringLiteral("compareConfig%1").arg(i));
        for (const char* name : kChoiceNames)
            side.combo->addItem(QString::fromLatin1(name));
        choices->addWidget(new QLabel(i == 0 ? QStringLiteral("Left:") : QStringLiteral("Right:")));
        choices->addWidget(side.combo, 1);
        connect(side.combo, &QComboBox::activated, this, [this, i](int index) {
            const auto choice = static_cast<Choice>(index);
            if (choice == Choice::Files) {
                const QStringList files = QFileDialog::getOpenFileNames(this, QStringLiteral("Config files"), QString(),
                                                                        QStringLiteral("YAML (*.yaml *.yml);;All files (*)"));
                if (files.isEmpty()) {
                    syncCombo(i);
                    return;
                }
                setChoice(i, choice, files);
            } else {
                setChoice(i, choice);
            }
            run();
        });
    }
    m_sides[0].choice = Choice::ScenarioOwn;
    m_sides[1].choice = Choice::ScenarioOwnFixed;
    syncCombo(0);
    syncCombo(1);
    m_run = new QPushButton(QStringLiteral("Run both"));
    m_run->setObjectName(QStringLiteral("compareRun"));
    choices->addWidget(m_run);
    layout->addLayout(choices);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("compareStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    auto* vsplit = new QSplitter(Qt::Vertical);
    auto* sides = new QSplitter(Qt::Horizontal);
    for (auto& side : m_sides) {
        auto* column = new QWidget;
        auto* cl = new QVBoxLayout(column);
        cl->setContentsMargins(0, 0, 0, 0);
        side.header = new QLabel;
        side.header->setWordWrap(true);
        side.header->setTextFormat(Qt::RichText);
        cl->addWidget(side.header);
        side.charts = cl;
        sides->addWidget(column);
    }
    vsplit->addWidget(sides);
    auto* tables = new QSplitter(Qt::Horizontal);
    m_outcome = new QTableWidget;
    m_outcome->setObjectName(QStringLiteral("compareOutcome"));
    m_outcome->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_outcome->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_outcome->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_outcome->horizontalHeader()->setStretchLastSection(true);
    m_expectations = new ExpectationsModel(kSides, this);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("compareExpectations"));
    m_table->setModel(m_expectations);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    // The name takes the room; a long measured text is elided (its tooltip has it whole).
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ExpectationsModel::NameColumn, QHeaderView::Stretch);
    for (int run = 0; run < kSides; ++run) {
        m_table->horizontalHeader()->setSectionResizeMode(ExpectationsModel::measuredColumn(run), QHeaderView::Interactive);
        m_table->horizontalHeader()->resizeSection(ExpectationsModel::measuredColumn(run), 190);
    }
    tables->addWidget(m_outcome);
    tables->addWidget(m_table);
    tables->setStretchFactor(0, 2);
    tables->setStretchFactor(1, 5);
    tables->setSizes({600, 1200});
    vsplit->addWidget(tables);
    vsplit->setStretchFactor(0, 3);
    vsplit->setStretchFactor(1, 2);
    vsplit->setSizes({620, 330});
    layout->addWidget(vsplit, 1);

    connect(m_run, &QPushButton::clicked, this, &CompareView::run);
    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Scenario"), QFileInfo(m_file).absolutePath(),
                                                          QStringLiteral("Scenario (*.yaml *.yml);;All files (*)"));
        if (!path.isEmpty() && setScenarioFile(path))
            run();
    });
}

CompareView::~CompareView() {
    if (m_thread) {
        disconnect(m_thread.get(), nullptr, this, nullptr);
        m_thread->wait();
    }
}

void CompareView::syncCombo(int side) {
    auto& s = m_sides[static_cast<std::size_t>(side)];
    const QSignalBlocker block(s.combo);
    s.combo->setCurrentIndex(static_cast<int>(s.choice));
}

bool CompareView::setScenarioFile(const QString& path) {
    const auto loaded = scenario::loadScenarioFile(path.toStdString());
    if (!loaded.ok()) {
        QStringList lines;
        for (const auto& e : loaded.errors)
            lines << q(e.toString());
        m_error = lines.isEmpty() ? QStringLiteral("%1: not a scenario").arg(path) : lines.join(QLatin1Char('\n'));
        m_status->setText(QStringLiteral("<span style='color:#b00'>%1</span>")
                              .arg(m_error.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));
        return false;
    }
    m_file = path;
    m_scenario = *loaded.scenario;
    m_error.clear();
    const QString title = q(m_scenario->title.empty() ? m_scenario->name : m_scenario->title);
    m_scenarioLabel->setText(QStringLiteral("<b>%1</b> &nbsp; <small>%2</small>")
                                 .arg(title.toHtmlEscaped(), QFileInfo(path).absoluteFilePath().toHtmlEscaped()));
    setWindowTitle(QStringLiteral("What-if compare: %1").arg(title));
    m_expectations->setScenario(*m_scenario);
    return true;
}

void CompareView::setCurrentConfig(const config::Config& config) { m_current = config; }

void CompareView::setChoice(int side, Choice choice, const QStringList& files) {
    if (side < 0 || side >= kSides)
        return;
    auto& s = m_sides[static_cast<std::size_t>(side)];
    s.choice = choice;
    s.files = files;
    syncCombo(side);
}

QString CompareView::sideTitle(int side) const { return m_sides[static_cast<std::size_t>(side)].label; }

bool CompareView::prepare(Side& side, int index, scenario::Scenario& run, QString* error) {
    run = *m_scenario;
    side.detail.clear();
    auto useFiles = [&](const std::vector<std::string>& files) {
        run.config = scenario::ConfigSource{};
        run.config.files = files;  // absolute: the scenario's directory does not matter
    };
    auto writeTemp = [&](const config::Config& cfg) {
        const QString path = m_tmp.filePath(QStringLiteral("side%1.yaml").arg(index));
        QFile f(path);
        const std::string yaml = config::exportYaml(cfg, {});
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            f.write(yaml.data(), static_cast<qint64>(yaml.size())) != static_cast<qint64>(yaml.size())) {
            *error = QStringLiteral("Could not write %1: %2").arg(path, f.errorString());
            return false;
        }
        useFiles({QFileInfo(path).absoluteFilePath().toStdString()});
        return true;
    };
    auto fixed = [&](const config::Config& cfg) {
        QStringList applied;
        std::vector<std::string> titles;
        side.config = config::applyAllFixes(cfg, &titles);
        for (const auto& t : titles)
            applied << q(t);
        side.detail += applied.isEmpty() ? QStringLiteral("; the doctor found nothing to fix")
                                         : QStringLiteral("; doctor fixes: %1").arg(applied.join(QStringLiteral("; ")));
        return writeTemp(side.config);
    };
    switch (side.choice) {
    case Choice::ScenarioOwn:
    case Choice::ScenarioOwnFixed: {
        auto own = scenario::loadScenarioConfig(*m_scenario, {});
        if (!own.ok()) {
            QStringList lines;
            for (const auto& e : own.errors)
                lines << q(e.toString());
            *error = lines.join(QLatin1Char('\n'));
            return false;
        }
        side.label = side.choice == Choice::ScenarioOwn ? QStringLiteral("as written") : QStringLiteral("doctor-fixed");
        side.detail = QStringLiteral("the scenario's own config");
        side.config = own.config;
        return side.choice == Choice::ScenarioOwn || fixed(own.config);
    }
    case Choice::Current:
    case Choice::CurrentFixed:
        if (!m_current) {
            *error = QStringLiteral("No running config to compare with");
            return false;
        }
        side.label = side.choice == Choice::Current ? QStringLiteral("running config") : QStringLiteral("running config, fixed");
        side.detail = QStringLiteral("the config this app's gateway runs");
        side.config = *m_current;
        return side.choice == Choice::Current ? writeTemp(*m_current) : fixed(*m_current);
    case Choice::Files: {
        std::vector<std::string> paths;
        QStringList names;
        for (const auto& f : side.files) {
            paths.push_back(QFileInfo(f).absoluteFilePath().toStdString());
            names << QFileInfo(f).fileName();
        }
        auto loaded = config::loadFiles(paths);
        if (!loaded.ok()) {
            QStringList lines;
            for (const auto& e : loaded.errors)
                lines << q(e.toString());
            *error = lines.join(QLatin1Char('\n'));
            return false;
        }
        side.label = names.join(QStringLiteral(" + "));
        side.detail = side.files.join(QStringLiteral(", "));
        side.config = loaded.config;
        useFiles(paths);
        return true;
    }
    }
    return false;
}

void CompareView::run() {
    if (m_thread || !m_scenario)
        return;
    auto pending = std::make_shared<Pending>();
    for (int i = 0; i < kSides; ++i) {
        auto& side = m_sides[static_cast<std::size_t>(i)];
        side.result.reset();
        side.error.clear();
        QString error;
        if (!prepare(side, i, pending->scenarios[static_cast<std::size_t>(i)], &error)) {
            m_error = QStringLiteral("%1: %2").arg(i == 0 ? QStringLiteral("Left") : QStringLiteral("Right"), error);
            m_status->setText(QStringLiteral("<span style='color:#b00'>%1</span>")
                                  .arg(m_error.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));
            emit finished();
            return;
        }
    }
    m_error.clear();
    m_pending = pending;
    m_status->setText(QStringLiteral("Running both in virtual time..."));
    m_run->setEnabled(false);
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    // Off the GUI thread: a long scenario at a high rate takes a noticeable fraction of a second.
    m_thread.reset(QThread::create([pending] {
        scenario::RunOptions options;
        options.keepRecords = true;
        for (std::size_t i = 0; i < kSides; ++i)
            pending->results[i] = scenario::runVirtual(pending->scenarios[i], options);
    }));
    connect(m_thread.get(), &QThread::finished, this, [this, timer] {
        m_lastRunMs = timer->elapsed();
        onRunFinished();
    });
    m_thread->start();
}

void CompareView::onRunFinished() {
    m_thread->wait();  // finished: returns at once
    m_thread.reset();
    const auto pending = std::move(m_pending);
    m_run->setEnabled(true);
    QStringList errors;
    for (int i = 0; i < kSides; ++i) {
        auto& side = m_sides[static_cast<std::size_t>(i)];
        const auto& r = pending->results[static_cast<std::size_t>(i)];
        if (r && r->ok()) {
            side.result = r->value();
            m_expectations->setResults(i, side.result->expectations);
        } else {
            side.error = r ? q(r->error().toString()) : QStringLiteral("did not run");
            errors << QStringLiteral("%1: %2").arg(side.label, side.error);
            m_expectations->setResults(i, {});
        }
        showSide(side);
    }
    m_expectations->setRunTitles({m_sides[0].label, m_sides[1].label});
    fillOutcome();
    m_error = errors.join(QLatin1Char('\n'));
    m_status->setText(errors.isEmpty()
                          ? QStringLiteral("Both runs in virtual time (%1 each) took %2 s. Left: %3. Right: %4.")
                                .arg(q(scenario::formatDuration(m_scenario->duration)))
                                .arg(m_lastRunMs / 1000.0, 0, 'f', 2)
                                .arg(m_sides[0].detail.toHtmlEscaped(), m_sides[1].detail.toHtmlEscaped())
                          : QStringLiteral("<span style='color:#b00'>%1</span>")
                                .arg(m_error.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));
    emit finished();
}

void CompareView::showSide(Side& side) {
    // Fresh charts per run: lanes and bins belong to one config and one run.
    delete side.chartsHost;
    side.chartsHost = new QWidget;
    auto* hl = new QVBoxLayout(side.chartsHost);
    hl->setContentsMargins(0, 0, 0, 0);
    side.charts->addWidget(side.chartsHost, 1);
    side.feed = new ChartFeed(side.chartsHost);
    side.feed->setTimeAxisTitle(QStringLiteral("scenario time (s)"));
    side.topology = new TopologyModel(side.chartsHost);
    side.topology->setConfig(side.config);
    // Lanes in config order, for the rules the scenario's load asks (others would stay empty; a
    // backend that answers anyway gets its lane when its first request arrives).
    std::set<std::string> models;
    for (const auto& l : m_scenario->load)
        models.insert(l.model);
    for (const auto& route : side.config.routes)
        for (const auto& rule : route.rules) {
            bool asked = models.empty();
            for (const auto& m : rule.matches)
                for (const auto& h : m.headers)
                    asked = asked || models.count(h.value) > 0;
            if (asked)
                for (const auto& ref : rule.backendRefs)
                    side.feed->buffers().laneFor(laneKey(ref, route.meta.effectiveNamespace()));
        }
    auto* split = new QSplitter(Qt::Vertical);
    side.timeline = new TimelineWidget(side.feed);
    side.split = new SplitChart(side.feed, side.topology);
    split->addWidget(side.timeline);
    split->addWidget(side.split);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setSizes({400, 200});
    hl->addWidget(split);

    const QString title = QStringLiteral("%1").arg(side.label);
    if (!side.result) {
        side.header->setText(QStringLiteral("<b>%1</b><br><span style='color:#b00'>%2</span>")
                                 .arg(title.toHtmlEscaped(), side.error.toHtmlEscaped()));
        side.timeline->setTitle(QStringLiteral("Failover timeline: %1 (not run)").arg(title));
        return;
    }
    const auto& r = *side.result;
    const double end = std::max(1.0, seconds(r.duration));
    // Requests in order of their end: the per-second bins expect them roughly so.
    std::vector<const routing::RequestRecord*> records;
    records.reserve(r.records.size());
    for (const auto& rec : r.records)
        records.push_back(&rec);
    std::stable_sort(records.begin(), records.end(),
                     [](const auto* a, const auto* b) { return a->start + a->latency < b->start + b->latency; });
    std::vector<RequestPoint> points;
    points.reserve(records.size());
    for (const auto* rec : records)
        points.push_back(requestPoint(*rec, runOrigin()));
    side.feed->post(std::move(points));
    std::map<std::string, double> lastSkip;
    for (const auto& h : r.hostEvents) {
        using T = routing::HostEvent::Type;
        const double t = seconds(h.at);
        const std::string lane = laneKey(h.backendNamespace, h.backend);
        if (h.type == T::Ejected)
            side.feed->postMarker(t, lane, MarkerKind::Ejected, "ejected " + h.server);
        else if (h.type == T::Unejected)
            side.feed->postMarker(t, lane, MarkerKind::Unejected, "un-ejected " + h.server);
        else if (h.type == T::EjectionSkipped && (!lastSkip.count(lane) || t - lastSkip[lane] > 10)) {
            lastSkip[lane] = t;  // one per backend per 10 s, as on the live timeline
            side.feed->postMarker(t, lane, MarkerKind::Ejected, "not ejected: maxEjectionPercent");
        }
    }
    for (const auto& a : m_scenario->timeline())
        side.feed->postMarker(seconds(a.at), {}, markerFor(a.verb), a.describe());
    ScenarioOverlay overlay;
    overlay.active = true;
    overlay.showCursor = false;
    for (std::size_t i = 0; i < m_scenario->steps.size(); ++i)
        overlay.steps.push_back({seconds(m_scenario->steps[i].at), std::to_string(i + 1) + ": " + m_scenario->steps[i].title});
    side.feed->setScenarioOverlay(std::move(overlay));
    side.feed->setWindowSeconds(end);
    side.feed->freezeAt(end);
    side.feed->flushNow();  // drawn whole at once: nothing more will arrive
    side.timeline->setTitle(QStringLiteral("Failover timeline: %1 (virtual time, %2 s)").arg(title).arg(end, 0, 'f', 0));
    if (!m_scenario->load.empty())
        side.split->selectModel(q(m_scenario->load.front().model));
    side.split->redraw();

    const int held = static_cast<int>(std::count_if(r.expectations.begin(), r.expectations.end(),
                                                    [](const auto& e) { return e.pass; }));
    const int total = static_cast<int>(r.expectations.size());
    const bool ok = r.passed();
    QString notes;
    for (const auto& n : r.notes)
        notes += QStringLiteral("<br><small>note: %1</small>").arg(q(n).toHtmlEscaped());
    side.header->setText(QStringLiteral("<span style='font-size:large'><b>%1</b></span> &nbsp; "
                                        "<b style='color:%2'>%3 of %4 expectations held</b> &nbsp; %5 requests, %6 failed"
                                        "<br><small>%7</small>%8")
                             .arg(title.toHtmlEscaped(), ok ? QStringLiteral("#006100") : QStringLiteral("#9c0006"))
                             .arg(held)
                             .arg(total)
                             .arg(r.requests)
                             .arg(r.failed)
                             .arg(side.detail.toHtmlEscaped(), notes));
}

void CompareView::fillOutcome() {
    struct Row {
        QString name;
        std::array<QString, kSides> values;
        std::array<double, kSides> numbers{};
        bool bad = false;  ///< a higher number is worse (failures)
    };
    std::vector<Row> rows;
    auto side = [&](int i) -> const std::optional<scenario::RunResult>& { return m_sides[static_cast<std::size_t>(i)].result; };
    auto add = [&](const QString& name, auto&& value, bool bad = false) {
        Row row{name, {}, {}, bad};
        for (int i = 0; i < kSides; ++i)
            if (side(i)) {
                const double v = value(*side(i));
                row.numbers[static_cast<std::size_t>(i)] = v;
                row.values[static_cast<std::size_t>(i)] = QString::number(v, 'f', 0);
            }
        rows.push_back(std::move(row));
        return &rows.back();
    };
    add(QStringLiteral("Requests"), [](const scenario::RunResult& r) { return static_cast<double>(r.requests); });
    Row* failed = add(QStringLiteral("Failed"), [](const scenario::RunResult& r) { return static_cast<double>(r.failed); }, true);
    for (int i = 0; i < kSides; ++i)
        if (side(i) && side(i)->requests)
            failed->values[static_cast<std::size_t>(i)] +=
                QStringLiteral(" (%1%)").arg(100.0 * static_cast<double>(side(i)->failed) / static_cast<double>(side(i)->requests), 0, 'f', 1);
    std::set<int> statuses;
    std::set<std::string> backends;
    for (int i = 0; i < kSides; ++i)
        if (side(i)) {
            for (const auto& [code, n] : side(i)->byStatus)
                statuses.insert(code);
            for (const auto& [b, n] : side(i)->byBackend)
                backends.insert(b);
        }
    for (int code : statuses)
        add(code == 0 ? QStringLiteral("no response") : QStringLiteral("status %1").arg(code),
            [code](const scenario::RunResult& r) {
                const auto it = r.byStatus.find(code);
                return it == r.byStatus.end() ? 0.0 : static_cast<double>(it->second);
            },
            code == 0 || code >= 400);
    for (const auto& b : backends)
        add(QStringLiteral("answered by %1").arg(q(b)), [b](const scenario::RunResult& r) {
            const auto it = r.byBackend.find(b);
            return it == r.byBackend.end() ? 0.0 : static_cast<double>(it->second);
        });
    add(QStringLiteral("Expectations held"), [](const scenario::RunResult& r) {
        return static_cast<double>(std::count_if(r.expectations.begin(), r.expectations.end(), [](const auto& e) { return e.pass; }));
    });

    m_outcome->clear();
    m_outcome->setRowCount(static_cast<int>(rows.size()));
    m_outcome->setColumnCount(kSides);
    m_outcome->setHorizontalHeaderLabels({m_sides[0].label, m_sides[1].label});
    QStringList names;
    for (const auto& row : rows)
        names << row.name;
    m_outcome->setVerticalHeaderLabels(names);
    for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
        const auto& row = rows[static_cast<std::size_t>(r)];
        const bool differs = row.numbers[0] != row.numbers[1];
        for (int c = 0; c < kSides; ++c) {
            auto* item = new QTableWidgetItem(row.values[static_cast<std::size_t>(c)]);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (differs) {
                QFont f = item->font();
                f.setBold(true);
                item->setFont(f);
            }
            if (row.bad && row.numbers[static_cast<std::size_t>(c)] > 0)
                item->setBackground(QColor(255, 199, 206));
            m_outcome->setItem(r, c, item);
        }
    }
}

}  // namespace aigw::ui
