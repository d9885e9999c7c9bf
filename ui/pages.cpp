#include "pages.h"

#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include "gateway_bridge.h"
#include "request_log_model.h"

namespace aigw::ui {

// ---------------------------------------------------------------- RequestLogPage

RequestLogPage::RequestLogPage(RequestLogModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    m_text = new QLineEdit;
    m_text->setPlaceholderText(QStringLiteral("Filter: model, backend, status, failure (e.g. connect-failure)"));
    m_text->setClearButtonEnabled(true);
    m_errors = new QCheckBox(QStringLiteral("errors only"));
    m_follow = new QCheckBox(QStringLiteral("follow newest"));
    m_follow->setChecked(true);
    bar->addWidget(m_text, 1);
    bar->addWidget(m_errors);
    bar->addWidget(m_follow);
    auto* info = new QLabel(QStringLiteral("keeps the last %1 requests").arg(model->capacity()));
    bar->addWidget(info);
    layout->addLayout(bar);
    auto* split = new QSplitter(Qt::Vertical);
    m_filter = new RequestLogFilter(this);
    m_filter->setSourceModel(model);
    m_view = new QTableView;
    m_view->setObjectName(QStringLiteral("requestLogView"));
    m_view->setModel(m_filter);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(20);
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->horizontalHeader()->setSectionsMovable(true);  // order and widths persist (AppSettings)
    // Long names (routes, backends) are elided in the middle, where they differ least; the full
    // text is in the tooltip and the details pane.
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setWordWrap(false);
    // Each column as wide as a typical value or its header, whichever is wider; the long names
    // (route, final backend) get less and are elided, the attempt path gets what it needs.
    const QFontMetrics fm(m_view->font());
    QFont headerFont = m_view->horizontalHeader()->font();
    headerFont.setBold(true);
    const QFontMetrics hfm(headerFont);
    auto fit = [&](RequestLogModel::Column c, const QString& sample) {
        const int header = hfm.horizontalAdvance(model->headerData(c, Qt::Horizontal).toString()) + 14;
        m_view->setColumnWidth(c, std::max(fm.horizontalAdvance(sample) + 12, header));
    };
    fit(RequestLogModel::TimeColumn, QStringLiteral("00:00:00.000"));
    fit(RequestLogModel::ModelColumn, QStringLiteral("qwen-with-fallback"));
    fit(RequestLogModel::RuleColumn, QStringLiteral("default/envoy-ai-gateway-virtualization rule/0"));
    fit(RequestLogModel::PathColumn, QStringLiteral("qwen-primary x connect-failure -> qwen-secondary ok"));
    fit(RequestLogModel::BackendColumn, QStringLiteral("envoy-ai-gateway-qwen-secondary-fb"));
    fit(RequestLogModel::UpstreamModelColumn, QStringLiteral("qwen2.5:1.5b"));
    fit(RequestLogModel::StatusColumn, QStringLiteral("200"));
    fit(RequestLogModel::LatencyColumn, QStringLiteral("1234.5"));
    fit(RequestLogModel::TtftColumn, QStringLiteral("1234.5"));
    fit(RequestLogModel::TokensColumn, QStringLiteral("123 / 456"));
    // Shown order: what happened first (path, status, timings, tokens), the long names last, so a
    // narrow window cuts the names rather than the numbers. Columns can be dragged; the order persists.
    {
        QHeaderView* h = m_view->horizontalHeader();
        const RequestLogModel::Column order[] = {
            RequestLogModel::TimeColumn,   RequestLogModel::ModelColumn,  RequestLogModel::PathColumn,
            RequestLogModel::StatusColumn, RequestLogModel::LatencyColumn, RequestLogModel::TtftColumn,
            RequestLogModel::TokensColumn, RequestLogModel::UpstreamModelColumn, RequestLogModel::BackendColumn,
            RequestLogModel::RuleColumn};
        for (int visual = 0; visual < static_cast<int>(std::size(order)); ++visual)
            h->moveSection(h->visualIndex(order[visual]), visual);
    }
    split->addWidget(m_view);

    // Details: the record's summary and attempts, the body as sent upstream (model rewritten), and
    // the response the client got, side by side.
    auto pane = [](const QString& title, QLabel** label, QPlainTextEdit** text, bool mono) {
        auto* box = new QWidget;
        auto* l = new QVBoxLayout(box);
        l->setContentsMargins(0, 0, 0, 0);
        l->setSpacing(2);
        *label = new QLabel(title);
        QFont bold = (*label)->font();
        bold.setBold(true);
        (*label)->setFont(bold);
        l->addWidget(*label);
        *text = new QPlainTextEdit;
        (*text)->setReadOnly(true);
        (*text)->setLineWrapMode(QPlainTextEdit::WidgetWidth);
        if (mono)
            (*text)->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        l->addWidget(*text, 1);
        return box;
    };
    auto* details = new QSplitter(Qt::Horizontal);
    QLabel* summaryTitle = nullptr;
    details->addWidget(pane(QStringLiteral("Request and attempts"), &summaryTitle, &m_details, false));
    details->addWidget(pane(QStringLiteral("Body sent upstream"), &m_upstreamTitle, &m_upstream, true));
    details->addWidget(pane(QStringLiteral("Response"), &m_responseTitle, &m_response, true));
    m_details->setObjectName(QStringLiteral("requestDetails"));
    m_upstream->setObjectName(QStringLiteral("requestUpstreamBody"));
    m_response->setObjectName(QStringLiteral("requestResponseBody"));
    m_details->setPlaceholderText(QStringLiteral("Select a request to see its attempts."));
    m_upstream->setPlaceholderText(QStringLiteral("The request body as the gateway sent it upstream (model rewritten)."));
    m_response->setPlaceholderText(QStringLiteral("The response body the client got."));
    details->setStretchFactor(0, 5);
    details->setStretchFactor(1, 4);
    details->setStretchFactor(2, 4);
    split->addWidget(details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);
    connect(m_text, &QLineEdit::textChanged, m_filter, &RequestLogFilter::setText);
    connect(m_errors, &QCheckBox::toggled, m_filter, &RequestLogFilter::setErrorsOnly);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &RequestLogPage::showDetails);
    connect(model, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_follow->isChecked() && isVisible())
            m_view->scrollToBottom();
    });
}

