#include "docks.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSlider>
#include <QSpinBox>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>

#include <functional>

#include "loadgen/load_generator.h"
#include "proxy/gateway_service.h"
#include "servers_model.h"
#include "topology_model.h"

namespace aigw::ui {

// ---------------------------------------------------------------- TopologyPanel

TopologyPanel::TopologyPanel(TopologyModel* model, QUndoStack* undo, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_view = new QTreeView;
    m_view->setObjectName(QStringLiteral("topologyView"));
    m_view->setModel(model);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                            QAbstractItemView::SelectedClicked);
    m_view->setAlternatingRowColors(true);
    m_view->setUniformRowHeights(true);
    // Weight, priority, override and target size to their contents; the name column is sized to
    // the backendRef names only (fitColumns), because gateway, route and rule rows span all columns.
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->header()->setSectionResizeMode(TopologyModel::NameColumn, QHeaderView::Interactive);
    layout->addWidget(m_view, 1);
    m_routeStatus = new QLabel;
    m_routeStatus->setObjectName(QStringLiteral("routeStatus"));
    m_routeStatus->setWordWrap(true);
    m_routeStatus->setTextFormat(Qt::RichText);
    m_routeStatus->hide();
    layout->addWidget(m_routeStatus);
    auto* row = new QHBoxLayout;
    auto* undoButton = new QPushButton(QStringLiteral("Undo"));
    auto* redoButton = new QPushButton(QStringLiteral("Redo"));
    undoButton->setEnabled(false);
    redoButton->setEnabled(false);
    connect(undoButton, &QPushButton::clicked, undo, &QUndoStack::undo);
    connect(redoButton, &QPushButton::clicked, undo, &QUndoStack::redo);
    connect(undo, &QUndoStack::canUndoChanged, undoButton, &QPushButton::setEnabled);
    connect(undo, &QUndoStack::canRedoChanged, redoButton, &QPushButton::setEnabled);
    connect(undo, &QUndoStack::undoTextChanged, undoButton, [undoButton](const QString& t) {
        undoButton->setToolTip(t.isEmpty() ? QString() : QStringLiteral("Undo %1 (Ctrl+Z)").arg(t));
    });
    row->addWidget(undoButton);
    row->addWidget(redoButton);
    m_message = new QLabel(QStringLiteral("Double-click a weight, priority or modelNameOverride to edit; it applies to the next request."));
    m_message->setWordWrap(true);
    row->addWidget(m_message, 1);
    layout->addLayout(row);
    auto expand = [this] {
        m_view->expandAll();
        fitColumns();
        updateRouteStatus();
    };
    connect(model, &QAbstractItemModel::modelReset, this, expand);
    connect(model, &TopologyModel::editRejected, this, [this](const QString& reason) {
        m_message->setText(QStringLiteral("<span style='color:#b00'>%1</span>").arg(reason.toHtmlEscaped()));
    });
    expand();
}

void TopologyPanel::fitColumns() {
    auto* model = static_cast<TopologyModel*>(m_view->model());
    const QFontMetrics fm(m_view->font());
    int name = fm.horizontalAdvance(model->headerData(TopologyModel::NameColumn, Qt::Horizontal).toString());
    // Walk the tree: span the non-backendRef rows, measure the backendRef names at their depth.
    std::function<void(const QModelIndex&, int)> walk = [&](const QModelIndex& parent, int depth) {
        for (int row = 0; row < model->rowCount(parent); ++row) {
            const QModelIndex i = model->index(row, 0, parent);
            const bool ref = model->nodeType(i) == TopologyModel::NodeType::BackendRef;
            m_view->setFirstColumnSpanned(row, parent, !ref);
            if (ref)
                name = std::max(name, m_view->indentation() * depth + fm.horizontalAdvance(i.data().toString()));
            else
                walk(i, depth + 1);
        }
    };
    walk({}, 1);
    m_view->setColumnWidth(TopologyModel::NameColumn, name + 24);
}

