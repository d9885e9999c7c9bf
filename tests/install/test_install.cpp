// The install rules end to end: `cmake --install` of this build into a temporary DESTDIR, then the
// installed executables run from there with no build-tree path in their environment: --version,
// check and export of the installed samples, a lesson that names ../*.yaml, the man pages and the
// desktop entry, and --headless to READY with one proxied request served by the installed mock
// servers (read from /proc: the gateway's children run DESTDIR's aigw-mock-backend, not the build's).
#include <QtTest>

#include <QDir>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>

namespace {

struct Run {
    int code = -1;
    QString out, err;
};

Run run(const QString& program, const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    Run r;
    if (!p.waitForStarted(10000)) {
        r.err = p.errorString();
        return r;
    }
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished(5000);
        r.err = QStringLiteral("did not finish");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

/// The processes whose parent is `parent` (/proc/PID/stat: "pid (comm) state ppid ...").
QList<qint64> childrenOf(qint64 parent) {
    QList<qint64> children;
    const QStringList pids = QDir(QStringLiteral("/proc")).entryList({QStringLiteral("[0-9]*")}, QDir::Dirs);
    for (const QString& pid : pids) {
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        const auto fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == parent)
            children << pid.toLongLong();
    }
    return children;
}

struct Reply {
    int status = 0;
    QByteArray body;
    QByteArray backend;  // x-aigw-backend
};

Reply http(QNetworkAccessManager& nam, const QString& method, const QUrl& url, const QByteArray& body = {}) {
    QNetworkRequest rq(url);
    rq.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    rq.setTransferTimeout(60000);
    QNetworkReply* reply = nam.sendCustomRequest(rq, method.toUtf8(), body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    Reply r;
    if (reply->isFinished() || done.wait(70000)) {
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.backend = reply->rawHeader("x-aigw-backend");
    }
    reply->deleteLater();
    return r;
}

}  // namespace

class TestInstall : public QObject {
    Q_OBJECT

    QTemporaryDir m_dest;
    QString m_usr;  // DESTDIR/usr, canonical
    QProcessEnvironment m_env;

    QString bin(const QString& name) const { return m_usr + QStringLiteral("/bin/") + name; }
    QString samples() const { return m_usr + QStringLiteral("/share/aigw-sim/samples"); }
    QStringList sampleYamls() const {
        QStringList files;
        for (const QString& f : QDir(samples()).entryList({QStringLiteral("*.yaml")}, QDir::Files, QDir::Name))
            files << samples() + QLatin1Char('/') + f;
        return files;
    }

private slots:
    void initTestCase() {
        QVERIFY2(!qEnvironmentVariable("AIGW_BUILD_DIR").isEmpty(), "run through ctest (AIGW_BUILD_DIR)");
        QVERIFY(m_dest.isValid());
        // The installed programs see no build-tree path: not in their environment, not on PATH.
        m_env = QProcessEnvironment::systemEnvironment();
        for (const char* v : {"AIGW_BUILD_DIR", "AIGW_SOURCE_DIR", "AIGW_MOCK_BACKEND"})
            m_env.remove(QString::fromLatin1(v));
        m_env.insert(QStringLiteral("PATH"), QStringLiteral("/usr/bin:/bin"));
        m_env.insert(QStringLiteral("HOME"), m_dest.path());
        m_env.insert(QStringLiteral("XDG_DATA_HOME"), m_dest.path() + QStringLiteral("/home-data"));

        QProcessEnvironment installEnv = QProcessEnvironment::systemEnvironment();
        installEnv.insert(QStringLiteral("DESTDIR"), m_dest.path());
        const Run r = run(QStringLiteral(AIGW_CMAKE_COMMAND),
                          {QStringLiteral("--install"), qEnvironmentVariable("AIGW_BUILD_DIR"), QStringLiteral("--prefix"),
                           QStringLiteral("/usr")},
                          installEnv);
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        m_usr = QDir(m_dest.path() + QStringLiteral("/usr")).canonicalPath();
        QVERIFY(!m_usr.isEmpty());
    }

