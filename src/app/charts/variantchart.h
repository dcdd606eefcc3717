#pragma once
#include "chartmodels/variantmodel.h"
#include "chartwidget.h"

#include <QPointer>
#include <QVector>

class QCPAbstractItem;
class QCPBars;

namespace lab {

// The headline figure of each variant (ns/op, µs/op or GB/s: what the outcomes carry), bars
// grouped by variant in the models' colours, the value on each bar, "by design" over the runs
// whose failure is the lesson, a log axis when the values span more than 30x. A view of a
// VariantModel.
class VariantChart : public ChartWidget {
    Q_OBJECT
public:
    explicit VariantChart(QWidget *parent = nullptr);
    ~VariantChart() override;

    void setModel(VariantModel *model);
    VariantModel *model() const { return m_model; }
    bool logScale() const;
    // Texts of the labels on the bars, in bar order (tests).
    QStringList barLabels() const { return m_labelTexts; }
    static QString formatValue(double v);

protected:
    void applyThemeColors(bool dark) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void rebuild();
    // Labels wider than their bar stand upright on it (nine variants x three models at 1024 px
    // printed "2119.2" for 21 and 19.2); called after a rebuild and a resize.
    bool fitLabels();  // true when something changed

    QPointer<VariantModel> m_model;
    QVector<QCPBars *> m_bars;
    QVector<QCPAbstractItem *> m_items;
    QStringList m_labelTexts;
    bool m_familyNames = false;  // the names are laid out in families (fitLabels)
    QVector<double> m_labelBarWidths;  // plot coordinates, one per label in m_items
    struct Range {
        double base = 0, hi = 0;  // the axis's lower end and the highest value
        bool log = false;
    } m_range;
};

} // namespace lab