void TopologyPanel::updateRouteStatus() {
    auto* model = static_cast<TopologyModel*>(m_view->model());
    QStringList lines;
    const auto& statuses = model->routeStatus();
    for (const auto& st : statuses)
        if (!st.accepted)
            lines << QStringLiteral("<b>%1</b> %2. %3")
                         .arg(QString::fromStdString(st.route).toHtmlEscaped(),
                              QStringLiteral("not accepted: %1").arg(QString::fromStdString(st.reason).toHtmlEscaped()),
                              st.servingLastAccepted
                                  ? QStringLiteral("Its last accepted version keeps serving.")
                                  : QStringLiteral("Never accepted: its models answer 404."));
    m_routeStatus->setText(QStringLiteral("<span style='color:#b00'>%1</span>").arg(lines.join(QStringLiteral("<br>"))));
    m_routeStatus->setVisible(!lines.isEmpty());
}

int TopologyPanel::preferredWidth() const {
    int w = m_view->frameWidth() * 2 + m_view->verticalScrollBar()->sizeHint().width() + 8;
    // Before the first layout, ResizeToContents sections still have their default size: measure.
    const auto* view = static_cast<const QAbstractItemView*>(m_view);
    w += m_view->columnWidth(TopologyModel::NameColumn);
    for (int c = TopologyModel::NameColumn + 1; c < TopologyModel::ColumnCount; ++c)
        w += std::max(view->sizeHintForColumn(c), m_view->header()->sectionSizeHint(c));
    return w;
}

// ---------------------------------------------------------------- faults

nlohmann::json FaultPresets::status503() { return {{"errorStatus", 503}, {"errorRate", 1.0}}; }
nlohmann::json FaultPresets::status429(int retryAfterSeconds) {
    return {{"errorStatus", 429}, {"errorRate", 1.0}, {"retryAfterSeconds", retryAfterSeconds}};
}
nlohmann::json FaultPresets::hang() { return {{"hang", true}}; }
nlohmann::json FaultPresets::blackHole() { return {{"blackhole", true}}; }
nlohmann::json FaultPresets::slowFirstToken(int ms) { return {{"firstTokenDelayMs", ms}}; }
nlohmann::json FaultPresets::streamCut(int afterTokens) { return {{"cutAfterTokens", afterTokens}}; }
nlohmann::json FaultPresets::latencyAndErrors(int latencyMs, int jitterMs, double errorRate, int status) {
    nlohmann::json j = {{"latencyMs", latencyMs}, {"latencyJitterMs", jitterMs}};
    if (errorRate > 0) {
        j["errorRate"] = errorRate;
        j["errorStatus"] = status;
    }
    return j;
}

FaultDialog::FaultDialog(const QString& server, QWidget* parent) : QDialog(parent) {
    setWindowTitle(QStringLiteral("Latency and errors for %1").arg(server));
    auto* form = new QFormLayout(this);
    auto slider = [&](int max, int value, const QString& label, const QString& unit) {
        auto* s = new QSlider(Qt::Horizontal);
        s->setRange(0, max);
        s->setValue(value);
        auto* shown = new QLabel;
        auto* row = new QHBoxLayout;
        row->addWidget(s, 1);
        row->addWidget(shown);
        auto update = [s, shown, unit] { shown->setText(QStringLiteral("%1 %2").arg(s->value()).arg(unit)); };
        connect(s, &QSlider::valueChanged, shown, update);
        update();
        form->addRow(label, row);
        return s;
    };
    m_latency = slider(5000, 200, QStringLiteral("Added latency"), QStringLiteral("ms"));
    m_jitter = slider(2000, 50, QStringLiteral("Jitter"), QStringLiteral("ms"));
    m_errorRate = slider(100, 20, QStringLiteral("Error rate"), QStringLiteral("%"));
    m_status = new QComboBox;
    for (int s : {500, 502, 503, 504, 429, 404})
        m_status->addItem(QString::number(s), s);
    m_status->setCurrentIndex(2);
    form->addRow(QStringLiteral("Error status"), m_status);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

nlohmann::json FaultDialog::profile() const {
    return FaultPresets::latencyAndErrors(m_latency->value(), m_jitter->value(), m_errorRate->value() / 100.0,
                                          m_status->currentData().toInt());
}

ServerLogDialog::ServerLogDialog(proxy::GatewayService* service, const QString& server, QWidget* parent)
    : QDialog(parent), m_service(service), m_server(server) {
    setWindowTitle(QStringLiteral("Log of %1").arg(server));
    resize(800, 420);
    auto* layout = new QVBoxLayout(this);
    m_text = new QPlainTextEdit;
    m_text->setReadOnly(true);
    m_text->setMaximumBlockCount(2000);
    m_text->setFont(QFont(QStringLiteral("monospace")));
    layout->addWidget(m_text);
    auto* timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &ServerLogDialog::refresh);
    timer->start(500);
    refresh();
}