    void layout() {
        QVERIFY(QFileInfo(bin(QStringLiteral("aigw-sim"))).isExecutable());
        const QFileInfo mock(m_usr + QStringLiteral("/lib/aigw-sim/aigw-mock-backend"));
        QVERIFY(mock.isExecutable() && !mock.isSymLink());
        // /usr/bin/aigw-mock-backend: a relative link to it, valid under any DESTDIR.
        const QFileInfo link(bin(QStringLiteral("aigw-mock-backend")));
        QVERIFY(link.isSymLink());
        QVERIFY(QFileInfo(link.symLinkTarget()).isRelative() || link.symLinkTarget().startsWith(m_usr));
        QCOMPARE(link.canonicalFilePath(), mock.canonicalFilePath());
        // Every sample and lesson of the sources, in the same layout.
        const QString source = qEnvironmentVariable("AIGW_SOURCE_DIR") + QStringLiteral("/samples");
        QDirIterator it(source, {QStringLiteral("*.yaml")}, QDir::Files, QDirIterator::Subdirectories);
        int n = 0;
        while (it.hasNext()) {
            const QString rel = QDir(source).relativeFilePath(it.next());
            QVERIFY2(QFileInfo::exists(samples() + QLatin1Char('/') + rel), qPrintable(rel));
            ++n;
        }
        QVERIFY(n >= 15);
    }

    void versions() {
        Run r = run(bin(QStringLiteral("aigw-sim")), {QStringLiteral("--version")}, m_env);
        QVERIFY2(r.code == 0 && r.out.startsWith(QStringLiteral("aigw-sim " AIGW_PROJECT_VERSION)), qPrintable(r.out + r.err));
        r = run(bin(QStringLiteral("aigw-mock-backend")), {QStringLiteral("--version")}, m_env);
        QVERIFY2(r.code == 0 && r.out.startsWith(QStringLiteral("aigw-mock-backend " AIGW_PROJECT_VERSION)),
                 qPrintable(r.out + r.err));
    }

