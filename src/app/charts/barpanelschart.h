#pragma once
#include "chartmodels/barpanelsmodel.h"
#include "chartwidget.h"

#include <QPointer>
#include <vector>

class QCPAxisRect;
class QCPItemText;
class QCPBars;
class QCPMarginGroup;

namespace lab {

// Horizontal bars in panels stacked top to bottom (a BarPanelsModel): one row per model (or
// model and situation), the model's colour, the measured figure written at the bar's end and
// "–" where nothing was measured. Used for the GIL figures (switches per second, hold time,
// round-trip latency) and for the presentation's headline. Fonts and pen widths follow the
// plot's style scale (setStyleScale), so the presentation draws it for a hall.
class BarPanelsChart : public ChartWidget {
    Q_OBJECT
public:
    explicit BarPanelsChart(QWidget *parent = nullptr);
    ~BarPanelsChart() override;

    void setModel(BarPanelsModel *model);
    BarPanelsModel *model() const { return m_model; }
    // Shown while the model has no panels.
    void setEmptyText(const QString &text);
    int panelCount() const { return int(m_rects.size()); }
    QCPAxisRect *panelRect(int i) const { return m_rects.at(size_t(i)); }
    // Rebuilds with the current style scale (after setStyleScale).
    void restyle();
    // The height at which every row of every panel keeps its value at full size.
    int heightForFullSizeValues() const;

protected:
    void applyThemeColors(bool dark) override;

private:
    QFont valueFont() const;  // the bars' figures, before any is set smaller to fit
    void rebuild();
    // Each panel's title, in two lines where the chart is too narrow for one (after a rebuild
    // and a resize: docks are laid out after the first rebuild).
    bool fitTitles();  // true when a title changed
    void resizeEvent(QResizeEvent *event) override;
    std::vector<QString> m_titles;
    // Per panel, its row names two ways: as built (a variant over its model, two lines), and
    // on one line with the variant only on its group's first row (fitTitles picks the second
    // when rows are closer than two lines: race-counter's 20 rows in presentation overlapped).
    struct RowNames {
        QStringList stacked;
        QStringList grouped;
        bool usingGrouped = false;
    };
    std::vector<RowNames> m_rowNames;

    QPointer<BarPanelsModel> m_model;
    QString m_emptyText;
    std::vector<QCPAxisRect *> m_rects;
    // Per panel: the longest bar and the widest value text beside a bar, for the headroom
    // fitted to the panel's width (fitTitles).
    struct Extent {
        double maxValue = 0;
        double minUpper = 0;       // the reference line, if any, stays in view
        double pitch = 1;          // rows between the centres of neighbouring texts (0.38: pairs)
        struct Label {
            QCPItemText *item = nullptr;
            double value = 0;      // where its bar ends
            double pointSize = 0;  // as built (a narrow panel makes it smaller)
        };
        std::vector<Label> labels;
    };
    std::vector<Extent> m_extents;
    QPointer<QCPMarginGroup> m_margins;
    bool m_inRebuild = false;  // applyProjectorStyle inside rebuild() must not rebuild again
};

} // namespace lab
