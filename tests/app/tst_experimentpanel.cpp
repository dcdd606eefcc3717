// The experiment panel builds each workload's form from its parameter descriptions, edits a copy
// of the spec, and shows why a model cannot run the chosen workload.
#include "experimentpanel.h"
#include "models/executionmodel.h"
#include "testutil.h"
#include "workloads/workload.h"

#include <QCheckBox>
#include <QComboBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QTest>

using namespace lab;
using namespace lab::test;

class TestExperimentPanel : public QObject {
    Q_OBJECT

    static QComboBox *workloadCombo(ExperimentPanel &p) { return p.findChild<QComboBox *>(QStringLiteral("workloadCombo")); }

private Q_SLOTS:
    void everyWorkloadGetsAFormThatRoundTrips()
    {
        for (const auto &w : workloadRegistry()) {
            ExperimentPanel panel;
            ExperimentSpec s = specFromJson(QByteArray(R"({"name":"t","workload":{"kind":")") + w->id().toUtf8() + "\"}}");
            panel.setSpec(s, QStringLiteral("t"));
            for (const ParamInfo &p : w->params())
                QVERIFY2(panel.findChild<QWidget *>(QStringLiteral("param_") + p.key),
                         qPrintable(w->id() + QLatin1Char('.') + p.key));
            const ExperimentSpec back = panel.spec();
            QCOMPARE(back.workload, w->id());
            QCOMPARE(back.params, s.params);  // unedited: the spec's own parameters, exactly
            QVERIFY2(back.validate().isEmpty(), qPrintable(back.validate()));
        }
    }

    void editsReachTheSpec()
    {
        ExperimentPanel panel;
        panel.setSpec(specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":[10,20,30],"repeat":3}})"),
                      QStringLiteral("t"));
        auto *numbers = panel.findChild<QLineEdit *>(QStringLiteral("param_numbers"));
        auto *repeat = panel.findChild<QSpinBox *>(QStringLiteral("param_repeat"));
        QVERIFY(numbers && repeat);
        QCOMPARE(numbers->text(), QStringLiteral("10, 20, 30"));
        numbers->setText(QStringLiteral("5000000..5000003, 7"));
        repeat->setValue(2);
        ExperimentSpec s = panel.spec();
        QCOMPARE(s.params.value(QStringLiteral("numbers")).toArray(), (QJsonArray{5000000, 5000001, 5000002, 5000003, 7}));
        QCOMPARE(s.params.value(QStringLiteral("repeat")).toInt(), 2);
        QVERIFY(s.validate().isEmpty());
        // A typo is kept as text, so validation names the field instead of running something else.
        numbers->setText(QStringLiteral("10, ten"));
        s = panel.spec();
        QVERIFY2(s.validate().contains(QStringLiteral("workload.numbers[1]")), qPrintable(s.validate()));
        // A spec shown again displays runs of numbers compactly.
        panel.setSpec(specFromJson(R"({"name":"t","workload":{"kind":"cpu","numbers":{"start":5000000,"count":20}}})"),
                      QStringLiteral("t"));
        QCOMPARE(panel.findChild<QLineEdit *>(QStringLiteral("param_numbers"))->text(), QStringLiteral("5000000..5000019"));
    }

    void switchingWorkloadShowsItsDefaultsAndDisablesModelsWithAReason()
    {
        ExperimentPanel panel;
        panel.setSpec(specFromJson("{\"name\":\"t\",\"workload\":{\"kind\":\"io\",\"urls\":[\"http://{server}/data?size=1\"]}}"),
                      QStringLiteral("t"));
        QCheckBox *async = panel.findChild<QCheckBox *>(QStringLiteral("model_async"));
        QVERIFY(async);
        QVERIFY(async->isEnabled());
        auto *label = panel.findChild<QLabel *>(QStringLiteral("unsupportedModelsLabel"));
        QVERIFY(label);

        QComboBox *combo = workloadCombo(panel);
        combo->setCurrentIndex(combo->findData(QStringLiteral("sleep")));
        QVERIFY(panel.findChild<QSpinBox *>(QStringLiteral("param_tasks")));
        QVERIFY(!panel.findChild<QPlainTextEdit *>(QStringLiteral("param_urls")));
        const ExperimentSpec s = panel.spec();
        QCOMPARE(s.workload, QStringLiteral("sleep"));
        QCOMPARE(s.params.value(QStringLiteral("tasks")).toInt(), 20);
        QVERIFY(!async->isEnabled());
        QVERIFY2(async->toolTip().contains(QStringLiteral("one thread")), qPrintable(async->toolTip()));
        QVERIFY2(label->text().contains(QStringLiteral("Async")), qPrintable(label->text()));
        QVERIFY(!s.models.contains(QStringLiteral("async")));

        // Back to the loaded spec's workload: its own parameters again.
        combo->setCurrentIndex(combo->findData(QStringLiteral("io")));
        auto *urls = panel.findChild<QPlainTextEdit *>(QStringLiteral("param_urls"));
        QVERIFY(urls);
        QCOMPARE(urls->toPlainText(), QStringLiteral("http://{server}/data?size=1"));
        QVERIFY(async->isEnabled());
    }
};

QTEST_MAIN(TestExperimentPanel)
#include "tst_experimentpanel.moc"
