#include <QApplication>
#include <QLabel>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QLabel label(QStringLiteral("Concurrency Lab: main window under construction"));
    label.show();
    return QApplication::exec();
}
