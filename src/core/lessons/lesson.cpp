#include "lesson.h"

#include "experiment/presets.h"
#include "models/executionmodel.h"
#include "store/runstore.h"
#include "workloads/workload.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace lab {

namespace {
struct Entry {
    QString key;
    QString value;
    int line = 0;
};

const QStringList &knownKeys()
{
    static const QStringList keys{QStringLiteral("title"),    QStringLiteral("claim"),  QStringLiteral("preset"),
                                  QStringLiteral("models"),   QStringLiteral("cores"),  QStringLiteral("few-cores"),
                                  QStringLiteral("question"), QStringLiteral("choice"), QStringLiteral("figure"),
                                  QStringLiteral("notice")};
    return keys;
}

bool repeatable(const QString &key)
{
    return key == QLatin1String("choice") || key == QLatin1String("figure");
}

bool isSpace(QChar c)
{
    return c == QLatin1Char(' ') || c == QLatin1Char('\t');
}

struct Failure {
    QString message;
    int line = 1;
};

// Placeholders {NAME} of a text must name a figure or "cores".
std::optional<Failure> checkPlaceholders(const QString &text, const QStringList &names, int line)
{
    int i = 0;
    while (i < text.size()) {
        const int open = text.indexOf(QLatin1Char('{'), i);
        if (open < 0)
            break;
        const int close = text.indexOf(QLatin1Char('}'), open + 1);
        const int nextOpen = text.indexOf(QLatin1Char('{'), open + 1);
        if (close < 0 || (nextOpen >= 0 && nextOpen < close))
            return Failure{QStringLiteral("\"{\" without a closing \"}\""), line};
        const QString name = text.mid(open + 1, close - open - 1).trimmed();
        if (name != QLatin1String("cores") && !names.contains(name))
            return Failure{QStringLiteral("unknown placeholder {%1} (figures: %2, cores)")
                               .arg(name, names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "))),
                           line};
        i = close + 1;
    }
    return std::nullopt;
}

std::optional<Failure> parseInto(const QByteArray &text, Lesson &lesson)
{
    if (text.size() > Lesson::kMaxBytes)
        return Failure{QStringLiteral("a lesson is at most %1 bytes, this file has %2").arg(Lesson::kMaxBytes).arg(text.size()), 1};
    const QString all = QString::fromUtf8(text);
    if (all.contains(QChar::ReplacementCharacter))
        return Failure{QStringLiteral("not UTF-8 text"), int(text.left(all.indexOf(QChar::ReplacementCharacter)).count('\n')) + 1};
    static const QRegularExpression keyRe(QStringLiteral("^([a-z][a-z-]*)\\s*:(.*)$"));

    std::vector<Entry> entries;
    bool continuable = false;
    const QStringList lines = all.split(QLatin1Char('\n'));
    for (int n = 0; n < lines.size(); ++n) {
        QString line = lines[n];
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        const int lineNo = n + 1;
        if (line.trimmed().isEmpty()) {
            continuable = false;
            continue;
        }
        if (line.startsWith(QLatin1Char('#')))
            continue;
        if (isSpace(line.front())) {
            if (!continuable)
                return Failure{QStringLiteral("an indented line continues a value, but there is none to continue"), lineNo};
            Entry &e = entries.back();
            if (!e.value.isEmpty())
                e.value += QLatin1Char(' ');
            e.value += line.trimmed();
            continue;
        }
        const auto m = keyRe.match(line);
        if (!m.hasMatch())
            return Failure{QStringLiteral("expected \"key: value\" (keys: %1)").arg(knownKeys().join(QStringLiteral(", "))), lineNo};
        const QString key = m.captured(1);
        if (!knownKeys().contains(key))
            return Failure{QStringLiteral("unknown key \"%1\" (keys: %2)").arg(key, knownKeys().join(QStringLiteral(", "))), lineNo};
        if (!repeatable(key))
            for (const Entry &e : entries)
                if (e.key == key)
                    return Failure{QStringLiteral("\"%1\" given twice (first on line %2)").arg(key).arg(e.line), lineNo};
        entries.push_back({key, m.captured(2).trimmed(), lineNo});
        continuable = true;
    }
    for (const Entry &e : entries)
        if (e.value.isEmpty())
            return Failure{QStringLiteral("\"%1\" has no value").arg(e.key), e.line};

    auto single = [&](const char *key) -> const Entry * {
        for (const Entry &e : entries)
            if (e.key == QLatin1String(key))
                return &e;
        return nullptr;
    };
    for (const char *key : {"title", "claim", "preset", "question", "notice"})
        if (!single(key))
            return Failure{QStringLiteral("missing \"%1:\"").arg(QLatin1String(key)), 1};

    lesson.title = single("title")->value;
    lesson.claim = single("claim")->value;
    lesson.question = single("question")->value;
    lesson.notice = single("notice")->value;

    const Entry *preset = single("preset");
    lesson.preset = preset->value;
    if (!presetNames().contains(lesson.preset))
        return Failure{QStringLiteral("no built-in preset \"%1\" (presets: %2)")
                           .arg(lesson.preset, presetNames().join(QStringLiteral(", "))),
                       preset->line};
    QString error;
    const std::optional<ExperimentSpec> spec = loadPreset(lesson.preset, &error);
    if (!spec)
        return Failure{QStringLiteral("preset \"%1\": %2").arg(lesson.preset, error), preset->line};

    QStringList runModels = spec->models;
    if (const Entry *models = single("models")) {
        for (const QString &part : models->value.split(QLatin1Char(','))) {
            const QString id = part.trimmed();
            const ModelInfo *info = findModel(id);
            if (!info)
                return Failure{QStringLiteral("unknown model \"%1\" (models: %2)").arg(id, modelIds().join(QStringLiteral(", "))),
                               models->line};
            const QString why = info->whyNot(spec->workload);
            if (!why.isEmpty())
                return Failure{QStringLiteral("model \"%1\" cannot run the %2 workload: %3").arg(id, spec->workload, why),
                               models->line};
            if (lesson.models.contains(id))
                return Failure{QStringLiteral("model \"%1\" listed twice").arg(id), models->line};
            lesson.models << id;
        }
        runModels = lesson.models;
    }
    if (const Entry *cores = single("cores")) {
        bool ok = false;
        lesson.cores = cores->value.toInt(&ok);
        if (!ok || lesson.cores < 1 || lesson.cores > 256)
            return Failure{QStringLiteral("cores must be a whole number from 1 to 256, not \"%1\"").arg(cores->value), cores->line};
    }
    if (const Entry *few = single("few-cores"))
        lesson.fewCores = few->value;

    static const QRegularExpression figureRe(
        QStringLiteral("^([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*([a-z0-9_]+)\\s*\\(\\s*([A-Za-z0-9_-]+)\\s*(?:@\\s*([A-Za-z0-9_.-]+)\\s*)?\\)$"));
    // The variants the preset runs (a figure may name one: MEASURE(MODEL @ VARIANT)).
    QStringList runVariants = spec->variants;
    std::vector<Figure> workloadFigures;
    if (const Workload *w = findWorkload(spec->workload)) {
        if (runVariants.isEmpty())
            for (const Variant &v : w->variants(spec->params))
                runVariants << v.name;
        if (const RunSummaryPtr empty = w->emptySummary())
            workloadFigures = empty->figures();
    }
    QStringList names;
    for (const Entry &e : entries) {
        if (e.key != QLatin1String("figure"))
            continue;
        const auto m = figureRe.match(e.value);
        if (!m.hasMatch())
            return Failure{QStringLiteral("a figure is NAME = MEASURE(MODEL) or MEASURE(MODEL @ VARIANT), e.g. speedup = speedup(gil-threads)"), e.line};
        Lesson::Figure f;
        f.name = m.captured(1);
        if (f.name == QLatin1String("cores"))
            return Failure{QStringLiteral("\"cores\" is the machine's usable cores; give the figure another name"), e.line};
        if (names.contains(f.name))
            return Failure{QStringLiteral("figure \"%1\" defined twice").arg(f.name), e.line};
        if (const std::optional<Measure> measure = measureFromName(m.captured(2))) {
            f.measure = *measure;
        } else {
            // Not a measure of every run: one of the figures this workload's runs report.
            QStringList keys;
            for (const Figure &wf : workloadFigures) {
                keys << wf.key;
                if (wf.key == m.captured(2)) {
                    f.key = wf.key;
                    f.unit = wf.unit.isEmpty() ? QString() : QLatin1Char(' ') + wf.unit;
                    f.decimals = wf.decimals;
                }
            }
            if (f.key.isEmpty())
                return Failure{QStringLiteral("unknown measure \"%1\" (measures: %2%3)")
                                   .arg(m.captured(2), measureNames().join(QStringLiteral(", ")),
                                        keys.isEmpty() ? QString()
                                                       : QStringLiteral("; figures of the %1 workload: %2")
                                                             .arg(spec->workload, keys.join(QStringLiteral(", ")))),
                               e.line};
        }
        f.model = m.captured(3);
        if (!runModels.contains(f.model))
            return Failure{QStringLiteral("model \"%1\" is not run by this lesson (it runs: %2)")
                               .arg(f.model, runModels.join(QStringLiteral(", "))),
                           e.line};
        f.variant = m.captured(4);
        if (!f.variant.isEmpty() && !runVariants.contains(f.variant))
            return Failure{runVariants.isEmpty()
                               ? QStringLiteral("the preset \"%1\" has no variants (figure names \"%2\")").arg(lesson.preset, f.variant)
                               : QStringLiteral("variant \"%1\" is not run by this lesson (it runs: %2)")
                                     .arg(f.variant, runVariants.join(QStringLiteral(", "))),
                           e.line};
        names << f.name;
        lesson.figures.push_back(f);
    }
    if (lesson.figures.empty())
        return Failure{QStringLiteral("missing \"figure:\": the answer must come from a measured figure"), 1};

    static const QRegularExpression condRe(
        QStringLiteral("^([A-Za-z_][A-Za-z0-9_]*)\\s*(<=|>=|<|>)\\s*(-?[0-9]+(?:\\.[0-9]+)?)$"));
    int choiceLine = 1;
    for (const Entry &e : entries) {
        if (e.key != QLatin1String("choice"))
            continue;
        choiceLine = e.line;
        if (!lesson.choices.empty() && lesson.choices.back().otherwise)
            return Failure{QStringLiteral("a choice after \"otherwise\" can never be the answer"), e.line};
        const QStringList parts = e.value.split(QLatin1Char('|'));
        if (parts.size() != 2 && parts.size() != 3)
            return Failure{QStringLiteral("a choice is TEXT | CONDITION [| WHY] (e.g. faster | speedup >= 1.3, or slower | otherwise)"),
                           e.line};
        Lesson::Choice c;
        c.text = parts[0].trimmed();
        if (parts.size() == 3) {
            c.why = parts[2].trimmed();
            if (c.why.isEmpty())
                return Failure{QStringLiteral("the choice has an empty explanation after the second \"|\""), e.line};
            if (auto f = checkPlaceholders(c.why, names, e.line))
                return f;
        }
        if (c.text.isEmpty())
            return Failure{QStringLiteral("the choice has no text before \"|\""), e.line};
        const QString cond = parts[1].trimmed();
        if (cond == QLatin1String("otherwise")) {
            c.otherwise = true;
        } else {
            for (const QString &term : cond.split(QStringLiteral(" and "))) {
                const auto m = condRe.match(term.trimmed());
                if (!m.hasMatch())
                    return Failure{QStringLiteral("cannot read the condition \"%1\": expected FIGURE < NUMBER "
                                                  "(<, <=, >, >=), joined by \"and\", or \"otherwise\"")
                                       .arg(term.trimmed()),
                                   e.line};
                if (!names.contains(m.captured(1)))
                    return Failure{QStringLiteral("the condition uses \"%1\", which is not a figure (figures: %2)")
                                       .arg(m.captured(1), names.join(QStringLiteral(", "))),
                                   e.line};
                Lesson::Condition k;
                k.figure = m.captured(1);
                const QString op = m.captured(2);
                k.op = op == QLatin1String("<")    ? Lesson::Condition::Less
                       : op == QLatin1String("<=") ? Lesson::Condition::LessEqual
                       : op == QLatin1String(">")  ? Lesson::Condition::Greater
                                                   : Lesson::Condition::GreaterEqual;
                k.value = m.captured(3).toDouble();
                c.when.push_back(k);
            }
        }
        for (const Lesson::Choice &other : lesson.choices)
            if (other.text.compare(c.text, Qt::CaseInsensitive) == 0)
                return Failure{QStringLiteral("the choice \"%1\" is given twice").arg(c.text), e.line};
        lesson.choices.push_back(c);
    }
    if (lesson.choices.size() < 2)
        return Failure{QStringLiteral("a question needs at least two \"choice:\" lines"), choiceLine};
    if (lesson.choices.size() > 6)
        return Failure{QStringLiteral("at most six choices fit on a slide"), choiceLine};

    for (const char *key : {"question", "notice", "few-cores", "title"})
        if (const Entry *e = single(key))
            if (auto f = checkPlaceholders(e->value, names, e->line))
                return f;
    return std::nullopt;
}
} // namespace

bool Lesson::Condition::holds(double measured) const
{
    switch (op) {
    case Less: return measured < value;
    case LessEqual: return measured <= value;
    case Greater: return measured > value;
    case GreaterEqual: return measured >= value;
    }
    return false;
}

std::optional<Lesson> parseLesson(const QByteArray &text, QString *error, int *errorLine)
{
    Lesson lesson;
    if (const std::optional<Failure> f = parseInto(text, lesson)) {
        if (error)
            *error = f->message;
        if (errorLine)
            *errorLine = f->line;
        return std::nullopt;
    }
    return lesson;
}

QString lessonIdFromFileName(const QString &fileName)
{
    static const QRegularExpression prefix(QStringLiteral("^[0-9]+[-_]"));
    QString base = QFileInfo(fileName).completeBaseName();
    base.remove(prefix);
    return base;
}

std::optional<Lesson> loadLessonFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: cannot read: %2").arg(path, f.errorString());
        return std::nullopt;
    }
    const QByteArray text = f.read(Lesson::kMaxBytes + 1);
    QString why;
    int line = 1;
    std::optional<Lesson> lesson = parseLesson(text, &why, &line);
    if (!lesson) {
        if (error)
            *error = QStringLiteral("%1:%2: %3").arg(path).arg(line).arg(why);
        return std::nullopt;
    }
    lesson->id = lessonIdFromFileName(path);
    return lesson;
}

