#pragma once
#include "chartmodels/comparisonmodel.h"
#include "chartwidget.h"

#include <QPointer>
#include <QRectF>
#include <vector>

class QCPAxisRect;
class QCPBars;
class QCPItemText;
class QCPLayoutGrid;
class QCPTextElement;

namespace lab {

// Four bar panels in one plot: wall time (s), speedup (x, with the ideal = workers line),
// efficiency (%) and busy cores (with the machine's core count), each under a title of its
// own. One bar per run, grouped by model in the model's colour, with value labels on the bars.
// Names and values are fitted to the space each bar has (wrapped, shortened, smaller or
// turned), so nothing overlaps or is clipped at 1024x768. Marks: "⚠" a run disturbed by other
// programs, "✖" failed tasks (hatched bar), whiskers the min–max of repetitions. A view of a
// ComparisonModel (its own unless setModel() shares one).
class ComparisonChart : public ChartWidget {
    Q_OBJECT
public:
    enum Panel {
        WallTime = ComparisonModel::WallTime,
        Speedup = ComparisonModel::Speedup,
        Efficiency = ComparisonModel::Efficiency,
        BusyCores = ComparisonModel::BusyCores,
        PanelCount = ComparisonModel::PanelCount
    };

    explicit ComparisonChart(QWidget *parent = nullptr);
    ~ComparisonChart() override;

    void setModel(ComparisonModel *model);
    ComparisonModel *model() const { return m_model; }
    int barCount(Panel panel = WallTime) const;
    QCPAxisRect *panelRect(Panel panel) const { return m_rects[panel]; }
    int runCount() const { return m_model->runCount(); }
    void setMachineCores(int cores);  // default: online cores

    // Where each value label is drawn (pixels, as of the last layout) and its panel's plot
    // rect: tests check that every label lies inside.
    struct LabelBox {
        Panel panel;
        QString text;
        QRectF box;
        QRectF plotRect;
    };
    std::vector<LabelBox> valueLabelBoxes() const;
    // Some bars are too narrow for their figures: those draw none, and the title row points
    // to the Table.
    bool valuesHidden() const { return m_valuesHidden; }
    QString titleShown() const;
    QString panelTitle(Panel panel) const;
    QStringList barNames() const;  // as drawn under the bars (line breaks as "\n")
    // The bars are too narrow for names: a legend row under the panels names them in order.
    bool namesInLegend() const { return m_legendMode; }
    // Speedup and efficiency are left out when no run has either (no sequential run to compare
    // with, or every run failed): the other panels get their width, a note says why.
    bool panelShown(Panel panel) const { return m_shown[panel]; }
    QString note() const { return m_note; }

public Q_SLOTS:
    // Convenience: forwarded to the model.
    void setRuns(const std::vector<lab::RunRecord> &runs);
    void clear();

protected:
    void applyThemeColors(bool dark) override;

private:
    struct ValueLabel {
        QCPItemText *item = nullptr;
        int panel = 0;
        double key = 0;
        double value = 0;
        QColor barColor;  // invalid: no bar (n/a, error)
    };
    void rebuild();
    void fitToLayout();
    void setTitle(const QString &title);  // empty: hidden, and its row gives its height back
    bool fitNames(int panel, double slotPx);
    bool fitLegendMode();
    bool arrangePanels(int columns);  // the shown panels, `columns` a row at most

    QPointer<ComparisonModel> m_model;
    QCPTextElement *m_title = nullptr;
    QCPTextElement *m_panelTitles[PanelCount] = {};
    QString m_fullTitles[PanelCount], m_shortTitles[PanelCount];
    QCPAxisRect *m_rects[PanelCount] = {};
    std::vector<QCPBars *> m_bars[PanelCount];
    std::vector<ValueLabel> m_labels;
    double m_dataTop[PanelCount] = {};  // tallest bar, whisker or reference line per panel
    QString m_nameMode[PanelCount];     // how bar names were last fitted
    bool m_fitting = false;
    bool m_legendMode = false;
    QCPLayoutGrid *m_panels = nullptr;  // titles and rects, 2x2 or 1x4
    int m_columns = 2;          // names in a legend row instead of under the bars
    bool m_shown[PanelCount] = {true, true, true, true};
    bool m_arrangedShown[PanelCount] = {true, true, true, true};  // as last arranged
    QString m_note;             // why panels are left out; empty: none is
    bool m_valuesHidden = false;  // some bars too narrow for their value labels
};

} // namespace lab
