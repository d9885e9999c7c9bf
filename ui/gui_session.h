#pragma once
// One running desktop session: the embedded gateway (GatewayService), the settings and the main
// window, started on a config. Used by `aigw-sim` (gui mode), the screenshot command, the benchmark
// and the UI tests, so they all exercise the same wiring.

#include <QObject>
#include <QString>

#include <memory>

#include "config/model.h"
#include "proxy/gateway_service.h"

namespace aigw::ui {

class AppSettings;
class MainWindow;

class GuiSession : public QObject {
    Q_OBJECT
public:
    struct Options {
        proxy::GatewayService::Options gateway;
        QString settingsPath;  ///< empty: the user's settings; tests and screenshots use a temp file
        /// When the proxy/admin port is taken, retry once on free ports (port 0) instead of failing.
        bool fallbackToFreePorts = true;
    };

    GuiSession(const config::Config& config, Options options, QObject* parent = nullptr);
    ~GuiSession() override;

    /// Starts the gateway and shows the config; ready() reports the URLs.
    void start();
    /// Runs the event loop until the gateway is ready or failed, at most `timeoutMs`. True if ready.
    bool waitReady(int timeoutMs);
    /// Runs the event loop until every server is ready (or `timeoutMs`). True if all ready.
    bool waitServersReady(int timeoutMs);
    /// The gateway's DNS refresh delay (servers dock): saved in the settings, handed to the running
    /// gateway for its next delete or re-apply, and used at the next start.
    void setDnsRefreshSeconds(int seconds);

    MainWindow* window() const { return m_window.get(); }
    proxy::GatewayService* service() const { return m_service.get(); }
    bool isReady() const { return m_ready; }
    QString error() const { return m_error; }

signals:
    void ready(const QString& proxyUrl);

private:
    config::Config m_config;
    Options m_options;
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<AppSettings> m_settings;
    std::unique_ptr<MainWindow> m_window;
    bool m_ready = false;
    bool m_retried = false;
    QString m_error;
};

/// Runs the event loop for `ms` milliseconds (scripted sessions: screenshots, benchmark).
void pump(int ms);

}  // namespace aigw::ui
