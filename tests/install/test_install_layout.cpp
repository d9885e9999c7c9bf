// layout:: finds the mock backend and the samples relative to an executable's folder: an installed
// tree (PREFIX/bin, PREFIX/lib/aigw-sim, PREFIX/share/aigw-sim) before a build tree, so an installed
// aigw-sim never picks a build tree's parts; and Supervisor::findMockBackend's order around it.
#include <QtTest>

#include <QFile>
#include <QTemporaryDir>

#include <filesystem>

#include "common/install_layout.h"
#include "proxy/supervisor.h"

namespace fs = std::filesystem;

namespace {

/// Creates `rel` under `root` (folders too), executable or not.
fs::path touch(const fs::path& root, const std::string& rel, bool executable) {
    const fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    QFile f(QString::fromStdString(p.string()));
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write("#!/bin/sh\n");
    f.close();
    fs::permissions(p, executable ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write);
    return fs::canonical(p);
}

}  // namespace

class TestInstallLayout : public QObject {
    Q_OBJECT
private slots:
    void relativePathsMatchTheInstallRules() {
        // cmake/AigwInstall.cmake with GNUInstallDirs' defaults (bin, lib/aigw-sim, share/aigw-sim).
        QCOMPARE(QString(aigw::layout::binToPkgLibDir()), QStringLiteral("../lib/aigw-sim"));
        QCOMPARE(QString(aigw::layout::binToPkgDataDir()), QStringLiteral("../share/aigw-sim"));
    }

    void mockBackend_data() {
        QTest::addColumn<QStringList>("executables");  // files created executable under the root
        QTest::addColumn<QStringList>("plain");        // files created without the x bit
        QTest::addColumn<QString>("exeDir");
        QTest::addColumn<QString>("expected");  // relative to the root; empty: none found
        const QString inst = QStringLiteral("usr/lib/aigw-sim/aigw-mock-backend");
        QTest::newRow("installed: ../lib/aigw-sim") << QStringList{inst} << QStringList{} << "usr/bin" << inst;
        QTest::newRow("installed wins over beside the executable")
            << QStringList{inst, "usr/bin/aigw-mock-backend"} << QStringList{} << "usr/bin" << inst;
        QTest::newRow("installed wins over a build tree around it")
            << QStringList{inst, "usr/mockbackends/aigw-mock-backend"} << QStringList{} << "usr/bin" << inst;
        QTest::newRow("beside the executable") << QStringList{"opt/x/aigw-mock-backend"} << QStringList{} << "opt/x"
                                               << "opt/x/aigw-mock-backend";
        QTest::newRow("build tree: app/ -> ../mockbackends")
            << QStringList{"build/mockbackends/aigw-mock-backend"} << QStringList{} << "build/app"
            << "build/mockbackends/aigw-mock-backend";
        QTest::newRow("build tree: tests/unit/ -> ../../mockbackends")
            << QStringList{"build/mockbackends/aigw-mock-backend"} << QStringList{} << "build/tests/proxy"
            << "build/mockbackends/aigw-mock-backend";
        QTest::newRow("not executable: skipped for the next") << QStringList{"build/mockbackends/aigw-mock-backend"}
                                                              << QStringList{"build/lib/aigw-sim/aigw-mock-backend"}
                                                              << "build/app" << "build/mockbackends/aigw-mock-backend";
        QTest::newRow("a folder of that name is not it") << QStringList{} << QStringList{} << "usr/bin" << "";
        QTest::newRow("nothing") << QStringList{} << QStringList{} << "usr/bin" << "";
    }
    void mockBackend() {
        QFETCH(QStringList, executables);
        QFETCH(QStringList, plain);
        QFETCH(QString, exeDir);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const fs::path root = fs::canonical(tmp.path().toStdString());
        fs::create_directories(root / exeDir.toStdString());
        for (const QString& e : executables)
            QVERIFY(!touch(root, e.toStdString(), true).empty());
        for (const QString& p : plain)
            QVERIFY(!touch(root, p.toStdString(), false).empty());
        if (QByteArray(QTest::currentDataTag()).startsWith("a folder"))
            fs::create_directories(root / "usr/lib/aigw-sim/aigw-mock-backend");
        const fs::path found = aigw::layout::findMockBackend(root / exeDir.toStdString());
        QCOMPARE(QString::fromStdString(found.string()),
                 expected.isEmpty() ? QString() : QString::fromStdString((root / expected.toStdString()).string()));
    }

    void samplesOnlyInAnInstalledTree() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const fs::path root = fs::canonical(tmp.path().toStdString());
        fs::create_directories(root / "usr/bin");
        QVERIFY(aigw::layout::installedSamplesDirectory(root / "usr/bin").empty());
        fs::create_directories(root / "usr/share/aigw-sim/samples/scenarios");
        QCOMPARE(aigw::layout::installedSamplesDirectory(root / "usr/bin"), root / "usr/share/aigw-sim/samples");
        QVERIFY(aigw::layout::installedSamplesDirectory({}).empty());
        QVERIFY(aigw::layout::findMockBackend({}).empty());
    }

    void executableDirectoryIsThisTest() {
        const fs::path dir = aigw::layout::executableDirectory();
        QCOMPARE(QString::fromStdString(dir.string()), QDir(QCoreApplication::applicationDirPath()).canonicalPath());
    }

    void supervisorOrder() {
        // Explicit path, then $AIGW_MOCK_BACKEND, then relative to this test (build/tests/install/ ->
        // build/mockbackends/), as the data plane asks for it.
        using aigw::proxy::Supervisor;
        qunsetenv("AIGW_MOCK_BACKEND");
        QCOMPARE(Supervisor::findMockBackend(QStringLiteral("/explicit/mock")), QStringLiteral("/explicit/mock"));
        const QString relative = Supervisor::findMockBackend({});
        QCOMPARE(relative, QString::fromStdString(aigw::layout::findMockBackend(aigw::layout::executableDirectory()).string()));
        QVERIFY2(relative.endsWith(QStringLiteral("/mockbackends/aigw-mock-backend")), qPrintable(relative));
        qputenv("AIGW_MOCK_BACKEND", "/from/env/mock");
        QCOMPARE(Supervisor::findMockBackend({}), QStringLiteral("/from/env/mock"));
        QCOMPARE(Supervisor::findMockBackend(QStringLiteral("/explicit/mock")), QStringLiteral("/explicit/mock"));
        qunsetenv("AIGW_MOCK_BACKEND");
    }
};

QTEST_GUILESS_MAIN(TestInstallLayout)
#include "test_install_layout.moc"