void RequestLogPage::setFilterText(const QString& text) { m_text->setText(text); }

void RequestLogPage::selectLast() {
    if (m_filter->rowCount() > 0)
        m_view->selectRow(m_filter->rowCount() - 1);
}

bool RequestLogPage::selectLastMatching(const QString& text) {
    for (int row = m_filter->rowCount() - 1; row >= 0; --row)
        if (m_filter->index(row, RequestLogModel::PathColumn).data().toString().contains(text)) {
            m_follow->setChecked(false);  // keep the chosen row in view while new requests arrive
            m_view->selectRow(row);
            m_view->scrollTo(m_filter->index(row, 0), QAbstractItemView::PositionAtCenter);
            return true;
        }
    return false;
}

QString RequestLogPage::detailsText() const { return m_details->toPlainText(); }
QString RequestLogPage::upstreamBodyText() const { return m_upstream->toPlainText(); }
QString RequestLogPage::responseBodyText() const { return m_response->toPlainText(); }
QString RequestLogPage::upstreamBodyTitle() const { return m_upstreamTitle->text(); }
QString RequestLogPage::responseBodyTitle() const { return m_responseTitle->text(); }

void RequestLogPage::showDetails() {
    const QModelIndex idx = m_filter->mapToSource(m_view->currentIndex());
    if (!idx.isValid()) {
        m_details->clear();
        m_upstream->clear();
        m_response->clear();
        m_upstreamTitle->setText(QStringLiteral("Body sent upstream"));
        m_responseTitle->setText(QStringLiteral("Response"));
        return;
    }
    const auto& r = m_model->record(idx.row());
    m_details->setPlainText(describeRecord(r, *m_model));
    const QString upstreamModel = r.attempts.empty() ? QString() : QString::fromStdString(r.attempts.back().upstreamModel);
    m_upstreamTitle->setText(QStringLiteral("Body sent upstream%1%2")
                                 .arg(upstreamModel.isEmpty() ? QString() : QStringLiteral(" (model: %1)").arg(upstreamModel),
                                      r.upstreamBodyTruncated ? QStringLiteral(" \u2014 truncated") : QString()));
    m_upstream->setPlainText(formatBody(r.upstreamBody, r.upstreamBodyTruncated));
    const bool local = r.responseBody.empty() && !r.responseBodyTruncated && !r.error.empty();
    m_responseTitle->setText(QStringLiteral("Response%1%2%3")
                                 .arg(r.finalStatus ? QStringLiteral(" (HTTP %1)").arg(r.finalStatus) : QString(),
                                      r.stream ? QStringLiteral(", SSE stream") : QString(),
                                      r.responseBodyTruncated ? QStringLiteral(" \u2014 truncated")
                                      : local                 ? QStringLiteral(", generated by the gateway")
                                                              : QString()));
    m_response->setPlainText(formatResponse(r));
}

