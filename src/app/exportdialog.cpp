#include "exportdialog.h"

#include "ui_exportdialog.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QPushButton>

namespace lab {

ExportDialog::ExportDialog(const QString &suggestedPath, QWidget *parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::ExportDialog>())
{
    m_ui->setupUi(this);
    m_ui->fileEdit->setText(suggestedPath);
    connect(m_ui->buttonBox, &QDialogButtonBox::accepted, this, &ExportDialog::accept);
    connect(m_ui->buttonBox, &QDialogButtonBox::rejected, this, &ExportDialog::reject);
    connect(m_ui->browseButton, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export chart"), m_ui->fileEdit->text(),
                                                       tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
        if (!f.isEmpty())
            m_ui->fileEdit->setText(f);
    });
}

ExportDialog::~ExportDialog() = default;

QString ExportDialog::path() const
{
    return m_ui->fileEdit->text().trimmed();
}

QSize ExportDialog::pixelSize() const
{
    return {m_ui->widthSpin->value(), m_ui->heightSpin->value()};
}

void ExportDialog::setPixelSize(QSize size)
{
    m_ui->widthSpin->setValue(size.width());
    m_ui->heightSpin->setValue(size.height());
}

double ExportDialog::dpi() const
{
    return m_ui->dpiSpin->value();
}

bool ExportDialog::whiteBackground() const
{
    return m_ui->whiteCheck->isChecked();
}

void ExportDialog::accept()
{
    const QString suffix = QFileInfo(path()).suffix().toLower();
    if (path().isEmpty()) {
        m_ui->errorLabel->setText(tr("Choose a file name."));
        return;
    }
    if (suffix != QLatin1String("png") && suffix != QLatin1String("svg") && suffix != QLatin1String("pdf")) {
        m_ui->errorLabel->setText(tr("The file name must end in .png, .svg or .pdf."));
        return;
    }
    QDialog::accept();
}

} // namespace lab
