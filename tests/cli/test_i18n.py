#!/usr/bin/python3
"""Chinese first: messages and --help in the user's language.

Under LANG=zh_CN.UTF-8 the help and the messages (usage errors, input
errors from the library, --json failures) are Chinese and still name the
file or option; under LANG=C they are English. Numbers never follow the
locale: the console summary, --json and the written layers are the same
under C, zh_CN and a decimal-comma locale (de_DE), and every command's
summary, Chinese under zh_CN, says the numbers of the C run in their
order. The locales are built with localedef into a temporary LOCPATH,
so this needs no root; the zh_CN cases also run without that, through
the command's C.UTF-8 + LANGUAGE fallback (a machine where locale-gen
could not run).

Usage: test_i18n.py GRIDSMITH_BINARY REPO_ROOT
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_harness import (case, contents, expect, finish,  # noqa: E402
                         first_difference, repo_args, run)

BIN, ROOT, MINI, DEMO, CITY = repo_args(sys.argv)
TMP = tempfile.mkdtemp(prefix="gs_i18n_")
CJK = re.compile("[\u4e00-\u9fff]")
COMMANDS = ("validate", "patrol", "hotspots", "run", "assess", "report",
            "partition")


def make_locale(name, source):
    """Builds locale `name` (e.g. de_DE.UTF-8) into TMP/locales with
    localedef; returns its LOCPATH, or None when localedef cannot."""
    path = os.path.join(TMP, "locales")
    os.makedirs(path, exist_ok=True)
    # localedef exits 1 on mere warnings; the locale is there or not.
    subprocess.run(["localedef", "-i", source, "-f", "UTF-8",
                    os.path.join(path, name)], capture_output=True)
    return path if os.path.isdir(os.path.join(path, name)) else None


LOCPATH = None
if shutil.which("localedef"):
    if make_locale("zh_CN.UTF-8", "zh_CN") and \
            make_locale("de_DE.UTF-8", "de_DE"):
        LOCPATH = os.path.join(TMP, "locales")


def env_for(lang, locpath=True):
    """The environment with only LANG choosing the locale."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE",
                                                   "LOCPATH")}
    env["LANG"] = lang
    if locpath and LOCPATH:
        env["LOCPATH"] = LOCPATH
    return env


def gs(lang, *args, locpath=True):
    return run(*args, env=env_for(lang, locpath))


def paragraphs(text):
    return [p for p in text.split("\n\n") if p.strip()]


def latin_words(text):
    return len(re.findall(r"\b[a-z]{4,}\b", text))


def check_help_chinese(locpath):
    code, zh, err = gs("zh_CN.UTF-8", "--help", locpath=locpath)
    expect(code == 0, "--help exit %d: %s" % (code, err))
    expect("用法" in zh and "命令" in zh, "no Chinese --help: " + zh[:300])
    _, en, _ = gs("C", "--help")
    expect("Usage: gridsmith COMMAND" in en and not CJK.search(
        en.split("\n", 1)[1].replace("网格化服务管理", "")
        .replace("优秀/良好/合格/不合格", "")), "LANG=C help not English")
    for cmd in COMMANDS:
        _, zh, _ = gs("zh_CN.UTF-8", cmd, "--help", locpath=locpath)
        _, en, _ = gs("C", cmd, "--help")
        zp, ep = paragraphs(zh), paragraphs(en)
        expect(len(zp) == len(ep), "%s: %d paragraphs, English %d"
               % (cmd, len(zp), len(ep)))
        # Every paragraph with English prose is translated (examples and
        # the sample output stay as they are: commands, numbers).
        for z, e in zip(zp, ep):
            if latin_words(e) >= 8 and not e.lstrip().startswith(
                    ("gridsmith ", "validate:", "patrol:", "hotspots:",
                     "run:", "run datasets/", "assess:", "report:",
                     "partition:")):
                expect(z != e and CJK.search(z),
                       "%s --help: untranslated paragraph:\n%s" % (cmd, e))
        # Option names, file names and the example command stay.
        for flag in re.findall(r"--[a-z][a-z-]+", en):
            expect(flag in zh, "%s --help: %s missing in Chinese" % (cmd, flag))


@case
def help_is_chinese_under_zh_cn():
    if not LOCPATH:
        raise AssertionError("localedef could not build zh_CN.UTF-8")
    check_help_chinese(True)


@case
def help_is_chinese_without_the_locale_generated():
    # No LOCPATH: unless the system has zh_CN.UTF-8, the command falls
    # back to C.UTF-8 and LANGUAGE, and must still speak Chinese.
    check_help_chinese(False)


def missing_input(lang, *extra):
    missing = os.path.join(TMP, "no_such_grids.gpkg")
    return gs(lang, "validate", "--communities", CITY, "--grids", missing,
              "--households", CITY, "-o", os.path.join(TMP, "v.gpkg"),
              *extra)


