#include "tutorial.h"

#include <QDockWidget>
#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "charts.h"
#include "config/doctor.h"
#include "config/loader.h"
#include "doctor_panel.h"
#include "charts_panel.h"
#include "docks.h"
#include "gateway_bridge.h"
#include "main_window.h"
#include "pages.h"
#include "proxy/gateway_service.h"
#include "servers_model.h"
#include "topology_model.h"

namespace aigw::ui {

namespace {
const char* kFixYaml =
    "  retry:\n"
    "    numRetries: 3\n"
    "    numAttemptsPerPriority: 1   # the fix: after 1 attempt at a priority, retry on the next one\n"
    "    perRetry:\n"
    "      backOff:\n"
    "        baseInterval: 100ms\n"
    "        maxInterval: 10s\n"
    "      timeout: 30s\n"
    "    retryOn:\n"
    "      httpStatusCodes: [500, 502, 503, 504, 404]\n"
    "      triggers: [connect-failure, retriable-status-codes]\n";
}  // namespace

TutorialPage::TutorialPage(MainWindow* window, QWidget* parent) : QWidget(parent), m_window(window) {
    auto* layout = new QHBoxLayout(this);
    auto* split = new QSplitter;
    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("tutorialSteps"));
    // Step titles are sentences: wrap them rather than cut them off.
    m_list->setWordWrap(true);
    m_list->setTextElideMode(Qt::ElideNone);
    m_list->setSpacing(2);
    m_list->setMinimumWidth(220);
    split->addWidget(m_list);
    auto* right = new QWidget;
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    m_text = new QTextBrowser;
    m_text->setOpenExternalLinks(false);
    rl->addWidget(m_text, 1);
    auto* buttons = new QHBoxLayout;
    m_run = new QPushButton(QStringLiteral("Run this step in the simulator"));
    m_next = new QPushButton(QStringLiteral("Next step"));
    buttons->addWidget(m_run);
    buttons->addWidget(m_next);
    buttons->addStretch(1);
    rl->addLayout(buttons);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    split->setSizes({300, 600});
    layout->addWidget(split);
    buildSteps();
    for (const auto& s : m_steps)
        m_list->addItem(QStringLiteral("%1: %2").arg(s.ticket, s.title));
    connect(m_list, &QListWidget::currentRowChanged, this, &TutorialPage::showStep);
    connect(m_run, &QPushButton::clicked, this, &TutorialPage::runCurrent);
    connect(m_next, &QPushButton::clicked, this, [this] {
        if (currentStep() + 1 < static_cast<int>(m_steps.size()))
            m_list->setCurrentRow(currentStep() + 1);
    });
    m_list->setCurrentRow(0);
}

int TutorialPage::currentStep() const { return m_list->currentRow(); }

void TutorialPage::showStep(int index) {
    if (index < 0 || index >= static_cast<int>(m_steps.size()))
        return;
    if (m_list->currentRow() != index)
        m_list->setCurrentRow(index);
    const auto& s = m_steps[static_cast<std::size_t>(index)];
    // Steps about a delete quote the simulator's DNS refresh delay as it runs now.
    const int dns = m_window->serversPanel() ? m_window->serversPanel()->dnsRefreshSeconds() : 30;
    QString simulator = s.simulator;
    simulator.replace(QStringLiteral("{dns}"), QString::number(dns));
    m_text->setHtml(QStringLiteral("<h2>%1 &mdash; %2</h2>"
                                   "<h4>The tutorial runs</h4><pre style='background:#f3f3f3;padding:6px'>%3</pre>"
                                   "<h4>In the simulator (Run this step)</h4><p>%4</p>"
                                   "<h4>What the real cluster would show</h4><p>%5</p>")
                        .arg(s.ticket, s.title.toHtmlEscaped(), s.command.toHtmlEscaped(), simulator, s.cluster));
}

void TutorialPage::runCurrent() {
    const int i = currentStep();
    if (i < 0 || i >= static_cast<int>(m_steps.size()))
        return;
    if (m_steps[static_cast<std::size_t>(i)].action)
        m_steps[static_cast<std::size_t>(i)].action();
    if (auto* item = m_list->item(i))
        item->setText(QStringLiteral("\u2713 %1: %2").arg(m_steps[static_cast<std::size_t>(i)].ticket, m_steps[static_cast<std::size_t>(i)].title));
}

