// Two shipped lessons on the live gateway (`aigw-sim scenario run --live`): real mock model servers,
// real HTTP load and wall time; every expectation holds as it does in virtual time. A lesson takes
// its duration in wall time (40 s and 60 s here).
#include <QtTest>

#include <QProcess>

namespace {

struct Run {
    int code = -1;
    QString out, err;
};

Run runLive(const QString& lesson) {
    QProcess p;
    p.start(qEnvironmentVariable("AIGW_BUILD_DIR") + "/app/aigw-sim",
            {QStringLiteral("scenario"), QStringLiteral("run"), QStringLiteral("--live"), lesson});
    Run r;
    if (!p.waitForStarted(10000))
        return r;
    // The lesson's duration plus the servers' start and the last window's settle time, on a loaded machine.
    if (!p.waitForFinished(240000)) {
        p.kill();
        p.waitForFinished(5000);
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

}  // namespace

class TestLessonsLive : public QObject {
    Q_OBJECT
private slots:
    void lessonHoldsLive_data() {
        QTest::addColumn<QString>("lesson");
        QTest::addColumn<int>("expectations");
        QTest::newRow("body limit 413") << QStringLiteral("body-limit-413.yaml") << 6;
        QTest::newRow("ticket 2 corrected") << QStringLiteral("ticket2-corrected.yaml") << 10;
    }
    void lessonHoldsLive() {
        QFETCH(QString, lesson);
        QFETCH(int, expectations);
        const Run r = runLive(QStringLiteral(AIGW_LESSONS_DIR "/") + lesson);
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QStringLiteral("mode live")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("PASS: %1 of %1 expectation(s) held").arg(expectations)), qPrintable(r.out));
        QVERIFY(!r.out.contains(QStringLiteral(" FAIL\n")));
    }
};

QTEST_GUILESS_MAIN(TestLessonsLive)
#include "test_lessons_live.moc"
