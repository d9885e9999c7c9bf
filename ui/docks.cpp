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
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

#include "loadgen/load_generator.h"
#include "model_focus.h"
#include "proxy/gateway_service.h"
#include "servers_model.h"
#include "topology_model.h"

namespace aigw::ui {

// ---------------------------------------------------------------- TopologyPanel

TopologyPanel::TopologyPanel(TopologyModel* model, QUndoStack* undo, QWidget* parent)
    : QWidget(parent), m_model(model) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* filterRow = new QHBoxLayout;
    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("topologyFilter"));
    m_filter->setPlaceholderText(QStringLiteral("Filter: route, virtual model or backend"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(QStringLiteral("Shows the routes whose name (namespace/name), virtual model or backend "
                                        "(name or modelNameOverride) contains this text"));
    filterRow->addWidget(m_filter, 1);
    m_filterCount = new QLabel;
    m_filterCount->setObjectName(QStringLiteral("topologyFilterCount"));
    filterRow->addWidget(m_filterCount);
    layout->addLayout(filterRow);
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
        applyFilter();
        fitColumns();
        updateRouteStatus();
    };
    connect(model, &QAbstractItemModel::modelReset, this, expand);
    connect(m_filter, &QLineEdit::textChanged, this, [this] {
        applyFilter();
        fitColumns();
    });
    connect(model, &TopologyModel::editRejected, this, [this](const QString& reason) {
        m_message->setText(QStringLiteral("<span style='color:#b00'>%1</span>").arg(reason.toHtmlEscaped()));
    });
    expand();
}

void TopologyPanel::setFilterText(const QString& text) { m_filter->setText(text); }

QString TopologyPanel::filterText() const { return m_filter->text(); }

void TopologyPanel::applyFilter() {
    const QString text = m_filter->text().trimmed();
    int routesShown = 0;
    // A row is shown when it matches, an ancestor matches (a route's rules and backendRefs), or a
    // descendant does (the path down to a matching backendRef).
    std::function<bool(const QModelIndex&, bool)> walk = [&](const QModelIndex& parent, bool ancestorMatched) {
        bool any = false;
        for (int row = 0; row < m_model->rowCount(parent); ++row) {
            const QModelIndex i = m_model->index(row, 0, parent);
            const bool self = text.isEmpty() || ancestorMatched ||
                              i.data(TopologyModel::FilterRole).toString().contains(text, Qt::CaseInsensitive);
            const bool visible = walk(i, self) || self;
            m_view->setRowHidden(row, parent, !visible);
            if (visible && m_model->nodeType(i) == TopologyModel::NodeType::Route)
                ++routesShown;
            any = any || visible;
        }
        return any;
    };
    walk({}, false);
    const int routes = static_cast<int>(m_model->config().routes.size());
    m_filterCount->setText(text.isEmpty() ? QStringLiteral("%1 route(s)").arg(routes)
                                          : QStringLiteral("%1 of %2 route(s)").arg(routesShown).arg(routes));
    if (text.isEmpty()) {
        defaultExpansion();
        return;
    }
    // Everything that matched is opened down to its backendRefs.
    std::function<void(const QModelIndex&)> open = [&](const QModelIndex& parent) {
        for (int row = 0; row < m_model->rowCount(parent); ++row) {
            const QModelIndex i = m_model->index(row, 0, parent);
            if (m_view->isRowHidden(row, parent) || m_model->nodeType(i) == TopologyModel::NodeType::BackendRef)
                continue;
            m_view->expand(i);
            open(i);
        }
    };
    open({});
}

void TopologyPanel::defaultExpansion() {
    if (static_cast<int>(m_model->config().routes.size()) <= kExpandAllRoutesUpTo) {
        m_view->expandAll();
        return;
    }
    m_view->collapseAll();
    for (int row = 0; row < m_model->rowCount(); ++row)
        m_view->expand(m_model->index(row, 0));
    revealFocus();
}

void TopologyPanel::setModelFocus(ModelFocus* focus) {
    m_focus = focus;
    connect(focus, &ModelFocus::modelChanged, this, &TopologyPanel::revealFocus);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, focus, [this](const QModelIndex& current) {
        const RefPath path = m_model->refPath(current);
        const auto& routes = m_model->config().routes;
        if (!current.isValid() || path.route < 0 || path.route >= static_cast<int>(routes.size()))
            return;
        // A route row: its first rule with a virtual model; a rule or backendRef: its rule's.
        QString model;
        const auto& rules = routes[path.route].rules;
        for (int u = path.rule >= 0 ? path.rule : 0; u < static_cast<int>(rules.size()) && model.isEmpty(); ++u) {
            model = TopologyModel::virtualModel(rules[u]);
            if (path.rule >= 0)
                break;
        }
        if (!model.isEmpty())
            m_focus->setModel(model);
    });
    revealFocus();
}