// ---------------------------------------------------------------- PlaygroundPage

namespace {
qint64 monoNs() {
    static QElapsedTimer t = [] {
        QElapsedTimer e;
        e.start();
        return e;
    }();
    return t.nsecsElapsed();
}
}  // namespace

PlaygroundPage::PlaygroundPage(GatewayBridge* bridge, QWidget* parent)
    : QWidget(parent), m_bridge(bridge), m_nam(new QNetworkAccessManager(this)) {
    m_nam->setProxy(QNetworkProxy::NoProxy);
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(QStringLiteral("Virtual model:")));
    m_model = new QComboBox;
    m_model->setEditable(true);
    m_model->setMinimumWidth(220);
    bar->addWidget(m_model);
    m_stream = new QCheckBox(QStringLiteral("stream"));
    m_stream->setChecked(true);
    bar->addWidget(m_stream);
    m_send = new QPushButton(QStringLiteral("Send (Ctrl+Return)"));
    m_send->setShortcut(QKeySequence(QStringLiteral("Ctrl+Return")));
    bar->addWidget(m_send);
    bar->addStretch(1);
    layout->addLayout(bar);
    m_prompt = new QPlainTextEdit(QStringLiteral("Explain AI in simple terms."));
    m_prompt->setMaximumHeight(80);
    layout->addWidget(m_prompt);
    m_answer = new QTextBrowser;
    m_answer->setPlaceholderText(QStringLiteral("The answer streams in here."));
    layout->addWidget(m_answer, 1);
    m_verdict = new QLabel;
    m_verdict->setWordWrap(true);
    m_verdict->setTextFormat(Qt::RichText);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_verdict->setMinimumHeight(60);
    m_verdict->setStyleSheet(QStringLiteral("QLabel { background: #f4f6fa; padding: 6px; border: 1px solid #ccd; }"));
    layout->addWidget(m_verdict);
    connect(m_send, &QPushButton::clicked, this, &PlaygroundPage::send);
}

void PlaygroundPage::setProxyUrl(const QString& url) { m_proxyUrl = url; }
void PlaygroundPage::setModels(const QStringList& models) {
    const QString keep = m_model->currentText();
    m_model->clear();
    m_model->addItems(models);
    if (!keep.isEmpty())
        m_model->setCurrentText(keep);
}
void PlaygroundPage::setModel(const QString& model) { m_model->setCurrentText(model); }
void PlaygroundPage::setPrompt(const QString& prompt) { m_prompt->setPlainText(prompt); }
QString PlaygroundPage::verdict() const { return m_verdict->text(); }
QString PlaygroundPage::answer() const { return m_text; }