    void checkInstalledSamples() {
        const Run r = run(bin(QStringLiteral("aigw-sim")), QStringList{QStringLiteral("check")} + sampleYamls(), m_env);
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QStringLiteral("AIGatewayRoutes: 2 Accepted")), qPrintable(r.out));
    }

    void exportMatchesTheBuildTree() {
        // The installed samples export to the very bytes the build tree's aigw-sim writes for the sources'.
        const Run installed = run(bin(QStringLiteral("aigw-sim")), QStringList{QStringLiteral("export")} + sampleYamls(), m_env);
        QVERIFY2(installed.code == 0, qPrintable(installed.err));
        QVERIFY(installed.out.contains(QStringLiteral("kind: AIGatewayRoute")));
        QStringList sourceFiles;
        for (QString f : sampleYamls())
            sourceFiles << f.replace(samples(), qEnvironmentVariable("AIGW_SOURCE_DIR") + QStringLiteral("/samples"));
        const Run built = run(qEnvironmentVariable("AIGW_BUILD_DIR") + QStringLiteral("/app/aigw-sim"),
                              QStringList{QStringLiteral("export")} + sourceFiles);
        QVERIFY2(built.code == 0, qPrintable(built.err));
        QCOMPARE(installed.out, built.out);
    }

    void lessons() {
        const QString dir = samples() + QStringLiteral("/scenarios");
        Run r = run(bin(QStringLiteral("aigw-sim")), {QStringLiteral("scenario"), QStringLiteral("list"), dir}, m_env);
        QVERIFY2(r.code == 0 && r.out.contains(QStringLiteral("ticket2-corrected")), qPrintable(r.out + r.err));
        // This lesson's config names ../primary-model.yaml and the other samples beside the lessons.
        r = run(bin(QStringLiteral("aigw-sim")),
                {QStringLiteral("scenario"), QStringLiteral("run"), dir + QStringLiteral("/body-limit-413.yaml")}, m_env);
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QStringLiteral("PASS: 6 of 6 expectation(s) held")), qPrintable(r.out));
    }

    void manPages() {
        const Run help = run(bin(QStringLiteral("aigw-sim")), {QStringLiteral("--help")}, m_env);
        QCOMPARE(help.code, 0);
        for (const QString& page : {QStringLiteral("aigw-sim"), QStringLiteral("aigw-mock-backend")}) {
            const QString gz = m_usr + QStringLiteral("/share/man/man1/%1.1.gz").arg(page);
            const Run roff = run(QStringLiteral("gzip"), {QStringLiteral("-dc"), gz});
            QVERIFY2(roff.code == 0, qPrintable(gz + roff.err));
            QVERIFY(roff.out.startsWith(QStringLiteral(".\\\"")));
            QVERIFY2(roff.out.contains(QStringLiteral(".TH ") + QString(page).toUpper().replace('-', QStringLiteral("\\-")) +
                                       QStringLiteral(" 1 ")),
                     qPrintable(roff.out.left(400)));
            QVERIFY(!roff.out.contains(QStringLiteral("@HELP@")) && !roff.out.contains(QStringLiteral("@VERSION@")));
            QVERIFY(roff.out.contains(QStringLiteral("\n.SH OPTIONS\n.nf\n")));  // the --help text follows
            if (page == QStringLiteral("aigw-sim")) {
                // One subsection per mode that --help lists, each with that mode's own options.
                int modes = 0;
                const QString list = help.out.section(QStringLiteral("modes:\n"), 1).section(QStringLiteral("\n\n"), 0, 0);
                for (const QString& line : list.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
                    const QString mode = line.trimmed().section(QLatin1Char(' '), 0, 0);
                    QVERIFY2(roff.out.contains(QStringLiteral("\n.SS %1\n").arg(mode)), qPrintable(mode));
                    ++modes;
                }
                QVERIFY(modes >= 7);
                QVERIFY(roff.out.contains(QStringLiteral("\\-\\-dns\\-refresh DURATION")));  // headless --help
                QVERIFY(roff.out.contains(QStringLiteral("\\-\\-api\\-version")));            // export --help
                QVERIFY(!roff.out.contains(QStringLiteral("@MODES@")));
            } else {
                QVERIFY(roff.out.contains(QStringLiteral("\\-\\-reset\\-before\\-headers")));
            }
            // Rendered by man(1) where it is installed: no warning from groff.
            const QString man = QStandardPaths::findExecutable(QStringLiteral("man"));
            if (!man.isEmpty()) {
                QProcessEnvironment env = m_env;
                env.insert(QStringLiteral("MANWIDTH"), QStringLiteral("100"));
                const Run shown = run(man, {QStringLiteral("--warnings"), QStringLiteral("-l"), gz}, env);
                QVERIFY2(shown.code == 0 && shown.err.isEmpty(), qPrintable(shown.err));
                QVERIFY(shown.out.contains(QStringLiteral("SYNOPSIS")));
            }
        }
    }

    void desktopEntry() {
        const QString id = QStringLiteral(AIGW_APP_ID);
        const QString file = m_usr + QStringLiteral("/share/applications/%1.desktop").arg(id);
        QSettings desktop(file, QSettings::IniFormat);
        desktop.beginGroup(QStringLiteral("Desktop Entry"));
        QCOMPARE(desktop.value(QStringLiteral("Type")).toString(), QStringLiteral("Application"));
        // Exec's program is the installed executable, Icon an installed icon, both by name.
        const QString exec = desktop.value(QStringLiteral("Exec")).toString();
        QVERIFY2(QFileInfo(bin(exec.section(QLatin1Char(' '), 0, 0))).isExecutable(), qPrintable(exec));
        QVERIFY2(exec.section(QLatin1Char(' '), 1, 1) == QStringLiteral("gui"), qPrintable(exec));
        QCOMPARE(desktop.value(QStringLiteral("Icon")).toString(), id);
        QVERIFY(QFileInfo::exists(m_usr + QStringLiteral("/share/icons/hicolor/scalable/apps/%1.svg").arg(id)));
        const QString metainfo = m_usr + QStringLiteral("/share/metainfo/%1.metainfo.xml").arg(id);
        QFile meta(metainfo);
        QVERIFY(meta.open(QIODevice::ReadOnly));
        QVERIFY(meta.readAll().contains(QStringLiteral("<launchable type=\"desktop-id\">%1.desktop</launchable>").arg(id).toUtf8()));
        // The validators, where installed (./scripts/install-deps.sh --package).
        if (const QString v = QStandardPaths::findExecutable(QStringLiteral("desktop-file-validate")); !v.isEmpty()) {
            const Run r = run(v, {file});
            QVERIFY2(r.code == 0 && r.out.isEmpty(), qPrintable(r.out + r.err));
        }
        if (const QString v = QStandardPaths::findExecutable(QStringLiteral("appstreamcli")); !v.isEmpty()) {
            const Run r = run(v, {QStringLiteral("validate"), QStringLiteral("--no-net"), metainfo});
            QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        }
    }

    void headlessServesFromTheInstalledTree() {
        QProcess gw;
        gw.setProcessEnvironment(m_env);
        gw.setWorkingDirectory(m_dest.path());
        QByteArray out;
        connect(&gw, &QProcess::readyReadStandardOutput, this, [&] { out += gw.readAllStandardOutput(); });
        gw.start(bin(QStringLiteral("aigw-sim")),
                 {QStringLiteral("--headless"), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--admin"),
                  QStringLiteral("127.0.0.1:0")});
        QVERIFY(gw.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(out.contains("READY ") && out.endsWith('\n'), 60000);
        const QByteArray ready = out.mid(out.indexOf("READY "));
        const QUrl proxy(QString::fromUtf8(ready.mid(ready.indexOf("proxy=") + 6).split(' ').first().trimmed()));
        const QUrl admin(QString::fromUtf8(ready.mid(ready.indexOf("admin=") + 6).split('\n').first().trimmed()));
        QVERIFY2(proxy.port() > 0 && admin.port() > 0, ready.constData());

        // Every model server ready, then one request through the gateway.
        QNetworkAccessManager nam;
        auto serversReady = [&] {
            const Reply r = http(nam, QStringLiteral("GET"), admin.resolved(QUrl(QStringLiteral("/servers"))));
            const QJsonArray servers = QJsonDocument::fromJson(r.body).array();
            if (r.status != 200 || servers.isEmpty())
                return false;
            for (const auto& s : servers)
                if (s.toObject().value(QStringLiteral("state")).toString() != QStringLiteral("ready"))
                    return false;
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(serversReady(), 60000);
        const Reply answer = http(nam, QStringLiteral("POST"), proxy.resolved(QUrl(QStringLiteral("/v1/chat/completions"))),
                                  R"({"model":"virtual-qwen-model","messages":[{"role":"user","content":"hi"}]})");
        QVERIFY2(answer.status == 200, answer.body.constData());
        const QJsonObject completion = QJsonDocument::fromJson(answer.body).object();
        QVERIFY2(!completion.value(QStringLiteral("choices")).toArray().isEmpty(), answer.body.constData());
        QVERIFY(!answer.backend.isEmpty());

        // The model servers are the installed aigw-mock-backend.
        const QString installedMock = m_usr + QStringLiteral("/lib/aigw-sim/aigw-mock-backend");
        const QList<qint64> children = childrenOf(gw.processId());
        QVERIFY(!children.isEmpty());
        int mocks = 0;
        for (qint64 child : children) {
            const QString exe = QFileInfo(QStringLiteral("/proc/%1/exe").arg(child)).symLinkTarget();
            if (exe.endsWith(QStringLiteral("/aigw-mock-backend"))) {
                QCOMPARE(exe, installedMock);
                ++mocks;
            }
        }
        QCOMPARE(mocks, 3);  // the built-in scenario's three model servers

        gw.terminate();
        QTRY_VERIFY_WITH_TIMEOUT(gw.state() == QProcess::NotRunning, 30000);
        QCOMPARE(gw.exitStatus(), QProcess::NormalExit);
        QCOMPARE(gw.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestInstall)
#include "test_install.moc"
