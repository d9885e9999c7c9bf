// File > Save to source files: a weight edited in the Topology model, the pending change shown by
// SaveBackDialog as a one-line unified diff, Save writing exactly that line into the user's file.
#include <QDialogButtonBox>
#include <QFile>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

#include <sstream>

#include "config/doctor.h"
#include "config/loader.h"
#include "config/save_back.h"
#include "save_back_dialog.h"
#include "topology_model.h"

using namespace aigw;
using namespace aigw::ui;

namespace {

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& data) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

/// "-old" / "+new" lines of a unified diff, headers left out.
QStringList changedLines(const QString& diff) {
    QStringList out;
    for (const QString& l : diff.split(QLatin1Char('\n')))
        if ((l.startsWith(QLatin1Char('-')) && !l.startsWith(QLatin1String("--- "))) ||
            (l.startsWith(QLatin1Char('+')) && !l.startsWith(QLatin1String("+++ "))))
            out << l;
    return out;
}

}  // namespace

class TestUiSaveBack : public QObject {
    Q_OBJECT
private slots:
    void init() {
        QVERIFY(m_dir.isValid());
        m_file = m_dir.filePath(QStringLiteral("model-virtualization.yaml"));
        m_original = readAll(QStringLiteral(AIGW_SAMPLES_DIR "/model-virtualization.yaml"));
        QVERIFY(!m_original.isEmpty());
        QVERIFY(writeAll(m_file, m_original));
    }

    void weightEditSavesAsOneLine() {
        const std::vector<config::Source> sources{{m_file.toStdString(), m_original.toStdString()}};
        const config::LoadResult loaded = config::loadSources(sources);
        TopologyModel model;
        model.setConfig(loaded.config);
        // The Topology's weight cell of envoy-ai-gateway-qwen-secondary, as a double-click edit sets it.
        const QModelIndex weight = model.indexFor({0, 0, 1}, TopologyModel::WeightColumn);
        QCOMPARE(weight.data().toString(), QStringLiteral("30"));
        QVERIFY(model.setData(weight, 5));

        SaveBackDialog dialog(config::saveBack(sources, model.config()));
        QCOMPARE(changedLines(dialog.diffText()), (QStringList{QStringLiteral("-          weight: 30"), QStringLiteral("+          weight: 5")}));
        QVERIFY(dialog.diffText().startsWith(QStringLiteral("--- %1\n+++ %1\n@@ -20,7 +20,7 @@\n").arg(m_file)));
        if (qEnvironmentVariableIsSet("AIGW_SAVE_BACK_PNG")) {  // to look at the dialog
            dialog.show();
            QVERIFY(dialog.grab().save(qEnvironmentVariable("AIGW_SAVE_BACK_PNG")));
        }
        QPushButton* save = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Save);
        QVERIFY(save->isEnabled());
        save->click();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QByteArray expected = m_original;
        expected.replace("          weight: 30\n", "          weight: 5\n");
        QCOMPARE(readAll(m_file), expected);
    }

    void doctorFixShowsOnlyItsLine() {
        const QByteArray policy = readAll(QStringLiteral(AIGW_SAMPLES_DIR "/provider-fallback.yaml"));
        const std::vector<config::Source> sources{{"provider-fallback.yaml", policy.toStdString()}};
        config::Config cfg = config::loadSources(sources).config;
        bool fixed = false;
        for (const auto& f : config::diagnose(cfg))
            if (f.id == config::finding_id::kRetryStaysOnPriority0)
                fixed = config::applyFix(cfg, f);
        QVERIFY(fixed);
        SaveBackDialog dialog(config::saveBack(sources, cfg));
        QCOMPARE(changedLines(dialog.diffText()), QStringList{QStringLiteral("+    numAttemptsPerPriority: 1")});
    }

    void fileChangedOnDiskIsNotOverwritten() {
        const std::vector<config::Source> sources{{m_file.toStdString(), m_original.toStdString()}};
        TopologyModel model;
        model.setConfig(config::loadSources(sources).config);
        QVERIFY(model.setData(model.indexFor({0, 0, 0}, TopologyModel::WeightColumn), 7));
        SaveBackDialog dialog(config::saveBack(sources, model.config()));
        const QByteArray someoneElse = m_original + "# edited meanwhile\n";
        QVERIFY(writeAll(m_file, someoneElse));
        QVERIFY(!dialog.save());
        QVERIFY2(dialog.messageText().contains(QStringLiteral("changed on disk")), qPrintable(dialog.messageText()));
        QCOMPARE(readAll(m_file), someoneElse);
    }

    void nothingToSave() {
        const std::vector<config::Source> sources{{m_file.toStdString(), m_original.toStdString()}};
        SaveBackDialog dialog(config::saveBack(sources, config::loadSources(sources).config));
        QCOMPARE(dialog.diffText(), QString());
        QVERIFY(!dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Save)->isEnabled());
    }

private:
    QTemporaryDir m_dir;
    QString m_file;
    QByteArray m_original;
};

QTEST_MAIN(TestUiSaveBack)
#include "test_ui_save_back.moc"