def wrong_grids(lang):
    # The roster given as the grids: a library message with prose, the
    # file, the field and the option to fix it.
    return gs(lang, "validate", "--communities", CITY,
              "--grids", os.path.join(DEMO, "members.csv"),
              "--households", CITY, "-o", os.path.join(TMP, "v.gpkg"))


@case
def input_error_is_chinese_and_names_the_file():
    code, _, err = wrong_grids("zh_CN.UTF-8")
    expect(code == 3, "exit %d: %s" % (code, err))
    for piece in ("members.csv", "community_code", "--field grids."):
        expect(piece in err, "%r not named: %s" % (piece, err))
    expect(CJK.search(err) and "missing required field" not in err,
           "message not Chinese: " + err)
    code, _, err = wrong_grids("C")
    expect(code == 3 and "members.csv" in err and
           "missing required field 'community_code'" in err and
           not CJK.search(err), "LANG=C: " + err)
    code, _, err = missing_input("zh_CN.UTF-8")
    expect(code == 3 and "no_such_grids.gpkg" in err, err)


@case
def usage_error_is_chinese_and_names_the_option():
    code, _, err = gs("zh_CN.UTF-8", "validate", "--threads", "99")
    expect(code == 2 and "--threads" in err and "99" in err and
           CJK.search(err), "zh_CN: exit %d: %s" % (code, err))
    code, _, err = gs("C", "validate", "--threads", "99")
    expect(code == 2 and "--threads takes 1 to 64" in err, "C: " + err)
    # Library messages name options by the command's flags in Chinese too.
    code, _, err = gs("zh_CN.UTF-8", "patrol", "--grids", CITY,
                      "--members", os.path.join(DEMO, "members.csv"),
                      "--traces", os.path.join(DEMO, "traces.csv"),
                      "--week", "2026-W99", "-o", os.path.join(TMP, "p.gpkg"))
    expect(code == 2 and "2026-W99" in err and CJK.search(err) and
           "{" not in err, "zh_CN: exit %d: %s" % (code, err))


@case
def json_failure_keys_stay_english():
    code, out, _ = missing_input("zh_CN.UTF-8", "--json")
    doc = json.loads(out)
    expect(set(doc) == {"command", "status", "exit_status", "code", "error",
                        "message"}, "keys: %s" % sorted(doc))
    expect(doc["status"] == "error" and doc["error"] and
           CJK.search(doc["message"]) and
           "no_such_grids.gpkg" in doc["message"], out)
    _, out_c, _ = missing_input("C", "--json")
    doc_c = json.loads(out_c)
    expect({k: v for k, v in doc.items() if k != "message"} ==
           {k: v for k, v in doc_c.items() if k != "message"},
           "%s != %s" % (out, out_c))


def without_timings(doc):
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items()
                if k not in ("phases", "output")}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def patrol(lang, name, *extra):
    out = os.path.join(TMP, name + ".gpkg")
    code, stdout, err = gs(lang, "patrol", "--grids", CITY,
                           "--members", os.path.join(DEMO, "members.csv"),
                           "--traces", os.path.join(DEMO, "traces.csv"),
                           "--households", CITY,
                           "--calendar", os.path.join(DEMO, "calendar.csv"),
                           "--week", "2026-W47", "-o", out, *extra)
    expect(code == 0, "%s: exit %d: %s" % (lang, code, err))
    return stdout, out


@case
def numbers_do_not_follow_the_locale():
    langs = ["C", "zh_CN.UTF-8"] + (["de_DE.UTF-8"] if LOCPATH else [])
    texts, docs, layers = {}, {}, {}
    for lang in langs:
        texts[lang], _ = patrol(lang, "text")
        out, path = patrol(lang, "json-" + lang, "--json")
        docs[lang] = without_timings(json.loads(out))
        layers[lang] = contents(path)
    expect(re.search(r"\d\.\d", texts["C"]), "no decimals to compare")
    for lang in langs[1:]:
        expect(docs[lang] == docs["C"], "%s: --json differs" % lang)
        expect(re.findall(r"\d+(?:[.,]\d+)?", texts[lang]) ==
               re.findall(r"\d+(?:[.,]\d+)?", texts["C"]),
               "%s: the console's numbers differ:\n%s" % (lang, texts[lang]))
        diff = first_difference(layers[lang], layers["C"])
        expect(diff is None, "%s: layers differ: %s" % (lang, diff))
    if "de_DE.UTF-8" in texts:
        expect(not re.search(r"\d,\d{1,2}\b", texts["de_DE.UTF-8"]),
               "decimal comma: " + texts["de_DE.UTF-8"])


# ---- the console summary ------------------------------------------------