void ServerLogDialog::refresh() {
    const QStringList lines = m_service->serverLog(m_server);
    if (lines.size() == m_lines && !lines.isEmpty())
        return;
    m_lines = static_cast<int>(lines.size());
    const bool atEnd = m_text->verticalScrollBar()->value() == m_text->verticalScrollBar()->maximum();
    m_text->setPlainText(lines.isEmpty() ? QStringLiteral("(no output captured from %1 yet)").arg(m_server)
                                         : lines.join(QLatin1Char('\n')));
    if (atEnd)
        m_text->verticalScrollBar()->setValue(m_text->verticalScrollBar()->maximum());
}

// ---------------------------------------------------------------- ServersPanel

ServersPanel::ServersPanel(ServersModel* model, proxy::GatewayService* service, QWidget* parent)
    : QWidget(parent), m_model(model), m_service(service) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_view = new QTableView;
    m_view->setObjectName(QStringLiteral("serversView"));
    m_view->setModel(model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(ServersModel::StateColumn, QHeaderView::Stretch);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    // Rows as tall as the text: the dock is short, and every server should show without scrolling.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    layout->addWidget(m_view, 1);
    auto* row = new QHBoxLayout;
    m_stop = new QPushButton(QStringLiteral("Stop"));
    m_stop->setToolTip(QStringLiteral("Stop the server: its port refuses connections (Ctrl+Shift+S)"));
    m_start = new QPushButton(QStringLiteral("Start"));
    m_start->setToolTip(QStringLiteral("Start the stopped server again (Ctrl+Shift+A)"));
    m_delete = new QPushButton(QStringLiteral("Delete"));
    m_delete->setToolTip(QStringLiteral("As `kubectl delete inferenceservice`: the pod goes at once, the name leaves the "
                                        "gateway's DNS at its next refresh; until then connects time out (Ctrl+Shift+D)"));
    m_reapply = new QPushButton(QStringLiteral("Re-apply"));
    m_reapply->setToolTip(QStringLiteral("As `kubectl apply` of the InferenceService again: the pod starts, the gateway "
                                         "resolves the name again at its next DNS refresh (Ctrl+Shift+R)"));
    m_fault = new QPushButton(QStringLiteral("Fault"));
    m_log = new QPushButton(QStringLiteral("Log..."));
    m_log->setToolTip(QStringLiteral("The server's own output (Ctrl+Shift+L, or double-click its row)"));
    for (auto* b : {m_stop, m_start, m_delete, m_reapply, m_fault, m_log})
        row->addWidget(b);
    row->addStretch(1);
    layout->addLayout(row);

    // The simulator's DNS refresh delay (Envoy Gateway's dns_refresh_rate for fqdn Backends): how
    // long a deleted server's name keeps resolving, and a re-applied one stays unresolved.
    auto* dnsRow = new QHBoxLayout;
    auto* dnsLabel = new QLabel(QStringLiteral("Gateway DNS refresh:"));
    m_dnsBox = new QSpinBox;
    m_dnsBox->setObjectName(QStringLiteral("dnsRefreshSeconds"));
    m_dnsBox->setRange(0, 3600);
    m_dnsBox->setSuffix(QStringLiteral(" s"));
    m_dnsBox->setSpecialValueText(QStringLiteral("at once"));
    m_dnsBox->setValue(m_dnsRunning);
    const QString dnsTip = QStringLiteral(
        "How long after `kubectl delete inferenceservice` the gateway still resolves the name (connects to the old "
        "address time out), and after a re-apply how long until it resolves again. Envoy Gateway refreshes fqdn "
        "Backends every 30 s (respecting the DNS TTL); a BackendTrafficPolicy dns.dnsRefreshRate wins for its routes.");
    dnsLabel->setToolTip(dnsTip);
    m_dnsBox->setToolTip(dnsTip);
    m_dnsApply = new QPushButton(QStringLiteral("Apply"));
    m_dnsApply->setToolTip(QStringLiteral("Applies this DNS refresh delay to the running gateway, for the next delete or re-apply"));
    dnsLabel->setBuddy(m_dnsBox);
    dnsRow->addWidget(dnsLabel);
    dnsRow->addWidget(m_dnsBox);
    dnsRow->addWidget(m_dnsApply);
    dnsRow->addStretch(1);
    layout->addLayout(dnsRow);
    connect(m_dnsBox, &QSpinBox::valueChanged, this, &ServersPanel::updateDnsRow);
    connect(m_dnsApply, &QPushButton::clicked, this, &ServersPanel::applyDnsRefresh);
    updateDnsRow();

    auto* menu = new QMenu(this);
    m_faultMenu = menu;
    auto fault = [this](const nlohmann::json& profile) { setFault(selectedServer(), profile); };
    menu->addAction(QStringLiteral("Return 503"), this, [fault] { fault(FaultPresets::status503()); });
    menu->addAction(QStringLiteral("Return 429 with Retry-After..."), this, [this, fault] {
        bool ok = false;
        const int s = QInputDialog::getInt(this, QStringLiteral("429 Too Many Requests"),
                                           QStringLiteral("Retry-After (seconds):"), 5, 0, 3600, 1, &ok);
        if (ok)
            fault(FaultPresets::status429(s));
    });
    menu->addAction(QStringLiteral("Hang (accept, never answer)"), this, [fault] { fault(FaultPresets::hang()); });
    // Before the mock-only profiles are collected below: this one works for every server mode.
    QAction* blackHole = menu->addAction(QStringLiteral("Black hole (connects time out)"), this,
                                         [fault] { fault(FaultPresets::blackHole()); });
    blackHole->setToolTip(QStringLiteral("Packets to the server are dropped: each connect fails after the cluster's "
                                         "connect timeout (10 s by default), a connect-failure that retries cover"));
    menu->addAction(QStringLiteral("Slow first token..."), this, [this, fault] {
        bool ok = false;
        const int ms = QInputDialog::getInt(this, QStringLiteral("Slow first token"),
                                            QStringLiteral("Delay before the first token (ms):"), 3000, 0, 600000, 100, &ok);
        if (ok)
            fault(FaultPresets::slowFirstToken(ms));
    });
    menu->addAction(QStringLiteral("Cut streams..."), this, [this, fault] {
        bool ok = false;
        const int n = QInputDialog::getInt(this, QStringLiteral("Cut streams"),
                                           QStringLiteral("Cut the stream after this many tokens:"), 5, 0, 100000, 1, &ok);
        if (ok)
            fault(FaultPresets::streamCut(n));
    });
    menu->addAction(QStringLiteral("Latency and error rate..."), this, [this, fault] {
        FaultDialog d(selectedServer(), this);
        if (d.exec() == QDialog::Accepted)
            fault(d.profile());
    });
    for (QAction* a : menu->actions())
        if (a != blackHole)
            m_mockOnlyFaults.push_back(a);
    menu->setToolTipsVisible(true);
    menu->addSeparator();
    m_clearFault = menu->addAction(QStringLiteral("Clear fault"), this, [this] { clearFault(selectedServer()); });
    m_fault->setMenu(menu);

    connect(m_stop, &QPushButton::clicked, this, [this] { stopServer(selectedServer()); });
    connect(m_start, &QPushButton::clicked, this, [this] { startServer(selectedServer()); });
    connect(m_delete, &QPushButton::clicked, this, [this] { deleteServer(selectedServer()); });
    connect(m_reapply, &QPushButton::clicked, this, [this] { reapplyServer(selectedServer()); });
    connect(m_log, &QPushButton::clicked, this, [this] { showLog(selectedServer()); });
    connect(m_view, &QTableView::doubleClicked, this, [this] { showLog(selectedServer()); });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ServersPanel::updateButtons);
    connect(model, &QAbstractItemModel::dataChanged, this, &ServersPanel::updateButtons);
    connect(model, &QAbstractItemModel::modelReset, this, &ServersPanel::updateButtons);
    updateButtons();
}

