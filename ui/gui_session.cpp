#include "gui_session.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

#include <QUrl>

#include <chrono>

#include "app_settings.h"
#include "docks.h"
#include "main_window.h"

namespace aigw::ui {

void pump(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

GuiSession::GuiSession(const config::Config& config, Options options, QObject* parent)
    : QObject(parent),
      m_config(config),
      m_options(std::move(options)),
      m_service(std::make_unique<proxy::GatewayService>()),
      m_settings(std::make_unique<AppSettings>(m_options.settingsPath)) {
    // The DNS refresh delay the user chose in the servers dock wins over the session's default.
    if (const auto dns = m_settings->dnsRefreshSeconds())
        m_options.gateway.dnsRefreshDelay = std::chrono::seconds(*dns);
    m_window = std::make_unique<MainWindow>(m_service.get(), m_settings.get());
    m_window->serversPanel()->setDnsRefreshSeconds(static_cast<int>(
        std::chrono::round<std::chrono::seconds>(m_options.gateway.dnsRefreshDelay).count()));
    connect(m_window->serversPanel(), &ServersPanel::dnsRefreshApplyRequested, this, &GuiSession::setDnsRefreshSeconds);
    connect(m_service.get(), &proxy::GatewayService::ready, this, [this](const QString& proxyUrl, const QString&) {
        m_ready = true;
        emit ready(proxyUrl);
    });
    connect(m_service.get(), &proxy::GatewayService::failed, this, [this](const QString& error) {
        if (m_options.fallbackToFreePorts && !m_retried) {
            // The usual cause is a second copy already on 8080; a free port keeps the app usable.
            m_retried = true;
            auto o = m_options.gateway;
            o.proxyPort = 0;
            o.adminPort = 0;
            m_service->start(m_config, o);
            return;
        }
        m_error = error;
    });
}

GuiSession::~GuiSession() {
    // The window (and its load generator) goes first, then the data plane is joined.
    m_window.reset();
    m_service.reset();
}

void GuiSession::start() {
    m_window->showConfig(m_config);
    m_service->start(m_config, m_options.gateway);
}

void GuiSession::setDnsRefreshSeconds(int seconds) {
    m_settings->setDnsRefreshSeconds(seconds);
    m_options.gateway.dnsRefreshDelay = std::chrono::seconds(seconds);
    m_window->serversPanel()->setDnsRefreshSeconds(seconds);
    // The running gateway takes it at once, for the next delete or re-apply (a pending one keeps its
    // time); the next start() uses it too.
    m_service->setDnsRefreshDelay(m_options.gateway.dnsRefreshDelay);
}

bool GuiSession::waitReady(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!m_ready && m_error.isEmpty() && !deadline.hasExpired())
        pump(20);
    return m_ready;
}

bool GuiSession::waitServersReady(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        const auto servers = m_service->servers();
        bool all = !servers.empty();
        for (const auto& s : servers)
            all = all && s.state == proxy::ServerState::Ready;
        if (all)
            return true;
        pump(20);
    }
    return false;
}

}  // namespace aigw::ui