void PlaygroundPage::send() {
    if (m_proxyUrl.isEmpty()) {
        m_verdict->setText(QStringLiteral("The gateway is not running yet."));
        return;
    }
    if (m_reply) {
        m_reply->abort();
        m_reply = nullptr;
    }
    QJsonObject body{{QStringLiteral("model"), m_model->currentText()},
                     {QStringLiteral("messages"),
                      QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                             {QStringLiteral("content"), m_prompt->toPlainText()}}}},
                     {QStringLiteral("max_tokens"), 150}};
    if (m_stream->isChecked())
        body[QStringLiteral("stream")] = true;
    QNetworkRequest req(QUrl(m_proxyUrl + QStringLiteral("/v1/chat/completions")));
    req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    m_buffer.clear();
    m_text.clear();
    m_backendHeader.clear();
    m_attemptsHeader.clear();
    m_responseModel.clear();
    m_status = 0;
    m_answer->clear();
    m_verdict->setText(QStringLiteral("sending..."));
    m_sentAtNs = monoNs();
    const TimePoint sentAt = m_bridge ? m_bridge->steadyNow() : TimePoint{};
    QNetworkReply* reply = m_nam->post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
    m_reply = reply;
    connect(reply, &QNetworkReply::metaDataChanged, this, [this, reply] {
        m_status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        m_backendHeader = QString::fromUtf8(reply->rawHeader("x-aigw-backend"));
        m_attemptsHeader = QString::fromUtf8(reply->rawHeader("x-aigw-attempts"));
    });
    connect(reply, &QNetworkReply::readyRead, this, [this, reply] {
        const QByteArray data = reply->readAll();
        if (!m_stream->isChecked() || m_status >= 400) {
            m_buffer += data;
            return;
        }
        m_buffer += data;
        // Server-sent events: one "data: {json}" line per chunk; show each delta as it arrives.
        int nl;
        while ((nl = static_cast<int>(m_buffer.indexOf('\n'))) >= 0) {
            const QByteArray line = m_buffer.left(nl).trimmed();
            m_buffer.remove(0, nl + 1);
            if (!line.startsWith("data:"))
                continue;
            const QByteArray payload = line.mid(5).trimmed();
            if (payload == "[DONE]")
                continue;
            const auto obj = QJsonDocument::fromJson(payload).object();
            if (m_responseModel.isEmpty())
                m_responseModel = obj.value(QStringLiteral("model")).toString();
            const auto choices = obj.value(QStringLiteral("choices")).toArray();
            if (!choices.isEmpty()) {
                m_text += choices.first().toObject().value(QStringLiteral("delta")).toObject().value(QStringLiteral("content")).toString();
                m_answer->setPlainText(m_text);
            }
        }
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply, sentAt] {
        reply->deleteLater();
        if (m_reply != reply)
            return;
        m_reply = nullptr;
        m_status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        m_buffer += reply->readAll();
        if (!m_stream->isChecked() || m_status >= 400) {
            const auto obj = QJsonDocument::fromJson(m_buffer).object();
            if (m_status < 400 && !obj.isEmpty()) {
                m_responseModel = obj.value(QStringLiteral("model")).toString();
                m_text = obj.value(QStringLiteral("choices")).toArray().first().toObject()
                             .value(QStringLiteral("message")).toObject().value(QStringLiteral("content")).toString();
            } else {
                m_text = QString::fromUtf8(m_buffer);
            }
            m_answer->setPlainText(m_text);
        }
        if (m_status == 0)
            m_text = QStringLiteral("transport error: %1").arg(reply->errorString());
        m_explainTries = 0;
        // The gateway's record reaches the UI with the next drain (<= ~100 ms); wait for it briefly.
        auto* timer = new QTimer(this);
        timer->setInterval(60);
        connect(timer, &QTimer::timeout, this, [this, timer, sentAt] {
            const auto* rec = m_bridge ? m_bridge->latestRecord(m_model->currentText().toStdString(), sentAt) : nullptr;
            if (rec || ++m_explainTries > 20) {
                timer->stop();
                timer->deleteLater();
                QString why;
                if (rec) {
                    why = QStringLiteral("<br>Gateway record: %1 (route %2, %3)")
                              .arg(attemptPath(*rec).toHtmlEscaped(), QString::fromStdString(rec->route).toHtmlEscaped(),
                                   QString::fromStdString(rec->rule).toHtmlEscaped());
                    if (rec->timeToFirstToken || rec->promptTokens || rec->completionTokens)
                        why += QStringLiteral(" &nbsp; first token after %1 ms &nbsp; tokens in/out %2")
                                   .arg(formatTtft(*rec), formatTokens(*rec));
                }
                if (rec && rec->attempts.size() > 1)
                    why += QStringLiteral("<br><b>Why:</b> the first attempt failed and the BackendTrafficPolicy retry moved the "
                                          "request to the next backend (numAttemptsPerPriority moves retries to the next priority).");
                else if (rec && rec->attempts.size() == 1 && m_status < 400)
                    why += QStringLiteral("<br><b>Why:</b> picked by weight among the backendRefs of the lowest priority with healthy hosts.");
                else if (rec && m_status >= 500)
                    why += QStringLiteral("<br><b>Why:</b> every attempt failed; without a retry policy that moves to priority 1 "
                                          "(numAttemptsPerPriority: 1) the client gets the error.");
                m_verdict->setText(QStringLiteral("HTTP <b>%1</b> &nbsp; answered by <b>%2</b> &nbsp; attempts: %3 &nbsp; response model: %4 &nbsp; %5 ms%6")
                                       .arg(m_status)
                                       .arg(m_backendHeader.isEmpty() ? QStringLiteral("(gateway)") : m_backendHeader.toHtmlEscaped())
                                       .arg(m_attemptsHeader.isEmpty() ? QStringLiteral("-") : m_attemptsHeader.toHtmlEscaped())
                                       .arg(m_responseModel.isEmpty() ? QStringLiteral("-") : m_responseModel.toHtmlEscaped())
                                       .arg(static_cast<double>(monoNs() - m_sentAtNs) / 1e6, 0, 'f', 0)
                                       .arg(why));
                emit finished(m_status, m_backendHeader);
            }
        });
        timer->start();
    });
}

}  // namespace aigw::ui