QString fillLessonText(const Lesson &lesson, const QString &text, const QHash<QString, std::optional<double>> &values,
                       int usableCores)
{
    QString out;
    int i = 0;
    while (i < text.size()) {
        const int open = text.indexOf(QLatin1Char('{'), i);
        const int close = open < 0 ? -1 : text.indexOf(QLatin1Char('}'), open + 1);
        if (open < 0 || close < 0) {
            out += text.mid(i);
            break;
        }
        out += text.mid(i, open - i);
        const QString name = text.mid(open + 1, close - open - 1).trimmed();
        if (name == QLatin1String("cores")) {
            out += QString::number(usableCores);
        } else {
            QString shown = QStringLiteral("–");
            for (const Lesson::Figure &f : lesson.figures)
                if (f.name == name)
                    shown = f.key.isEmpty() ? formatMeasure(f.measure, values.value(name))
                                            : formatFigure(values.value(name), f.unit, f.decimals);
            out += shown;
        }
        i = close + 1;
    }
    return out;
}

LessonOutcome evaluateLesson(const Lesson &lesson, const ExperimentResult &result, int usableCores)
{
    LessonOutcome o;
    const std::vector<RunRecord> runs = representativeRuns(result);
    for (const Lesson::Figure &f : lesson.figures) {
        const RunRecord *run = f.variant.isEmpty() ? runOfModel(runs, f.model) : nullptr;
        std::vector<RunRecord> ofVariant;
        if (!f.variant.isEmpty()) {
            for (const RunRecord &r : result.runs)
                if (r.variant == f.variant && r.model == f.model && !r.cancelled && r.error.isEmpty())
                    ofVariant.push_back(r);
            ofVariant = RunStore::medianRuns(ofVariant);
            run = ofVariant.empty() ? nullptr : &ofVariant.front();
        }
        const std::optional<double> v = !run                ? std::nullopt
                                        : f.key.isEmpty()    ? measureOf(f.measure, *run)
                                                             : workloadFigureOf(f.key, *run);
        o.values.insert(f.name, v);
        if (!v)
            o.missing << f.name;
    }
    for (int i = 0; i < int(lesson.choices.size()); ++i) {
        const Lesson::Choice &c = lesson.choices[size_t(i)];
        if (c.otherwise) {
            o.correct = i;
            break;
        }
        bool known = true, all = true;
        for (const Lesson::Condition &k : c.when) {
            const std::optional<double> v = o.values.value(k.figure);
            if (!v) {
                known = false;
                break;
            }
            all = all && k.holds(*v);
        }
        if (!known)
            break;  // without the figure no later choice can be told apart from this one
        if (all) {
            o.correct = i;
            break;
        }
    }
    if (o.correct >= 0)
        o.why = fillLessonText(lesson, lesson.choices[size_t(o.correct)].why, o.values, usableCores);
    o.notice = fillLessonText(lesson, lesson.notice, o.values, usableCores);
    return o;
}

QString lessonCoresNote(const Lesson &lesson, int usableCores)
{
    if (usableCores >= lesson.cores)
        return {};
    const QString why = lesson.fewCores.isEmpty()
                            ? QStringLiteral("no model can run more than %1 task(s) at the same time here").arg(usableCores)
                            : fillLessonText(lesson, lesson.fewCores, {}, usableCores);
    return QStringLiteral("This machine lets the lab use %1 core(s); the lesson needs %2: %3.")
        .arg(usableCores)
        .arg(lesson.cores)
        .arg(why);
}

} // namespace lab