void TopologyPanel::revealFocus() {
    if (!m_focus)
        return;
    const RefPath rule = m_model->ruleForModel(m_focus->model());
    const QModelIndex route = m_model->indexForNode({rule.route, -1, -1});
    if (!route.isValid())
        return;
    m_view->expand(route.parent());
    m_view->expand(route);
    for (int row = 0; row < m_model->rowCount(route); ++row)
        m_view->expand(m_model->index(row, 0, route));
    // At the top, so that the route stays in view when the dock is resized; not at all when it is
    // in view already (a row of it was just clicked: the tree must not jump under the mouse).
    if (!m_view->viewport()->rect().intersects(m_view->visualRect(route)))
        m_view->scrollTo(route, QAbstractItemView::PositionAtTop);
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
    auto* filterRow = new QHBoxLayout;
    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("serversFilter"));
    m_filter->setPlaceholderText(QStringLiteral("Filter: server, model, hostname or Backend"));
    m_filter->setClearButtonEnabled(true);
    filterRow->addWidget(m_filter, 1);
    m_filterCount = new QLabel;
    filterRow->addWidget(m_filterCount);
    layout->addLayout(filterRow);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(model);
    m_proxy->setFilterRole(ServersModel::FilterRole);
    m_proxy->setFilterKeyColumn(ServersModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_view = new QTableView;
    m_view->setObjectName(QStringLiteral("serversView"));
    m_view->setModel(m_proxy);
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
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setFilterFixedString(text.trimmed());
        updateFilterRow();
    });
    connect(model, &QAbstractItemModel::modelReset, this, &ServersPanel::updateFilterRow);
    updateFilterRow();
    updateButtons();
}

void ServersPanel::setFilterText(const QString& text) { m_filter->setText(text); }

void ServersPanel::updateFilterRow() {
    // A filter left typed stays visible, so it is never hidden while it hides servers.
    const bool many = m_model->rowCount() >= kFilterFrom || !m_filter->text().isEmpty();
    m_filter->setVisible(many);
    m_filterCount->setVisible(many);
    m_filterCount->setText(m_filter->text().trimmed().isEmpty()
                               ? QStringLiteral("%1 servers").arg(m_model->rowCount())
                               : QStringLiteral("%1 of %2 servers").arg(m_proxy->rowCount()).arg(m_model->rowCount()));
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
    const auto* s = m_model->server(m_proxy->mapToSource(rows.first()).row());
    return s ? s->name : QString();
}

void ServersPanel::selectServer(const QString& name) {
    const int row = m_model->rowOf(name);
    if (row < 0)
        return;
    QModelIndex shown = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!shown.isValid()) {  // filtered out: a server selected from elsewhere must be seen
        m_filter->clear();
        shown = m_proxy->mapFromSource(m_model->index(row, 0));
    }
    m_view->selectRow(shown.row());
    m_view->scrollTo(shown);
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
    m_mixMode = new QComboBox;
    m_mixMode->setObjectName(QStringLiteral("loadMixMode"));
    m_mixMode->addItem(QStringLiteral("the model above"), static_cast<int>(MixMode::One));
    m_mixMode->addItem(QStringLiteral("every model, equal shares"), static_cast<int>(MixMode::All));
    m_mixMode->addItem(QStringLiteral("a mix of models..."), static_cast<int>(MixMode::List));
    m_mixMode->setToolTip(QStringLiteral("A real gateway serves many models at once: spread the rate over every "
                                         "model of /v1/models, or over a list with shares"));
    form->addRow(QStringLiteral("Requests for"), m_mixMode);
    m_mix = new QLineEdit;
    m_mix->setObjectName(QStringLiteral("loadMix"));
    m_mix->setPlaceholderText(QStringLiteral("model-a=3, model-b=1, model-c"));
    m_mix->setToolTip(QStringLiteral("Models and their shares of the rate (a missing share is 1), separated by "
                                     "commas or spaces"));
    m_mix->setEnabled(false);
    form->addRow(QStringLiteral("Mix"), m_mix);
    connect(m_mixMode, &QComboBox::currentIndexChanged, this,
            [this] { m_mix->setEnabled(mixMode() == MixMode::List); });
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
    // Twice a second: each new text re-lays out the dock's form (rich text, wrapped).
    timer->start(500);
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
    if (m_focus)
        m_focus->setModel(model);
}

