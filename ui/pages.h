#pragma once
// Central pages besides the charts: the request log (filter + details) and the playground.

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QNetworkAccessManager;
class QNetworkReply;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace aigw::ui {

class GatewayBridge;
class RequestLogFilter;
class RequestLogModel;

class RequestLogPage : public QWidget {
    Q_OBJECT
public:
    RequestLogPage(RequestLogModel* model, QWidget* parent = nullptr);
    QTableView* view() const { return m_view; }
    void setFilterText(const QString& text);
    void selectLast();
    /// Selects the newest visible row whose attempt path contains `text` (e.g. "->" for a request
    /// that failed over); false when there is none.
    bool selectLastMatching(const QString& text);

    // The details pane's three parts, as shown (tests read them).
    QString detailsText() const;
    QString upstreamBodyText() const;
    QString responseBodyText() const;
    QString upstreamBodyTitle() const;
    QString responseBodyTitle() const;

private:
    void showDetails();
    RequestLogModel* m_model;
    RequestLogFilter* m_filter;
    QTableView* m_view;
    QLineEdit* m_text;
    QCheckBox* m_errors;
    QCheckBox* m_follow;
    QPlainTextEdit* m_details;
    QLabel* m_upstreamTitle;
    QPlainTextEdit* m_upstream;
    QLabel* m_responseTitle;
    QPlainTextEdit* m_response;
};

/// Type a prompt, pick a virtual model, watch the answer stream in, and see which backend answered
/// and why (x-aigw-backend / x-aigw-attempts debug headers plus the gateway's record of the request).
class PlaygroundPage : public QWidget {
    Q_OBJECT
public:
    PlaygroundPage(GatewayBridge* bridge, QWidget* parent = nullptr);
    void setProxyUrl(const QString& url);
    void setModels(const QStringList& models);
    void setModel(const QString& model);
    void setPrompt(const QString& prompt);
    void send();
    /// The explanation shown after the last answer (tests and the tutorial read it).
    QString verdict() const;
    QString answer() const;

signals:
    void finished(int status, const QString& backend);

private:
    void explain();
    GatewayBridge* m_bridge;
    QString m_proxyUrl;
    QNetworkAccessManager* m_nam;
    QNetworkReply* m_reply = nullptr;
    QComboBox* m_model;
    QPlainTextEdit* m_prompt;
    QCheckBox* m_stream;
    QPushButton* m_send;
    QTextBrowser* m_answer;
    QLabel* m_verdict;
    QByteArray m_buffer;
    QString m_text;
    QString m_backendHeader;
    QString m_attemptsHeader;
    QString m_responseModel;
    int m_status = 0;
    qint64 m_sentAtNs = 0;
    int m_explainTries = 0;
};

}  // namespace aigw::ui