void ServersPanel::stopServer(const QString& name) { command(scenario::Action::Verb::Stop, name); }
void ServersPanel::startServer(const QString& name) { command(scenario::Action::Verb::Start, name); }
void ServersPanel::deleteServer(const QString& name) { command(scenario::Action::Verb::Delete, name); }
void ServersPanel::reapplyServer(const QString& name) { command(scenario::Action::Verb::Reapply, name); }
void ServersPanel::setFault(const QString& name, const nlohmann::json& profile) {
    command(scenario::Action::Verb::Fault, name, profile);
}
void ServersPanel::clearFault(const QString& name) { command(scenario::Action::Verb::ClearFault, name); }

void ServersPanel::command(scenario::Action::Verb verb, const QString& name, const nlohmann::json& fault) {
    if (name.isEmpty())
        return;
    using V = scenario::Action::Verb;
    switch (verb) {
    case V::Stop: m_service->stopServer(name); break;
    case V::Start: m_service->startServer(name); break;
    case V::Delete: m_service->deleteServer(name); break;
    case V::Reapply: m_service->reapplyServer(name); break;
    case V::Fault: m_service->setFault(name, fault); break;
    case V::ClearFault: m_service->clearFault(name); break;
    default: return;  // not a server command
    }
    scenario::Action action;
    action.verb = verb;
    action.server = name.toStdString();
    if (verb == V::Fault)
        action.fault = fault;
    emit serverCommand(action);
}