void LoadPanel::setModelFocus(ModelFocus* focus) {
    m_focus = focus;
    connect(focus, &ModelFocus::modelChanged, this, [this](const QString& model) {
        m_wantedModel = model;
        m_model->setCurrentText(model);
    });
    // A model picked from the list, or typed and confirmed with Enter, becomes the window's.
    connect(m_model, &QComboBox::activated, focus, [this] { m_focus->setModel(m_model->currentText()); });
    if (!focus->model().isEmpty())
        m_model->setCurrentText(focus->model());
}

void LoadPanel::setMixMode(MixMode mode) { m_mixMode->setCurrentIndex(m_mixMode->findData(static_cast<int>(mode))); }

LoadPanel::MixMode LoadPanel::mixMode() const { return static_cast<MixMode>(m_mixMode->currentData().toInt()); }

void LoadPanel::setMixText(const QString& text) { m_mix->setText(text); }

QString LoadPanel::statusText() const { return m_modelsStatus->text(); }
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
    auto refuse = [this](const QString& why) {
        m_modelsStatus->setText(QStringLiteral("<span style='color:#b00'>Not started: %1</span>").arg(why.toHtmlEscaped()));
    };
    if (mixMode() == MixMode::All) {
        std::vector<std::string> models;
        for (int i = 0; i < m_model->count(); ++i)
            models.push_back(m_model->itemText(i).toStdString());
        if (models.empty())
            return refuse(QStringLiteral("no models from /v1/models yet (Refresh)"));
        o.mix = loadgen::equalMix(models);
    } else if (mixMode() == MixMode::List) {
        std::string error;
        const auto mix = loadgen::parseModelMix(m_mix->text().toStdString(), &error);
        if (!mix)
            return refuse(QString::fromStdString(error));
        o.mix = *mix;
    }
    o.ratePerSecond = m_rate->value();
    o.concurrency = m_concurrency->value();
    o.stream = m_stream->isChecked();
    o.prompt = m_prompt->text().toStdString();
    o.maxTokens = m_maxTokens->value();
    m_generator->start(o);
    m_started = o;
    m_modelsStatus->setText(o.mix.empty() ? QStringLiteral("sending %1").arg(QString::fromStdString(o.model))
                                          : QStringLiteral("sending a mix of %1 model(s)").arg(o.mix.size()));
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
    // The backends that answered most, in config-name order; a mix over a hundred models reaches
    // hundreds of backends, and a label that long would grow the dock past the window.
    QString backends;
    std::vector<std::pair<std::uint64_t, std::string>> answered;
    for (const auto& [b, n] : s.byBackend)
        answered.push_back({n, b});
    const std::size_t listed = std::min<std::size_t>(answered.size(), kBackendsListed);
    std::partial_sort(answered.begin(), answered.begin() + static_cast<std::ptrdiff_t>(listed), answered.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    answered.resize(listed);
    std::sort(answered.begin(), answered.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (const auto& [n, b] : answered)
        backends += QStringLiteral("<br>&nbsp;&nbsp;%1: %2").arg(QString::fromStdString(b).toHtmlEscaped()).arg(n);
    if (s.byBackend.size() > listed)
        backends += QStringLiteral("<br>&nbsp;&nbsp;and %1 more backends (the charts show the selected model's)")
                        .arg(s.byBackend.size() - listed);
    QString models;
    if (s.byModel.size() > 1) {
        // A mix of a hundred models: how many, and the three with the most requests.
        std::vector<std::pair<std::uint64_t, std::string>> top;
        for (const auto& [m, n] : s.byModel)
            top.push_back({n, m});
        std::partial_sort(top.begin(), top.begin() + std::min<std::ptrdiff_t>(3, static_cast<std::ptrdiff_t>(top.size())),
                          top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        QStringList most;
        for (std::size_t i = 0; i < top.size() && i < 3; ++i)
            most << QStringLiteral("%1 %2").arg(QString::fromStdString(top[i].second).toHtmlEscaped()).arg(top[i].first);
        models = QStringLiteral("<br>sent to %1 models (most: %2)").arg(s.byModel.size()).arg(most.join(QStringLiteral(", ")));
    }
    QString statuses;
    for (const auto& [code, n] : s.byStatus)
        statuses += QStringLiteral(" %1&times;%2").arg(code == 0 ? QStringLiteral("conn-err") : QString::number(code)).arg(n);
    m_stats->setText(QStringLiteral("sent <b>%1</b> &nbsp; ok <b>%2</b> &nbsp; errors <b style='color:%3'>%4</b> &nbsp; in flight %5<br>"
                                    "%6 completed/s &nbsp; p50 <b>%7 ms</b> &nbsp; p99 <b>%8 ms</b>%9%13<br>statuses:%10"
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
                                                  : QStringLiteral("<br>last error: %1").arg(QString::fromStdString(s.lastError).toHtmlEscaped()))
                         .arg(models));
}

}  // namespace aigw::ui
