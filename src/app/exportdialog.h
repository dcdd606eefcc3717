#pragma once
#include <QDialog>
#include <QSize>
#include <memory>

namespace Ui {
class ExportDialog;
}

namespace lab {

// Asks where and how to export one chart: file (format from the extension), size, DPI,
// white background or the current theme.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit ExportDialog(const QString &suggestedPath, QWidget *parent = nullptr);
    ~ExportDialog() override;

    QString path() const;
    QSize pixelSize() const;
    double dpi() const;
    bool whiteBackground() const;
    void setPixelSize(QSize size);

    void accept() override;

private:
    std::unique_ptr<Ui::ExportDialog> m_ui;
};

} // namespace lab