QString ServersPanel::selectedServer() const {
    const auto rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    const auto* s = m_model->server(rows.first().row());
    return s ? s->name : QString();
}

void ServersPanel::selectServer(const QString& name) {
    const int row = m_model->rowOf(name);
    if (row >= 0)
        m_view->selectRow(row);
}

void ServersPanel::showLog(const QString& name) {
    if (name.isEmpty())
        return;
    auto* d = new ServerLogDialog(m_service, name, this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    d->show();
}

void ServersPanel::updateButtons() {
    const QString name = selectedServer();
    const int row = m_model->rowOf(name);
    const auto* s = m_model->server(row);
    using S = proxy::ServerState;
    const bool any = s != nullptr;
    const bool running = any && (s->state == S::Ready || s->state == S::Faulted || s->state == S::Starting || s->state == S::Pulling);
    m_stop->setEnabled(running);
    m_start->setEnabled(any && (s->state == S::Stopped || s->state == S::Failed));
    m_delete->setEnabled(any && s->state != S::Deleted);
    m_reapply->setEnabled(any && s->state == S::Deleted);
    // A black hole is emulated by the gateway, so it applies to any server mode; the other profiles
    // are aigw-mock-backend's and need it running. Clear stays available while a fault is set.
    const bool mockRunning = any && s->mode == proxy::ServerMode::Mock && running;
    const bool faulted = any && !s->faultSummary.isEmpty();
    m_fault->setEnabled(any && s->state != S::Deleted && (running || faulted));
    for (QAction* a : m_mockOnlyFaults)
        a->setEnabled(mockRunning);
    if (m_clearFault)
        m_clearFault->setEnabled(faulted);
    m_log->setEnabled(any);
}

void ServersPanel::setDnsRefreshSeconds(int seconds) {
    m_dnsRunning = seconds;
    m_dnsBox->setValue(seconds);
    updateDnsRow();
}

void ServersPanel::applyDnsRefresh() {
    if (m_dnsBox->value() != m_dnsRunning)
        emit dnsRefreshApplyRequested(m_dnsBox->value());
}

void ServersPanel::updateDnsRow() {
    m_dnsApply->setEnabled(m_dnsBox->value() != m_dnsRunning);
}

// ---------------------------------------------------------------- LoadPanel

LoadPanel::LoadPanel(loadgen::LoadGenerator* generator, QWidget* parent) : QWidget(parent), m_generator(generator) {
    auto* form = new QFormLayout(this);
    form->setContentsMargins(4, 4, 4, 4);
    m_model = new QComboBox;
    m_model->setObjectName(QStringLiteral("loadModel"));
    m_model->setEditable(true);
    auto* refresh = new QPushButton(QStringLiteral("Refresh"));
    refresh->setToolTip(QStringLiteral("GET /v1/models from the gateway"));
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(refresh);
    form->addRow(QStringLiteral("Model"), modelRow);
    m_modelsStatus = new QLabel;
    m_modelsStatus->setWordWrap(true);
    form->addRow(QString(), m_modelsStatus);
    m_rate = new QDoubleSpinBox;
    m_rate->setRange(0.1, 20000);
    m_rate->setDecimals(1);
    m_rate->setValue(50);
    m_rate->setSuffix(QStringLiteral(" req/s"));
    form->addRow(QStringLiteral("Rate"), m_rate);
    m_concurrency = new QSpinBox;
    m_concurrency->setRange(1, 1024);
    m_concurrency->setValue(32);
    form->addRow(QStringLiteral("Concurrency"), m_concurrency);
    m_stream = new QCheckBox(QStringLiteral("stream (SSE)"));
    form->addRow(QStringLiteral("Streaming"), m_stream);
    m_prompt = new QLineEdit(QStringLiteral("Hi"));
    form->addRow(QStringLiteral("Prompt"), m_prompt);
    m_maxTokens = new QSpinBox;
    m_maxTokens->setRange(1, 100000);
    m_maxTokens->setValue(30);
    form->addRow(QStringLiteral("max_tokens"), m_maxTokens);
    m_startStop = new QPushButton(QStringLiteral("Start load"));
    m_startStop->setObjectName(QStringLiteral("loadStartStop"));
    m_startStop->setToolTip(QStringLiteral("Start or stop sending requests through the gateway (Ctrl+L)"));
    form->addRow(m_startStop);
    m_stats = new QLabel;
    m_stats->setTextFormat(Qt::RichText);
    m_stats->setWordWrap(true);
    form->addRow(m_stats);

    connect(refresh, &QPushButton::clicked, this, &LoadPanel::refreshModels);
    connect(m_startStop, &QPushButton::clicked, this, &LoadPanel::toggle);
    connect(m_generator, &loadgen::LoadGenerator::runningChanged, this, [this](bool running) {
        m_startStop->setText(running ? QStringLiteral("Stop load") : QStringLiteral("Start load"));
    });
    auto* timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &LoadPanel::updateStats);
    timer->start(250);
    updateStats();
}

