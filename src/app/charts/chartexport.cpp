#include "chartexport.h"

#include "chartstyle.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QPdfWriter>
#include <QPageSize>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTextStream>
#include <qcustomplot.h>

#include <cmath>

namespace lab {

bool exportFormatFromPath(const QString &path, ExportFormat *format)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QStringLiteral("png"))
        *format = ExportFormat::Png;
    else if (suffix == QStringLiteral("svg"))
        *format = ExportFormat::Svg;
    else if (suffix == QStringLiteral("pdf"))
        *format = ExportFormat::Pdf;
    else
        return false;
    return true;
}

static bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

// Restores the plot's theme when the export is done, however it ends.
class ThemeOverride {
public:
    ThemeOverride(QCustomPlot *plot, bool white) : m_plot(plot), m_dark(isDarkStyle(plot))
    {
        m_active = white && m_dark;
        if (m_active)
            applyProjectorStyle(m_plot, false);
    }
    ~ThemeOverride()
    {
        if (m_active) {
            applyProjectorStyle(m_plot, m_dark);
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        }
    }

private:
    QCustomPlot *m_plot;
    bool m_dark;
    bool m_active = false;
};

int exportCaptionHeight()
{
    return 30;
}

static QFont captionFont(const QCustomPlot *plot)
{
    QFont f = plot->font();
    f.setPointSizeF(11);
    return f;
}

// The plot in the top part of the device, the caption in a strip below (layout pixels).
static void paintWithCaption(QCustomPlot *plot, QCPPainter *painter, QSize size, const QString &caption)
{
    const int strip = exportCaptionHeight();
    const ChartPalette pal = chartPalette(isDarkStyle(plot));
    painter->fillRect(QRect(QPoint(0, 0), size), pal.background);
    painter->save();
    plot->toPainter(painter, size.width(), size.height() - strip);
    painter->restore();
    painter->setPen(pal.foreground);
    const QFont f = captionFont(plot);
    painter->setFont(f);
    const QRect box(8, size.height() - strip, size.width() - 16, strip);
    const QString text = QFontMetrics(f).elidedText(caption, Qt::ElideRight, box.width());
    painter->drawText(box, Qt::AlignLeft | Qt::AlignVCenter, text);
}