void TutorialPage::buildSteps() {
    MainWindow* w = m_window;
    auto service = [w] { return w->bridge()->service(); };
    auto bringUp = [w, service](const QStringList& names) {
        for (const auto& n : names) {
            const int row = w->serversModel()->rowOf(n);
            const auto* s = w->serversModel()->server(row);
            if (!s)
                continue;
            if (s->state == proxy::ServerState::Deleted)
                service()->reapplyServer(n);
            else if (s->state == proxy::ServerState::Stopped || s->state == proxy::ServerState::Failed)
                service()->startServer(n);
        }
    };
    auto load = [w](const QString& model, double rate) {
        w->loadPanel()->stopLoad();
        w->loadPanel()->setModel(model);
        w->loadPanel()->setRate(rate);
        w->loadPanel()->startLoad();
    };
    auto showCharts = [w](const QString& model) {
        w->chartsPanel()->splitChart()->selectModel(model);
        w->tabs()->setCurrentWidget(w->chartsPanel());
    };
    auto ask = [w](const QString& model, const QString& prompt) {
        w->playground()->setModel(model);
        w->playground()->setPrompt(prompt);
        w->tabs()->setCurrentWidget(w->playground());
        w->playground()->send();
    };
    auto applyFix = [w, service](std::optional<std::int64_t> value) {
        const auto cfg = withAttemptsPerPriority(w->topologyModel()->config(), value);
        service()->applyConfig(cfg);
        w->showConfig(cfg);
    };

    const QString t1 = QStringLiteral("Ticket 1");
    const QString t2 = QStringLiteral("Ticket 2");
    m_steps.push_back({t1, QStringLiteral("Steps 1-2: deploy the three models"),
                       QStringLiteral("kubectl apply -f tertiary-model.yaml\nkubectl apply -f secondary-model.yaml\n"
                                      "kubectl apply -f primary-model.yaml\nkubectl get isvc -n default -w"),
                       QStringLiteral("Starts (or re-applies) the model servers <b>qwen-primary</b> (qwen2.5:1.5b), "
                                      "<b>qwen-secondary</b> and <b>qwen-tertiary</b> (qwen2.5:0.5b). Watch the "
                                      "<i>Model servers</i> dock: they turn <i>ready</i> within a second (mock mode)."),
                       QStringLiteral("<code>kubectl get isvc -w</code> shows READY=False for minutes while the image is "
                                      "pulled and <code>ollama pull</code> downloads the model, then READY=True. The "
                                      "simulator's mock servers skip the download; the <i>ollama</i> mode shows the pull "
                                      "progress instead."),
                       [bringUp] { bringUp({QStringLiteral("qwen-tertiary"), QStringLiteral("qwen-secondary"), QStringLiteral("qwen-primary")}); }});
    m_steps.push_back({t1, QStringLiteral("Steps 3-5: gateway and model virtualization route"),
                       QStringLiteral("kubectl apply -f gateway-setup.yaml\nkubectl apply -f model-virtualization.yaml"),
                       QStringLiteral("Applies the current configuration (the built-in scenario holds both files). The "
                                      "<i>Topology</i> dock shows rule <code>x-ai-eg-model = virtual-qwen-model</code> with "
                                      "weights 50/30/20 and each backendRef's modelNameOverride; the Target column is the "
                                      "split they should produce."),
                       QStringLiteral("The controller turns the AIGatewayRoute into an HTTPRoute of the same name plus a "
                                      "<code>route-not-found</code> rule; the ext_proc picks the new routes up within ~5 s. "
                                      "The model name is read from the JSON body's <code>model</code>, not from a client header."),
                       [w, service] { service()->applyConfig(w->topologyModel()->config()); }});
    m_steps.push_back({t1, QStringLiteral("Step 6: port-forward"),
                       QStringLiteral("kubectl port-forward -n envoy-gateway-system svc/$ENVOY_SERVICE 8080:80"),
                       QStringLiteral("Nothing to do: the gateway already listens on the proxy URL in the status bar "
                                      "(Gateway &gt; Copy proxy URL, Ctrl+Shift+C); use it as <code>$GATEWAY_URL</code> with curl."),
                       QStringLiteral("The port-forward makes Envoy reachable on localhost:8080."), {}});
    m_steps.push_back({t1, QStringLiteral("Step 7: test model virtualization"),
                       QStringLiteral("curl -H \"Content-Type: application/json\" -d '{\"model\": \"virtual-qwen-model\", "
                                      "\"messages\": [...], \"max_tokens\": 100}' $GATEWAY_URL/v1/chat/completions"),
                       QStringLiteral("Sends that request from the <i>Playground</i>: the answer streams in, with the "
                                      "backend that answered (debug header <code>x-aigw-backend</code>) and why."),
                       QStringLiteral("The request succeeds. <b>Correction:</b> the tutorial says the client is unaware of "
                                      "the actual model names; with OpenAI-schema backends the response body is passed "
                                      "through, so its <code>model</code> field is <code>qwen2.5:1.5b</code> or "
                                      "<code>qwen2.5:0.5b</code>, not the virtual name. The real gateway adds no "
                                      "<code>x-aigw-*</code> headers; those are the simulator's debug headers."),
                       [ask] { ask(QStringLiteral("virtual-qwen-model"), QStringLiteral("Explain AI in simple terms.")); }});
    m_steps.push_back({t1, QStringLiteral("Step 7: test multiple times, watch the split"),
                       QStringLiteral("for i in {1..10}; do curl ... virtual-qwen-model ...; done\nkubectl logs ... -f"),
                       QStringLiteral("Starts the load generator on <code>virtual-qwen-model</code> at 50 requests/s and "
                                      "shows the <i>Charts</i> page: the traffic split converges on 50/30/20. Edit a weight "
                                      "in the Topology dock and the actual split follows on the next requests."),
                       QStringLiteral("Weights are per request and random: 10 requests can easily come out 7/2/1; over many "
                                      "requests the split approaches 50/30/20. Weights only split traffic within one priority."),
                       [load, showCharts] {
                           load(QStringLiteral("virtual-qwen-model"), 50);
                           showCharts(QStringLiteral("virtual-qwen-model"));
                       }});

    m_steps.push_back({t2, QStringLiteral("Step 1: verify existing models"),
                       QStringLiteral("kubectl get isvc -n default\nkubectl get pods -n default | grep qwen"),
                       QStringLiteral("Makes sure <b>qwen-primary</b> and <b>qwen-secondary</b> are running (started or "
                                      "re-applied if needed) and stops the Ticket 1 load."),
                       QStringLiteral("Both InferenceServices READY=True. Ticket 2's Backends point at the same predictor "
                                      "host names, so they share these servers."),
                       [w, bringUp] {
                           w->loadPanel()->stopLoad();
                           bringUp({QStringLiteral("qwen-primary"), QStringLiteral("qwen-secondary")});
                       }});
    m_steps.push_back({t2, QStringLiteral("Steps 2-3: apply provider-fallback.yaml as written"),
                       QStringLiteral("kubectl apply -f provider-fallback.yaml   # BackendTrafficPolicy retry: numRetries 3, "
                                      "retryOn [connect-failure, retriable-status-codes], no numAttemptsPerPriority"),
                       QStringLiteral("Applies the fallback route with the tutorial's BackendTrafficPolicy <b>exactly as "
                                      "written</b> (on the Gateway, numAttemptsPerPriority unset). Topology: qwen-primary-fb "
                                      "at priority 0 takes 100%, qwen-secondary-fb at priority 1 is standby. The <i>Doctor</i> "
                                      "dock already warns: <code>retry-stays-on-priority-0</code>, with a one-click fix."),
                       QStringLiteral("Accepted without any warning: the YAML is valid. The problem only shows when the "
                                      "primary fails (step 5)."),
                       [w, service] {
                           const auto cfg = withTutorialPolicy(w->topologyModel()->config());
                           service()->applyConfig(cfg);
                           w->showConfig(cfg);
                           w->doctorPanel()->selectFinding(config::finding_id::kRetryStaysOnPriority0);
                           w->doctorDock()->raise();
                       }});
    m_steps.push_back({t2, QStringLiteral("Step 4: test normal operation"),
                       QStringLiteral("curl ... '{\"model\": \"qwen-with-fallback\", ...}' $GATEWAY_URL/v1/chat/completions"),
                       QStringLiteral("Sends the request from the Playground and starts 20 requests/s on "
                                      "<code>qwen-with-fallback</code>: every request is answered by the primary (1.5b)."),
                       QStringLiteral("The same: all hosts look healthy (no health check), so priority 0 gets every first attempt."),
                       [ask, load] {
                           ask(QStringLiteral("qwen-with-fallback"), QStringLiteral("Explain quantum computing in detail."));
                           load(QStringLiteral("qwen-with-fallback"), 20);
                       }});
    // Reference 3.5: a delete reaches the gateway at its next DNS refresh ({dns} is the running delay).
    m_steps.push_back({t2, QStringLiteral("Step 5: delete the primary InferenceService"),
                       QStringLiteral("kubectl delete inferenceservice qwen-primary"),
                       QStringLiteral("Deletes <b>qwen-primary</b>. The pod goes at once; the gateway learns it in two "
                                      "phases (the <i>Model servers</i> dock counts down: <i>deleted &mdash; DNS still "
                                      "resolves for N s</i>).<br><b>Phase 1, until the gateway's DNS refresh ({dns} s):</b> "
                                      "the name still resolves to the old pod address, which drops packets. Every attempt "
                                      "waits for the 10 s connect timeout, and with the policy as written all retries stay "
                                      "on priority 0: requests <b>stall</b> (the timeline goes quiet, the load generator's "
                                      "requests hang), and a request whose 4 attempts (1 + numRetries 3, 10 s each) all end "
                                      "before the refresh <b>fails with 503</b>.<br><b>Phase 2, after the refresh</b> "
                                      "(<i>deleted (name removed from DNS)</i>): the host is removed, priority 0 is "
                                      "<i>empty</i>, and Envoy sends every request straight to priority 1: qwen-secondary-fb "
                                      "answers <b>even with the policy as written</b>, and a stalled request is answered by "
                                      "its next retry. With a 30 s refresh the 4th attempt of a request starts after it, so "
                                      "phase 1 shows as stalls of up to 30 s rather than 503s; a longer refresh (DNS TTL, "
                                      "BackendTrafficPolicy <code>dns.dnsRefreshRate</code>, or the dock's <i>Gateway DNS "
                                      "refresh</i>) shows the 503s."),
                       QStringLiteral("The same two phases. Envoy Gateway makes the InferenceService's fqdn Backend a "
                                      "STRICT_DNS cluster refreshed every 30 s (respecting the record's TTL). After the "
                                      "delete, the name answers NXDOMAIN, and Envoy removes the host at its <i>next</i> "
                                      "resolution; until then connects to the old address time out (Envoy Gateway's "
                                      "default connect timeout is 10 s) and the as-written retries keep them on priority 0. "
                                      "Once the host is gone, priority 0 has no host and its load moves to priority 1. "
                                      "<b>This is probably why the tutorial's author saw the fallback \"work\"</b>: it is "
                                      "the empty priority after the DNS refresh, not the retry policy. A primary that "
                                      "crashes or stops while its Service remains never gets past phase 1 (next step)."),
                       [w, service, showCharts] {
                           service()->deleteServer(QStringLiteral("qwen-primary"));
                           w->serversPanel()->selectServer(QStringLiteral("qwen-primary"));
                           showCharts(QStringLiteral("qwen-with-fallback"));
                       }});
    m_steps.push_back({t2, QStringLiteral("Step 5 (pod down): the primary refuses connections"),
                       QStringLiteral("# not in the tutorial: the primary's pod crashes or restarts, its Service remains"),
                       QStringLiteral("Re-applies <b>qwen-primary</b> if it was deleted and stops its server: its Service "
                                      "remains, so the host name resolves but connections are refused at once. (After a "
                                      "delete, the gateway resolves the re-applied name again only at its next DNS refresh, "
                                      "{dns} s: until the dock's <i>re-applied &mdash; resolves again in N s</i> runs out, "
                                      "priority 0 is still empty and the secondary answers.) Then, <b>with the policy as "
                                      "written, the requests fail:</b> the timeline shows red failed attempts on the "
                                      "qwen-primary-fb lane, the request log shows 503s, and the Doctor's "
                                      "<code>retry-stays-on-priority-0</code> finding says why."),
                       QStringLiteral("<b>The tutorial's policy as written does not fail over.</b> This is phase 1 "
                                      "without an end: the host stays in the cluster, so no DNS refresh empties priority 0. "
                                      "Without <code>numAttemptsPerPriority</code>, Envoy keeps every retry on priority 0: "
                                      "all 4 attempts (1 + numRetries 3) go to the dead primary and the client gets "
                                      "<b>503</b> <code>upstream connect error or disconnect/reset before headers</code>, "
                                      "wrapped by the AI Gateway as an OpenAI-style error. The fix is one line in the "
                                      "BackendTrafficPolicy (Envoy Gateway v1.5+):<pre>") +
                           QString::fromLatin1(kFixYaml).toHtmlEscaped() + QStringLiteral("</pre>"),
                       [w, service, showCharts] {
                           const auto* s = w->serversModel()->server(w->serversModel()->rowOf(QStringLiteral("qwen-primary")));
                           if (s && s->state == proxy::ServerState::Deleted)
                               service()->reapplyServer(QStringLiteral("qwen-primary"));
                           // Queued after the re-apply on the data plane: the server ends stopped.
                           service()->stopServer(QStringLiteral("qwen-primary"));
                           w->serversPanel()->selectServer(QStringLiteral("qwen-primary"));
                           w->doctorPanel()->selectFinding(config::finding_id::kRetryStaysOnPriority0);
                           showCharts(QStringLiteral("qwen-with-fallback"));
                       }});
    m_steps.push_back({t2, QStringLiteral("Step 5 (fixed): add numAttemptsPerPriority: 1"),
                       QString::fromLatin1(kFixYaml),
                       QStringLiteral("Applies the fix to the running gateway (the same as the Doctor's <i>Apply fix</i>; "
                                      "see the YAML preview). From the next request on, each request's first attempt fails "
                                      "on the stopped primary and the retry goes to priority 1: the timeline draws <i>failed "
                                      "attempt &rarr; fallback success</i> lines into the qwen-secondary-fb lane and the "
                                      "errors stop."),
                       QStringLiteral("The same: every request pays one failed attempt plus a jittered backoff (up to "
                                      "100 ms here) and is answered by <code>qwen2.5:0.5b</code>. No client errors."),
                       [applyFix, showCharts] {
                           applyFix(1);
                           showCharts(QStringLiteral("qwen-with-fallback"));
                       }});
    m_steps.push_back({t2, QStringLiteral("Step 6: monitor fallback behaviour"),
                       QStringLiteral("kubectl logs -n envoy-gateway-system -l gateway.envoyproxy.io/owning-gateway-name=envoy-ai-gateway-basic --tail=50 -f"),
                       QStringLiteral("Shows the <i>Request log</i> filtered on <code>qwen-with-fallback</code>: each row's "
                                      "attempt path reads <code>qwen-primary x connect-failure -&gt; qwen-secondary ok</code>; "
                                      "select one for its attempts, upstream model and backoff."),
                       QStringLiteral("Envoy's access log writes one line per client request, for the attempt that "
                                      "answered; failed attempts show up in the retry statistics rather than as their own "
                                      "lines."),
                       [w] {
                           w->requestLogPage()->setFilterText(QStringLiteral("qwen-with-fallback"));
                           w->tabs()->setCurrentWidget(w->requestLogPage());
                       }});
    m_steps.push_back({t2, QStringLiteral("Steps 7-8: restore the primary"),
                       QStringLiteral("kubectl apply -f primary-model.yaml   # the tutorial re-applies provider-fallback.yaml, "
                                      "which does not recreate the InferenceService"),
                       QStringLiteral("Brings <b>qwen-primary</b> back: started if stopped (at once), re-applied if "
                                      "deleted (the gateway resolves the name again at its next DNS refresh, {dns} s; the "
                                      "dock counts down). With retries only (no passive health check), the first request "
                                      "after that goes back to the primary: the fallback lines stop on the timeline."),
                       QStringLiteral("<b>Correction:</b> the tutorial's step 8 re-applies <code>provider-fallback.yaml</code>, "
                                      "which does not bring back a deleted InferenceService; apply <code>primary-model.yaml</code> "
                                      "and wait for READY (minutes, the model is pulled again) plus the gateway's next DNS "
                                      "refresh (up to 30 s). Its \"after ~30-60 s primary "
                                      "recovers\" only happens with outlier detection (passive health check), which this "
                                      "policy does not configure: with retries alone traffic returns as soon as the primary answers."),
                       [w, bringUp, showCharts] {
                           bringUp({QStringLiteral("qwen-primary")});
                           w->serversPanel()->selectServer(QStringLiteral("qwen-primary"));
                           showCharts(QStringLiteral("qwen-with-fallback"));
                       }});
}

}  // namespace aigw::ui