void LoadPanel::setProxyUrl(const QString& url) {
    m_proxyUrl = url;
    refreshModels();
}

void LoadPanel::refreshModels() {
    if (m_proxyUrl.isEmpty()) {
        m_modelsStatus->setText(QStringLiteral("gateway not started yet"));
        return;
    }
    auto* nam = new QNetworkAccessManager(this);
    nam->setProxy(QNetworkProxy::NoProxy);
    QNetworkReply* reply = nam->get(QNetworkRequest(QUrl(m_proxyUrl + QStringLiteral("/v1/models"))));
    connect(reply, &QNetworkReply::finished, this, [this, reply, nam] {
        reply->deleteLater();
        nam->deleteLater();
        if (reply->error() != QNetworkReply::NoError) {
            m_modelsStatus->setText(QStringLiteral("GET /v1/models failed: %1").arg(reply->errorString()));
            return;
        }
        const auto doc = QJsonDocument::fromJson(reply->readAll());
        QStringList ids;
        for (const auto& v : doc.object().value(QStringLiteral("data")).toArray())
            ids << v.toObject().value(QStringLiteral("id")).toString();
        const QString keep = m_wantedModel.isEmpty() ? m_model->currentText() : m_wantedModel;
        m_model->clear();
        m_model->addItems(ids);
        if (!keep.isEmpty())
            m_model->setCurrentText(keep);
        m_modelsStatus->setText(QStringLiteral("%1 virtual model(s) from /v1/models").arg(ids.size()));
    });
}

