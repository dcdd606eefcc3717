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

private:
    void rebuild();

    QPointer<VariantModel> m_model;
    QVector<QCPBars *> m_bars;
    QVector<QCPAbstractItem *> m_items;
    QStringList m_labelTexts;
};

} // namespace lab
