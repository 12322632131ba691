# Reference values of the adverse-event summary (survstat table ae, AET01 and AET04 layout).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_table_ae.R
# Reads tests/reference/data/ipatasertib_adsl.csv and ipatasertib_adae.csv (the bundled
# synthetic ipatasertib phase Ib ADSL and ADAE, as CSV) and writes
# tests/reference/r_reference_table_ae.json: per arm of the safety population (SAFFL = "Y"),
# counted from the treatment-emergent adverse events (TRTEMFL = "Y") in base R, independently
# of survstat:
# - the overview: subjects with any adverse event, by worst grade 1-5, with grade 3 or higher,
#   serious (AESER = "Y"), with an action DRUG WITHDRAWN (AEACN), and DLT-evaluable subjects
#   (DLTEVLFL = "Y") with a DLT (DLTFL = "Y") in cycle 1 (ACYCLE = 1) over the DLT-evaluable;
# - per system organ class and per preferred term, the subjects in each grade row of tern
#   AET04 (any, 1-2, 1, 2, 3-4, 3, 4, 5), each subject at their worst grade in the class or term;
# each count with binom.test's Clopper-Pearson 95% interval over the arm's subjects.

suppressPackageStartupMessages(library(jsonlite))
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

adsl <- read.csv("tests/reference/data/ipatasertib_adsl.csv", stringsAsFactors = FALSE,
                 na.strings = "")
adae <- read.csv("tests/reference/data/ipatasertib_adae.csv", stringsAsFactors = FALSE,
                 na.strings = "")
saf <- adsl[adsl$SAFFL == "Y", ]
teae <- adae[adae$TRTEMFL == "Y" & adae$USUBJID %in% saf$USUBJID, ]
grade_rows <- list("any" = 1:5, "1-2" = 1:2, "1" = 1, "2" = 2, "3-4" = 3:4, "3" = 3, "4" = 4,
                   "5" = 5)

row <- function(arm, statistic, soc, term, grade, x, n) {
  ci <- binom.test(x, n)$conf.int
  list(arm = arm, statistic = statistic, soc = soc, term = term, grade = grade, n = x,
       denominator = n, conf_low = ci[1], conf_high = ci[2])
}
subjects_with <- function(events, keep) length(unique(events$USUBJID[keep]))

out <- list()
for (arm in sort(unique(saf$TRT01A))) {
  ids <- saf$USUBJID[saf$TRT01A == arm]
  n <- length(ids)
  ev <- teae[teae$USUBJID %in% ids, ]
  worst <- tapply(ev$AETOXGR, ev$USUBJID, max)
  add <- function(r) out[[length(out) + 1]] <<- r
  add(row(arm, "any_ae", NA, NA, NA, length(worst), n))
  for (g in 1:5) add(row(arm, "worst_grade", NA, NA, as.character(g), sum(worst == g), n))
  add(row(arm, "grade_3_plus", NA, NA, NA, sum(worst >= 3), n))
  add(row(arm, "serious", NA, NA, NA, subjects_with(ev, ev$AESER == "Y"), n))
  add(row(arm, "discontinuation", NA, NA, NA,
          subjects_with(ev, ev$AEACN == "DRUG WITHDRAWN"), n))
  evaluable <- saf$USUBJID[saf$TRT01A == arm & saf$DLTEVLFL == "Y"]
  dlt <- subjects_with(ev, ev$DLTFL == "Y" & ev$ACYCLE == 1 & ev$USUBJID %in% evaluable)
  add(row(arm, "dlt", NA, NA, NA, dlt, length(evaluable)))
  for (soc in sort(unique(teae$AEBODSYS))) {
    in_soc <- ev[ev$AEBODSYS == soc, ]
    w <- if (nrow(in_soc)) tapply(in_soc$AETOXGR, in_soc$USUBJID, max) else integer(0)
    for (g in names(grade_rows)) add(row(arm, "soc", soc, NA, g, sum(w %in% grade_rows[[g]]), n))
    for (term in sort(unique(teae$AEDECOD[teae$AEBODSYS == soc]))) {
      in_term <- in_soc[in_soc$AEDECOD == term, ]
      w <- if (nrow(in_term)) tapply(in_term$AETOXGR, in_term$USUBJID, max) else integer(0)
      for (g in names(grade_rows)) {
        add(row(arm, "term", soc, term, g, sum(w %in% grade_rows[[g]]), n))
      }
    }
  }
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"),
           "tests/reference/r_reference_table_ae.json")
cat("wrote", length(out), "rows\n")