void LoadPanel::setModel(const QString& model) {
    m_wantedModel = model;
    m_model->setCurrentText(model);
}
void LoadPanel::setRate(double perSecond) { m_rate->setValue(perSecond); }
void LoadPanel::setConcurrency(int n) { m_concurrency->setValue(n); }

void LoadPanel::startLoad() {
    const QUrl url(m_proxyUrl);
    if (m_proxyUrl.isEmpty() || !url.isValid()) {
        m_modelsStatus->setText(QStringLiteral("gateway not started yet"));
        return;
    }
    loadgen::LoadOptions o;
    o.host = url.host().toStdString();
    o.port = static_cast<std::uint16_t>(url.port(80));
    o.model = m_model->currentText().toStdString();
    o.ratePerSecond = m_rate->value();
    o.concurrency = m_concurrency->value();
    o.stream = m_stream->isChecked();
    o.prompt = m_prompt->text().toStdString();
    o.maxTokens = m_maxTokens->value();
    m_generator->start(o);
    m_started = o;
    emit loadStarted(o);
}

void LoadPanel::stopLoad() {
    const bool was = m_generator->isRunning();
    m_generator->stop();
    if (was)
        emit loadStopped();
}

std::optional<loadgen::LoadOptions> LoadPanel::runningOptions() const {
    if (!m_generator->isRunning())
        return std::nullopt;
    return m_started;
}

void LoadPanel::toggle() {
    if (m_generator->isRunning())
        stopLoad();
    else
        startLoad();
}

void LoadPanel::updateStats() {
    const auto s = m_generator->stats();
    QString backends;
    for (const auto& [b, n] : s.byBackend)
        backends += QStringLiteral("<br>&nbsp;&nbsp;%1: %2").arg(QString::fromStdString(b).toHtmlEscaped()).arg(n);
    QString statuses;
    for (const auto& [code, n] : s.byStatus)
        statuses += QStringLiteral(" %1&times;%2").arg(code == 0 ? QStringLiteral("conn-err") : QString::number(code)).arg(n);
    m_stats->setText(QStringLiteral("sent <b>%1</b> &nbsp; ok <b>%2</b> &nbsp; errors <b style='color:%3'>%4</b> &nbsp; in flight %5<br>"
                                    "%6 completed/s &nbsp; p50 <b>%7 ms</b> &nbsp; p99 <b>%8 ms</b>%9<br>statuses:%10"
                                    "<br>answered by (x-aigw-backend):%11%12")
                         .arg(s.sent)
                         .arg(s.ok)
                         .arg(s.errors ? QStringLiteral("#b00") : QStringLiteral("#000"))
                         .arg(s.errors)
                         .arg(s.inFlight)
                         .arg(s.achievedPerSecond, 0, 'f', 0)
                         .arg(s.p50Ms, 0, 'f', 1)
                         .arg(s.p99Ms, 0, 'f', 1)
                         .arg(s.ttftP50Ms > 0 ? QStringLiteral(" &nbsp; TTFT p50 %1 ms").arg(s.ttftP50Ms, 0, 'f', 1) : QString())
                         .arg(statuses.isEmpty() ? QStringLiteral(" -") : statuses)
                         .arg(backends.isEmpty() ? QStringLiteral(" -") : backends)
                         .arg(s.lastError.empty() ? QString()
                                                  : QStringLiteral("<br>last error: %1").arg(QString::fromStdString(s.lastError).toHtmlEscaped())));
}

}  // namespace aigw::ui