bool exportPlot(QCustomPlot *plot, const QString &path, QSize size, double dpi, bool whiteBackground, QString *error,
                const QString &caption)
{
    if (!plot)
        return fail(error, QObject::tr("Nothing to export."));
    ExportFormat format;
    if (!exportFormatFromPath(path, &format))
        return fail(error, QObject::tr("Unknown export format for \"%1\" (use .png, .svg or .pdf).").arg(path));
    const QFileInfo info(path);
    if (!info.absoluteDir().exists())
        return fail(error, QObject::tr("Cannot export to \"%1\": the folder does not exist.").arg(path));
    if (size.isEmpty())
        size = plot->size();
    if (size.width() < 16 || size.height() < 16 || size.width() > 20000 || size.height() > 20000)
        return fail(error, QObject::tr("Export size %1x%2 is out of range (16..20000 px).").arg(size.width()).arg(size.height()));
    if (!std::isfinite(dpi) || dpi < 24 || dpi > 1200)
        return fail(error, QObject::tr("Export resolution %1 dpi is out of range (24..1200).").arg(dpi));

    ThemeOverride theme(plot, whiteBackground);
    bool ok = false;
    if (!caption.isEmpty() && size.height() > 2 * exportCaptionHeight()) {
        switch (format) {
        case ExportFormat::Png: {
            const double scale = dpi / 96.0;
            QImage image(QSize(int(std::lround(size.width() * scale)), int(std::lround(size.height() * scale))),
                         QImage::Format_ARGB32_Premultiplied);
            image.setDotsPerMeterX(int(std::lround(dpi / 0.0254)));
            image.setDotsPerMeterY(int(std::lround(dpi / 0.0254)));
            QCPPainter painter;
            if (!painter.begin(&image))
                return fail(error, QObject::tr("Cannot start the PNG painter for \"%1\".").arg(path));
            painter.setRenderHint(QPainter::TextAntialiasing);
            painter.scale(scale, scale);
            paintWithCaption(plot, &painter, size, caption);
            painter.end();
            ok = image.save(path, "PNG");
            break;
        }
        case ExportFormat::Pdf: {
            QPdfWriter pdf(path);
            pdf.setCreator(QStringLiteral("Concurrency Lab"));
            pdf.setTitle(QFileInfo(path).completeBaseName());
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
            pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
            pdf.setResolution(72);
            QCPPainter painter;
            if (!painter.begin(&pdf))
                return fail(error, QObject::tr("Cannot write \"%1\" (check the folder permissions and free space).").arg(path));
            painter.setMode(QCPPainter::pmVectorized);
            painter.setMode(QCPPainter::pmNoCaching);
            paintWithCaption(plot, &painter, size, caption);
            ok = painter.end();
            break;
        }
        case ExportFormat::Svg: {
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly))
                return fail(error, QObject::tr("Cannot write \"%1\": %2").arg(path, file.errorString()));
            QSvgGenerator svg;
            svg.setOutputDevice(&file);
            svg.setSize(size);
            svg.setViewBox(QRect(QPoint(0, 0), size));
            svg.setResolution(int(std::lround(dpi)));
            svg.setTitle(QFileInfo(path).completeBaseName());
            svg.setDescription(caption);
            QCPPainter painter;
            if (!painter.begin(&svg))
                return fail(error, QObject::tr("Cannot start the SVG painter for \"%1\".").arg(path));
            painter.setMode(QCPPainter::pmVectorized);
            painter.setMode(QCPPainter::pmNoCaching);
            paintWithCaption(plot, &painter, size, caption);
            painter.end();
            ok = file.commit();
            if (!ok)
                return fail(error, QObject::tr("Cannot write \"%1\": %2").arg(path, file.errorString()));
            break;
        }
        }
        if (!ok)
            return fail(error, QObject::tr("Cannot write \"%1\" (check the folder permissions and free space).").arg(path));
        return true;
    }
    switch (format) {
    case ExportFormat::Png:
        ok = plot->savePng(path, size.width(), size.height(), dpi / 96.0, -1, int(std::lround(dpi)),
                           QCP::ruDotsPerInch);
        break;
    case ExportFormat::Pdf:
        ok = plot->savePdf(path, size.width(), size.height(), QCP::epAllowCosmetic,
                           QStringLiteral("Concurrency Lab"), QFileInfo(path).completeBaseName());
        break;
    case ExportFormat::Svg: {
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return fail(error, QObject::tr("Cannot write \"%1\": %2").arg(path, file.errorString()));
        QSvgGenerator svg;
        svg.setOutputDevice(&file);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setResolution(int(std::lround(dpi)));
        svg.setTitle(QFileInfo(path).completeBaseName());
        svg.setDescription(QStringLiteral("Concurrency Lab chart"));
        QCPPainter painter;
        if (!painter.begin(&svg))
            return fail(error, QObject::tr("Cannot start the SVG painter for \"%1\".").arg(path));
        painter.setMode(QCPPainter::pmVectorized);
        painter.setMode(QCPPainter::pmNoCaching);
        plot->toPainter(&painter, size.width(), size.height());
        painter.end();
        ok = file.commit();
        if (!ok)
            return fail(error, QObject::tr("Cannot write \"%1\": %2").arg(path, file.errorString()));
        break;
    }
    }
    if (!ok)
        return fail(error, QObject::tr("Cannot write \"%1\" (check the folder permissions and free space).").arg(path));
    return true;
}

void copyPlotToClipboard(QCustomPlot *plot)
{
    if (!plot)
        return;
    if (QClipboard *clipboard = QApplication::clipboard())
        clipboard->setPixmap(plot->toPixmap());
}

bool exportSeriesCsv(QCustomPlot *plot, const QString &path, QString *error)
{
    if (!plot)
        return fail(error, QObject::tr("Nothing to export."));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return fail(error, QObject::tr("Cannot write \"%1\": %2").arg(path, file.errorString()));
    QTextStream out(&file);
    out << "series,x,y\n";
    for (int g = 0; g < plot->graphCount(); ++g) {
        QCPGraph *graph = plot->graph(g);
        QString name = graph->name();
        name.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
            out << '"' << name << "\"," << QString::number(it->key, 'g', 10) << ','
                << QString::number(it->value, 'g', 8) << '\n';
    }
    out.flush();
    if (!file.commit())
        return fail(error, QObject::tr("Cannot write \"%1\": %2").arg(path, file.errorString()));
    return true;
}

} // namespace lab
