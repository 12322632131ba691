# Reference values for survstat's ADaM time-to-event handling (CDISC ADaM BDS for TTE: CNSR
# is 0 for an event and a positive integer for a censoring), computed with R's survival::survfit
# on Surv(AVAL, 1 - (CNSR > 0)) for one PARAMCD of a small hand-made ADTTE (std_error is the
# standard error of the survival probability, as survstat reports it).
#
# Run from the repository root:
#     Rscript tests/reference/make_reference_adtte.R
# Writes tests/reference/r_reference_adtte.json: the ADTTE itself and the curves per TRT01P.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
Sys.setlocale("LC_COLLATE", "C")
options(digits = 16)

n <- 20
adtte <- data.frame(
  USUBJID = rep(sprintf("S%02d", seq_len(n)), 2),
  PARAMCD = rep(c("OS", "PFS"), each = n),
  TRT01P = rep(rep(c("Placebo", "Drug"), length.out = n), 2),
  AVAL = c(
    c(3, 5, 5, 7, 8, 10, 12, 12, 14, 15, 17, 18, 20, 22, 24, 25, 27, 30, 31, 33),
    c(1, 2, 4, 4, 5, 6, 7, 9, 9, 10, 11, 12, 14, 15, 15, 16, 18, 19, 21, 23)
  ),
  CNSR = c(
    c(0, 0, 1, 0, 2, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 0, 2, 0, 1),
    c(0, 0, 0, 1, 0, 0, 2, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0, 1)
  ),
  stringsAsFactors = FALSE
)

os <- adtte[adtte$PARAMCD == "OS", ]
fit <- survfit(Surv(AVAL, 1 - (CNSR > 0)) ~ TRT01P, data = os, conf.type = "log-log")
group <- rep(sub("^TRT01P=", "", names(fit$strata)), fit$strata)

out <- list(
  adtte = adtte,
  param = "OS",
  conf_type = "log-log",
  km = data.frame(
    TRT01P = group,
    time = fit$time,
    n_risk = fit$n.risk,
    n_event = fit$n.event,
    n_censor = fit$n.censor,
    survival = fit$surv,
    std_error = fit$surv * fit$std.err,
    conf_low = fit$lower,
    conf_high = fit$upper
  )
)
writeLines(
  toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE),
  "tests/reference/r_reference_adtte.json"
)