def week_job(tag):
    """A copy of the demo job writing into TMP/tag (no digits in the
    path, so the numbers of two runs compare)."""
    d = os.path.join(TMP, tag)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(DEMO, "job.ini"), encoding="utf-8") as f:
        text = f.read()
    for name in ("city.gpkg", "members.csv", "traces.csv", "calendar.csv"):
        text = text.replace("= " + name, "= " + os.path.join(DEMO, name))
    text = text.replace("dir = ../../out", "dir = " + os.path.join(d, "out"))
    job = os.path.join(d, "job.ini")
    with open(job, "w", encoding="utf-8") as f:
        f.write(text)
    return d, job


def summaries(lang, tag):
    """Every command's console summary under `lang`: the job with an
    earlier week (validate, patrol, hotspots, report and the run's own
    lines), then assess and report on its ledger, and partition."""
    d, job = week_job(tag)
    ledger = os.path.join(d, "out", "ledger.gpkg")
    argv = {
        "run": ["run", job, "--since", "2026-W46"],
        "report": ["report", "--ledger", ledger, "--week", "2026-W47",
                   "-o", os.path.join(d, "report.html")],
        "assess": ["assess", "--ledger", ledger, "--month", "2026-11",
                   "-o", os.path.join(d, "assess.gpkg")],
        "partition": ["partition", "--communities", CITY, "--households",
                      CITY, "-o", os.path.join(d, "partition.gpkg")],
    }
    texts = {}
    for cmd in ("run", "report", "assess", "partition"):
        code, out, err = gs(lang, *argv[cmd])
        expect(code in (0, 1), "%s %s: exit %d: %s" % (lang, cmd, code, err))
        texts[cmd] = out
    return texts


# Per command: words its Chinese summary holds, and English sentences of
# the C-locale summary that must be gone.
SUMMARY_WORDS = {
    "run": (["validate：", "patrol：", "hotspots：", "report：", "个网格",
             "户", "人达标", "名网格员", "GPS 定位点", "热点", "积压",
             "超期", "已记入台账", "已写入", "周末未办结", "bad_rows"],
            ["members compliant", "grids in", "violate the standard",
             "bad rows listed", "hot spots", "open events",
             "recorded 2026-W47 in the ledger", "wrote ", "in the period",
             "trouble spots", "density:", "clusters (", "weeks 2026-W46 to",
             "fewer than the", "QGIS project:"]),
    "report": (["report：", "人达标", "未达标", "超期事件", "已写入"],
               ["members compliant", "below standard", "events overdue",
                "wrote "]),
    "assess": (["assess：", "网格员", "台账中的周", "优秀", "平均总分",
                "已写入"],
               ["ledger weeks", "mean total", "excellent", "members\n",
                "wrote "]),
    "partition": (["partition：", "个社区", "个网格", "Polsby-Popper 中位数",
                   "已写入", "grids、summary"],
                  ["communities,", "households ->", "within the standard",
                   "median Polsby", "feasible communities", "wrote "]),
}
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@case
def summaries_are_chinese_with_the_same_numbers():
    """Under zh_CN every command's console summary is Chinese (codes,
    paths and numbers as they are) and says the same numbers in the same
    order as under C, where it is English."""
    if not LOCPATH:
        raise AssertionError("localedef could not build zh_CN.UTF-8")
    en, zh = summaries("C", "c"), summaries("zh_CN.UTF-8", "zh")
    for cmd, (words, english) in SUMMARY_WORDS.items():
        e, z = en[cmd], zh[cmd]
        expect(not CJK.search(e.replace("优秀 excellent", "")
                              .replace("良好 good", "")
                              .replace("合格 pass", "")
                              .replace("不合格 fail", "")),
               "%s: C summary not English:\n%s" % (cmd, e))
        for w in words:
            expect(w in z, "%s: %r not in the Chinese summary:\n%s"
                   % (cmd, w, z))
        for w in english:
            expect(w in e, "%s: the C summary lacks %r (test out of date):"
                   "\n%s" % (cmd, w, e))
            expect(w not in z, "%s: English %r in the Chinese summary:\n%s"
                   % (cmd, w, z))
        expect(NUMBER.findall(z) == NUMBER.findall(e),
               "%s: numbers differ from C:\n%s\n%s" % (cmd, z, e))
        expect(len(z.splitlines()) == len(e.splitlines()),
               "%s: %d lines, C %d" % (cmd, len(z.splitlines()),
                                       len(e.splitlines())))
    # The earlier week's line of run --since, and the kind codes of
    # validate, stay as the layers spell them.
    expect(re.search(r"^  2026-W46：网格 \d+ 个；\d+ 人达标", zh["run"], re.M),
           "no earlier week's line: " + zh["run"])
    codes = re.findall(r"^    ([a-z_]+) +\d+$", en["run"], re.M)
    expect(codes and codes == re.findall(r"^    ([a-z_]+) +\d+$",
                                         zh["run"], re.M),
           "validate's kind codes: %s" % codes)


shutil.rmtree(TMP, ignore_errors=True)
finish()
